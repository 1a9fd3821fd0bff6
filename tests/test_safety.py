"""Safe by default: what is approved is what runs, files come only from the allowed folders, a
started task is never reported as not done, nothing escapes the approval path, and terminal
output is plain text. Each test here failed on the code before these rules (main at 5ea9d66)."""

from __future__ import annotations

import asyncio
import io
import json
import mailbox
import os
import stat
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from engine.cli import TerminalApproval, _TextPrinter, clean_query, main, plain, read_line
from engine.events import TaskFailed, TaskSkipped, TaskStarted, TaskSucceeded, TaskUncertain
from engine.executor import Approval, Executor, ToolError
from engine.plan import PlanError, PlanParser, parse_plan
from engine.tools.desktop import desktop_specs
from engine.tools.local import LocalBackend
from engine.tools.spec import ToolBox

# -- files: one exact file inside the allowed folders -------------------------------------------


@pytest.fixture
def files_backend(tmp_path, home):
    """The files the hostile test used: a look-alike of report.pdf beside the secrets."""
    (home / "Documents" / "salaries-report-2026.xlsx").write_bytes(b"secret salaries")
    return LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[home / "Documents"])


def test_a_name_is_never_matched_to_a_file_that_merely_contains_it(files_backend):
    with pytest.raises(ToolError, match="No file named 'report.pdf'") as err:
        files_backend.open_and_get_file_path("report.pdf")
    assert "salaries-report-2026.xlsx" in str(err.value)  # offered as a candidate, not used
    assert err.value.candidates == (str(files_backend.search_roots[0] / "salaries-report-2026.xlsx"),)


@pytest.mark.parametrize("name", [".", "..", ".env", "~/.ssh/id_rsa", "/proc/self/environ", "../.ssh/id_rsa"])
def test_hidden_files_and_paths_outside_the_roots_are_refused(files_backend, home, name):
    with pytest.raises(ToolError):
        files_backend.open_and_get_file_path(name.replace("~", str(home)))
    with pytest.raises(ToolError):
        files_backend.compose_new_email(["a@x.org"], [], "s", "c", [name.replace("~", str(home))])
    assert not (files_backend.data_dir / "mail" / "Drafts").exists()  # nothing was written


def test_a_symlink_inside_a_root_that_leads_outside_is_refused(files_backend, home):
    (home / "Documents" / "notes.txt").symlink_to(home / ".ssh" / "id_rsa")
    with pytest.raises(ToolError, match="outside the folders"):
        files_backend.open_and_get_file_path(str(home / "Documents" / "notes.txt"))
    with pytest.raises(ToolError, match="No file named"):
        files_backend.open_and_get_file_path("notes.txt")


def test_two_equally_good_matches_are_an_error_listing_both(files_backend, home):
    for folder in ("a", "b"):
        (home / "Documents" / folder).mkdir()
        (home / "Documents" / folder / "plan.pdf").write_bytes(b"%PDF")
    with pytest.raises(ToolError, match="2 files match 'plan.pdf'") as err:
        files_backend.open_and_get_file_path("plan.pdf")
    assert len(err.value.candidates) == 2
    assert files_backend.open_and_get_file_path("a/plan.pdf") == str(home / "Documents" / "a" / "plan.pdf")


def test_a_name_without_extension_finds_the_one_file_with_that_stem(files_backend, home):
    (home / "Documents" / "Budget.ods").write_bytes(b"x")
    assert files_backend.open_and_get_file_path("budget") == str(home / "Documents" / "Budget.ods")


# -- approval shows what will run, and exactly that runs ----------------------------------------


def _run(box: ToolBox, text: str, **kw):
    events: list = []
    result = asyncio.run(Executor(box, observers=[events.append], **kw).run(parse_plan(text, list(box)).tasks))
    return result, events


