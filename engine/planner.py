"""The planner: query -> prompt -> streamed plan text -> tasks, as the model writes them.

``Planner.start(query)`` returns a ``PlanStream``: an async iterator of validated ``Task``s that
the executor consumes directly, so the first lookup runs while the model is still writing. When
the stream ends it holds the full plan text and the timings (prompt tokens, time to first token,
generated tokens, generation time, time to first task).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from engine.config import PlannerConfig, PromptStyle, Selection
from engine.errors import TinyAgentError
from engine.events import TaskStatus
from engine.examples import ExampleBank
from engine.executor import RunResult
from engine.generation import APP_CACHE, Capability, GenerationRequest, GenerationStats, PlanningModel, missing
from engine.grammar import forced_text, plan_grammar
from engine.kindguard import KindGuard
from engine.kinds import returns_kind
from engine.models import ModelError
from engine.plan import END_OF_PLAN, Plan, PlanError, PlanParser, Task
from engine.prompt import (
    STATIC_PREFIX_END,
    compact_system_prompt,
    replan_prompt,
    system_prompt,
    user_prompt,
)
from engine.provenance import RoundCheck, quote_observation
from engine.tools.spec import ToolSpec

ToolSelector = Callable[[str], Sequence[ToolSpec]]

PLAN_STOPS = (END_OF_PLAN, "\n###", "\nQuestion:")


class RequestError(TinyAgentError, ValueError):
    """A request there is nothing to plan for (empty or only whitespace)."""


@dataclass
class PlanTimings(GenerationStats):
    """The model's counts (filled by ``PlanningModel.generate`` as it goes) and the planner's own times."""

    first_task_ms: float | None = None
    total_ms: float = 0.0


@dataclass
class PlanStream:
    """One planning run. Iterate it (async) for tasks; afterwards read ``text``, ``plan``, ``timings``."""

    query: str
    tools: list[ToolSpec]
    prompt: str
    """The prompt as the model reads it (``PlanningModel.render`` of the request's turns)."""
    request: GenerationRequest
    """What the model is asked; the grammar and the guard are added when the run starts."""
    guard: KindGuard | None = None
    """The data-kind guard of this run, if on (its ``yielded`` counts steps it gave up on)."""
    text: str = ""
    timings: PlanTimings = field(default_factory=PlanTimings)
    plan: Plan = field(default_factory=Plan)
    error: PlanError | None = None
    repeated: int | None = None
    refused: tuple[int, str] | None = None
    """(id, reason) of a re-plan step refused for where its recipients or files came from."""
    round: int = 1
    """1 for the first plan; 2 and 3 for re-plan rounds (``Planner.replan``)."""
    earlier: list[Task] = field(default_factory=list)
    """The steps of earlier rounds, which this round's steps continue and may refer to."""
    usable: list[int] = field(default_factory=list)
    """The earlier steps that succeeded: the only earlier results a ``$N`` may name."""
    final: list[Task] = field(default_factory=list)
    """Earlier steps this round must not repeat: what failed or was declined, and what was
    done with a side effect (a lookup that worked may be repeated harmlessly)."""
    trusted_before: int = 1
    """Steps with smaller ids are the first round's, planned from the request alone: their values
    count as the person's in later rounds (``engine.provenance``)."""
    _source: AsyncIterator[Task] | None = None

    @property
    def static_prefix(self) -> str | None:
        """The start of the system turn that is the same for every request (cached)."""
        return self.request.prefix

    @property
    def question(self) -> str:
        """The user turn, read as plain text."""
        return self.request.user

    @property
    def first(self) -> int:
        """The id of this round's first step."""
        return max((t.id for t in self.earlier), default=0) + 1

    @property
    def unplanned(self) -> list[str]:
        """Tools the kind guard was sure the request needs that no step of the plan calls."""
        called = {t.tool for t in self.plan.calls}
        return [t for t in self.guard.sure if t not in called] if self.guard else []

    @property
    def plan_text(self) -> str:
        """The plan as it is executed: the model's text, or, when the plan was closed early
        because the model began repeating a call, the tasks kept and the ``join()`` put in."""
        return self.plan.text() if self.repeated is not None or self.refused is not None else self.text

    def __aiter__(self) -> AsyncIterator[Task]:
        assert self._source is not None, "a PlanStream can be iterated once"
        source, self._source = self._source, None
        return source


class Planner:
    def __init__(
        self,
        llm: PlanningModel,
        tools: Sequence[ToolSpec],
        bank: ExampleBank | None = None,
        *,
        select_tools: ToolSelector | None = None,
        config: PlannerConfig | None = None,
        cache_group: str = APP_CACHE,
    ) -> None:
        """``cache_group``: where the prompt prefix's cached state is kept (``generation.APP_CACHE``).

        A config that needs what ``llm`` cannot do (a grammar, the kind guard, a cached prefix) is
        refused here, so no path plans without it unknowingly."""
        self.config = config or PlannerConfig()
        needed = {*([Capability.GRAMMAR] if self.config.grammar else []),
                  *([Capability.TOKEN_CONSTRAINT] if self.config.kinds else []),
                  *([Capability.PREFIX_CACHE] if self.config.prefix_cache else [])}
        if lacks := missing(llm, needed):
            settings = {Capability.GRAMMAR: "grammar", Capability.TOKEN_CONSTRAINT: "kinds",
                        Capability.PREFIX_CACHE: "prefix_cache"}
            raise ModelError(f"{llm.name} cannot apply {', '.join(c.value for c in lacks)}; turn off "
                             f"{', '.join(settings[c] for c in lacks)} in the planner settings to use it")
        self.cache_group = cache_group
        self.llm = llm
        self.tools = list(tools)
        self.bank = bank if bank is not None else ExampleBank.default()
        self.select_tools = select_tools

    def offered_tools(self, query: str) -> list[ToolSpec]:
        """The tools put in the prompt, in the canonical order of ``self.tools`` (stable order
        keeps the prompt prefix identical across queries, so llama.cpp can reuse its KV cache)."""
        if self.select_tools is None:
            return list(self.tools)
        chosen = {t.name for t in self.select_tools(query)}
        return [t for t in self.tools if t.name in chosen]

    def build_turns(
        self, query: str, now: dt.datetime, tools: Sequence[ToolSpec], callable_tools: Sequence[ToolSpec] | None = None,
        user: str | None = None,
    ) -> tuple[str, str]:
        """The system turn describing ``tools``, with examples that use only ``callable_tools``
        (default: the described ones), and the user turn (``user`` replaces it: a re-plan's)."""
        user = user if user is not None else user_prompt(query, now, self.config.dates)
        if self.config.prompt is PromptStyle.COMPACT:
            return compact_system_prompt(tools, now), user
        allowed = [t.name for t in (tools if callable_tools is None else callable_tools)]
        examples = self.bank.select(query, self.config.examples, offered=allowed, exclude=query)
        return system_prompt(tools, examples, now, self.config.dates), user

    def build_prompt(
        self, query: str, now: dt.datetime, tools: Sequence[ToolSpec], callable_tools: Sequence[ToolSpec] | None = None,
        user: str | None = None,
    ) -> str:
        """``build_turns`` as the model reads them (training builds its samples from this)."""
        return self.llm.render(*self.build_turns(query, now, tools, callable_tools, user))

    def prepare(self, query: str, now: dt.datetime | None = None, user: str | None = None) -> PlanStream:
        """The planning run before the model is called: chosen tools, prompt, cached prefix."""
        if not query.strip():
            raise RequestError("say what you want done: the request is empty")
        now = now or dt.datetime.now().replace(second=0, microsecond=0)
        user = user if user is not None else user_prompt(query, now, self.config.dates)
        tools = self.offered_tools(query)
        if self.config.selection is Selection.GRAMMAR:
            system, user = self.build_turns(query, now, self.tools, callable_tools=tools, user=user)
        else:
            system, user = self.build_turns(query, now, tools, user=user)
        cut = system.find(STATIC_PREFIX_END)
        request = GenerationRequest(
            system, user, max_tokens=self.config.max_tokens, stop=PLAN_STOPS, check_first=self.config.check_first,
            prefix=system[:cut] if cut > 0 and self.config.prefix_cache else None, prefix_group=self.cache_group,
        )
        return PlanStream(query, tools, self.llm.render(system, user), request)

    def replan(
        self, query: str, earlier: Sequence[Task], result: RunResult, now: dt.datetime | None = None,
        on_text: Callable[[str], None] | None = None, round: int = 2, trusted_before: int | None = None,
    ) -> PlanStream:
        """Plan again after a run that failed where no pick could help: the steps run so far, each
        with its result or error (the reference's Observation), then the new steps, numbered on
        from the last. Its grammar lets a ``$N`` name only steps that succeeded, and the plan ends
        at a step that repeats a failed, declined or side-effecting one (``PlanParser``'s
        ``no_repeat``). Results are shown quoted as data, the kind guard knows the earlier steps'
        kinds, and a step whose recipients, numbers or files are not the person's is refused
        (``engine.provenance``). ``trusted_before``: the first id after the first round's steps
        (default: all of ``earlier`` are the first round's)."""
        now = now or dt.datetime.now().replace(second=0, microsecond=0)
        calls = [t for t in earlier if not t.is_join]
        user = replan_prompt(query, now,
                             [t.text() for t in calls], [_observation(t, result) for t in calls], _thought(calls, result),
                             self.config.dates)
        stream = self.prepare(query, now, user=user)
        stream.round, stream.earlier = round, calls
        stream.trusted_before = trusted_before if trusted_before is not None else stream.first
        stream.usable = [t.id for t in calls if result.status.get(t.id) == TaskStatus.SUCCEEDED]
        specs = {t.name: t for t in self.tools}
        stream.final = [t for t in calls if t.id not in stream.usable or t.tool not in specs or specs[t.tool].side_effect]
        stream._source = self._run(stream, on_text)
        return stream

    def warm_up(self) -> str:
        """Evaluate (or restore) the prompt prefix before the first command, when every query
        shares it (ToolRAG in the grammar, or no ToolRAG): the first command after launch then
        costs what later ones do. Returns ``"memory"``, ``"disk"``, ``"built"``, or ``"off"``
        when the prefix depends on the query or is not cached."""
        if self.select_tools is not None and self.config.selection is not Selection.GRAMMAR:
            return "off"
        request = self.prepare("warm up").request
        return self.llm.prime(request) if request.prefix else "off"

    def start(self, query: str, now: dt.datetime | None = None, on_text: Callable[[str], None] | None = None) -> PlanStream:
        stream = self.prepare(query, now)
        stream._source = self._run(stream, on_text)
        return stream

    async def _run(self, stream: PlanStream, on_text: Callable[[str], None] | None) -> AsyncIterator[Task]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        stop = threading.Event()
        grammar = (plan_grammar(stream.tools, self.config.max_steps, first=stream.first, usable=stream.usable)
                   if self.config.grammar else None)
        guard = None
        specs = {t.name: t for t in self.tools}
        if self.config.kinds and stream.round == 1:
            sure = getattr(self.select_tools, "sure", None)
            guard = KindGuard(stream.tools, stream.query, sure=sure(stream.query) if sure else (), max_steps=self.config.max_steps)
        elif self.config.kinds:
            earlier = {t.id: returns_kind(specs[t.tool]) if t.tool in specs else None for t in stream.earlier
                       if t.id in stream.usable}
            guard = KindGuard(stream.tools, stream.query, max_steps=self.config.max_steps, earlier=earlier,
                              names_from_query=False)
        stream.guard = guard
        forced = (functools.partial(forced_text, names=[t.name for t in stream.tools], first=stream.first)
                  if grammar and self.config.forces_ahead else None)
        stream.request = dataclasses.replace(stream.request, grammar=grammar, guard=guard, forced=forced)
        t0 = time.monotonic()

        def produce() -> None:
            try:
                for piece in self.llm.generate(stream.request, stream.timings):
                    loop.call_soon_threadsafe(queue.put_nowait, ("text", piece))
                    if stop.is_set():
                        break
                loop.call_soon_threadsafe(queue.put_nowait, ("end", None))
            except BaseException as exc:  # reported to the consumer, never lost in the thread
                loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))

        worker = threading.Thread(target=produce, name="planner", daemon=True)
        worker.start()
        check = RoundCheck(stream.query, stream.earlier, specs, stream.trusted_before) if stream.round > 1 else None
        parser = PlanParser(stream.tools, stop_on_repeat=True, earlier=stream.earlier, no_repeat=stream.final,
                            refuse=check.refusal if check else None)
        try:
            while True:
                kind, payload = await queue.get()
                if kind == "error":
                    raise payload  # type: ignore[misc]
                if kind == "end":
                    tasks = parser.finish()
                else:
                    text = str(payload)
                    stream.text += text
                    if on_text:
                        on_text(text)
                    tasks = parser.feed(text)
                for task in tasks:
                    if stream.timings.first_task_ms is None and not task.is_join:
                        stream.timings.first_task_ms = (time.monotonic() - t0) * 1000
                    yield task
                if kind == "end" or parser.done:
                    break
        except PlanError as exc:
            stream.error = exc
            raise
        finally:
            stop.set()
            stream.plan, stream.repeated, stream.refused = parser.plan, parser.repeated, parser.refused
            await asyncio.to_thread(worker.join)
            stream.timings.total_ms = (time.monotonic() - t0) * 1000

    async def plan(self, query: str, now: dt.datetime | None = None) -> PlanStream:
        """Plan without executing: drain the stream (a ``PlanError`` is kept in ``.error``)."""
        stream = self.start(query, now)
        try:
            async for _ in stream:
                pass
        except PlanError:
            pass
        return stream


