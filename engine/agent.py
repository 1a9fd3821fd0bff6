"""Query in, plan streamed into the executor, results and a plain-words answer out.

This is the public entry point a CLI or GUI drives. The answer is deterministic (no second model
call as the reference's "joiner" does): what was done, and every error in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from engine.events import PlanToken
from engine.executor import ApprovalHook, Executor, Observer, RunResult
from engine.plan import Plan
from engine.planner import Planner, PlanStream
from engine.tools.spec import ToolBox


@dataclass
class AgentRun:
    query: str
    stream: PlanStream
    result: RunResult
    answer: str

    @property
    def plan(self) -> Plan:
        return self.stream.plan


class Agent:
    def __init__(self, planner: Planner, tools: ToolBox) -> None:
        self.planner = planner
        self.tools = tools

    async def run(
        self,
        query: str,
        *,
        now: dt.datetime | None = None,
        approve: ApprovalHook | None = None,
        dry_run: bool = False,
        observers: Iterable[Observer] = (),
        task_timeout: float | None = 120.0,
    ) -> AgentRun:
        observers = list(observers)
        on_text: Callable[[str], None] = lambda text: [o(PlanToken(text)) for o in observers]  # noqa: E731
        stream = self.planner.start(query, now, on_text=on_text)
        executor = Executor(self.tools, approve=approve, dry_run=dry_run, task_timeout=task_timeout, observers=observers)
        result = await executor.run(stream)
        answer = summarize(stream.plan, result, repeated=stream.repeated, unplanned=stream.unplanned)
        return AgentRun(query, stream, result, answer)


    async def repair(
        self,
        run: AgentRun,
        fixes: Mapping[int, tuple[str, str]],
        *,
        approve: ApprovalHook | None = None,
        observers: Iterable[Observer] = (),
        task_timeout: float | None = 120.0,
    ) -> AgentRun:
        """``run`` again with the values the person picked for failed tasks (``{task: (old, new)}``):
        those tasks run again, then only what was waiting on them; nothing that succeeded runs
        twice (no second e-mail, text or event), and side effects are approved as before."""
        executor = Executor(self.tools, approve=approve, task_timeout=task_timeout, observers=list(observers))
        result = await executor.run(run.plan.tasks, prior=run.result, fixes=fixes)
        answer = summarize(run.plan, result, repeated=run.stream.repeated, unplanned=run.stream.unplanned)
        return AgentRun(run.query, run.stream, result, answer)


def summarize(plan: Plan, result: RunResult, *, repeated: int | None = None, unplanned: Sequence[str] = ()) -> str:
    """The answer shown to the user, built from the results; an error always reaches it in words,
    and so does a part of the request the plan left out (``unplanned``: tools the request surely
    needs that no step calls)."""
    lines: list[str] = []
    if result.plan_error is not None:
        lines.append(f"The plan could not be completed: {result.plan_error}")
    if repeated is not None:
        lines.append(f"The planner began repeating an earlier step at step {repeated}, so the plan was ended there; "
                     "check that nothing you asked for is missing.")
    if unplanned:
        lines.append(f"Not planned, though your request seems to ask for it: {', '.join(unplanned)}. "
                     "Ask for that part again, perhaps in other words.")
    calls = plan.calls
    if not calls and result.plan_error is None:
        return "None of the available tools can do that, so nothing was done."
    for task in calls:
        status = result.status.get(task.id)
        if status == "succeeded":
            value = str(result.results[task.id])
            lines.append(f"{task.id}. {task.tool}: {value if len(value) < 400 else value[:400] + '…'}")
        elif status == "failed":
            lines.append(f"{task.id}. {task.tool} failed: {result.errors.get(task.id, '')}")
        elif status == "skipped":
            lines.append(f"{task.id}. {task.tool} not run ({result.errors.get(task.id, '')})")
    return "\n".join(lines)
