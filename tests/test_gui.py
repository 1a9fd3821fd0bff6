"""The desktop app, offscreen. Which tests use the real model is said on each."""

import asyncio
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

pytest.importorskip("PySide6")
qasync = pytest.importorskip("qasync")

from PySide6.QtCore import Qt  # noqa: E402

from engine.events import TaskQueued  # noqa: E402
from engine.executor import Approval, Executor  # noqa: E402
from engine.plan import PlanParser  # noqa: E402
from engine.tools.spec import ToolBox  # noqa: E402
from gui.chat import CommandBox  # noqa: E402
from gui.controller import AgentController  # noqa: E402
from gui.dag_view import DagView  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402

_CLOSED_LOOPS: list = []


@pytest.fixture
def loop(qapp):
    """A qasync loop per test, kept alive after it closes. Its Qt timers outlive ``close()`` (a
    task's 120 s timeout stays registered until it fires); with the loop collected, that timer
    fired into freed memory about two minutes later, a segfault in whatever test ran then (CI
    crashed so in test_safety; reproduced by idling the Qt loop after this file)."""
    lp = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(lp)
    yield lp
    lp.close()
    asyncio.set_event_loop(None)
    _CLOSED_LOOPS.append(lp)


def make_box(log):
    box = ToolBox()

    async def lookup(name: str) -> str:
        """Read-only lookup."""
        await asyncio.sleep(0.05)
        log.append(("lookup", name))
        return f"{name.lower()}@example.com"

    async def send(to: list[str], text: str) -> str:
        """Sends something."""
        log.append(("send", tuple(to), text))
        return "sent"

    def broken(name: str) -> str:
        """Always fails."""
        raise RuntimeError("no such thing")

    box.add_function(lookup, side_effect=False)
    box.add_function(send, side_effect=True)
    box.add_function(broken, side_effect=False)
    return box


PLAN = '1. lookup("Sid")\n2. broken("x")\n3. send(["$1"], "hi")\n4. send(["$2"], "never")\n5. join()<END_OF_PLAN>'


async def stream(box, text):
    parser = PlanParser(list(box))
    for line in text.splitlines(keepends=True):
        for t in parser.feed(line):
            yield t
        await asyncio.sleep(0.01)
    for t in parser.finish():
        yield t


def test_recorded_event_stream_drives_node_states_in_order(qtbot, loop):
    """No model: events recorded from the real executor running a fixed plan on test tools."""
    events, log = [], []
    box = make_box(log)
    loop.run_until_complete(Executor(box, observers=[events.append]).run(stream(box, PLAN)))
    view = DagView()
    qtbot.addWidget(view)
    history = {i: [] for i in (1, 2, 3, 4)}
    for e in events:
        view.on_event(e)
        for i, v in view.tasks.items():
            if not history[i] or history[i][-1] != v.state:
                history[i].append(v.state)
    assert history[1] == ["queued", "running", "succeeded"]
    assert history[2] == ["queued", "running", "failed"]
    assert history[3] == ["queued", "running", "succeeded"]
    assert history[4] == ["queued", "skipped"]
    assert view.tasks[1].result == "sid@example.com" and view.tasks[3].arguments == {"to": ["sid@example.com"], "text": "hi"}
    assert {(a, b) for a, b, _ in view.edges} == {(1, 3), (2, 4)}


