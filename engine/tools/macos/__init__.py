"""The macOS backend: the 16 tools on the Mac's own apps through predefined AppleScripts.

Contacts, Calendar, Mail, Notes, Reminders and Messages are driven by the scripts in
``resources/applescript/`` (see :mod:`engine.tools.macos.osascript`: values go in as argv only).
Files are found with Spotlight (``mdfind``, argv again) and opened through Finder; maps open Apple
Maps URLs built and percent-encoded here. PDF summaries and meeting links need no app and are the
portable backend's.
"""

from __future__ import annotations

import datetime as dt
import html
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from engine.addresses import as_email_address, as_phone_number, normalize_phone
from engine.tools.local import LocalBackend, reminder_added
from engine.tools.local.calendar import event_span, parse_when
from engine.tools.local.contacts import choose_name
from engine.tools.local.files import find_file
from engine.tools.local.places import TRAVEL_MODES
from engine.tools.macos.osascript import DEFAULT_TIMEOUT, ScriptError, binary, explain, run_script
from engine.tools.spec import Prepared, ToolError

__all__ = ["MacBackend", "ScriptError", "available", "explain", "run_script"]

_DIRFLG = {"driving": "d", "walking": "w", "transit": "r"}


def available() -> bool:
    """True on a Mac (where ``osascript`` exists)."""
    return binary("osascript") is not None and binary("mdfind") is not None


def _iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _html(text: str) -> str:
    """Notes stores HTML: each line of plain text becomes an escaped ``<div>``."""
    return "".join(f"<div>{html.escape(line) or '<br>'}</div>" for line in text.splitlines() or [""])


def _counted(values: list[str]) -> list[str]:
    return [str(len(values)), *values]


SHOWN_CHARS = 2000
"""Characters of a selected message's text that approval of a forward shows."""


