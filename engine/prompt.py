"""The planner prompt, in the reference's (LLMCompiler / TinyAgent) layout so that models
fine-tuned for it work unchanged: tool list, guidelines, custom instructions, examples, question.

One addition: date phrases in the question (and in each example's question) are followed by their
resolved value in brackets (see ``engine.dates``), and one instruction says to copy them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from engine.dates import annotate, today_line
from engine.examples import Example
from engine.plan import END_OF_PLAN
from engine.tools.spec import ToolSpec

JOIN_DESCRIPTION = (
    "join():\n"
    " - Collects and combines results from prior actions.\n"
    " - A LLM agent is called upon invoking join to either finalize the user query or wait until the plans are executed.\n"
    " - join should always be the last action in the plan, and will be called in two scenarios:\n"
    "   (a) if the answer can be determined by gathering the outputs from tasks to generate the final response.\n"
    "   (b) if the answer cannot be determined in the planning phase before you execute the plans. "
)

GUIDELINES = (
    "Guidelines:\n"
    " - Each action described above contains input/output types and description.\n"
    "    - You must strictly adhere to the input and output types for each action.\n"
    "    - The action descriptions contain the guidelines. You MUST strictly follow those guidelines when you use the actions.\n"
    " - Each action in the plan should strictly be one of the above types. Follow the Python conventions for each action.\n"
    " - Each action MUST have a unique ID, which is strictly increasing.\n"
    " - Inputs for actions can either be constants or outputs from preceding actions. "
    "In the latter case, use the format $id to denote the ID of the previous action whose output will be the input.\n"
    f" - Always call join as the last action in the plan. Say '{END_OF_PLAN}' after you call join\n"
    " - Ensure the plan maximizes parallelizability.\n"
    " - Only use the provided action types. If a query cannot be addressed using these, invoke the join action for the next steps.\n"
    " - Never explain the plan with comments (e.g. #).\n"
    " - Never introduce new actions other than the ones provided.\n\n"
)

# Everything before this line of the prompt is the same for a given tool set: it is evaluated once
# and its KV cache reused (GenerationRequest.prefix). The date changes every minute, so it comes after.
STATIC_PREFIX_END = " - Today's date is"


def custom_instructions(tools: Sequence[ToolSpec], now: dt.datetime, dates: bool = True) -> str:
    """The reference's custom instructions and tool-specific rules. Today's date comes last
    (the reference has it second) so that everything before it is static; see STATIC_PREFIX_END.

    The tool rules come with the tools (``ToolSpec.rules``, the tool set file's ``x-rules``): the
    desktop set's apply to its own tools, never to a user's ``send_sms(phone_number, content)``."""
    text = (
        " - You need to start your plan with the '1.' call\n"
        " - Unless otherwise specified, the default meeting duration is 60 minutes.\n"
        " - Do not use named arguments in your tool calls.\n"
        " - You MUST end your plans with the 'join()' call and a '\\n' character.\n"
        + (" - You MUST fill every argument in the tool calls, even if they are optional.\n"
           if all(p.required for t in tools for p in t.params) else
           " - Fill every required argument; leave out trailing optional ones you have no value for (their default is used).\n")
        + " - The format for dates MUST be in ISO format of 'YYYY-MM-DD HH:MM:SS', unless other specified.\n"
        + (" - Dates and times in the question are already resolved for you in [brackets]; use exactly those values.\n"
           if dates else "")
        + " - If you want to use the result of a previous tool call, you MUST use the '$' sign followed by the index of the tool call.\n"
        " - You MUST ONLY USE join() at the very very end of the plan, or you WILL BE PENALIZED.\n"
    )
    offered = {t.name for t in tools}
    # A rule's {tools} names only the offered ones (the reference names all four senders), which
    # keeps unoffered tools out of the prompt.
    for rule in sorted({r for t in tools for r in t.rules}, key=lambda r: r.order):
        text += rule.render(offered)
    return text + f"{STATIC_PREFIX_END} {today_line(now)}\n"




def format_examples(examples: Sequence[Example]) -> str:
    blocks = []
    for ex in examples:
        q = annotate(ex.query, ex.date) if ex.date else ex.query
        blocks.append(f"Question: {q}\n{ex.plan}\n###\n")
    return "".join(blocks)


def system_prompt(tools: Sequence[ToolSpec], examples: Sequence[Example], now: dt.datetime, dates: bool = True) -> str:
    text = (
        "Given a user query, create a plan to solve it with the utmost parallelizability. "
        f"Each plan should comprise an action from the following {len(tools) + 1} types:\n"
    )
    for i, tool in enumerate(tools, 1):
        text += f"{i}. {tool.prompt_block()}\n"
    text += f"{len(tools) + 1}. {JOIN_DESCRIPTION}\n\n"
    text += GUIDELINES
    text += custom_instructions(tools, now, dates) + "\n\n"
    text += "Here are some examples:\n\n" + format_examples(examples)
    return text


COMPACT_HEAD = (
    "Plan the request as numbered tool calls, one per line, then join()<END_OF_PLAN>. "
    "$N is the result of call N.\n"
)


def compact_system_prompt(tools: Sequence[ToolSpec], now: dt.datetime) -> str:
    """The compact prompt's fixed part (tool signatures, cached) and the date line after it."""
    lines = "".join(f"{tool.signature}\n" for tool in tools)
    return f"{COMPACT_HEAD}{lines}{STATIC_PREFIX_END} {today_line(now)}\n"


def user_prompt(query: str, now: dt.datetime, dates: bool = True) -> str:
    """The question turn; ``dates``: date phrases followed by their resolved value in brackets
    (off for a tool set that takes no dates, whose arguments would copy the brackets)."""
    return f"Question: {annotate(query, now) if dates else query}"


REPLAN_INSTRUCTIONS = (
    " - Above is the Previous Plan: the steps already executed, each with its result (Observation), "
    "and a Thought about what went wrong.\n"
    " - Write the Current Plan: the steps still needed to finish the user query, done another way than the step that failed "
    "(e.g. an email instead of an SMS, other inputs, other tools).\n"
    " - NEVER repeat a step of the Previous Plan that failed or that sent, created or changed something: "
    "what failed will fail again as written, and what was done is done.\n"
    " - You may use the results of the steps that succeeded with '$' and their index.\n"
    " - Continue the indices from the end of the Previous Plan."
)


def replan_prompt(query: str, now: dt.datetime, earlier: Sequence[str], observations: Sequence[str], thought: str,
                  dates: bool = True) -> str:
    """The user turn of a re-plan round, in the reference's (LLMCompiler) layout: the question,
    the Previous Plan with an Observation under each step, a Thought, then "Current Plan:". It sits
    after the cached prefix, so a re-plan costs only these tokens and the new steps."""
    steps = "".join(f"{line}\nObservation: {obs}\n" for line, obs in zip(earlier, observations, strict=True))
    return (f"{user_prompt(query, now, dates)}\n\nPrevious Plan:\n{steps}Thought: {thought}\n\n"
            f"{REPLAN_INSTRUCTIONS}\n\nCurrent Plan:")
