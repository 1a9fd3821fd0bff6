"""The macOS backend, tested on any OS: script structure is checked statically, and a fake
``osascript`` (put where the backend looks for it, never found through PATH) records the argv
each script receives and plays back canned output; a fake ``mdfind`` searches like Spotlight
within ``-onlyin``."""

import json
import re
import stat
import sys
from pathlib import Path

import pytest
from hostile import HOSTILE

from engine.addresses import as_email_address
from engine.executor import ToolError
from engine.resources import resource_path
from engine.tools.desktop import desktop_specs
from engine.tools.macos import MacBackend, ScriptError, explain, osascript

SCRIPTS = sorted(resource_path("applescript").glob("*.applescript"))
BLOCKS = ("tell", "if", "repeat", "try", "on")

FAKE = """#!{python}
import json, os, sys
with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as f:
    f.write(json.dumps(sys.argv[1:], ensure_ascii=False) + "\\n")
if os.environ.get("FAKE_ERR"):
    sys.stderr.write(os.environ["FAKE_ERR"])
    sys.exit(1)
script = os.path.splitext(os.path.basename(sys.argv[1]))[0]
sys.stdout.write(os.environ.get("FAKE_OUT_" + script, os.environ.get("FAKE_OUT", "ok")) + "\\n")
"""

FAKE_MDFIND = """#!{python}
import json, os, sys
with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as f:
    f.write(json.dumps(["mdfind", *sys.argv[1:]], ensure_ascii=False) + "\\n")
args = sys.argv[1:]
root, name = args[args.index("-onlyin") + 1], args[args.index("-name") + 1]
for d, _, files in os.walk(root):  # Spotlight indexes hidden files too; the backend must skip them
    for fn in files:
        if name.lower() in fn.lower():
            print(os.path.join(d, fn))
"""


def _code_lines(text: str) -> list[str]:
    return [ln.split("--", 1)[0].strip() for ln in text.splitlines() if ln.split("--", 1)[0].strip()]


def _opens(line: str) -> str | None:
    first = line.split()[0]
    if first == "tell":
        return None if " to " in line else "tell"  # "tell app to …" is one line
    if first == "if":
        return "if" if line.endswith("then") else None
    if first in ("repeat", "try"):
        return first
    if first == "on":
        return "on"
    return None


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_blocks_balance_and_read_argv(script):
    text = script.read_text(encoding="utf-8")
    stack = []
    for line in _code_lines(text):
        if line.startswith("end"):
            assert stack, f"{script.name}: '{line}' closes nothing"
            kind = line.split()[1] if len(line.split()) > 1 else stack[-1]
            expected = stack.pop()
            assert kind == expected or (expected == "on" and kind not in BLOCKS), f"{script.name}: {line} closes {expected}"
        elif (kind := _opens(line)) is not None:
            stack.append(kind)
    assert not stack, f"{script.name}: unclosed {stack}"
    assert "on run argv" in text
    assert "do shell script" not in text and "run script" not in text, "scripts must never evaluate text"


def _declared_argc(script: Path) -> tuple[int, bool]:
    """Fixed argv items a script reads, and whether it reads a counted/variable tail."""
    text = script.read_text(encoding="utf-8")
    fixed = max((int(n) for n in re.findall(r"item (\d+) of argv", text)), default=0)
    variable = bool(re.search(r"items .* of argv|item i of argv", text))
    return fixed, variable


@pytest.fixture
def fake(tmp_path, monkeypatch):
    return _install_fake(tmp_path, monkeypatch)


def _install_fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("osascript", FAKE), ("mdfind", FAKE_MDFIND)):
        exe = bin_dir / name
        exe.write_text(text.format(python=sys.executable))
        exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setitem(osascript.BINARIES, name, str(exe))
    log = tmp_path / "argv.jsonl"
    monkeypatch.setenv("FAKE_LOG", str(log))

    class Fake:
        def calls(self) -> list[list[str]]:
            """The osascript runs (script path, then its argv)."""
            return [c for c in self.all() if c[0] != "mdfind"]

        def searches(self) -> list[list[str]]:
            return [c[1:] for c in self.all() if c[0] == "mdfind"]

        def all(self) -> list[list[str]]:
            return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []

        def reset(self) -> None:
            log.unlink(missing_ok=True)

    return Fake()


