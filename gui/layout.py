"""Where each task of a plan is drawn: a left-to-right layered layout, computed without Qt.

A plan only references earlier tasks, so a task's layer (one more than its deepest dependency)
is known the moment its line is parsed: while the plan streams, a new node is appended to its
layer and nothing already drawn moves. When the plan is complete, one barycentre pass orders each
layer by the mean row of its dependencies, which removes most edge crossings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.plan import Task

COLUMN = 230.0
ROW = 96.0


@dataclass(frozen=True)
class Slot:
    layer: int
    row: int

    @property
    def x(self) -> float:
        return self.layer * COLUMN

    @property
    def y(self) -> float:
        return self.row * ROW


def layer_of(task: Task, layers: dict[int, int]) -> int:
    return 1 + max((layers[d] for d in task.deps if d in layers), default=-1)


class StreamingLayout:
    """Slots assigned as tasks arrive; ``finish()`` reorders layers once to reduce crossings."""

    def __init__(self) -> None:
        self.tasks: dict[int, Task] = {}
        self.layers: dict[int, int] = {}
        self.slots: dict[int, Slot] = {}

    def add(self, task: Task) -> Slot:
        layer = layer_of(task, self.layers)
        row = sum(1 for s in self.slots.values() if s.layer == layer)
        self.tasks[task.id] = task
        self.layers[task.id] = layer
        self.slots[task.id] = Slot(layer, row)
        return self.slots[task.id]

    def finish(self) -> dict[int, Slot]:
        self.slots = barycentre(self.tasks.values(), self.layers)
        return self.slots


def barycentre(tasks: Iterable[Task], layers: dict[int, int]) -> dict[int, Slot]:
    by_layer: dict[int, list[Task]] = {}
    for t in tasks:
        by_layer.setdefault(layers[t.id], []).append(t)
    slots: dict[int, Slot] = {}
    for layer in sorted(by_layer):
        def key(t: Task) -> tuple[float, int]:
            rows = [slots[d].row for d in t.deps if d in slots]
            return (sum(rows) / len(rows) if rows else float(t.id), t.id)

        for row, t in enumerate(sorted(by_layer[layer], key=key)):
            slots[t.id] = Slot(layer, row)
    return slots


def crossings(tasks: Iterable[Task], slots: dict[int, Slot]) -> int:
    """Edge crossings between adjacent layers (edges spanning several layers count by endpoints)."""
    edges = [(slots[d], slots[t.id]) for t in tasks for d in t.deps if d in slots and t.id in slots]
    count = 0
    for i, (a1, b1) in enumerate(edges):
        for a2, b2 in edges[i + 1 :]:
            if a1.layer == a2.layer and b1.layer == b2.layer and (a1.row - a2.row) * (b1.row - b2.row) < 0:
                count += 1
    return count
