"""The main window: conversation on the left, the live plan graph and its inspector on the right."""

from __future__ import annotations

import ast
import asyncio
import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from engine.agent import AgentRun
from engine.events import Event, PlanComplete, PlanFailed, PlanToken
from engine.executor import Approval
from engine.tools.desktop import desktop_specs
from engine.tools.spec import ToolError
from gui.chat import ChatView, CommandBox
from gui.controller import AgentController, ApprovalRequest
from gui.dag_view import DagView
from gui.history import History
from gui.settings import Settings, SettingsDialog
from gui.voice import VoiceInput

TALK_KEY = Qt.Key.Key_F2


class ApprovalBar(QWidget):
    """Shown while a side-effecting task waits: approve, skip, edit an argument, or approve all."""

    def __init__(self) -> None:
        super().__init__()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.approve = QPushButton("Approve")
        self.skip = QPushButton("Skip")
        self.edit = QPushButton("Edit argument…")
        self.approve_all = QPushButton("Approve all")
        row = QHBoxLayout()
        for b in (self.approve, self.skip, self.edit, self.approve_all):
            row.addWidget(b)
        box = QVBoxLayout(self)
        box.addWidget(self.label)
        box.addLayout(row)
        self.hide()


class RepairBar(QWidget):
    """Shown when a step failed with candidates ("No contact named 'Sidd'"): pick one or type a
    value, and that step runs again with it, then only what waited on it. Nothing is used until
    the person presses the button."""

    def __init__(self) -> None:
        super().__init__()
        self.task_id: int | None = None
        self.old = ""
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # file and contact names are not markup
        self.label.setWordWrap(True)
        self.choice = QComboBox()
        self.choice.setEditable(True)
        self.choice.setToolTip("Pick who or what was meant, or type it")
        self.rerun = QPushButton("Run again with this")
        self.leave = QPushButton("Leave it")
        row = QHBoxLayout()
        row.addWidget(self.choice, 1)
        row.addWidget(self.rerun)
        row.addWidget(self.leave)
        box = QVBoxLayout(self)
        box.addWidget(self.label)
        box.addLayout(row)
        self.leave.clicked.connect(self.hide)
        self.hide()

    def offer(self, task_id: int, tool: str, error: ToolError) -> None:
        self.task_id, self.old = task_id, error.value or ""
        self.label.setText(f"Step {task_id} ({tool}): {error}")
        self.choice.clear()
        self.choice.addItems(list(error.candidates))
        self.show()


