"""Query in, plan streamed into the executor, results and a plain-words answer out.

This is the public entry point a CLI or GUI drives. The answer is deterministic (no second model
call as the reference's "joiner" does): what was done, and every error in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from engine.answer import summarize
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
        answer = summarize(stream.plan, result, self.tools.specs, repeated=stream.repeated, unplanned=stream.unplanned)
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
        answer = summarize(run.plan, result, self.tools.specs, repeated=run.stream.repeated, unplanned=run.stream.unplanned)
        return AgentRun(run.query, run.stream, result, answer)
