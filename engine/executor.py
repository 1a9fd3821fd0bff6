"""The one scheduler that owns execution: runs a plan's tasks as soon as their inputs exist.

Tasks arrive from an (async) iterable — typically the parser fed by the model's token stream — so
the first lookup can start while the model is still writing the rest of the plan. Each task waits
only for the tasks it references; independent tasks run concurrently. Every state change is an
``Event`` sent to the observers. A failure never loses other results: the failed task's dependants
are skipped with the reason, everything else carries on.

Safety rules that hold whatever the model writes: a task with side effects waits until the whole
plan has parsed (a cut-off or invalid plan runs only its lookups); it is prepared (names resolved,
the e-mail body written) before approval, and exactly the approved call runs; and a task that has
started is never reported as not done: a tool thread cannot be stopped, so after a cancel or a
timeout its real outcome is awaited and reported.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.addresses import normal_value
from engine.events import (
    ApprovalAnswered,
    ApprovalRequested,
    Event,
    Observer,
    PlanComplete,
    PlanFailed,
    PlanFinished,
    TaskFailed,
    TaskKept,
    TaskQueued,
    TaskSkipped,
    TaskStarted,
    TaskStatus,
    TaskSucceeded,
    TaskUncertain,
    tell,
)
from engine.plan import PlanError, Task, bind_arguments, substitute
from engine.tools.spec import Prepared, Preparer, ToolBox, ToolError, ToolSpec

__all__ = ["Approval", "ApprovalHook", "Executor", "Observer", "RunResult", "ToolError"]
"""``ToolError`` is defined with the tool contract (``engine.tools.spec``) and kept importable here."""

log = logging.getLogger(__name__)

MAX_EDITS = 20
"""Edits of one call before it is given up on (a hook that always edits would ask forever)."""


@dataclass(frozen=True)
class Approval:
    """The answer of an approval hook. ``arguments`` replaces the call's arguments when the user
    edited them (they are re-checked against the tool's signature and prepared again), and
    ``extras`` replaces prepared extras such as the e-mail body. An edited call is shown for
    approval again: only a call approved as it stands ever runs."""

    approved: bool
    reason: str = ""
    arguments: dict[str, Any] | None = None
    extras: dict[str, Any] | None = None

    @property
    def edited(self) -> bool:
        return self.arguments is not None or self.extras is not None


ApprovalHook = Callable[[Task, Prepared], Awaitable[Approval]]
"""Asked before each task with side effects, with the call as it will run."""


@dataclass
class RunResult:
    results: dict[int, Any] = field(default_factory=dict)
    status: dict[int, TaskStatus] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    plan_error: PlanError | None = None
    seconds: float = 0.0
    blocked: set[int] = field(default_factory=set)
    """Tasks skipped because a task they need did not succeed: a repair runs them again."""
    failures: dict[int, ToolError] = field(default_factory=dict)
    """The tool errors of failed tasks, with their candidates."""
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    """The arguments each task was called with: ``$N`` filled in, prepared, edited, fixed."""
    tools: dict[int, str] = field(default_factory=dict)
    """The tool each called task ran (with ``calls``: what was done, to tell a repeat)."""

    @property
    def ok(self) -> bool:
        return self.plan_error is None and all(s == TaskStatus.SUCCEEDED for s in self.status.values())

    def settle(self, task_id: int, outcome: TaskOutcome) -> None:
        """Record how a task ended (the executor's one way to write it)."""
        self.status[task_id] = outcome.status
        if outcome.status == TaskStatus.SUCCEEDED:
            self.results[task_id] = outcome.value
        if outcome.error:
            self.errors[task_id] = outcome.error
        if outcome.failure is not None:
            self.failures[task_id] = outcome.failure
        if outcome.blocked:
            self.blocked.add(task_id)

    def outcome(self, task_id: int) -> TaskOutcome | None:
        """How a task ended, as one record; None if it has not ended."""
        if task_id not in self.status:
            return None
        return TaskOutcome(self.status[task_id], self.results.get(task_id), self.errors.get(task_id, ""),
                           self.failures.get(task_id), task_id in self.blocked)


@dataclass(frozen=True)
class TaskOutcome:
    """How one task ended: what the answer, a re-plan round's observation, the CLI and the app
    read of it, written by the executor in one place (``Executor._settle``) with its event."""

    status: TaskStatus
    value: Any = None
    """The tool's result, when it succeeded."""
    error: str = ""
    """Why it failed or was not run."""
    failure: ToolError | None = None
    """The tool's own error, with what may have been meant (a repair's candidates)."""
    blocked: bool = False
    """Skipped because a task it needs did not succeed: a repair runs it again."""


class _Outcome:
    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.status = TaskStatus.QUEUED
        self.detail = ""


class Executor:
    """Run tasks against a ``ToolBox``.

    ``approve`` is awaited before every task whose tool has side effects (one prompt at a time);
    ``dry_run`` runs read-only tools only and reports what the others would have been called with.
    ``hold_side_effects`` (on by default) keeps every task with side effects waiting until the
    plan is complete and valid.
    """

    def __init__(
        self,
        tools: ToolBox,
        *,
        approve: ApprovalHook | None = None,
        dry_run: bool = False,
        task_timeout: float | None = 120.0,
        observers: Iterable[Observer] = (),
        hold_side_effects: bool = True,
    ) -> None:
        self.tools = tools
        self.approve = approve
        self.dry_run = dry_run
        self.task_timeout = task_timeout
        self.observers: list[Observer] = list(observers)
        self.hold_side_effects = hold_side_effects
        self._approval_lock = asyncio.Lock()
        self._plan_settled = asyncio.Event()
        self._plan_error: PlanError | None = None
        self._prior: RunResult | None = None
        self._fixes: dict[int, tuple[str, str]] = {}

    def subscribe(self, observer: Observer) -> None:
        self.observers.append(observer)

    def _emit(self, event: Event) -> None:
        tell(self.observers, event)

    async def run(
        self, tasks: AsyncIterable[Task] | Iterable[Task], *, prior: RunResult | None = None,
        fixes: Mapping[int, tuple[str, str]] | None = None, given: RunResult | None = None,
    ) -> RunResult:
        """Run ``tasks``; with ``prior``, repair an earlier run of them instead: a task that
        succeeded keeps its result and is not run again (``TaskKept``), a task in ``fixes`` runs
        again with its failed value replaced by the picked one (``{task: (old, new)}``), a task
        skipped only because of a failure runs if its inputs now exist, and every other task
        stays as it was. Side effects go through approval as in any run.

        ``given`` is the run of earlier rounds of a re-plan: ``tasks`` are new steps that may use
        its results; its outcomes are part of the returned result, and none of its steps runs."""
        self._prior, self._fixes = prior, dict(fixes or {})
        started = time.monotonic()
        result = RunResult()
        outcomes: dict[int, _Outcome] = {}
        if given is not None:
            for field_name in ("results", "status", "errors", "failures", "calls", "tools"):
                getattr(result, field_name).update(getattr(given, field_name))
            result.blocked |= given.blocked
            for tid, status in given.status.items():
                outcomes[tid] = _Outcome()
                outcomes[tid].status, outcomes[tid].detail = status, given.errors.get(tid, "")
                outcomes[tid].done.set()
        running: list[asyncio.Task[None]] = []
        self._plan_settled = asyncio.Event()
        self._plan_error = None
        try:
            try:
                async for task in _aiter(tasks):
                    if task.is_join:
                        continue
                    if task.id in outcomes:
                        raise PlanError("duplicate_id", f"id {task.id} is used twice", task.id)
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
            self._plan_error = result.plan_error
            self._plan_settled.set()
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
        counts = {s: sum(1 for v in result.status.values() if v == s) for s in TaskStatus}
        self._emit(PlanFinished(counts[TaskStatus.SUCCEEDED], counts[TaskStatus.FAILED], counts[TaskStatus.SKIPPED],
                                dict(result.results), result.seconds))

    async def _run_task(self, task: Task, outcomes: dict[int, _Outcome], result: RunResult) -> None:
        me = outcomes[task.id]
        try:
            await self._run_task_inner(task, outcomes, result, me)
        except asyncio.CancelledError:
            if me.status == TaskStatus.QUEUED:  # not started: truly not done
                self._skip(task, me, result, "cancelled")
            raise
        except Exception as exc:  # a bug here must fail this task, never leak out of run()
            log.exception("task %d failed inside the executor", task.id)
            if me.status in (TaskStatus.QUEUED, TaskStatus.RUNNING):
                self._fail(task, me, result, f"internal error: {type(exc).__name__}: {exc}", 0.0)
        finally:
            me.done.set()

    def _kept(self, task: Task, me: _Outcome, result: RunResult) -> bool:
        """In a repair, settle a task that is not to run again as it was; True if it was."""
        prior = self._prior
        if prior is None or task.id in self._fixes or task.id in prior.blocked or task.id not in prior.status:
            return False
        before, detail = prior.status[task.id], prior.errors.get(task.id, "")
        if before == TaskStatus.SUCCEEDED:
            if task.id in prior.calls:
                result.calls[task.id] = prior.calls[task.id]
            value = prior.results[task.id]
            self._settle(task, me, result, TaskOutcome(TaskStatus.SUCCEEDED, value), TaskKept(task, value))
        elif before == TaskStatus.FAILED:
            self._fail(task, me, result, detail, 0.0, prior.failures.get(task.id))
        else:
            self._settle(task, me, result, TaskOutcome(before, error=detail), TaskSkipped(task, detail))
        return True

    async def _run_task_inner(self, task: Task, outcomes: dict[int, _Outcome], result: RunResult, me: _Outcome) -> None:
        if self._kept(task, me, result):
            return
        missing = [d for d in sorted(task.deps) if d not in outcomes]
        if missing:
            self._fail(task, me, result, f"refers to task {missing[0]}, which is not in the plan", 0.0)
            return
        for dep in sorted(task.deps):
            await outcomes[dep].done.wait()
        blocked = [d for d in sorted(task.deps) if outcomes[d].status != TaskStatus.SUCCEEDED]
        if blocked:
            d = blocked[0]
            reason = f"task {d} {outcomes[d].status}: {outcomes[d].detail}" if outcomes[d].detail else f"task {d} {outcomes[d].status}"
            self._skip(task, me, result, reason, blocked=True)
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
        if task.id in self._fixes:
            arguments = _with_fix(arguments, *self._fixes[task.id])

        if spec.side_effect and self.hold_side_effects:
            await self._plan_settled.wait()
            if self._plan_error is not None:
                reason = f"not run: the plan is invalid ({self._plan_error}); nothing that writes or sends runs from it"
                self._skip(task, me, result, reason, arguments)
                return
        prepare = self.tools.preparers.get(task.tool)
        call = await self._prepare(task, prepare, arguments, me, result)
        if call is None:
            return

        if spec.side_effect and (earlier := _done_before(task, call, result)) is not None:
            self._skip(task, me, result, f"not run: step {earlier} already did this ({task.tool} with the same values)",
                       call.arguments)
            return
        if spec.side_effect and self.dry_run:
            self._skip(task, me, result, "dry run: not executed", call.arguments)
            return
        if spec.side_effect and self.approve is not None:
            call = await self._approved(task, spec, prepare, call, me, result)
            if call is None:
                return

        impl = self.tools.impls.get(task.tool)
        if impl is None:
            self._fail(task, me, result, f"no implementation is installed for {task.tool}", 0.0)
            return
        await self._call(task, impl, call, me, result)

    async def _prepare(
        self, task: Task, prepare: Preparer | None, arguments: dict[str, Any], me: _Outcome, result: RunResult
    ) -> Prepared | None:
        """The call as it will run; a preparer that fails (no such file, two files match) fails
        the task before anyone is asked to approve it."""
        if prepare is None:
            return Prepared(arguments)
        try:
            return await asyncio.to_thread(prepare, **arguments)
        except ToolError as exc:
            self._fail(task, me, result, str(exc), 0.0, exc)
        except Exception as exc:
            self._fail(task, me, result, f"{type(exc).__name__}: {exc}", 0.0)
        return None

    async def _approved(
        self, task: Task, spec: ToolSpec, prepare: Preparer | None, call: Prepared, me: _Outcome, result: RunResult
    ) -> Prepared | None:
        """Ask until the person approves the call as it stands (an edit is prepared and shown
        again) or declines. Anything the hook or an edit raises fails this task only."""
        assert self.approve is not None
        for _ in range(MAX_EDITS + 1):
            try:
                async with self._approval_lock:
                    self._emit(ApprovalRequested(task, dict(call.arguments), tuple(call.details)))
                    decision = await self.approve(task, call)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._fail(task, me, result, f"approval failed: {type(exc).__name__}: {exc}", 0.0)
                return None
            self._emit(ApprovalAnswered(task, decision.approved, bool(decision.approved and decision.edited),
                                        decision.reason or ""))
            if not decision.approved:
                reason = "declined" + (f": {decision.reason}" if decision.reason else "")
                self._skip(task, me, result, reason, call.arguments)
                return None
            if not decision.edited:
                return call
            try:
                arguments = _recheck(task, spec, decision.arguments) if decision.arguments is not None else call.arguments
            except Exception as exc:
                self._fail(task, me, result, f"edited arguments are invalid: {exc}", 0.0)
                return None
            redone = await self._prepare(task, prepare, arguments, me, result) if decision.arguments is not None else call
            if redone is None:
                return None
            call = redone.with_extras(decision.extras or {})
        self._fail(task, me, result, f"edited {MAX_EDITS} times without being approved as it stands; not run", 0.0)
        return None

    async def _call(self, task: Task, impl: Callable[..., Any], call: Prepared, me: _Outcome, result: RunResult) -> None:
        """Run the approved call. A coroutine can be stopped; a thread cannot, so after a cancel
        or a timeout the task is reported uncertain, its end is awaited and its real outcome
        reported."""
        me.status = TaskStatus.RUNNING
        result.calls[task.id] = dict(call.arguments)
        result.tools[task.id] = task.tool
        self._emit(TaskStarted(task, call.arguments))
        t0 = time.monotonic()
        in_thread = not inspect.iscoroutinefunction(impl)
        work: asyncio.Future[Any] = asyncio.ensure_future(
            asyncio.to_thread(impl, **call.arguments, **call.extras) if in_thread else impl(**call.arguments, **call.extras)
        )
        try:
            try:
                await asyncio.wait_for(asyncio.shield(work), self.task_timeout)
            except asyncio.TimeoutError:
                if not in_thread:
                    work.cancel()
                    self._fail(task, me, result, f"timed out after {self.task_timeout:g} s and was stopped", time.monotonic() - t0)
                    return
                self._emit(TaskUncertain(task, f"still running after {self.task_timeout:g} s; it cannot be stopped, "
                                               "so it may still complete"))
                await asyncio.shield(work)
        except asyncio.CancelledError:
            if in_thread:
                self._emit(TaskUncertain(task, "cancel requested while running; it cannot be stopped, so it may still complete"))
            else:
                work.cancel()
            try:
                await asyncio.wait({work})
            except asyncio.CancelledError:  # cancelled again while waiting: reported as unknown below
                pass
            self._report(task, work, me, result, time.monotonic() - t0)
            raise
        except Exception:
            pass  # the tool's error is read from ``work`` by _report
        self._report(task, work, me, result, time.monotonic() - t0)

    def _report(self, task: Task, work: asyncio.Future[Any], me: _Outcome, result: RunResult, seconds: float) -> None:
        """What the call really did: succeeded, failed with its error, or (stopped mid-way, or
        still running) may have done its work."""
        if not work.done() or work.cancelled():
            self._fail(task, me, result, "cancelled while running: it may have partly or fully completed", seconds)
        elif (exc := work.exception()) is not None:
            if isinstance(exc, ToolError):
                self._fail(task, me, result, str(exc), seconds, exc)
            else:
                self._fail(task, me, result, f"{type(exc).__name__}: {exc}", seconds)
        else:
            value = work.result()
            self._settle(task, me, result, TaskOutcome(TaskStatus.SUCCEEDED, value), TaskSucceeded(task, value, seconds))

    def _settle(self, task: Task, me: _Outcome, result: RunResult, outcome: TaskOutcome, event: Event) -> None:
        """The one place a task ends: its record in ``result``, its state for the tasks waiting
        on it, and the event that tells the front ends."""
        me.status, me.detail = outcome.status, outcome.error
        result.settle(task.id, outcome)
        self._emit(event)

    def _skip(self, task: Task, me: _Outcome, result: RunResult, reason: str,
              arguments: Mapping[str, Any] | None = None, *, blocked: bool = False) -> None:
        self._settle(task, me, result, TaskOutcome(TaskStatus.SKIPPED, error=reason, blocked=blocked),
                     TaskSkipped(task, reason, None if arguments is None else dict(arguments)))

    def _fail(self, task: Task, me: _Outcome, result: RunResult, error: str, seconds: float,
              failure: ToolError | None = None) -> None:
        self._settle(task, me, result, TaskOutcome(TaskStatus.FAILED, error=error, failure=failure),
                     TaskFailed(task, error, seconds))


def _with_fix(arguments: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``arguments`` with the value that failed replaced by the one picked, in lists too."""
    def swap(v: Any) -> Any:
        if isinstance(v, list):
            return [swap(x) for x in v]
        return new if isinstance(v, str) and v.strip() == old.strip() else v

    return {k: swap(v) for k, v in arguments.items()}


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


def _done_before(task: Task, call: Prepared, result: RunResult) -> int | None:
    """The earlier step that already made this call, as it would run now (addresses, numbers and
    text in their normal form), and did not fail: a re-plan round that writes the same SMS
    another way (``"+1 415 555 0100"`` for ``"+14155550100"``, a new lookup of the same number)
    must not send it twice. None when no earlier step did."""
    mine = {k: normal_value(v) for k, v in call.arguments.items()}
    for tid, arguments in result.calls.items():
        if tid == task.id or result.tools.get(tid) != task.tool or result.status.get(tid) == TaskStatus.FAILED:
            continue
        if {k: normal_value(v) for k, v in arguments.items()} == mine:
            return tid
    return None
