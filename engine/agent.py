"""Query in, plan streamed into the executor, results and a plain-words answer out.

This is the public entry point a CLI or GUI drives. The answer is deterministic (no second model
call as the reference's "joiner" does): what was done, and every error in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.addresses import normal_value
from engine.answer import summarize
from engine.events import Answer, PlanToken, ReplanStarted, TaskStatus, fan_out
from engine.examples import ExampleBank
from engine.executor import ApprovalHook, Executor, Observer, RunResult
from engine.generation import PlanningModel
from engine.plan import WHOLE_REF, Plan, Ref, Task
from engine.planner import Planner, PlannerConfig, PlanStream
from engine.tools.spec import ToolBox, ToolSource
from engine.tools.toolset import load_tool_set

if TYPE_CHECKING:
    from engine.config import Config
    from engine.tools.local import LocalBackend

MAX_REPLANS = 2
"""Re-plan rounds after the first plan, as the reference's joiner allows."""


@dataclass
class AgentRun:
    query: str
    stream: PlanStream
    """The latest round's plan stream."""
    result: RunResult
    """Everything run so far, all rounds together."""
    answer: str

    @property
    def round(self) -> int:
        return self.stream.round

    @property
    def plan(self) -> Plan:
        """The steps of every round, in order."""
        return Plan([*self.stream.earlier, *self.stream.plan.tasks], self.stream.plan.complete)

    @property
    def plan_text(self) -> str:
        """The plan as run: the model's text for one round, every round's steps after a re-plan."""
        return self.stream.plan_text if self.round == 1 else self.plan.text()

    @property
    def replannable(self) -> bool:
        """Whether another round may help: a step failed where no pick could help (a tool
        refused an argument, a file is no PDF) in this round (earlier rounds' failures were planned
        around already), rounds are left, and this round did not end by repeating an earlier
        step. A failure that offered candidates waits for the person's pick instead, and a step
        that may have happened is never planned around."""
        if self.round > MAX_REPLANS or self.stream.repeated is not None or self.stream.refused is not None:
            return False
        return any(
            tid >= self.stream.first and status == TaskStatus.FAILED
            and not (self.result.failures.get(tid) and self.result.failures[tid].candidates)
            and "may have" not in self.result.errors.get(tid, "")
            for tid, status in self.result.status.items()
        )


class Agent:
    """Plans a request with ``planner`` and runs the plan on ``tools``. ``load_agent`` builds the
    desktop agent; ``Agent.for_tools`` one over your own tools."""

    def __init__(self, planner: Planner, tools: ToolBox, sources: Iterable[ToolSource] = ()) -> None:
        self.planner = planner
        self.tools = tools
        self.sources = list(sources)
        """What some of ``tools`` run in and must be stopped with the agent (MCP servers)."""

    def close(self) -> None:
        """Stop the tool sources (an MCP server's process ends); the agent cannot call their tools after."""
        while self.sources:
            self.sources.pop().close()

    @classmethod
    def for_tools(
        cls,
        tools: ToolBox | Iterable[Callable[..., Any]] | str | Path,
        *,
        model: str | Path | PlanningModel = "default",
        bank: ExampleBank | None = None,
        examples: int = 3,
        dates: bool = False,
        threads: int | None = None,
    ) -> Agent:
        """An agent over your own tools: typed functions (the docstring's first paragraph describes
        the tool; each may set ``__side_effect__ = False`` to run without approval), a ``ToolBox``,
        or an OpenAI-style JSON tool list (a path; its tools have no implementation, so plan with
        ``agent.planner.plan(...)``).

        Nothing of the desktop set leaks in: no desktop examples (``bank``, your own, gives
        ``examples`` per prompt; none without it), no desktop rules, and no ToolRAG: every tool
        is offered, the grammar holding the plan to them. ``dates`` adds the resolved value of date
        phrases to the question, for tool sets that take ISO dates. ``model`` is ``default``,
        ``fast``, ``tiny``, a ``.gguf`` path, or any ``PlanningModel`` (a ``ScriptedLLM`` in tests)."""
        if isinstance(tools, ToolBox):
            box = tools
        elif isinstance(tools, str | Path):
            box = ToolBox()
            for spec in load_tool_set(Path(tools)):
                box.add(spec)
        else:
            box = ToolBox()
            for fn in tools:
                box.add_function(fn)
        from engine.config import Config
        from engine.runtime import build_planner

        declares_kinds = any(t.returns_kind or any(p.kinds for p in t.params) for t in box)
        own_model = isinstance(model, str | Path)
        # lora "none": an adapter in the manifest was trained on the desktop tools, not on these.
        config = Config(model=str(model) if own_model else None, lora="none", threads=threads, toolrag="none",
                        planner=PlannerConfig(examples=examples, dates=dates, kinds=declares_kinds))
        llm = None if own_model else model
        return cls(build_planner(config, list(box), llm=llm, bank=bank, foreign=True), box)  # type: ignore[arg-type]

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
        emit = fan_out(observers)
        stream = self.planner.start(query, now, on_text=lambda text: emit(PlanToken(text)))
        executor = Executor(self.tools, approve=approve, dry_run=dry_run, task_timeout=task_timeout, observers=observers)
        result = await executor.run(stream)
        return self._done(AgentRun(query, stream, result, self._answer(stream.plan, result, stream)), emit)


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
        observers = list(observers)
        executor = Executor(self.tools, approve=approve, task_timeout=task_timeout, observers=observers)
        result = await executor.run(run.plan.tasks, prior=run.result, fixes=fixes)
        return self._done(AgentRun(run.query, run.stream, result, self._answer(run.plan, result, run.stream)), fan_out(observers))

    async def replan(
        self,
        run: AgentRun,
        *,
        now: dt.datetime | None = None,
        approve: ApprovalHook | None = None,
        observers: Iterable[Observer] = (),
        task_timeout: float | None = 120.0,
    ) -> AgentRun:
        """One more round for ``run`` (check ``run.replannable`` first): the planner sees every
        step so far with its result or error and writes only what is left, numbered on; the new
        steps run with the earlier results and through approval like any others. Nothing run
        before runs again, and a round that repeats an earlier step is cut there."""
        observers = list(observers)
        emit = fan_out(observers)
        stream = self.planner.replan(run.query, run.plan.tasks, run.result, now, on_text=lambda text: emit(PlanToken(text)),
                                     round=run.round + 1, trusted_before=run.stream.trusted_before if run.round > 1 else None)
        emit(ReplanStarted(stream.round, stream.first, _why(run)))
        executor = Executor(self.tools, approve=approve, task_timeout=task_timeout, observers=observers)
        result = await executor.run(stream, given=run.result)
        plan = Plan([*stream.earlier, *stream.plan.tasks], stream.plan.complete)
        return self._done(AgentRun(run.query, stream, result, self._answer(plan, result, stream)), emit)

    @staticmethod
    def _done(run: AgentRun, emit: Observer) -> AgentRun:
        emit(Answer(run.answer, run.plan_text, run.round, dict(vars(run.stream.timings))))
        return run

    def _answer(self, plan: Plan, result: RunResult, stream: PlanStream) -> str:
        return summarize(plan, result, self.tools.specs, repeated=stream.repeated, refused=stream.refused,
                         unplanned=stream.unplanned,
                         superseded=_superseded(plan, result, stream.first))