def test_approval_shows_the_resolved_file_with_size_and_type_and_the_body_that_is_sent(backend, tmp_path):
    files = backend.data_dir / "files"
    files.mkdir(parents=True)
    (files / "slides.pdf").write_bytes(b"%PDF-1.4 " + b"x" * 2000)
    seen = []

    async def approve(task, call):
        seen.append(call)
        return Approval(True)

    result, _ = _run(backend.toolbox(), '1. compose_new_email(["Sid"], [], "Deck", "Here are the slides.", ["slides"])\n2. join()',
                     approve=approve)
    assert result.ok, result.errors
    (call,) = seen
    assert call.arguments["recipients"] == ["sid@example.com"]
    assert call.arguments["attachments"] == [str(files / "slides.pdf")]
    assert any(str(files / "slides.pdf") in d and "application/pdf" in d and "2.0 kB" in d for d in call.details)
    (draft,) = mailbox.Maildir(backend.data_dir / "mail" / "Drafts")
    assert draft.get_payload()[0].get_payload(decode=True).decode().strip() == call.extras["body"].strip()


def test_an_edited_body_is_the_body_that_is_sent(backend):
    async def approve(task, call):
        if call.extras["body"] == "My own words.":
            return Approval(True)
        return Approval(True, extras={"body": "My own words."})

    result, _ = _run(backend.toolbox(), '1. compose_new_email(["Sid"], [], "Hi", "generated", [])\n2. join()', approve=approve)
    assert result.ok
    (draft,) = mailbox.Maildir(backend.data_dir / "mail" / "Drafts")
    assert draft.get_payload(decode=True).decode().strip() == "My own words."


def test_opening_files_and_maps_asks_first(backend):
    specs = {s.name: s for s in desktop_specs()}
    assert specs["open_and_get_file_path"].side_effect
    assert specs["maps_open_location"].side_effect and specs["maps_show_directions"].side_effect
    opened = []
    backend.open_in_desktop = True
    backend._open = opened.append  # type: ignore[method-assign]
    (backend.data_dir / "files").mkdir(parents=True)
    (backend.data_dir / "files" / "invoice.pdf").write_bytes(b"%PDF")

    async def decline(task, call):
        return Approval(False)

    result, _ = _run(backend.toolbox(), '1. open_and_get_file_path("invoice.pdf")\n2. maps_open_location("Ferry Building")\n3. join()',
                     approve=decline)
    assert opened == [] and set(result.status.values()) == {"skipped"}


def test_a_failed_preparation_fails_the_task_before_anyone_is_asked(backend):
    asked = []

    async def approve(task, call):
        asked.append(task.id)
        return Approval(True)

    result, _ = _run(backend.toolbox(), '1. compose_new_email(["Sid"], [], "x", "y", ["nope.pdf"])\n2. join()', approve=approve)
    assert asked == [] and result.status[1] == "failed" and "No file named 'nope.pdf'" in result.errors[1]


# -- side effects only from a whole, valid plan -------------------------------------------------


def make_box(log: list) -> ToolBox:
    box = ToolBox()

    def lookup(name: str) -> str:
        """Read-only."""
        log.append(("lookup", name))
        return name.lower()

    def send(to: list[str], text: str) -> str:
        """Sends."""
        log.append(("send", tuple(to), text))
        return "sent"

    box.add_function(lookup, side_effect=False)
    box.add_function(send, side_effect=True)
    return box


async def _stream(lines: list[str], box: ToolBox):
    parser = PlanParser(list(box))
    for line in lines:
        for task in parser.feed(line):
            yield task
        await asyncio.sleep(0.05)
    for task in parser.finish():
        yield task


def test_no_side_effect_runs_from_a_plan_that_turns_out_invalid():
    log: list = []
    box = make_box(log)
    lines = ['1. send(["a"], "hi")\n', '2. lookup("b")\n', '3. nosuchtool("x")\n', "4. join()<END_OF_PLAN>"]
    result = asyncio.run(Executor(box).run(_stream(lines, box)))
    assert ("lookup", "b") in log  # lookups may still run ahead
    assert not [e for e in log if e[0] == "send"]
    assert result.status[1] == "skipped" and "plan is invalid" in result.errors[1]


def test_side_effects_of_a_valid_plan_run_once_it_is_complete():
    log: list = []
    box = make_box(log)
    lines = ['1. lookup("A")\n', '2. send(["$1"], "hi")\n', "3. join()<END_OF_PLAN>"]
    result = asyncio.run(Executor(box).run(_stream(lines, box)))
    assert result.ok and log == [("lookup", "A"), ("send", ("a",), "hi")]


# -- a started task is never reported as not done ------------------------------------------------


