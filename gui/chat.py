"""The conversation pane and the command box."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QTextBrowser

from engine.agent import AgentRun


class CommandBox(QLineEdit):
    """Enter sends, Up/Down walk the history, Esc cancels the running plan."""

    submitted = Signal(str)
    cancel_requested = Signal()

    def __init__(self, history: list[str] | None = None) -> None:
        super().__init__()
        self.setPlaceholderText("Tell me what to do — e.g. “Invite Sid to a demo tomorrow at 3pm”")
        self.history: list[str] = list(history or [])
        self._pos = len(self.history)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            text = self.text().strip()
            if text:
                self.history.append(text)
                self._pos = len(self.history)
                self.submitted.emit(text)
                self.clear()
            return
        if key == Qt.Key.Key_Escape:
            self.cancel_requested.emit()
            return
        if key == Qt.Key.Key_Up and self.history:
            self._pos = max(0, self._pos - 1)
            self.setText(self.history[self._pos])
            return
        if key == Qt.Key.Key_Down and self.history:
            self._pos = min(len(self.history), self._pos + 1)
            self.setText(self.history[self._pos] if self._pos < len(self.history) else "")
            return
        super().keyPressEvent(event)


class ChatView(QTextBrowser):
    """A transcript: each command, its plan as it streams, and the answer."""

    def __init__(self) -> None:
        super().__init__()
        self.setOpenExternalLinks(True)
        self._blocks: list[str] = []
        self._plan = ""

    def _render(self) -> None:
        self.setHtml("".join(self._blocks) + self._live())
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def _live(self) -> str:
        if not self._plan:
            return ""
        return f"<pre style='color:#52606d'>{html.escape(self._plan)}</pre>"

    def add_user(self, text: str) -> None:
        self._blocks.append(f"<p><b>You:</b> {html.escape(text)}</p>")
        self._plan = ""
        self._render()

    def add_plan_text(self, text: str) -> None:
        self._plan += text
        self._render()

    def add_answer(self, run: AgentRun) -> None:
        plan = html.escape(run.stream.plan_text.strip())
        answer = html.escape(run.answer).replace("\n", "<br>")
        t = run.stream.timings
        self._blocks.append(
            f"<pre style='color:#52606d'>{plan}</pre><p><b>tinyagent:</b> {answer}</p>"
            f"<p style='color:#7b8794;font-size:small'>planned in {t.total_ms / 1000:.1f} s · ran in {run.result.seconds:.1f} s</p><hr>"
        )
        self._plan = ""
        self._render()

    def add_note(self, text: str, error: bool = False) -> None:
        color = "#eb5757" if error else "#52606d"
        self._blocks.append(f"<p style='color:{color}'>{html.escape(text)}</p>")
        self._plan = ""
        self._render()

    def add_past(self, query: str, answer: str) -> None:
        self._blocks.append(
            f"<p><b>You:</b> {html.escape(query)}</p><p><b>tinyagent:</b> {html.escape(answer).replace(chr(10), '<br>')}</p><hr>"
        )
        self._render()
