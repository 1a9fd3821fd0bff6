"""What the first window says, and what stops it from opening at all: Qt-free, so it is tested
without a display.

A newcomer's first window was blank, with no hint of what to ask or which contacts exist; and on a
Linux desktop without ``libxcb-cursor0`` Qt stopped with "could not load the Qt platform plugin
xcb", which names neither the package nor the fix.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from pathlib import Path

TRY = (
    "Remind me to buy milk tomorrow at 9am",
    "Create a note called Ideas with: a cheaper way to ship",
    "Invite Sid to a demo on Friday at 3pm and text him the time",
)


def welcome(data_dir: Path) -> str:
    """Things to try, and who is in the address book (lookups need contacts)."""
    from engine.tools.local.contacts import Contacts

    people = Contacts(data_dir / "contacts").all()
    if people:
        names = ", ".join(c.name for c in people[:6]) + (f" and {len(people) - 6} more" if len(people) > 6 else "")
        who = f"Your contacts: {names}."
    else:
        who = ("No contacts yet, so lookups will fail: add one with "
               '`tinyagent contacts add "Sid Jha" --email sid@example.com --phone "+1 415 555 0100"`, '
               f"or drop .vcf files into {data_dir / 'contacts'}.")
    return "Type a command and press Enter, or hold F2 to say it. Try: " + " · ".join(f"“{t}”" for t in TRY) + ". " + who


def display_problem() -> str | None:
    """Why Qt's xcb plugin would not load here, in words, or None. Checked before Qt starts,
    because Qt aborts the process instead of raising an error Python could catch."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "xcb") != "xcb":
        return None
    if not os.environ.get("DISPLAY"):
        return ("No display: DISPLAY is not set. Run tinyagent-gui on a desktop session, under Xvfb, "
                "or with QT_QPA_PLATFORM=offscreen (no window) for screenshots.")
    if ctypes.util.find_library("xcb-cursor") is None:
        return ("Qt needs libxcb-cursor0 to open a window on X11 (Qt 6.5 and later). Install it, e.g. "
                "`sudo apt-get install libxcb-cursor0`, then start tinyagent-gui again.")
    return None