def _why(run: AgentRun) -> str:
    failed = [t for t in run.plan.calls if run.result.status.get(t.id) == TaskStatus.FAILED]
    return "; ".join(f"step {t.id} ({t.tool}) failed: {run.result.errors.get(t.id, '')}" for t in failed)


def _superseded(plan: Plan, result: RunResult, first: int) -> set[int]:
    """Steps of earlier rounds that did not succeed but that a later round's step did: the same
    tool with the same values, a ``$N`` input counting as what its step was asked for
    (``get_phone_number("Sid")`` and ``get_email_address("Sid")`` both stand for Sid). The answer
    speaks of what was done, not of the failure; a failed request that no later step did (a text
    to Sid, when the later round texted Ana) stays in it."""
    by_id = {t.id: t for t in plan.calls}
    done_later = [t for t in plan.calls if t.id >= first and result.status.get(t.id) == TaskStatus.SUCCEEDED]
    return {t.id for t in plan.calls if t.id < first and result.status.get(t.id) != TaskStatus.SUCCEEDED
            and any(_asked(t, by_id) == _asked(later, by_id) for later in done_later)}


def _asked(task: Task, by_id: Mapping[int, Task], depth: int = 0) -> object:
    """What ``task`` was asked to do, as written, each ``$N`` replaced by what its step was asked."""

    def value(v: object) -> object:
        if isinstance(v, list):
            return tuple(value(x) for x in v)
        ref = v.id if isinstance(v, Ref) else None
        if ref is None and isinstance(v, str) and (m := WHOLE_REF.match(v.strip())):
            ref = int(m.group(1))
        if ref is not None:
            source = by_id.get(ref)
            return ("$", _asked(source, by_id, depth + 1)[1:] if source is not None and depth < 8 else ref)
        return normal_value(v)

    return (task.tool, tuple(value(v) for v in task.args), tuple((k, value(v)) for k, v in task.kwargs))


def load_agent(
    config: Config, progress: Callable[[int, int], None] | None = None, warn: Callable[[str], None] = print
) -> tuple[Agent, LocalBackend]:
    """The desktop agent and its backend (the app's and the CLI's), with the tools of the MCP
    servers ``config.mcp`` names beside the desktop tools; a server that cannot start is a
    warning, and ``agent.close`` stops them."""
    from engine.runtime import adapted, build_planner, load_llm, make_backend
    from engine.writer import LLMWriter

    config = adapted(config, warn, progress)
    llm = load_llm(config)
    backend = make_backend(config)
    if config.model_writes_text:
        backend.writer = LLMWriter(llm)
    tools = backend.toolbox()
    sources: list[ToolSource] = []
    if config.mcp:
        from engine.tools.mcp import McpSource

        source = McpSource(config.mcp)
        sources.append(source)
        for problem in source.start():
            warn(problem)
        source.add_to(tools, warn)
    try:
        return Agent(build_planner(config, list(tools), llm=llm, warn=warn), tools, sources), backend
    except BaseException:
        for source in sources:  # the servers must not outlive a load that failed
            source.close()
        raise