@dataclass
class MacBackend(LocalBackend):
    timeout: float = DEFAULT_TIMEOUT

    def _run(self, script: str, args: list[str]) -> str:
        return run_script(script, args, self.timeout)

    # -- helpers: lookups go to Contacts, files to Spotlight ------------------------------------

    def _emails(self, values: list[str]) -> list[str]:
        return [v if "@" in v else self.get_email_address(v) for v in (str(x).strip() for x in values) if v]

    def _phones(self, values: list[str]) -> list[str]:
        out = []
        for v in (str(x).strip() for x in values):
            if not v:
                continue
            if "@" in v:
                out.append(v)  # an iMessage handle
            elif any(ch.isdigit() for ch in v):
                out.append(normalize_phone(v))
            else:
                out.append(self.get_phone_number(v))
        return out

    def _find(self, name: str) -> Path:
        """The same rules as the portable backend (one exact file inside the allowed roots), with
        Spotlight limited to those roots (``mdfind -onlyin``) doing the search."""
        return find_file(name, self.search_roots or [], search=self._spotlight)

    def _spotlight(self, name: str, roots: list[Path]) -> list[Path]:
        mdfind = binary("mdfind")
        if mdfind is None:
            raise ToolError("Spotlight (mdfind) is not available on this machine.")
        hits: list[Path] = []
        for root in roots:
            if not root.is_dir():
                continue
            try:
                proc = subprocess.run([mdfind, "-onlyin", str(root), "-name", name], capture_output=True, text=True,
                                      timeout=self.timeout, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ToolError(f"Spotlight search failed: {exc}") from None
            hits += [Path(p) for p in proc.stdout.splitlines() if p.strip()]
        return hits

    # -- the tools that use the Mac's apps ------------------------------------------------------

    def _contact(self, name: str) -> str:
        """The full name of the one contact ``name`` means, chosen from the names Contacts lists by
        the portable backend's rules (``choose_name``): never the first of several that merely
        contain it, as Contacts' own "name contains" would give."""
        if "\x00" in name:
            raise ScriptError("A value contains a NUL character, which cannot be passed to AppleScript; remove it.")
        names = [n for n in self._run("list_contacts", []).split("\n") if n.strip()]
        return choose_name(name, names, f"Contacts ({len(names)} contacts)")

    def get_phone_number(self, name: str) -> str:
        return as_phone_number(name) or normalize_phone(self._run("get_phone_number", [self._contact(name)]))

    def get_email_address(self, name: str) -> str:
        return as_email_address(name) or self._run("get_email_address", [self._contact(name)])

    def create_calendar_event(
        self, title: str, start_date: str, end_date: str, location: str, invitees: list[str], notes: str, calendar: str
    ) -> str:
        start, end = event_span(start_date, end_date)
        emails = self._emails(invitees or [])
        cal = self._run("create_calendar_event", [title or "Event", _iso(start), _iso(end), location or "", notes or "",
                                                  calendar or "", *_counted(emails)])
        who = f" with {', '.join(emails)}" if emails else ""
        return f"Created '{title}' on {start:%a %Y-%m-%d %H:%M}–{end:%H:%M}{who} in {cal}."

    def open_and_get_file_path(self, file_name: str) -> str:
        path = self._find(file_name)
        if self.open_in_desktop:
            self._run("open_file", [str(path)])
        return str(path)

    def compose_new_email(
        self, recipients: list[str], cc: list[str], subject: str, context: str, attachments: list[str],
        *, body: str | None = None,
    ) -> str:
        to = self._emails(recipients or [])
        if not to:
            raise ToolError("The email has no recipients.")
        if body is None:
            body = self.writer.email_body(subject or "", context or "")
        self._run("compose_new_email", [subject or "", body, *_counted(to), *_counted(self._emails(cc or [])),
                                        *_counted(self._paths(attachments or []))])
        return f"Email '{subject}' to {', '.join(to)}: sent from Mail."

    def reply_to_email(self, cc: list[str], context: str, attachments: list[str], *, body: str | None = None,
                       message: str | None = None) -> str:
        """``message``: the Mail message id approval showed; Mail refuses if another is selected."""
        if body is None:
            body = self.writer.email_body("", context or "")
        return self._run("reply_to_email", [message or "", body, *_counted(self._emails(cc or [])),
                                            *_counted(self._paths(attachments or []))])

    def forward_email(self, recipients: list[str], cc: list[str], context: str, attachments: list[str], *,
                      message: str | None = None) -> str:
        to = self._emails(recipients or [])
        if not to:
            raise ToolError("Forward to whom? No recipients were given.")
        self._run("forward_email", [message or "", context or "", *_counted(to), *_counted(self._emails(cc or [])),
                                    *_counted(self._paths(attachments or []))])
        return f"Forwarded to {', '.join(to)}."

    def selected_message(self) -> tuple[str, str, str, str]:
        """(message id, sender, subject, text) of the message selected in Mail: what approval shows
        and binds a reply or forward to (``SHOWN_CHARS`` of its text)."""
        parts = self._run("selected_message", [str(SHOWN_CHARS)]).split("\x1e", 3)
        if len(parts) != 4 or not parts[0].strip():
            raise ToolError("Mail did not say which message is selected; select the one to reply to or forward.")
        return parts[0].strip(), parts[1], parts[2], parts[3]

    def maps_open_location(self, location: str) -> str:
        if not location or not location.strip():
            raise ToolError("No location was given.")
        return self._maps({"q": location.strip()})

    def maps_show_directions(self, start_location: str, end_location: str, transport: str) -> str:
        if not end_location or not end_location.strip():
            raise ToolError("No destination was given for directions.")
        mode = TRAVEL_MODES.get((transport or "d").strip().lower()[:1])
        if mode is None:
            raise ToolError(f"Unknown transport {transport!r}: use 'd' (driving), 'w' (walking) or 'r' (transit).")
        params = {"daddr": end_location.strip(), "dirflg": _DIRFLG[mode]}
        if start_location and start_location.strip():
            params = {"saddr": start_location.strip(), **params}
        return self._maps(params)

    def _maps(self, params: dict[str, str]) -> str:
        """An Apple Maps URL (values percent-encoded here), opened in Maps unless opening is off."""
        url = "https://maps.apple.com/?" + urlencode(params)
        if self.open_in_desktop:
            self._run("open_url", [url])
        return url

    def create_note(self, name: str, content: str, folder: str) -> str:
        if not name or not name.strip():
            raise ToolError("A note needs a name.")
        where = self._run("create_note", [name, f"<div><h1>{html.escape(name)}</h1></div>{_html(content or '')}", folder or ""])
        return f"Created note '{name}' in {where}."

    def open_note(self, name: str, folder: str) -> str:
        return self._run("open_note", [name, folder or ""])

    def append_note_content(self, name: str, content: str, folder: str) -> str:
        self._run("append_note_content", [name, _html(content or ""), folder or ""])
        return f"Appended to note '{name}'."

    def create_reminder(self, name: str, due_date: str, notes: str, list_name: str, priority: int, all_day: bool) -> str:
        due = parse_when(due_date, "due_date")
        level = max(0, min(9, int(priority or 0)))
        where = self._run("create_reminder", [name or "Reminder", _iso(due) if due else "", notes or "", list_name or "",
                                              str(level), "true" if all_day else "false"])
        return reminder_added(name, due, bool(all_day), where)

    # Mail's selected message lives in Mail: approval shows which one (sender, subject, and for a
    # forward its text) and the call is bound to its message id, so selecting another meanwhile
    # makes Mail refuse instead of answering the wrong message.

    def prepare_reply_to_email(self, cc: list[str], context: str, attachments: list[str]) -> Prepared:
        key, sender, subject, _ = self.selected_message()
        copy, files = self._emails(cc or []), self._paths(attachments or [])
        body = self.writer.email_body("", context or "")
        details = (f"replies to {sender}: Re: {subject}",) + ((f"cc {', '.join(copy)}",) if copy else ())
        return Prepared({"cc": copy, "context": context, "attachments": files},
                        (*details, *self._files_shown(files, "attaches"), f"body:\n{body}"), {"body": body, "message": key})

    def prepare_forward_email(self, recipients: list[str], cc: list[str], context: str, attachments: list[str]) -> Prepared:
        key, sender, subject, text = self.selected_message()
        to, copy, files = self._emails(recipients or []), self._emails(cc or []), self._paths(attachments or [])
        details = (f"forwards '{subject}' from {sender} to {', '.join(to)}",) + ((f"cc {', '.join(copy)}",) if copy else ())
        shown = (f"{context.strip()}\n\n" if context and context.strip() else "") + f"---------- Forwarded message ----------\n{text}"
        return Prepared({"recipients": to, "cc": copy, "context": context, "attachments": files},
                        (*details, *self._files_shown(files, "attaches"), f"forwards:\n{shown}"), {"message": key})

    def send_sms(self, recipients: list[str], message: str) -> str:
        handles = self._phones(recipients or [])
        if not handles:
            raise ToolError("The message has no recipients.")
        self._run("send_sms", [message or "", *handles])
        return f"Message sent to {', '.join(handles)}."