def _slow_sender(sent: list, started: threading.Event) -> ToolBox:
    box = ToolBox()

    def send_sms(recipients: list[str], message: str) -> str:
        """Sends after a delay that cannot be interrupted (a thread)."""
        started.set()
        time.sleep(0.5)
        sent.append(message)
        return "sent"

    box.add_function(send_sms, side_effect=True)
    return box


def test_a_cancelled_running_send_is_reported_with_its_real_outcome():
    sent: list = []
    started = threading.Event()
    events: list = []

    async def main_():
        ex = Executor(_slow_sender(sent, started), observers=[events.append])
        job = asyncio.create_task(ex.run(parse_plan('1. send_sms(["+1 415"], "hi")\n2. join()', list(ex.tools)).tasks))
        while not started.is_set():
            await asyncio.sleep(0.01)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(main_())
    assert sent == ["hi"]
    kinds = [type(e) for e in events if getattr(e, "task", None) is not None]
    assert TaskSkipped not in kinds
    assert kinds.index(TaskUncertain) < kinds.index(TaskSucceeded)


def test_a_timed_out_send_is_not_reported_failed_while_it_may_still_happen():
    sent: list = []
    events: list = []
    result, events = _run(_slow_sender(sent, threading.Event()), '1. send_sms(["+1 415"], "hi")\n2. join()', task_timeout=0.1)
    assert sent == ["hi"] and result.status[1] == "succeeded"
    uncertain = next(e for e in events if isinstance(e, TaskUncertain))
    assert "still running after 0.1 s" in uncertain.note
    assert not [e for e in events if isinstance(e, TaskFailed)]


# -- nothing escapes the approval path ----------------------------------------------------------


@pytest.mark.parametrize("value", [{"a": 1}, {1, 2}, b"bytes", None, 3.5])
def test_an_edit_of_any_shape_fails_only_its_task(value):
    log: list = []

    async def approve(task, call):
        return Approval(True, arguments={**call.arguments, "text": value})

    result, _ = _run(make_box(log), '1. lookup("a")\n2. send(["x"], "hi")\n3. join()', approve=approve)
    assert result.status == {1: "succeeded", 2: "failed"}
    assert not [e for e in log if e[0] == "send"]


def test_an_approval_hook_that_raises_fails_that_task_and_the_run_ends_normally():
    log: list = []

    async def approve(task, call):
        raise EOFError

    result, events = _run(make_box(log), '1. send(["x"], "hi")\n2. send(["y"], "$1")\n3. join()', approve=approve)
    assert result.status == {1: "failed", 2: "skipped"} and "approval failed: EOFError" in result.errors[1]


def test_ctrl_d_at_a_cli_prompt_declines_that_task_and_everything_after_it():
    answers = iter([None, "y"])
    asked = []

    async def read(prompt):
        asked.append(prompt)
        return next(answers)

    approval = TerminalApproval(Console(file=io.StringIO()), read=read, interactive=True)
    result, _ = _run(make_box([]), '1. send(["x"], "a")\n2. send(["y"], "b")\n3. join()', approve=approval)
    assert result.status == {1: "skipped", 2: "skipped"} and len(asked) == 1
    assert "input closed" in result.errors[2]


def test_without_a_terminal_the_cli_runs_no_side_effect_unless_told_yes():
    approval = TerminalApproval(Console(file=io.StringIO()), interactive=False)
    log: list = []
    result, _ = _run(make_box(log), '1. send(["x"], "a")\n2. join()', approve=approval)
    assert log == [] and "--yes" in result.errors[1]


def test_ctrl_c_at_a_cli_prompt_cancels_at_once(monkeypatch):
    """``input()`` in a thread kept the process until Enter; the prompt now reads on the loop."""
    r, w = os.pipe()
    with open(r, encoding="utf-8") as fake_stdin, open(w, "w", encoding="utf-8") as writer:
        monkeypatch.setattr("sys.stdin", fake_stdin)

        async def main_() -> float:
            job = asyncio.create_task(read_line(""))
            await asyncio.sleep(0.05)
            t0 = time.monotonic()
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job
            return time.monotonic() - t0

        assert asyncio.run(main_()) < 1.0
        writer.write("y\n")
        writer.flush()

        async def answered() -> str | None:
            return await read_line("")

        assert asyncio.run(answered()) == "y\n"


