"""The live plan graph: nodes appear as the plan streams and change colour with each task's state."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QWheelEvent
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView

from engine.events import (
    Event,
    ReplanStarted,
    TaskFailed,
    TaskKept,
    TaskQueued,
    TaskSkipped,
    TaskStarted,
    TaskStatus,
    TaskSucceeded,
    TaskUncertain,
)
from engine.plan import Task
from gui.layout import StreamingLayout

NODE_W, NODE_H = 190.0, 62.0
STATE_COLORS = {
    TaskStatus.PLANNED: "#9aa5b1",
    TaskStatus.QUEUED: "#7b8794",
    TaskStatus.RUNNING: "#2f80ed",
    TaskStatus.SUCCEEDED: "#27ae60",
    TaskStatus.FAILED: "#eb5757",
    TaskStatus.SKIPPED: "#c99a2e",
    TaskStatus.WAITING: "#9b51e0",
    TaskStatus.UNCERTAIN: "#f2994a",  # cancelled or timed out while running; its real outcome follows
}


@dataclass
class TaskView:
    """What the inspector shows for one task."""

    task: Task
    state: TaskStatus = TaskStatus.PLANNED
    arguments: dict[str, Any] | None = None
    result: Any = None
    error: str = ""
    started: float | None = None
    seconds: float | None = None
    round: int = 1
    """The planning round that wrote the task (2 and 3 are re-plans)."""
    items: list[QGraphicsItem] = field(default_factory=list)


class NodeItem(QGraphicsRectItem):
    def __init__(self, view: TaskView, on_click: Any) -> None:
        super().__init__(0, 0, NODE_W, NODE_H)
        self.view = view
        self.on_click = on_click
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.title = QGraphicsSimpleTextItem(f"{view.task.id}. {view.task.tool}", self)
        self.title.setFont(QFont("Sans", 9, QFont.Weight.Bold))
        self.title.setPos(10, 8)
        self.subtitle = QGraphicsSimpleTextItem("", self)
        self.subtitle.setFont(QFont("Sans", 8))
        self.subtitle.setPos(10, 28)
        self.badge = QGraphicsSimpleTextItem("", self)
        self.badge.setFont(QFont("Sans", 8))
        self.badge.setPos(10, 44)
        self.refresh()

    def refresh(self) -> None:
        v = self.view
        color = QColor(STATE_COLORS[v.state])
        self.setBrush(QBrush(color.lighter(165)))
        self.setPen(QPen(color, 2.5 if v.state == TaskStatus.RUNNING else 1.5))
        args = ", ".join(str(a) if not isinstance(a, str) else repr(a) for a in v.task.args)
        self.subtitle.setText(args[:34] + ("…" if len(args) > 34 else ""))
        if v.state in (TaskStatus.RUNNING, TaskStatus.UNCERTAIN) and v.started is not None:
            badge = f"running {time.monotonic() - v.started:.1f} s"
        elif v.seconds is not None:
            badge = f"{v.state} · {v.seconds:.2f} s"
        else:
            badge = v.state
        self.badge.setText(f"round {v.round} · {badge}" if v.round > 1 else badge)
        if v.round > 1:
            pen = self.pen()
            pen.setStyle(Qt.PenStyle.DashLine)
            self.setPen(pen)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.on_click(self.view.task.id)
        super().mousePressEvent(event)


class DagView(QGraphicsView):
    """Observes engine events; ``node_selected(task_id)`` when a node is clicked."""

    node_selected = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.tasks: dict[int, TaskView] = {}
        self.nodes: dict[int, NodeItem] = {}
        self.edges: list[tuple[int, int, QGraphicsPathItem]] = []
        self.layout_ = StreamingLayout()
        self._round = 1
        self._ticker = QTimer(self)
        self._ticker.setInterval(100)
        self._ticker.timeout.connect(self._tick)

    def clear(self) -> None:
        self.scene().clear()
        self.tasks.clear()
        self.nodes.clear()
        self.edges.clear()
        self.layout_ = StreamingLayout()
        self._round = 1

    # -- events ------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Draw from the engine's events only: a node appears when the engine has parsed and
        checked its task (``TaskQueued``, as the model writes the plan), never from text the
        engine may still reject."""
        if isinstance(event, ReplanStarted):
            self._round = event.round
            return
        task = getattr(event, "task", None)
        if task is None:
            return
        view = self.tasks.get(task.id) or self._add(task)
        if isinstance(event, TaskQueued):
            view.state = TaskStatus.QUEUED
        elif isinstance(event, TaskStarted):
            view.state, view.started, view.arguments = TaskStatus.RUNNING, event.at, event.arguments
            self._ticker.start()
        elif isinstance(event, TaskUncertain):
            view.state, view.error = TaskStatus.UNCERTAIN, event.note
        elif isinstance(event, TaskSucceeded):
            view.state, view.result, view.seconds = TaskStatus.SUCCEEDED, event.result, event.seconds
        elif isinstance(event, TaskKept):
            view.state, view.result = TaskStatus.SUCCEEDED, event.result
        elif isinstance(event, TaskFailed):
            view.state, view.error, view.seconds = TaskStatus.FAILED, event.error, event.seconds
        elif isinstance(event, TaskSkipped):
            view.state, view.error = TaskStatus.SKIPPED, event.reason
            if event.arguments is not None:
                view.arguments = event.arguments
        self.nodes[task.id].refresh()
        self._color_edges(task.id)

    def mark_waiting(self, task_id: int, arguments: dict[str, Any]) -> None:
        view = self.tasks.get(task_id)
        if view is not None:
            view.state, view.arguments = TaskStatus.WAITING, arguments
            self.nodes[task_id].refresh()

    def finish_layout(self) -> None:
        """Reorder layers once the plan is complete (fewer crossings)."""
        for tid, slot in self.layout_.finish().items():
            if tid in self.nodes:
                self.nodes[tid].setPos(QPointF(slot.x, slot.y))
        self._redraw_edges()

    # -- drawing -----------------------------------------------------------------------------

    def _add(self, task: Task) -> TaskView:
        if task.id in self.tasks:
            return self.tasks[task.id]
        view = TaskView(task, round=self._round)
        self.tasks[task.id] = view
        slot = self.layout_.add(task)
        node = NodeItem(view, self.node_selected.emit)
        node.setPos(QPointF(slot.x, slot.y))
        node.setZValue(1)
        self.scene().addItem(node)
        self.nodes[task.id] = node
        for d in sorted(task.deps):
            if d in self.nodes:
                edge = QGraphicsPathItem()
                edge.setPen(QPen(QColor("#7b8794"), 1.6))
                self.scene().addItem(edge)
                self.edges.append((d, task.id, edge))
        self._redraw_edges()
        self.setSceneRect(self.scene().itemsBoundingRect().adjusted(-30, -30, 30, 30))
        return view

    def _redraw_edges(self) -> None:
        for a, b, item in self.edges:
            pa, pb = self.nodes[a].pos(), self.nodes[b].pos()
            start, end = QPointF(pa.x() + NODE_W, pa.y() + NODE_H / 2), QPointF(pb.x(), pb.y() + NODE_H / 2)
            path = QPainterPath(start)
            mid = (start.x() + end.x()) / 2
            path.cubicTo(QPointF(mid, start.y()), QPointF(mid, end.y()), end)
            item.setPath(path)

    def _color_edges(self, task_id: int) -> None:
        for a, _, item in self.edges:
            if a == task_id:
                item.setPen(QPen(QColor(STATE_COLORS[self.tasks[a].state]), 1.6))

    def _tick(self) -> None:
        running = [n for n in self.nodes.values() if n.view.state == TaskStatus.RUNNING]
        for n in running:
            n.refresh()
        if not running:
            self._ticker.stop()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
        self.scale(factor, factor)

    def fit(self) -> None:
        rect: QRectF = self.scene().itemsBoundingRect()
        if not rect.isEmpty():
            self.fitInView(rect.adjusted(-20, -20, 20, 20), Qt.AspectRatioMode.KeepAspectRatio)
