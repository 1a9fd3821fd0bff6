"""The answer: one plain-words sentence per request, what was done, what was not, and why.

A request is what the person asked for, not every step planned for it. "Invite Sid and Lutfi to
the demo and text Sid the link" plans lookups, a meeting link, an event and a text: the requests
are the calls nothing else consumes (the event, the text) and anything else that changed the
world (the meeting was created). The lookups speak through the sentence of what needed them:
"Did not text Sid: could not look up Sid's phone number (No contact named 'Sid')."

Each tool says what it does with ``x-action`` ("text {recipients}"); a ``$N`` there reads as the
name the person wrote, not the address it was looked up as. A tool without one reads as its name.
The answer is deterministic: a second model call (the reference's joiner) would cost seconds and
could misreport what ran.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping, Sequence, Set
from typing import Any

from engine.events import TaskStatus
from engine.executor import RunResult
from engine.kinds import Kind, returns_kind
from engine.plan import EMBEDDED_REF, Plan, PlanError, Ref, Task, bind_arguments
from engine.tools.spec import ToolSpec

SHORT = 60
"""Characters of a value shown inside a sentence."""
LONG = 400
"""Characters of a result shown after a sentence (a summary, a note's text)."""

_IRREGULAR = {"send": "sent", "get": "got", "find": "found", "make": "made", "write": "wrote", "read": "read",
              "run": "ran", "set": "set", "put": "put", "take": "took", "buy": "bought", "pay": "paid",
              "tell": "told", "begin": "began", "leave": "left", "meet": "met", "bring": "brought"}
_LOOKUP_KINDS = {Kind.EMAIL.value, Kind.PHONE.value}
_LOOKUP_RESULTS = {Kind.EMAIL, Kind.PHONE, Kind.FILE, Kind.URL, Kind.MEETING_LINK}
"""Results that are an address, a number, a path or a link: shown as they are, not quoted."""


def summarize(plan: Plan, result: RunResult, specs: Mapping[str, ToolSpec] | None = None, *,
              repeated: int | None = None, refused: tuple[int, str] | None = None, unplanned: Sequence[str] = (),
              superseded: Set[int] = frozenset()) -> str:
    """The answer shown to the user: a line for the
    plan as a whole when something went wrong with it, then one sentence per request, leaving out
    the ``superseded`` steps (failed ones a later re-plan round did another way)."""
    lines: list[str] = []
    if result.plan_error is not None:
        lines.append(f"The plan could not be completed: {result.plan_error}")
    if repeated is not None:
        lines.append(f"The planner began repeating an earlier step at step {repeated}, so the plan was ended there; "
                     "check that nothing you asked for is missing.")
    if refused is not None:
        lines.append(f"Step {refused[0]} of the new plan was refused and nothing from it on was run: {refused[1]}.")
    if unplanned:
        lines.append(f"Not planned, though your request seems to ask for it: {', '.join(unplanned)}. "
                     "Ask for that part again, perhaps in other words.")
    if not plan.calls and result.plan_error is None:
        return "None of the available tools can do that, so nothing was done."
    story = _Story(plan, result, specs or {})
    lines.extend(story.sentence(task) for task in requests(plan, specs or {}) if task.id not in superseded)
    return "\n".join(lines)


def requests(plan: Plan, specs: Mapping[str, ToolSpec]) -> list[Task]:
    """The calls the answer speaks of: those no other call consumes, and every call that changes
    something (a tool not in ``specs`` counts as one: the safe assumption)."""
    consumed = {d for t in plan.calls for d in t.deps}
    return [t for t in plan.calls
            if t.id not in consumed or (spec := specs.get(t.tool)) is None or spec.side_effect]


def past(action: str) -> str:
    """"text Sid" → "texted Sid": the first word in the past tense (regular verbs, and the
    common irregular ones a tool set may start with)."""
    verb, _, rest = action.partition(" ")
    low = verb.lower()
    if low in _IRREGULAR:
        done = _IRREGULAR[low]
    elif low.endswith("e"):
        done = verb + "d"
    elif low.endswith("y") and len(low) > 1 and low[-2] not in "aeiou":
        done = verb[:-1] + "ied"
    else:
        done = verb + "ed"
    return f"{done} {rest}".rstrip()


def _short(value: Any, limit: int = SHORT) -> str:
    """A value as a sentence shows it: whitespace folded, cut at ``limit``, and a full path as its
    file name (the graph and ``--json`` keep the whole path)."""
    if isinstance(value, str) and os.path.isabs(value) and "\n" not in value and len(value) < 4096:
        value = os.path.basename(value.rstrip("/")) or value
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clause(text: str) -> str:
    return text.strip().rstrip(".")


def _tool_sentence(value: Any) -> bool:
    """Whether a tool's result already says what it did ("Message to … queued in the outbox.")."""
    return isinstance(value, str) and " " in value.strip() and value.rstrip().endswith(".") and len(value) <= LONG


class _Story:
    """What each task was asked to do and what became of it, in words."""

    def __init__(self, plan: Plan, result: RunResult, specs: Mapping[str, ToolSpec]) -> None:
        self.tasks = plan.by_id()
        self.result = result
        self.specs = specs

    def action(self, task: Task) -> str:
        spec = self.specs.get(task.tool)
        if spec is None or not spec.action:
            return f"run {task.tool}"
        try:
            bound = bind_arguments(task, spec)
        except PlanError:
            return f"run {task.tool}"
        ran = self.result.calls.get(task.id, {})
        out: list[str] = []
        for literal, field, _, _ in string.Formatter().parse(spec.action):
            out.append(literal)
            if field is not None:
                out.append(self._show(ran.get(field, bound.get(field, "")) if _is_literal(bound.get(field)) else
                                      bound.get(field, "")))
        return "".join(out)

    def _show(self, value: Any) -> str:
        if isinstance(value, Ref):
            return self._show_ref(value.id)
        if isinstance(value, list | tuple):
            shown = [self._show(v) for v in value if v not in ("", None)]
            if not shown:
                return "no one"
            return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        if isinstance(value, str) and "$" in value:
            return _short(EMBEDDED_REF.sub(lambda m: self._show_ref(int(m.group(1) or m.group(2))), value))
        return _short(value)

    def _show_ref(self, n: int) -> str:
        """A ``$N`` as the person would say it: the name a contact was looked up by, else the
        value it took, else which step it is."""
        task = self.tasks.get(n)
        spec = self.specs.get(task.tool) if task else None
        if task is not None and spec is not None and spec.returns_kind in _LOOKUP_KINDS and spec.params:
            ran = self.result.calls.get(n, {})
            first = spec.params[0].name
            if first in ran:
                return _short(ran[first])
            if task.args and isinstance(task.args[0], str) and "$" not in task.args[0]:
                return _short(task.args[0])
        if n in self.result.results:
            return _short(self.result.results[n])
        return f"the result of step {n}"

    def sentence(self, task: Task) -> str:
        action = self.action(task)
        status = self.result.status.get(task.id)
        detail = self.result.errors.get(task.id, "")
        if status == TaskStatus.SUCCEEDED:
            value = self.result.results.get(task.id)
            spec = self.specs.get(task.tool)
            writes = spec is None or spec.side_effect
            if writes and _tool_sentence(value):
                return value.strip()
            shown = _short(value, LONG) if value not in (None, "") else ""
            if shown and not writes and returns_kind(spec) not in _LOOKUP_RESULTS:
                # what was read (a note, a summary) is quoted, never said as the agent's own
                shown = '"' + " ".join(shown.split()) + '"'
            return _capital(past(action)) + (f": {shown}" if shown and shown not in action else ".")
        if status == TaskStatus.FAILED:
            if "may have" in detail:
                return f"May have {past(action)}, but that cannot be confirmed: {_clause(detail)}."
            return f"Did not {action}: {_clause(detail)}."
        if status == TaskStatus.SKIPPED:
            if detail.startswith("dry run"):
                return f"Would {action} (dry run: not done)."
            if task.id in self.result.blocked:
                return f"Did not {action}: {_clause(self.cause(task))}."
            return f"Did not {action}: {_clause(detail)}."
        return f"Did not {action}: it never ran."

    def cause(self, task: Task) -> str:
        """Why a task that waited on others did not run: the first step it needed that failed,
        followed back to the step that really went wrong."""
        seen: set[int] = set()
        while True:
            seen.add(task.id)
            needed = [self.tasks[d] for d in sorted(task.deps)
                      if d in self.tasks and self.result.status.get(d) != TaskStatus.SUCCEEDED and d not in seen]
            if not needed:
                return self.result.errors.get(task.id, "a step it needed did not run")
            dep = needed[0]
            if dep.id not in self.result.blocked:
                why = self.result.errors.get(dep.id, "")
                return f"could not {self.action(dep)}" + (f" ({_clause(why)})" if why else "")
            task = dep


def _is_literal(value: Any) -> bool:
    """A value written in the plan (shown as it ran, after an edit or a picked fix), not a ``$N``."""
    if isinstance(value, Ref):
        return False
    if isinstance(value, list | tuple):
        return all(_is_literal(v) for v in value)
    return not (isinstance(value, str) and EMBEDDED_REF.search(value))