@pytest.fixture
def mac(tmp_path):
    return _mac_backend(tmp_path)


def _mac_backend(tmp_path: Path) -> MacBackend:
    pdf = tmp_path / "files" / "report.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(b"%PDF-1.4")
    return MacBackend(tmp_path / "data", open_in_desktop=True, timeout=20, search_roots=[tmp_path / "files"])


def _script(call: list[str]) -> str:
    return Path(call[0]).stem


def test_each_tool_passes_its_values_as_argv(fake, mac, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_OUT", "sid@example.com")
    monkeypatch.setenv("FAKE_OUT_list_contacts", "Sid Jha\nLutfi Eren Erdoğan")
    mac.create_calendar_event("Demo", "2026-11-24 15:00:00", "", "Room 4", ["Sid", "lutfi@example.com"], "notes", "Work")
    calls = fake.calls()
    assert [_script(c) for c in calls] == ["list_contacts", "get_email_address", "create_calendar_event"]
    assert calls[0][1:] == [] and calls[1][1:] == ["Sid Jha"]  # the full name chosen, never "contains"
    calls = calls[1:]
    assert calls[1][1:] == ["Demo", "2026-11-24 15:00:00", "2026-11-24 16:00:00", "Room 4", "notes", "Work", "2",
                            "sid@example.com", "lutfi@example.com"]
    fake.reset()
    mac.compose_new_email(["a@x.org"], [], "Hello", "the budget", [str(tmp_path / "files" / "report.pdf")])
    (call,) = fake.calls()
    assert _script(call) == "compose_new_email" and call[1] == "Hello" and call[3:5] == ["1", "a@x.org"]
    assert call[5:] == ["0", "1", str(tmp_path / "files" / "report.pdf")]
    fake.reset()
    monkeypatch.setenv("FAKE_OUT", "+1 415 555 0100")
    mac.send_sms(["Sid", "+44 20 7946 0000"], "on my way")
    calls = fake.calls()[1:]
    assert [_script(c) for c in calls] == ["get_phone_number", "send_sms"]
    assert calls[1][1] == "on my way" and len(calls[1]) == 4
    fake.reset()
    assert mac.get_phone_number("+1 340 478 3942") == "+13404783942" and mac.get_email_address("a@x.org") == "a@x.org"
    assert fake.calls() == []  # a number or address is not looked up in Contacts
    url = mac.maps_show_directions("Union Square", "SFO & \"T2\"", "r")
    assert url == "https://maps.apple.com/?saddr=Union+Square&daddr=SFO+%26+%22T2%22&dirflg=r"
    assert fake.calls() == [[str(resource_path("applescript", "open_url.applescript")), url]]


@pytest.fixture(scope="module")
def every_tools_calls(tmp_path_factory) -> list[list[str]]:
    """The osascript runs of every desktop tool called once (and prepared, where it is), shared by
    the per-script checks: one pass instead of one pass per script."""
    tmp_path = tmp_path_factory.mktemp("every-tool")
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake, mac = _install_fake(tmp_path, monkeypatch), _mac_backend(tmp_path)
        monkeypatch.setenv("FAKE_OUT", "x@example.com")
        monkeypatch.setenv("FAKE_OUT_list_contacts", "Sid")
        monkeypatch.setenv("FAKE_OUT_selected_message", "\x1e".join(["<m@x>", "a@b.c", "S", "text"]))
        pdf = str(tmp_path / "files" / "report.pdf")
        args = {"name": "Sid", "title": "T", "start_date": "2026-11-24 15:00:00", "end_date": "", "location": "L",
                "invitees": ["a@b.c"], "notes": "n", "calendar": "", "file_name": pdf, "pdf_path": pdf,
                "recipients": ["a@b.c"], "cc": ["c@d.e"], "subject": "s", "context": "c", "attachments": [pdf],
                "start_location": "", "end_location": "E", "transport": "d", "content": "c", "folder": "",
                "due_date": "2026-11-24 09:00:00", "list_name": "", "priority": 1, "all_day": False, "message": "m",
                "topic": "t", "start_time": "2026-11-24 09:00:00", "duration": 30, "meeting_invitees": []}
        for spec in desktop_specs():
            if spec.name == "summarize_pdf":  # no app involved: text extraction and the local model
                continue
            getattr(mac, spec.name)(**{p.name: args[p.name] for p in spec.params})
            if prepare := getattr(mac, f"prepare_{spec.name}", None):
                prepare(**{p.name: args[p.name] for p in spec.params})
        return fake.calls()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_scripts_read_exactly_the_arguments_they_are_given(script, every_tools_calls):
    """Every script is called by some tool; the fixed argv items it reads are exactly those passed
    (a counted tail is checked by its counts)."""
    calls = [c for c in every_tools_calls if _script(c) == script.stem]
    assert calls, f"no tool runs {script.name}"
    fixed, variable = _declared_argc(script)
    for call in calls:
        argv = call[1:]
        assert len(argv) >= fixed
        if not variable:
            assert len(argv) == fixed, f"{script.name} reads {fixed} items but gets {len(argv)}"


@pytest.mark.slow
def test_hostile_strings_reach_scripts_only_as_argv_byte_for_byte(fake, mac, monkeypatch):
    assert len(HOSTILE) >= 100
    monkeypatch.setenv("FAKE_OUT", "x@example.com")
    before = {p.name: p.read_bytes() for p in SCRIPTS}
    checked = 0
    for s in HOSTILE:
        if "\x00" in s:  # refused before osascript runs: test_nul_is_refused_with_a_clear_message
            continue
        fake.reset()
        monkeypatch.setattr(mac, "_contact", lambda name, s=s: s)  # Contacts holds exactly this name
        calls_and_values = []
        mac.get_email_address(s)
        if not as_email_address(s):  # an address is given back, not looked up
            calls_and_values.append(("get_email_address", [s]))
        mac.get_phone_number(s) if s.strip() else None
        mac.create_calendar_event(s, "2026-11-24 15:00:00", "", s, ["a@b.c"], s, s)
        calls_and_values.append(("create_calendar_event", [s or "Event", s, s, s]))
        mac.compose_new_email(["a@b.c"], [], s, "body", [])
        calls_and_values.append(("compose_new_email", [s]))
        mac.forward_email(["a@b.c"], [], s, [])
        calls_and_values.append(("forward_email", [s]))
        if s.strip():
            mac.create_note(s, "c", s)
            calls_and_values.append(("create_note", [s, s]))
        mac.open_note(s, s)
        calls_and_values.append(("open_note", [s, s]))
        mac.append_note_content(s, "c", s)
        calls_and_values.append(("append_note_content", [s, s]))
        mac.create_reminder(s, "2026-11-24 09:00:00", s, s, 0, False)
        calls_and_values.append(("create_reminder", [s or "Reminder", s, s]))
        mac.send_sms(["+1 415 555 0100"], s)
        calls_and_values.append(("send_sms", [s]))
        if s.strip():
            url = mac.maps_open_location(s)
            assert "\n" not in url and " " not in url and '"' not in url
        calls = fake.calls()
        for script, values in calls_and_values:
            argvs = [c[1:] for c in calls if _script(c) == script]
            assert argvs, script
            for v in values:
                assert argvs[-1].count(v) >= values.count(v), (script, v[:40])
                checked += 1
        for c in calls:
            assert Path(c[0]).parent == resource_path("applescript") and Path(c[0]).suffix == ".applescript"
    assert {p.name: p.read_bytes() for p in SCRIPTS} == before
    assert checked > 50 * 10


def test_nul_is_refused_with_a_clear_message(fake, mac):
    with pytest.raises(ScriptError, match="NUL"):
        mac.get_email_address("a\x00b")
    assert fake.calls() == []


@pytest.mark.parametrize(("stderr", "code", "words"), [
    ("execution error: Not authorized to send Apple events to Contacts. (-1743)", -1743, "Privacy & Security → Automation"),
    ("execution error: Mail got an error: Application isn’t running. (-600)", -600, "Open Mail once"),
    ("execution error: Can’t get application \"Notes\". (-1728)", -10814, "not installed"),
    ("execution error: No contact named Zed in Contacts. (1404)", 1404, "No contact named Zed"),
    ("execution error: Contacts got an error: AppleEvent timed out. (-1712)", -1712, "did not answer in time"),
    ("execution error: Calendar got an error: something odd (-12345)", -12345, "error -12345"),
    ("osascript: garbage", None, "failed"),
])
def test_errors_are_explained(stderr, code, words):
    err = explain("get_email_address" if "Contacts" in stderr else "compose_new_email", stderr)
    assert err.code == code and words in str(err)


def test_a_contact_is_chosen_as_on_any_system_and_a_guess_is_a_question(fake, mac, monkeypatch):
    monkeypatch.setenv("FAKE_OUT_list_contacts", "Sid Jha\nSiddharth Rao\nSidney Poitier\nAna Lima")
    monkeypatch.setenv("FAKE_OUT", "x@example.com")
    assert mac.get_email_address("sid") == "x@example.com"  # a whole part of one name only
    assert fake.calls()[-1][1:] == ["Sid Jha"]
    with pytest.raises(ToolError) as exc:
        mac.get_phone_number("Sidd")  # Contacts' "name contains" would have taken Siddharth Rao
    assert exc.value.candidates[0] == "Siddharth Rao" and exc.value.value == "Sidd"
    assert _script(fake.calls()[-1]) == "list_contacts"  # nothing looked up on a guess


def test_a_failing_script_becomes_a_tool_error(fake, mac, monkeypatch):
    monkeypatch.setenv("FAKE_ERR", "x.applescript: execution error: Not authorized to send Apple events to Contacts. (-1743)\n")
    with pytest.raises(ToolError, match="Automation"):
        mac.get_email_address("Sid")


def test_without_osascript_the_backend_says_so(mac, monkeypatch, tmp_path):
    monkeypatch.setitem(osascript.BINARIES, "osascript", str(tmp_path / "empty" / "osascript"))
    with pytest.raises(ScriptError, match="only on macOS"):
        mac.get_email_address("Sid")


def test_a_reply_or_forward_is_bound_to_the_message_approval_showed(fake, mac, monkeypatch):
    """Approval shows which message (and a forward's text); the call carries its id, which the
    script compares with Mail's selection before sending (error 1405 if another is selected)."""
    monkeypatch.setenv("FAKE_OUT_selected_message", "\x1e".join(["<m1@x>", "boss@example.com", "Slides", "Can you send them?"]))
    monkeypatch.setenv("FAKE_OUT", "sid@example.com")
    reply = mac.prepare_reply_to_email([], "Sending tomorrow.", [])
    forward = mac.prepare_forward_email(["sid@example.com"], [], "FYI", [])
    assert reply.details[0] == "replies to boss@example.com: Re: Slides" and reply.extras["message"] == "<m1@x>"
    assert any(d.startswith("forwards:\n") and "Can you send them?" in d for d in forward.details)
    fake.reset()
    mac.reply_to_email(**reply.arguments, **reply.extras)
    mac.forward_email(**forward.arguments, **forward.extras)
    calls = fake.calls()
    assert [(_script(c), c[1]) for c in calls] == [("reply_to_email", "<m1@x>"), ("forward_email", "<m1@x>")]
    for name in ("reply_to_email", "forward_email"):
        text = resource_path("applescript", f"{name}.applescript").read_text(encoding="utf-8")
        assert 'if expected is not "" and (message id of (item 1 of picked)) is not expected then error' in text
