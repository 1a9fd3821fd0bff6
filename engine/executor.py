"""The one scheduler that owns execution: runs a plan's tasks as soon as their inputs exist.

Tasks arrive from an (async) iterable — typically the parser fed by the model's token stream — so
the first lookup can start while the model is still writing the rest of the plan. Each task waits
only for the tasks it references; independent tasks run concurrently. Every state change is an
``Event`` sent to the observers. A failure never loses other results: the failed task's dependants
are skipped with the reason, everything else carries on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.events import (
    Event,
    PlanComplete,
    PlanFailed,
    PlanFinished,
    TaskFailed,
    TaskQueued,
    TaskSkipped,
    TaskStarted,
    TaskSucceeded,
)
from engine.plan import PlanError, Task, bind_arguments, substitute
from engine.tools.spec import ToolBox, ToolSpec

log = logging.getLogger(__name__)

Observer = Callable[[Event], None]


@dataclass(frozen=True)
class Approval:
    """The answer of an approval hook. ``arguments`` replaces the call's arguments when the user
    edited them (they are re-checked against the tool's signature)."""

    approved: bool
    reason: str = ""
    arguments: dict[str, Any] | None = None


ApprovalHook = Callable[[Task, dict[str, Any]], Awaitable[Approval]]


class ToolError(Exception):
    """A tool could not do its job; the message is shown to the user as is."""


@dataclass
class RunResult:
    results: dict[int, Any] = field(default_factory=dict)
    status: dict[int, str] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    plan_error: PlanError | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.plan_error is None and all(s == "succeeded" for s in self.status.values())


class _Outcome:
    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.status = "queued"
        self.detail = ""


class Executor:
    """Run tasks against a ``ToolBox``.

    ``approve`` is awaited before every task whose tool has side effects (one prompt at a time);
    ``dry_run`` runs read-only tools only and reports what the others would have been called with.
    """

    def __init__(
        self,
        tools: ToolBox,
        *,
        approve: ApprovalHook | None = None,
        dry_run: bool = False,
        task_timeout: float | None = 120.0,
        observers: Iterable[Observer] = (),
    ) -> None:
        self.tools = tools
        self.approve = approve
        self.dry_run = dry_run
        self.task_timeout = task_timeout
        self.observers: list[Observer] = list(observers)
        self._approval_lock = asyncio.Lock()

    def subscribe(self, observer: Observer) -> None:
        self.observers.append(observer)

    def _emit(self, event: Event) -> None:
        """Tell every observer. One that raises is logged and skipped: a display bug must not
        stop a plan half-way with its side effects still running and no record of them."""
        for obs in self.observers:
            try:
                obs(event)
            except Exception:
                log.exception("observer %r failed on %s", obs, type(event).__name__)

    async def run(self, tasks: AsyncIterable[Task] | Iterable[Task]) -> RunResult:
        started = time.monotonic()
        result = RunResult()
        outcomes: dict[int, _Outcome] = {}
        running: list[asyncio.Task[None]] = []
        try:
            try:
                async for task in _aiter(tasks):
                    if task.is_join:
                        continue
                    outcomes[task.id] = _Outcome()
                    self._emit(TaskQueued(task))
                    running.append(asyncio.create_task(self._run_task(task, outcomes, result)))
                self._emit(PlanComplete(len(outcomes)))
            except PlanError as exc:
                result.plan_error = exc
                self._emit(PlanFailed(str(exc), exc.kind, exc.task_id))
            except Exception as exc:  # the model or its stream broke: keep what already runs
                result.plan_error = PlanError("model", f"planning stopped: {type(exc).__name__}: {exc}")
                self._emit(PlanFailed(str(result.plan_error), "model"))
            if running:
                await asyncio.gather(*running)
        except asyncio.CancelledError:
            for t in running:
                t.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            self._finish(result, started)
            raise
        self._finish(result, started)
        return result

    def _finish(self, result: RunResult, started: float) -> None:
        result.seconds = time.monotonic() - started
        counts = {s: sum(1 for v in result.status.values() if v == s) for s in ("succeeded", "failed", "skipped")}
        self._emit(PlanFinished(counts["succeeded"], counts["failed"], counts["skipped"], dict(result.results), result.seconds))

    async def _run_task(self, task: Task, outcomes: dict[int, _Outcome], result: RunResult) -> None:
        me = outcomes[task.id]
        try:
            await self._run_task_inner(task, outcomes, result, me)
        except asyncio.CancelledError:
            if me.status in ("queued", "running"):
                self._settle(task, me, result, "skipped", "cancelled")
                self._emit(TaskSkipped(task, "cancelled"))
            raise
        finally:
            me.done.set()

    async def _run_task_inner(self, task: Task, outcomes: dict[int, _Outcome], result: RunResult, me: _Outcome) -> None:
        missing = [d for d in sorted(task.deps) if d not in outcomes]
        if missing:
            self._fail(task, me, result, f"refers to task {missing[0]}, which is not in the plan", 0.0)
            return
        for dep in sorted(task.deps):
            await outcomes[dep].done.wait()
        blocked = [d for d in sorted(task.deps) if outcomes[d].status != "succeeded"]
        if blocked:
            d = blocked[0]
            reason = f"task {d} {outcomes[d].status}: {outcomes[d].detail}" if outcomes[d].detail else f"task {d} {outcomes[d].status}"
            self._settle(task, me, result, "skipped", reason)
            self._emit(TaskSkipped(task, reason))
            return

        spec = self.tools.specs.get(task.tool)
        if spec is None:
            self._fail(task, me, result, f"unknown tool {task.tool!r}", 0.0)
            return
        try:
            arguments = {k: substitute(v, result.results, task.id) for k, v in bind_arguments(task, spec).items()}
        except (PlanError, KeyError) as exc:
            self._fail(task, me, result, f"bad arguments: {exc}", 0.0)
            return

        if spec.side_effect and self.dry_run:
            self._settle(task, me, result, "skipped", "dry run: not executed")
            self._emit(TaskSkipped(task, "dry run: not executed", arguments))
            return
        if spec.side_effect and self.approve is not None:
            async with self._approval_lock:
                decision = await self.approve(task, arguments)
            if not decision.approved:
                reason = "declined" + (f": {decision.reason}" if decision.reason else "")
                self._settle(task, me, result, "skipped", reason)
                self._emit(TaskSkipped(task, reason, arguments))
                return
            if decision.arguments is not None:
                try:
                    arguments = _recheck(task, spec, decision.arguments)
                except PlanError as exc:
                    self._fail(task, me, result, f"edited arguments are invalid: {exc}", 0.0)
                    return

        impl = self.tools.impls.get(task.tool)
        if impl is None:
            self._fail(task, me, result, f"no implementation is installed for {task.tool}", 0.0)
            return
        me.status = "running"
        self._emit(TaskStarted(task, arguments))
        t0 = time.monotonic()
        try:
            if inspect.iscoroutinefunction(impl):
                call = impl(**arguments)
            else:
                call = asyncio.to_thread(impl, **arguments)
            value = await asyncio.wait_for(call, self.task_timeout)
        except asyncio.TimeoutError:
            self._fail(task, me, result, f"timed out after {self.task_timeout:g} s", time.monotonic() - t0)
            return
        except ToolError as exc:
            self._fail(task, me, result, str(exc), time.monotonic() - t0)
            return
        except Exception as exc:
            self._fail(task, me, result, f"{type(exc).__name__}: {exc}", time.monotonic() - t0)
            return
        result.results[task.id] = value
        self._settle(task, me, result, "succeeded", "")
        self._emit(TaskSucceeded(task, value, time.monotonic() - t0))

    def _settle(self, task: Task, me: _Outcome, result: RunResult, status: str, detail: str) -> None:
        me.status, me.detail = status, detail
        result.status[task.id] = status
        if detail:
            result.errors[task.id] = detail

    def _fail(self, task: Task, me: _Outcome, result: RunResult, error: str, seconds: float) -> None:
        self._settle(task, me, result, "failed", error)
        self._emit(TaskFailed(task, error, seconds))


def _recheck(task: Task, spec: ToolSpec, arguments: dict[str, Any]) -> dict[str, Any]:
    """Edited arguments go through the same binding and type checks as the model's."""
    edited = Task(task.id, task.tool, kwargs=tuple(arguments.items()))
    return bind_arguments(edited, spec)


async def _aiter(source: AsyncIterable[Task] | Iterable[Task]):  # type: ignore[no-untyped-def]
    if hasattr(source, "__aiter__"):
        async for item in source:  # type: ignore[union-attr]
            yield item
    else:
        for item in source:  # type: ignore[union-attr]
            yield item
            await asyncio.sleep(0)