def _observation(task: Task, result: RunResult) -> str:
    """What a step gave, quoted as data: a result or an error may hold text anyone wrote (a
    note, a file name), which must not read as steps to take (``provenance.quote_observation``)."""
    outcome = result.outcome(task.id)
    if outcome is None:
        return f"Not run: {quote_observation('it never ran')}"
    if outcome.status == TaskStatus.SUCCEEDED:
        return quote_observation(str(outcome.value))
    if outcome.status == TaskStatus.FAILED:
        return f"Error: {quote_observation(outcome.error or 'failed')}"
    return f"Not run: {quote_observation(outcome.error or 'it never ran')}"


def _thought(calls: Sequence[Task], result: RunResult) -> str:
    """Why a new plan is needed, from the run itself (the reference asks its joiner model)."""
    failed = [t for t in calls if result.status.get(t.id) == TaskStatus.FAILED]
    parts = [f"Step {t.id} ({t.tool}) failed: {result.errors.get(t.id, '').rstrip('.')}." for t in failed]
    waiting = [str(t.id) for t in calls if t.id in result.blocked]
    if waiting:
        parts.append(f"Step{'s' if len(waiting) > 1 else ''} {', '.join(waiting)} did not run because of it.")
    parts.append("I need another way to do what is left.")
    return " ".join(parts)
