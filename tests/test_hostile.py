"""Every tool on both backends with every hostile string in every text argument.

Whatever comes in, a tool either does its job or raises ``ToolError`` with a message; it never
touches a file outside the data folder, never sends a hidden or outside file, and never leaves a
store unreadable. The Mac backend runs against a stand-in ``osascript`` and ``mdfind`` (the
byte-for-byte argv check is in ``test_macos.py``).
"""

from __future__ import annotations

import json
import mailbox
import os
import stat
import sys
from pathlib import Path

import icalendar
import pytest
from hostile import HOSTILE

from engine.executor import ToolError
from engine.tools.desktop import desktop_specs
from engine.tools.local import LocalBackend
from engine.tools.macos import MacBackend, osascript

SAMPLE = {"int": 0, "bool": False, "float": 0.0}


def _calls(value: str) -> list[tuple[str, dict]]:
    """Each of the 16 tools with ``value`` in every text argument (and lists of it)."""
    out = []
    for spec in desktop_specs():
        args = {}
        for p in spec.params:
            if p.is_list:
                args[p.name] = [value]
            elif p.type == "str":
                args[p.name] = value
            else:
                args[p.name] = SAMPLE[p.type]
        out.append((spec.name, args))
    return out


def _snapshot(root: Path, skip: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, _, files in os.walk(root):
        if Path(dirpath).is_relative_to(skip):
            continue
        for fn in files:
            path = Path(dirpath) / fn
            out[str(path)] = path.read_bytes()
    return out


@pytest.fixture
def world(tmp_path, home):
    """The allowed folder holds one visible file (and the hidden ``.env``)."""
    allowed = home / "Documents"
    (allowed / "report.pdf").write_bytes(b"%PDF-1.4 not really")
    return tmp_path, allowed


def _sweep(backend: LocalBackend, data: Path) -> int:
    done = 0
    for value in HOSTILE:
        for name, args in _calls(value):
            prepare = getattr(backend, f"prepare_{name}", None)
            for fn in ([prepare] if prepare else []) + [getattr(backend, name)]:
                try:
                    fn(**args)
                    done += 1
                except ToolError as exc:
                    assert str(exc), (name, value[:40])
    return done


def _check_stores(data: Path, allowed: Path) -> None:
    for ics in data.glob("*/*.ics"):
        icalendar.Calendar.from_ical(ics.read_bytes())
    for note in data.glob("notes/**/*.md"):
        note.read_text(encoding="utf-8")
    outbox = data / "messages" / "outbox.jsonl"
    if outbox.exists():
        for line in outbox.read_text(encoding="utf-8").splitlines():
            json.loads(line)
    for box in ("Drafts", "Sent"):
        if (data / "mail" / box).exists():
            for msg in mailbox.Maildir(data / "mail" / box, create=False):
                for part in msg.walk():
                    if part.get_filename():
                        assert part.get_filename() == "report.pdf"  # the one visible, allowed file
                        assert part.get_payload(decode=True) == (allowed / "report.pdf").read_bytes()


def test_every_local_tool_with_every_hostile_string(world):
    tmp_path, allowed = world
    data = tmp_path / "data"
    backend = LocalBackend(data, open_in_desktop=False, smtp=None, search_roots=[allowed])
    backend.contacts.add("Sid Jha", ["sid@example.com"], ["415 555 0100"])
    before = _snapshot(tmp_path, data)
    assert len(HOSTILE) >= 100
    done = _sweep(backend, data)
    assert _snapshot(tmp_path, data) == before  # nothing outside the data folder changed
    _check_stores(data, allowed)
    assert done > 500  # most calls did their job; the rest said why not


FAKE_OSASCRIPT = "#!/bin/sh\necho ok\n"
FAKE_MDFIND = """#!{python}
import os, sys
args = sys.argv[1:]
root, name = args[args.index("-onlyin") + 1], args[args.index("-name") + 1]
for d, _, files in os.walk(root):
    for fn in files:
        if name.lower() in fn.lower():
            print(os.path.join(d, fn))
print("/etc/passwd")  # Spotlight may return anything; the backend must keep to the roots
"""


@pytest.mark.slow
def test_every_mac_tool_with_every_hostile_string(world, monkeypatch):
    tmp_path, allowed = world
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("osascript", FAKE_OSASCRIPT), ("mdfind", FAKE_MDFIND.format(python=sys.executable))):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod((bin_dir / name).stat().st_mode | stat.S_IEXEC)
        monkeypatch.setitem(osascript.BINARIES, name, str(bin_dir / name))
    data = tmp_path / "data"
    mac = MacBackend(data, open_in_desktop=True, smtp=None, search_roots=[allowed], timeout=20)
    files_seen: list[str] = []
    real_find = mac._find

    def spy(name: str) -> Path:
        path = real_find(name)
        files_seen.append(str(path))
        return path

    mac._find = spy  # type: ignore[method-assign]
    before = _snapshot(tmp_path, data)
    done = _sweep(mac, data)
    assert _snapshot(tmp_path, data) == before
    assert set(files_seen) <= {str(allowed / "report.pdf")}
    assert done > 500