# -- terminal output is plain text --------------------------------------------------------------

HOSTILE_OUTPUT = [
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",  # OSC 52: write the clipboard
    "\x1b[2J\x1b[H",  # clear the screen
    "[link=file:///etc/passwd]click[/link]",
    "[/]",
    "[bold red]not bold[/]",
    "\u202eevil\u202c",  # right-to-left override
    "\x9b31m",  # C1 CSI
]


@pytest.mark.parametrize("text", HOSTILE_OUTPUT)
def test_tool_results_reach_the_terminal_as_plain_text(text):
    out = io.StringIO()
    printer = _TextPrinter(Console(file=out, force_terminal=True, color_system=None, width=300))
    task = parse_plan('1. lookup("x")\n2. join()', list(make_box([]))).tasks[0]
    printer(TaskStarted(task, {"name": text}))
    printer(TaskSucceeded(task, text, 0.1))
    printer(TaskFailed(task, text, 0.1))
    printed = out.getvalue()
    for c in printed:
        assert c in "\n\t" or (c.isprintable() and c not in "\x1b\x9b\u202e\u202c"), repr(c)
    assert plain(text) in printed  # shown, escaped, not obeyed or swallowed


# -- the lows -----------------------------------------------------------------------------------


def test_parallel_appends_to_one_note_all_land_over_100_runs(tmp_path):
    backend = LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[])
    backend.create_note("Log", "start", "")
    box = backend.toolbox()
    plan = '1. append_note_content("Log", "one", "")\n2. append_note_content("Log", "two", "")\n' \
           '3. append_note_content("Log", "three", "")\n4. join()'
    for _ in range(100):
        result, _ = _run(box, plan)
        assert result.ok
    text = backend.open_note("Log", "")
    assert (text.count("one"), text.count("two"), text.count("three")) == (100, 100, 100)


@pytest.mark.slow
def test_parallel_events_in_one_calendar_all_land_over_100_runs(tmp_path):
    import icalendar

    backend = LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[])
    box = backend.toolbox()
    plan = "".join(f'{i}. create_calendar_event("E{i}", "2026-12-0{i} 10:00:00", "", "", [], "", "Work")\n' for i in (1, 2, 3))
    for _ in range(100):
        result, _ = _run(box, plan + "4. join()")
        assert result.ok
    cal = icalendar.Calendar.from_ical((backend.data_dir / "calendar" / "Work.ics").read_bytes())
    assert len(list(cal.walk("VEVENT"))) == 300


def _append_many(data_dir: str, tag: str, n: int) -> None:
    backend = LocalBackend(Path(data_dir), open_in_desktop=False, smtp=None, search_roots=[])
    for i in range(n):
        backend.append_note_content("Shared", f"{tag}-{i}", "")


def test_two_processes_appending_to_one_note_lose_nothing(tmp_path):
    import multiprocessing

    LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[]).create_note("Shared", "", "")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path / "data"), tag, 30)) for tag in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    text = (tmp_path / "data" / "notes" / "Shared.md").read_text(encoding="utf-8")
    assert sum(f"{tag}-{i}\n" in text for tag in "ab" for i in range(30)) == 60


def test_a_symlinked_note_stays_a_symlink_when_appended_to(tmp_path):
    """A link to another note (one outside the notes folder is refused: test_hardening)."""
    backend = LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[])
    (backend.data_dir / "notes" / "Archive").mkdir(parents=True)
    target = backend.data_dir / "notes" / "Archive" / "Original.md"
    target.write_text("# Linked\n", encoding="utf-8")
    link = backend.data_dir / "notes" / "Linked.md"
    link.symlink_to(target)
    backend.append_note_content("Linked", "added", "")
    assert link.is_symlink() and "added" in target.read_text(encoding="utf-8")


def test_a_long_non_ascii_note_name_is_shortened_to_what_the_file_system_takes(tmp_path):
    backend = LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[])
    name = "Заметка о встрече " * 12  # 216 characters, ~400 bytes in UTF-8
    assert "Created note" in backend.create_note(name, "text", "")
    assert "Appended" in backend.append_note_content(name, "more", "")


