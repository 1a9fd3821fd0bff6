"""Running the predefined AppleScripts: fixed script files, every value passed as ``argv``.

Nothing the person or the model wrote is ever put into script text: ``osascript FILE arg…`` hands
the values to the script's ``on run argv`` as data. Errors from ``osascript`` are turned into
messages that say what to do (grant automation permission, open the app, …).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from engine.resources import resource_path
from engine.tools.spec import ToolError

DEFAULT_TIMEOUT = 60.0
BINARIES = {"osascript": "/usr/bin/osascript", "mdfind": "/usr/bin/mdfind"}
"""Where macOS keeps the two programs this backend runs. Fixed paths, never a ``PATH`` lookup: a
``PATH`` holding ``.`` or a writable folder would run someone else's ``osascript`` with the
person's messages as its arguments."""


def binary(name: str) -> str | None:
    """The absolute path of ``osascript`` or ``mdfind`` if it is installed, else None."""
    path = BINARIES[name]
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
_ERROR = re.compile(r"execution error: (?P<msg>.*?)\s*\((?P<code>-?\d+)\)\s*$", re.S)

# AppleScript error numbers that mean something the person can fix.
_HINTS = {
    -1743: "macOS did not allow tinyagent to control {app}. Allow it in System Settings → Privacy & Security → "
           "Automation (turn on {app} under tinyagent), then try again.",
    -1744: "macOS needs your consent before tinyagent may control {app}; answer the permission prompt, or allow it "
           "in System Settings → Privacy & Security → Automation.",
    -600: "{app} is not running and could not be started. Open {app} once, then try again.",
    -10810: "{app} could not be started. Open {app} once, then try again.",
    -2700: "{app} reported an error: {msg}",
    -1728: "{app} could not find what was asked for: {msg}",
    -1712: "{app} did not answer in time (is a dialog open in it?).",
    -128: "The action was cancelled in {app}.",
}
APPS = {
    "get_phone_number": "Contacts", "get_email_address": "Contacts", "create_calendar_event": "Calendar",
    "compose_new_email": "Mail", "reply_to_email": "Mail", "forward_email": "Mail", "create_note": "Notes",
    "open_note": "Notes", "append_note_content": "Notes", "create_reminder": "Reminders", "send_sms": "Messages",
    "open_url": "Maps", "open_file": "Finder", "list_contacts": "Contacts",
}


class ScriptError(ToolError):
    """An AppleScript failed; ``code`` is its error number (None when osascript itself failed)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def script_path(name: str) -> Path:
    return resource_path("applescript", f"{name}.applescript")


def explain(script: str, stderr: str) -> ScriptError:
    """A clear message for osascript's error output."""
    app = APPS.get(script, "the app")
    m = _ERROR.search(stderr.strip())
    if m is None:
        if "Application isn’t running" in stderr or "Application isn't running" in stderr:
            return ScriptError(_HINTS[-600].format(app=app), -600)
        if "Can’t get application" in stderr or "Can't get application" in stderr or "-10814" in stderr:
            return ScriptError(f"{app} is not installed on this Mac.", -10814)
        return ScriptError(f"{app} failed: {stderr.strip() or 'osascript exited with an error'}")
    code, msg = int(m.group("code")), m.group("msg").strip()
    if code == 1404:  # our scripts' own "not found", whose message is already for people
        return ScriptError(msg, code)
    if code == -10814 or ("Can’t get application" in msg or "Can't get application" in msg):
        return ScriptError(f"{app} is not installed on this Mac.", -10814)
    hint = _HINTS.get(code)
    return ScriptError(hint.format(app=app, msg=msg) if hint else f"{app} failed: {msg} (error {code})", code)


def run_script(name: str, args: list[str], timeout: float = DEFAULT_TIMEOUT) -> str:
    """Run ``resources/applescript/<name>.applescript`` with ``args`` as its argv; its result, stripped."""
    osascript = binary("osascript")
    if osascript is None:
        raise ScriptError("The macOS backend needs osascript, which exists only on macOS; use the portable backend here.")
    for a in args:
        if not isinstance(a, str):
            raise TypeError(f"argv values must be str, not {type(a).__name__}")
        if "\x00" in a:
            raise ScriptError("A value contains a NUL character, which cannot be passed to AppleScript; remove it.")
    try:
        proc = subprocess.run([osascript, str(script_path(name)), *args], capture_output=True, text=True,
                              encoding="utf-8", errors="replace", timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ScriptError(f"{APPS.get(name, 'The app')} did not finish within {timeout:.0f} s.") from None
    if proc.returncode != 0:
        raise explain(name, proc.stderr)
    return proc.stdout.rstrip("\n")