class MainWindow(QMainWindow):
    def __init__(self, controller: AgentController, history: History | None = None, settings: Settings | None = None,
                 settings_path: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("tinyagent")
        self.resize(1280, 760)
        self.controller = controller
        self.history = history
        self.pending: list[ApprovalRequest] = []
        self.approve_rest: int | None = None
        """The stage "Approve all" was given for; a later repair or re-plan round asks again."""
        self.settings = settings or Settings(approve_mode=controller.approve_mode, always_allow=sorted(controller.always_allow))
        self.settings_path = settings_path
        self.voice = VoiceInput(self.settings.voice_model, self.settings.config.threads, self)

        self.chat = ChatView()
        self.command = CommandBox([q for q, _, _ in history.recent()] if history else [])
        self.dag = DagView()
        self.inspector = QTextBrowser()
        self.inspector.setPlaceholderText("Click a task in the graph to see its arguments, result and timing.")
        self.approval = ApprovalBar()
        self.repair = RepairBar()

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(self.chat)
        row = QHBoxLayout()
        self.talk = QPushButton("Hold to talk (F2)")
        self.talk.setToolTip("Hold while you speak; the words are transcribed on this computer.")
        row.addWidget(self.command, 1)
        row.addWidget(self.talk)
        lv.addLayout(row)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.dag)
        bottom = QWidget()
        bv = QVBoxLayout(bottom)
        bv.addWidget(self.approval)
        bv.addWidget(self.repair)
        bv.addWidget(self.inspector)
        right.addWidget(bottom)
        right.setSizes([480, 260])
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([520, 760])
        self.setCentralWidget(split)

        bar = QToolBar("Main")
        self.addToolBar(bar)
        self.approve_action = QAction("Approve before running", self, checkable=True, checked=controller.approve_mode)
        self.approve_action.toggled.connect(self._set_approve_mode)
        cancel = QAction("Cancel (Esc)", self)
        cancel.triggered.connect(controller.cancel)
        fit = QAction("Fit graph", self)
        fit.triggered.connect(self.dag.fit)
        settings_action = QAction("Settings…", self)
        settings_action.triggered.connect(self.open_settings)
        for a in (self.approve_action, cancel, fit, settings_action):
            bar.addAction(a)
        self.model_label = QLabel("No model loaded")
        self.statusBar().addPermanentWidget(self.model_label)

        self.command.submitted.connect(self.submit)
        self.command.cancel_requested.connect(controller.cancel)
        self.dag.node_selected.connect(self.show_task)
        controller.event.connect(self.on_event)
        controller.status.connect(lambda m: self.statusBar().showMessage(m, 8000))
        controller.loaded.connect(lambda name: self.model_label.setText(f"Model: {name}"))
        controller.load_failed.connect(self.on_load_failed)
        controller.run_finished.connect(self.on_finished)
        controller.run_failed.connect(lambda msg: self.chat.add_note(msg, error=True))
        controller.run_failed.connect(lambda _: self.drop_pending())
        controller.run_finished.connect(lambda _: self.drop_pending())
        controller.approval_requested.connect(self.on_approval)
        self.approval.approve.clicked.connect(lambda: self.answer(Approval(True)))
        self.approval.skip.clicked.connect(lambda: self.answer(Approval(False, "skipped by you")))
        self.approval.approve_all.clicked.connect(self.approve_all)
        self.approval.edit.clicked.connect(self.edit_argument)
        self.repair.rerun.clicked.connect(self.run_repair)
        self.talk.pressed.connect(self.voice.press)
        self.talk.released.connect(self.voice.release)
        self.voice.transcribed.connect(self.on_transcript)
        self.voice.failed.connect(lambda msg: self.chat.add_note(msg, error=True))
        self.voice.state.connect(self._voice_state)
        if settings is not None:
            self.apply_settings(settings, reload=False)
        if history:
            for q, _, a in history.recent(10):
                self.chat.add_past(q, a)

    # -- commands ------------------------------------------------------------------------------

    def submit(self, query: str) -> None:
        if self.controller.agent is None:
            self.chat.add_note("The model is not loaded yet.", error=True)
            return
        if self.controller.busy:
            self.chat.add_note("Still working on the previous command (Esc cancels it).", error=True)
            return
        self.dag.clear()
        self.inspector.clear()
        self.repair.hide()
        self.approve_rest = None
        self.chat.add_user(query)
        self.controller.submit(query)

    def on_event(self, event: Event) -> None:
        self.dag.on_event(event)
        if isinstance(event, PlanToken):
            self.chat.add_plan_text(event.text)
        elif isinstance(event, PlanComplete):
            self.dag.finish_layout()
        elif isinstance(event, PlanFailed):
            self.chat.add_note(f"Plan problem: {event.error}", error=True)
        task = getattr(event, "task", None)
        if task is not None and self.inspector.property("task_id") == task.id:
            self.show_task(task.id)

    def on_finished(self, run: AgentRun) -> None:
        self.chat.add_answer(run)
        self.dag.fit()
        if self.history:
            self.history.add(run.query, run.plan_text, run.answer)
        fixable = [tid for tid, exc in sorted(run.result.failures.items()) if exc.candidates]
        if fixable:
            self.offer_repair(fixable[0])

    def offer_repair(self, task_id: int) -> bool:
        """Show the repair bar for a failed step of the last run that has candidates."""
        run = self.controller.last_run
        error = run.result.failures.get(task_id) if run else None
        if run is None or error is None or not error.candidates or run.result.status.get(task_id) != "failed":
            return False
        self.repair.offer(task_id, run.plan.by_id()[task_id].tool, error)
        return True

    def run_repair(self) -> None:
        value = self.repair.choice.currentText().strip()
        if self.repair.task_id is None or not value:
            return
        if self.controller.repair({self.repair.task_id: (self.repair.old, value)}):
            self.repair.hide()
        else:
            self.chat.add_note("Cannot run it again now (still working, or no model).", error=True)

    def on_load_failed(self, message: str) -> None:
        self.model_label.setText("No model loaded")
        self.chat.add_note(message, error=True)

    # -- voice ---------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == TALK_KEY and not event.isAutoRepeat():
            self.voice.press()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == TALK_KEY and not event.isAutoRepeat():
            self.voice.release()
            return
        super().keyReleaseEvent(event)

    def _voice_state(self, state: str) -> None:
        self.talk.setText({"recording": "Listening… (release to stop)", "transcribing": "Transcribing…"}.get(state, "Hold to talk (F2)"))
        self.talk.setEnabled(state != "transcribing")

    def on_transcript(self, text: str) -> None:
        if self.settings.voice_sends:
            self.submit(text)
        else:
            self.command.setText(text)
            self.command.setFocus()
            self.statusBar().showMessage("Heard you — check the text, then press Enter.", 8000)

    # -- settings ------------------------------------------------------------------------------

    def _set_approve_mode(self, on: bool) -> None:
        self.controller.approve_mode = on
        self.settings.approve_mode = on

    def open_settings(self) -> None:
        tools = self.controller.agent.planner.tools if self.controller.agent else desktop_specs()
        dialog = SettingsDialog(self.settings, list(tools), self)
        if dialog.exec():
            self.apply_settings(dialog.value())

    def apply_settings(self, new: Settings, reload: bool = True) -> None:
        """Take new settings: approval and voice at once; the model only when what it needs changed."""
        old, self.settings = self.settings, new
        self.controller.approve_mode = new.approve_mode
        self.controller.always_allow = set(new.always_allow)
        self.approve_action.setChecked(new.approve_mode)
        self.voice.configure(new.voice_model, new.config.threads)
        if self.settings_path is not None and reload:
            try:
                new.save(self.settings_path)
            except OSError as exc:
                self.chat.add_note(f"Could not save the settings to {self.settings_path}: {exc}", error=True)
        if reload and old.config != new.config and not self.controller.busy:
            asyncio.ensure_future(self.controller.load(new.config))

    # -- approval ------------------------------------------------------------------------------

    def on_approval(self, req: ApprovalRequest) -> None:
        if self.approve_rest is not None and req.stage == self.approve_rest:
            req.future.set_result(Approval(True))
            return
        self.pending.append(req)
        self._show_pending()

    def _show_pending(self) -> None:
        if not self.pending:
            self.approval.hide()
            return
        req = self.pending[0]
        self.dag.mark_waiting(req.task.id, req.arguments)
        shown = "<br>".join(f"<b>{html.escape(k)}</b> = {html.escape(repr(v))}" for k, v in req.arguments.items())
        details = "".join(f"<br><i>{html.escape(line)}</i>".replace("\n", "<br>") for line in req.call.details)
        self.approval.label.setText(f"Task {req.task.id}, <b>{html.escape(req.task.tool)}</b>, will run with:<br>{shown}{details}")
        self.approval.show()
        self.show_task(req.task.id)

    def drop_pending(self) -> None:
        """The run ended (cancelled with Esc, failed, done): no approval of it stays on screen,
        and none can be answered after the fact."""
        for req in self.pending:
            if not req.future.done():
                req.future.set_result(Approval(False, "the run ended"))
        self.pending.clear()
        self.approval.hide()

    def answer(self, decision: Approval) -> None:
        if not self.pending:
            return
        req = self.pending.pop(0)
        if not req.future.done():
            req.future.set_result(decision)
        self._show_pending()

    def approve_all(self) -> None:
        self.approve_rest = self.pending[0].stage if self.pending else self.controller.stage
        while self.pending:
            self.answer(Approval(True))

    def edit_argument(self) -> None:
        if not self.pending:
            return
        req = self.pending[0]
        editable = {**req.arguments, **req.call.extras}
        name, ok = QInputDialog.getItem(self, "Edit argument", "Argument:", list(editable), 0, False)
        if not ok:
            return
        if name in req.call.extras:  # text the tool wrote (the e-mail body): edited as text
            text, ok = QInputDialog.getMultiLineText(self, "Edit", f"New {name}:", text=str(editable[name]))
            if ok:
                self.answer(Approval(True, extras={**req.call.extras, name: text}))
            return
        text, ok = QInputDialog.getText(self, "Edit argument", f"New value for {name} (a Python literal):", text=repr(editable[name]))
        if not ok:
            return
        try:
            value: Any = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
            QMessageBox.warning(self, "Not a value", f"{text!r} is not a literal ({exc}).")
            return
        # The engine checks the edit against the tool's signature, prepares it again and asks
        # once more, so what runs is what was last shown here.
        self.answer(Approval(True, arguments={**req.arguments, name: value}))

    # -- inspector -----------------------------------------------------------------------------

    def show_task(self, task_id: int) -> None:
        view = self.dag.tasks.get(task_id)
        if view is None:
            return
        t = view.task
        rows = [f"<h3>{t.id}. {html.escape(t.tool)} — {view.state}</h3>", f"<p><b>As planned:</b> <code>{html.escape(t.text())}</code></p>"]
        if t.deps:
            rows.append(f"<p><b>Waits for:</b> {', '.join(f'task {d}' for d in sorted(t.deps))}</p>")
        if view.arguments is not None:
            args = "".join(f"<li><b>{html.escape(k)}</b> = {html.escape(repr(v))}</li>" for k, v in view.arguments.items())
            rows.append(f"<p><b>Arguments after substitution:</b></p><ul>{args}</ul>")
        if view.result is not None:
            rows.append(f"<p><b>Result:</b></p><pre>{html.escape(str(view.result))}</pre>")
        if view.error:
            rows.append(f"<p style='color:#eb5757'><b>{'Error' if view.state == 'failed' else 'Reason'}:</b> {html.escape(view.error)}</p>")
        if view.seconds is not None:
            rows.append(f"<p><b>Time:</b> {view.seconds:.2f} s</p>")
        self.inspector.setHtml("".join(rows))
        self.inspector.setProperty("task_id", task_id)
        if view.state == "failed":
            self.offer_repair(task_id)