def test_a_latin1_calendar_is_left_untouched_with_a_clear_error(tmp_path):
    backend = LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[])
    path = backend.data_dir / "calendar" / "Old.ics"
    path.parent.mkdir(parents=True)
    raw = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Café\r\n" \
          "DTSTART:20261201T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    path.write_bytes(raw.encode("latin-1"))
    with pytest.raises(ToolError, match="not UTF-8"):
        backend.create_calendar_event("New", "2026-12-02 10:00:00", "", "", [], "", "Old")
    assert path.read_bytes() == raw.encode("latin-1")


def test_a_broken_card_costs_only_itself_and_is_named(backend):
    bad = backend.data_dir / "contacts" / "export.vcf"
    bad.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Ada Lovelace\nEMAIL:ada@example.com\nEND:VCARD\n"
                   "BEGIN:VCARD\nVERSION:3.0\nFN:Broken\nBDAY;VALUE=date:\x00garbage:::\nEMAIL;=;=:\nN:;;;;;;;;;;;\n"
                   "EMAIL:broken@\nEND:VCARD\nBEGIN:VCARD\nnot a card line\nEND:VCARD\n", encoding="utf-8")
    assert backend.get_email_address("Ada") == "ada@example.com"
    with pytest.raises(ToolError, match="Could not read .*export.vcf"):
        backend.get_email_address("Nobody")


def test_drafts_are_readable_by_their_owner_only(backend):
    backend.compose_new_email(["Sid"], [], "Private", "salary talk", [])
    (path,) = (backend.data_dir / "mail" / "Drafts" / "new").iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_osascript_is_never_looked_up_through_path(tmp_path, monkeypatch):
    from engine.tools.macos import osascript

    trap = tmp_path / "osascript"
    trap.write_text(f"#!/bin/sh\ntouch {tmp_path / 'ran'}\n")
    trap.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:.:{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    if osascript.binary("osascript") is None:
        with pytest.raises(ToolError, match="only on macOS"):
            osascript.run_script("get_email_address", ["Sid"])
    assert not (tmp_path / "ran").exists()
    assert all(os.path.isabs(p) for p in osascript.BINARIES.values())


def test_a_huge_plan_line_is_parsed_in_linear_time():
    line = "1. " + "a" + " " * 200_000 + "b"
    done = threading.Event()

    def parse() -> None:
        with pytest.raises(PlanError):  # not a call: an error, at once
            PlanParser([]).feed(line + "\n")
        done.set()

    threading.Thread(target=parse, daemon=True).start()
    assert done.wait(10), "the plan-line pattern backtracks quadratically"


def test_settings_of_the_wrong_shape_give_defaults_and_a_message(tmp_path):
    pytest.importorskip("PySide6")
    from gui.settings import Settings

    path = tmp_path / "settings.json"
    path.write_text(json.dumps(["not", "settings"]))
    settings, note = Settings.load(path)
    assert settings == Settings() and "holds a list" in note
    path.write_text(json.dumps({"approve_mode": "no", "threads": "x", "always_allow": [1], "model": "fast"}))
    settings, note = Settings.load(path)
    assert settings.config.model == "fast" and settings.approve_mode is True and settings.config.threads is None
    assert "approve_mode" in note and "threads" in note and "always_allow" in note
    path.write_text(json.dumps({"model": "default", "toolrag_in": "prompt"}))  # what the app saved before it held a Config
    settings, note = Settings.load(path)
    assert settings.config.model is None and settings.config.planner.selection == "prompt" and note is None


def test_cli_refuses_a_bad_time_and_a_blank_query_before_loading_a_model(capsys, monkeypatch):
    monkeypatch.setattr("engine.agent.load_agent", lambda *a, **k: pytest.fail("the model was loaded"))
    with pytest.raises(SystemExit) as exit_:
        main(["--now", "garbage", "hello"])
    assert exit_.value.code == 2 and "not a time like" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["   "])
    assert exit_.value.code == 2 and "say what you want done" in capsys.readouterr().err


def test_a_non_utf8_byte_in_the_query_becomes_a_replacement_character():
    raw = b"text Sid caf\xe9".decode("utf-8", "surrogateescape")  # how Python hands such argv over
    assert clean_query(raw) == "text Sid caf\ufffd"
    assert clean_query("lone \ud800 surrogate") == "lone ? surrogate"
    clean_query(raw).encode("utf-8")
