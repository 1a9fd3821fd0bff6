"""Typed events of a run, the only thing a CLI or GUI needs to observe to show a plan live.

Every state change of a task is one event; observers never poke into the scheduler.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from engine.plan import Ref, Task

log = logging.getLogger(__name__)


class TaskStatus(StrEnum):
    """Where a task stands, one vocabulary for the engine, the CLI and the app. The executor
    settles each task as ``SUCCEEDED``, ``FAILED`` or ``SKIPPED``; ``WAITING`` (for approval)
    and ``UNCERTAIN`` (cut short while running; its real outcome follows) are shown on the way."""

    PLANNED = "planned"
    QUEUED = "queued"
    WAITING = "waiting"
    RUNNING = "running"
    UNCERTAIN = "uncertain"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


def _now() -> float:
    return time.monotonic()


@dataclass(frozen=True)
class Event:
    at: float = field(default_factory=_now, kw_only=True)

    @property
    def kind(self) -> str:
        return type(self).__name__

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (``--json`` prints one per line)."""
        data = {"event": self.kind}
        for k, v in asdict(self).items():
            data[k] = _jsonable(v)
        if isinstance(getattr(self, "task", None), Task):
            t: Task = self.task  # type: ignore[attr-defined]
            data["task"] = {"id": t.id, "tool": t.tool, "args": _jsonable(list(t.args)), "deps": sorted(t.deps)}
        return data


def _jsonable(v: Any) -> Any:
    if isinstance(v, Ref):
        return f"${v.id}"
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


@dataclass(frozen=True)
class PlanToken(Event):
    """Text the model produced (for showing the plan as it is written)."""

    text: str


@dataclass(frozen=True)
class TaskQueued(Event):
    task: Task


@dataclass(frozen=True)
class TaskStarted(Event):
    task: Task
    arguments: dict[str, Any]


@dataclass(frozen=True)
class TaskSucceeded(Event):
    task: Task
    result: Any
    seconds: float


@dataclass(frozen=True)
class TaskKept(Event):
    """In a repair run: the task succeeded in an earlier round and is not run again."""

    task: Task
    result: Any


@dataclass(frozen=True)
class TaskFailed(Event):
    task: Task
    error: str
    seconds: float


@dataclass(frozen=True)
class TaskUncertain(Event):
    """A running task was cancelled or timed out but cannot be stopped: its side effect may still
    happen. Its real outcome follows as ``TaskSucceeded`` or ``TaskFailed``."""

    task: Task
    note: str


@dataclass(frozen=True)
class ApprovalRequested(Event):
    """A task with side effects waits for the person's answer, with the call as it would run
    (``details``: the lines approval shows, such as a message's body). Every approval is in the
    event stream, so a log or a second window sees what was asked, in every round."""

    task: Task
    arguments: dict[str, Any]
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApprovalAnswered(Event):
    """The answer to the last ``ApprovalRequested`` of ``task``: approved as it stands, edited
    (it is prepared and asked about again), or declined with an optional reason."""

    task: Task
    approved: bool
    edited: bool = False
    reason: str = ""


@dataclass(frozen=True)
class TaskSkipped(Event):
    """Not run: a dependency failed or was skipped, the user declined, or ``--dry-run``.

    ``arguments`` holds what the task would have been called with, as far as known.
    """

    task: Task
    reason: str
    arguments: dict[str, Any] | None = None


@dataclass(frozen=True)
class PlanComplete(Event):
    """Every task of the plan has been received (the model wrote ``join()``); some may still run.
    An approval UI waits for this so the person reviews the whole plan, not a prefix of it."""

    tasks: int


@dataclass(frozen=True)
class PlanFailed(Event):
    """The plan text itself was invalid (``PlanError``) or the model failed; tasks already
    accepted still finish."""

    error: str
    error_kind: str
    task_id: int | None = None


@dataclass(frozen=True)
class PlanFinished(Event):
    succeeded: int
    failed: int
    skipped: int
    results: dict[int, Any]
    seconds: float


@dataclass(frozen=True)
class ReplanStarted(Event):
    """The planner plans again (round 2 or 3) after steps failed where no pick could help. The
    ``PlanToken``s and tasks that follow are that round's; its ids start at ``first``, and a view
    keeps the earlier rounds' nodes and adds the new ones beside them."""

    round: int
    first: int
    reason: str


@dataclass(frozen=True)
class Answer(Event):
    """The plain-words answer of a run (``engine.answer``), sent when a round, a repair or a
    re-plan ends; the last one a caller receives is the final answer."""

    answer: str
    plan: str
    rounds: int
    timings: dict[str, Any] = field(default_factory=dict)
    """The latest round's planning times (``PlanTimings``)."""


Observer = Callable[[Event], None]


def tell(observers: Iterable[Observer], event: Event) -> None:
    """Tell each of ``observers``. One that raises is logged and skipped: a display bug must not
    stop a plan half-way with its side effects still running and no record of them. The executor
    and the agent send every event through here."""
    for obs in observers:
        try:
            obs(event)
        except Exception:
            log.exception("observer %r failed on %s", obs, type(event).__name__)


def fan_out(observers: Iterable[Observer]) -> Observer:
    """One observer that ``tell``s each of ``observers``."""
    targets = list(observers)
    return lambda event: tell(targets, event)