def test_approve_mode_blocks_side_effects_until_approved(qtbot, loop):
    """No model: the controller's approval hook on the real executor, answered through the window."""
    log = []
    box = make_box(log)
    controller = AgentController()
    window = MainWindow(controller)
    qtbot.addWidget(window)
    controller.event.connect(window.on_event)
    requests = []
    controller.approval_requested.connect(requests.append)

    async def scenario():
        job = asyncio.ensure_future(Executor(box, approve=_asking(controller), observers=[controller.event.emit]).run(
            stream(box, '1. lookup("Sid")\n2. send(["$1"], "hi")\n3. join()<END_OF_PLAN>')))
        for _ in range(100):
            await asyncio.sleep(0.02)
            if requests:
                break
        assert requests and requests[0].task.tool == "send"
        assert ("lookup", "Sid") in log  # read-only lookups ran ahead
        assert not [x for x in log if x[0] == "send"]  # nothing sent before approval
        assert window.approval.isVisible() or not window.isVisible()
        assert window.dag.tasks[2].state == "waiting"
        qtbot.mouseClick(window.approval.approve, Qt.MouseButton.LeftButton)
        return await job

    result = loop.run_until_complete(scenario())
    assert result.status == {1: "succeeded", 2: "succeeded"}
    assert ("send", ("sid@example.com",), "hi") in log


def test_edited_argument_is_revalidated(qtbot, loop):
    """No model: an edit with the wrong type fails the task with the reason, nothing is sent."""
    log = []
    box = make_box(log)
    controller = AgentController()

    async def answer(req):
        req.future.set_result(Approval(True, arguments={**req.arguments, "text": 42}))

    controller.approval_requested.connect(lambda req: asyncio.ensure_future(answer(req)))
    result = loop.run_until_complete(Executor(box, approve=_asking(controller), observers=[controller.event.emit]).run(
        stream(box, '1. send(["a@b.c"], "hi")\n2. join()<END_OF_PLAN>')))
    assert result.status[1] == "failed" and "edited arguments are invalid" in result.errors[1]
    assert not log


def test_command_box_history_enter_and_escape(qtbot):
    box = CommandBox(["older"])
    qtbot.addWidget(box)
    sent, cancelled = [], []
    box.submitted.connect(sent.append)
    box.cancel_requested.connect(lambda: cancelled.append(True))
    qtbot.keyClicks(box, "text Sid")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert sent == ["text Sid"] and box.text() == ""
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert box.text() == "text Sid"
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert box.text() == "older"
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert cancelled == [True]


def test_model_that_fails_to_load_leaves_the_window_usable(qtbot, loop, tmp_path):
    from engine.config import Config

    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a model")
    controller = AgentController()
    window = MainWindow(controller)
    qtbot.addWidget(window)
    loop.run_until_complete(controller.load(Config(model=str(bad), data_dir=tmp_path)))
    assert controller.agent is None
    assert "Could not load the model" in window.chat.toPlainText()
    window.submit("text Sid")
    assert "not loaded" in window.chat.toPlainText()


@pytest.mark.model
def test_real_plan_streams_into_the_graph(qtbot, loop, tmp_path):
    """The real fast model plans through the controller; nodes appear and finish in the graph."""
    from engine.config import Config
    from engine.tools.local.contacts import Contacts

    Contacts(tmp_path / "contacts").add("Sid Jha", ["sid@example.com"], ["4155550100"])
    controller = AgentController()
    controller.approve_mode = False
    window = MainWindow(controller)
    qtbot.addWidget(window)
    seen = []
    controller.event.connect(lambda e: seen.append(e))
    loop.run_until_complete(controller.load(Config(model="fast", data_dir=tmp_path, toolrag="classifier", open_in_desktop=False)))
    finished = []
    controller.run_finished.connect(finished.append)
    window.submit("What is Sid's email address?")

    async def wait():
        while not finished:
            await asyncio.sleep(0.1)

    loop.run_until_complete(asyncio.wait_for(wait(), 300))
    assert any(isinstance(e, TaskQueued) for e in seen)
    states = {v.task.tool: v.state for v in window.dag.tasks.values()}
    assert states.get("get_email_address") == "succeeded", finished[0].stream.text
    assert "sid@example.com" in window.chat.toPlainText()
    assert finished[0].stream.timings.prefix_cache == "memory"  # the controller warmed the prompt up on load


# -- settings and voice ----------------------------------------------------------------------


