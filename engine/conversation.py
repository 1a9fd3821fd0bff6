"""One request end to end, owned by the engine: plan, approve, run, re-plan, offer repairs, answer.

The CLI and the app used to drive ``Agent.run``/``repair``/``replan`` each in its own loop, in
different orders, with their own approval rules; the app ran a re-plan round's new side effects
unasked when the person had turned asking off, where the CLI's ``--yes`` asked about any value
nobody had seen. A ``Conversation`` holds those rules once, and a front end only renders its
events and answers its questions (``Ask``: may this step run?; ``repair``: the person's pick).

Rules:
- Approval waits until the round's plan is written, so the person reviews the whole plan.
- Stage 0 is the request's own plan; each repair and each re-plan round is a new stage. "Always
  allow" for a tool reaches only stage 0: later stages hold steps nobody has seen yet.
- Asking turned off (``ask_first=False``, the CLI's ``--yes``) covers the request's own plan and
  the person's repairs; a re-plan round's side effect runs unasked only when every value it is
  called with was in the request or the first round (``provenance.KnownOnly``), else it is asked.
- After each run and each repair, re-plan rounds follow while a step failed where no pick could
  help (``AgentRun.replannable``); failures that offer candidates wait for ``repair``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.events import Event, PlanComplete, PlanFailed
from engine.executor import Approval, ApprovalHook, Observer
from engine.plan import Task
from engine.provenance import KnownOnly, known_values
from engine.tools.spec import Prepared, ToolError

if TYPE_CHECKING:
    from engine.agent import Agent, AgentRun

MAX_REPAIRS = 3
"""Repairs of one request, so a front end that always picks cannot loop."""


@dataclass(frozen=True)
class ApprovalQuestion:
    """May ``task`` run as ``call`` (resolved arguments, and details such as files and the
    e-mail body)? ``stage``: see the module's rules."""

    task: Task
    call: Prepared
    stage: int


Ask = Callable[[ApprovalQuestion], Awaitable[Approval]]


class Conversation:
    """One request and what follows it. ``start`` it, then ``repair`` with the person's picks
    for what ``offers`` lists, until they stop or ``repairs_left`` is 0."""

    def __init__(
        self,
        agent: Agent,
        ask: Ask | None,
        *,
        ask_first: bool = True,
        always_allow: Collection[str] = (),
        replan: bool = True,
        dry_run: bool = False,
        now: dt.datetime | None = None,
        observers: Iterable[Observer] = (),
        task_timeout: float | None = 120.0,
    ) -> None:
        """``ask``: the front end's answer to an ``ApprovalQuestion``; ``None`` declines every
        side effect that would need one."""
        self.agent = agent
        self.ask = ask
        self.ask_first = ask_first
        self.always_allow = set(always_allow)
        self.replan = replan
        self.dry_run = dry_run
        self.now = now
        self.task_timeout = task_timeout
        self.observers: list[Observer] = [self._watch, *observers]
        self.stage = 0
        self.run: AgentRun | None = None
        """The latest finished run (all rounds so far)."""
        self.repairs_left = MAX_REPAIRS
        self._plan_written = asyncio.Event()
        self._known: set[str] | None = None
        """What the person saw or gave before the first re-plan round (``KnownOnly``)."""

    async def start(self, query: str) -> AgentRun:
        """Plan and run ``query``, then the re-plan rounds it needs."""
        self.stage, self.repairs_left, self.run, self._known = 0, MAX_REPAIRS, None, None
        self._plan_written = asyncio.Event()
        run = await self.agent.run(query, now=self.now, approve=self._hook(), dry_run=self.dry_run,
                                   observers=self.observers, task_timeout=self.task_timeout)
        return await self._rounds(run)

    @property
    def offers(self) -> list[tuple[int, ToolError]]:
        """Failed steps of the latest run whose failing value is known, with what may have been
        meant: the questions ``repair`` answers. Empty after a dry run or with no repairs left."""
        if self.run is None or self.dry_run or self.repairs_left <= 0:
            return []
        return [(tid, exc) for tid, exc in sorted(self.run.result.failures.items())
                if exc.value is not None and self.run.result.status.get(tid) == "failed"]

    async def repair(self, fixes: Mapping[int, tuple[str, str]]) -> AgentRun:
        """Run the latest run again with the person's values (``{task: (old, new)}``): those
        steps and what waited on them, nothing that succeeded; then any re-plan rounds."""
        if self.run is None:
            raise RuntimeError("nothing to repair: start the conversation first")
        if self.repairs_left <= 0 or not fixes:
            return self.run
        self.repairs_left -= 1
        self.stage += 1
        self._plan_written.set()  # the plan is the one already shown
        run = await self.agent.repair(self.run, fixes, approve=self._hook(), observers=self.observers,
                                      task_timeout=self.task_timeout)
        return await self._rounds(run)

    async def _rounds(self, run: AgentRun) -> AgentRun:
        self.run = run
        while self.replan and not self.dry_run and run.replannable:
            self.stage += 1
            self._plan_written = asyncio.Event()
            run = await self.agent.replan(run, now=self.now, approve=self._hook(replanned=True),
                                          observers=self.observers, task_timeout=self.task_timeout)
            self.run = run
        return run

    def _hook(self, replanned: bool = False) -> ApprovalHook | None:
        if self.ask_first:
            return self._approve
        if not replanned:
            return None
        assert self.run is not None
        if self._known is None:
            self._known = known_values(self.run.query, self.run.result)
        return KnownOnly(self._approve, self._known)

    async def _approve(self, task: Task, call: Prepared) -> Approval:
        stage = self.stage
        if stage == 0 and task.tool in self.always_allow:
            return Approval(True)
        if self.ask is None:
            return Approval(False, "nobody to ask for approval")
        await self._plan_written.wait()
        return await self.ask(ApprovalQuestion(task, call, stage))

    def _watch(self, event: Event) -> None:
        if isinstance(event, PlanComplete | PlanFailed):
            self._plan_written.set()