def test_settings_round_trip_and_a_broken_file_is_left_alone(tmp_path):
    from engine.config import Config, PlannerConfig
    from gui.settings import Settings

    path = tmp_path / "settings.json"
    Settings(Config(model="fast", threads=2, planner=PlannerConfig(grammar=False)), always_allow=["create_note"]).save(path)
    loaded, problem = Settings.load(path)
    assert problem is None and loaded.always_allow == ["create_note"]
    assert loaded.config == Config(model="fast", threads=2, planner=PlannerConfig(grammar=False))
    assert loaded.config.planner.selection == "prompt" and loaded.config.planner.kinds is False  # derived, not stored
    path.write_text("{not json")
    loaded, problem = Settings.load(path)
    assert loaded == Settings() and "could not be read" in problem
    assert path.read_text() == "{not json"  # nothing overwritten until the person saves


def test_settings_dialog_edits_always_allow_and_checks_a_model(qtbot, loop, tmp_path):
    from engine.tools.desktop import desktop_specs
    from gui.settings import Settings, SettingsDialog

    dialog = SettingsDialog(Settings(), desktop_specs())
    qtbot.addWidget(dialog)
    names = [dialog.always.item(i).text() for i in range(dialog.always.count())]
    assert "send_sms" in names and "get_email_address" not in names  # only tools with side effects
    dialog.always.item(names.index("create_note")).setCheckState(Qt.CheckState.Checked)
    dialog.threads.setValue(1)
    dialog.selection.setChecked(False)
    value = dialog.value()
    assert value.always_allow == ["create_note"] and value.config.threads == 1
    assert value.config.planner.selection == "prompt" and Settings().config.planner.selection == "grammar"
    assert value.config.model is None  # an empty box is the tuned planner, not a change that reloads the model
    assert value.config.mcp == ()
    dialog.mcp.setPlainText("uvx mcp-server-time\n\n  python my_server.py --stdio  \n")
    assert dialog.value().config.mcp == ("uvx mcp-server-time", "python my_server.py --stdio")
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF but not really")
    dialog.model.setText(str(bad))
    dialog.check.click()
    loop.run_until_complete(dialog._check_job)
    assert dialog.check_result.text().startswith("✗") and "broken.gguf" in dialog.check_result.text()


def test_always_allow_from_settings_skips_the_approval_for_that_tool(qtbot, loop):
    from gui.settings import Settings

    log = []
    box = make_box(log)
    window, controller, finished = _scripted_window(qtbot, box, '1. lookup("Sid")\n2. send(["$1"], "hi")\n3. join()<END_OF_PLAN>')
    window.apply_settings(Settings(approve_mode=True, always_allow=["send"]), reload=False)
    asked = []
    controller.approval_requested.connect(asked.append)

    async def scenario():
        window.submit("text Sid hi")
        await _until(lambda: finished)

    loop.run_until_complete(scenario())
    assert controller.approve_mode and not asked and ("send", ("sid@example.com",), "hi") in log


def test_missing_microphone_is_a_message_not_a_crash(qtbot, monkeypatch):
    import sys

    from engine.speech import AudioError, Recorder

    monkeypatch.setitem(sys.modules, "sounddevice", None)  # as on a machine without PortAudio
    with pytest.raises(AudioError, match="no microphone support"):
        Recorder().start()
    window = MainWindow(AgentController())
    qtbot.addWidget(window)
    window.talk.pressed.emit()
    window.talk.released.emit()
    assert "Voice input is unavailable" in window.chat.toPlainText()
    assert window.talk.isEnabled()


@pytest.mark.model
@pytest.mark.skipif(__import__("shutil").which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_voice_transcript_lands_in_the_command_box(qtbot, loop, tmp_path):
    """Real Whisper base on speech made by espeak-ng; the text waits in the box for a glance."""
    import subprocess

    wav = tmp_path / "say.wav"
    subprocess.run(["espeak-ng", "-v", "en", "-s", "150", "-g", "5", "-w", str(wav), "remind me to call the dentist tomorrow"], check=True)
    window = MainWindow(AgentController())
    qtbot.addWidget(window)
    window.voice.transcribe_file(wav)
    loop.run_until_complete(asyncio.wait_for(window.voice._job, 120))
    heard = window.command.text().lower()
    assert "dentist" in heard and "tomorrow" in heard, heard
    assert window.talk.text().startswith("Hold to talk")
    window.voice.close()


def _asking(controller):
    """The controller's answer to a first-round approval question, as an executor's hook."""
    from engine.conversation import ApprovalQuestion

    return lambda task, call: controller.ask(ApprovalQuestion(task, call, 0))


def _scripted_window(qtbot, box, *replies):
    from engine.agent import Agent
    from engine.generation import ScriptedLLM
    from engine.planner import Planner, PlannerConfig

    planner = Planner(ScriptedLLM(replies), list(box.specs.values()), config=PlannerConfig(examples=0, grammar=False))
    controller = AgentController(Agent(planner, box))
    controller.approve_mode = False
    window = MainWindow(controller)
    qtbot.addWidget(window)
    finished: list = []
    controller.run_finished.connect(finished.append)
    return window, controller, finished


async def _until(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def test_a_failed_lookup_offers_its_candidates_and_the_pick_reruns_only_what_waited(qtbot, loop):
    """Scripted model, real executor: the repair bar lists who may have been meant; nothing is
    used until the button is pressed, and then the text goes out once, the other not again."""
    from test_repair import make_box as repair_box  # a lookup that offers candidates, a send that logs

    log: list = []
    box = repair_box(log)
    plan = '1. lookup("Sidd")\n2. send(["$1"], "hi")\n3. send(["ana@x.org"], "bye")\n4. join()<END_OF_PLAN>'
    window, controller, finished = _scripted_window(qtbot, box, plan)

    async def scenario():
        window.submit("text Sidd hi and Ana bye")
        await _until(lambda: finished)
        assert window.repair.isVisibleTo(window) and window.repair.task_id == 1
        assert [window.repair.choice.itemText(i) for i in range(window.repair.choice.count())] == ["Sid Jha", "Siddharth Rao"]
        assert [x for x in log if x[0] == "send"] == [("send", ("ana@x.org",), "bye")]  # no candidate used without the pick
        window.repair.choice.setCurrentIndex(0)
        qtbot.mouseClick(window.repair.rerun, Qt.MouseButton.LeftButton)
        await _until(lambda: len(finished) == 2)

    loop.run_until_complete(scenario())
    assert [x for x in log if x[0] == "send"] == [("send", ("ana@x.org",), "bye"), ("send", ("sid@example.com",), "hi")]
    assert [x for x in log if x[0] == "lookup"] == [("lookup", "Sidd"), ("lookup", "Sid Jha")]
    assert finished[1].result.status == {1: "succeeded", 2: "succeeded", 3: "succeeded"}
    assert not window.repair.isVisibleTo(window)


def test_a_replan_round_grows_the_graph_with_its_steps_marked(qtbot, loop):
    log = []
    box = make_box(log)
    first = '1. broken("x")\n2. send(["$1"], "hi")\n3. join()<END_OF_PLAN>'
    second = '3. lookup("Sid")\n4. send(["$3"], "hi")\n5. join()<END_OF_PLAN>'
    window, controller, finished = _scripted_window(qtbot, box, first, second)

    async def scenario():
        window.submit("text Sid hi")
        # Asking is off, but the round's address came from its own lookup, not the request or
        # the first round: it is asked about (engine.conversation).
        await _until(lambda: window.pending)
        assert [(r.stage, r.task.id) for r in window.pending] == [(1, 4)]
        window.answer(Approval(True))
        await _until(lambda: finished)

    loop.run_until_complete(scenario())
    assert finished[0].round == 2
    assert {tid: v.round for tid, v in window.dag.tasks.items()} == {1: 1, 2: 1, 3: 2, 4: 2}
    assert window.dag.tasks[4].state == "succeeded" and window.dag.nodes[4].badge.text().startswith("round 2")
    assert log.count(("send", ("sid@example.com",), "hi")) == 1


def test_the_graph_draws_only_tasks_the_engine_accepted(qtbot):
    from engine.events import PlanToken

    view = DagView()
    qtbot.addWidget(view)
    for piece in ('1. get_mail("Sid")\n', '2. lookup("Sid")\n'):
        view.on_event(PlanToken(piece))  # text alone draws nothing: the engine may still reject it
    assert view.tasks == {}
    view.on_event(TaskQueued(PlanParser().feed('2. lookup("Sid")\n')[0]))
    assert list(view.tasks) == [2]


def test_approve_all_and_always_allow_do_not_reach_a_replan_round(qtbot, loop):
    """"Approve all" given for the first plan, and "always allow" for a tool, do not approve a
    re-plan round's steps: the person has not seen them, so the app asks again."""
    log = []
    box = make_box(log)
    first = '1. send(["a@example.com"], "one")\n2. broken("x")\n3. send(["$2"], "hi")\n4. join()<END_OF_PLAN>'
    second = '4. lookup("Mallory")\n5. send(["$4"], "hi")\n6. join()<END_OF_PLAN>'
    window, controller, finished = _scripted_window(qtbot, box, first, second)
    controller.approve_mode = True
    requests = []
    controller.approval_requested.connect(requests.append)

    async def scenario():
        window.submit("send a one, and text whoever x is hi")
        await _until(lambda: requests)
        assert requests[0].stage == 0
        window.approve_all()
        await _until(lambda: len(requests) == 2)
        assert requests[1].stage == 1 and requests[1].task.id == 5 and not requests[1].future.done()
        controller.always_allow = {"send"}
        window.answer(Approval(False, "not this one"))
        await _until(lambda: finished)

    loop.run_until_complete(scenario())
    assert ("send", ("a@example.com",), "one") in log
    assert not [x for x in log if x[0] == "send" and x[1] == ("mallory@example.com",)]


def test_the_repair_bar_shows_names_as_text_not_markup(qtbot):
    from engine.tools.spec import ToolError
    from gui.main_window import RepairBar

    bar = RepairBar()
    qtbot.addWidget(bar)
    bar.offer(2, "open_and_get_file_path", ToolError("No file named '<img src=x><b>bold</b>'", candidates=["a"], value="x"))
    assert bar.label.textFormat() == Qt.TextFormat.PlainText and "<b>bold</b>" in bar.label.text()


def test_an_approval_does_not_outlive_its_run(qtbot, loop):
    """Esc cancels the run: the approval bar goes, and the waiting call is declined."""
    log = []
    box = make_box(log)
    controller = AgentController()
    window = MainWindow(controller)
    qtbot.addWidget(window)
    requests = []
    controller.approval_requested.connect(requests.append)

    async def scenario():
        job = asyncio.ensure_future(Executor(box, approve=_asking(controller)).run(
            stream(box, '1. send(["a@example.com"], "hi")\n2. join()<END_OF_PLAN>')))
        await _until(lambda: requests)
        assert window.pending
        controller.run_failed.emit("Cancelled.")
        assert not window.pending and not window.approval.isVisible()
        return await job

    result = loop.run_until_complete(scenario())
    assert result.status[1] == "skipped" and not [x for x in log if x[0] == "send"]


def test_settings_show_the_folders_files_may_come_from(qtbot, tmp_path):
    from pathlib import Path

    from engine.config import Config
    from gui.settings import Settings, SettingsDialog

    dialog = SettingsDialog(Settings(Config(file_roots=(tmp_path / "shared",))), [])
    qtbot.addWidget(dialog)
    assert dialog.file_roots.text() == str(tmp_path / "shared")
    default = SettingsDialog(Settings(Config(data_dir=tmp_path)), [])
    qtbot.addWidget(default)
    assert str(tmp_path / "files") in default.file_roots.text() and str(Path.home() / "Documents") in default.file_roots.text()
