"""The portable backend: the 16 desktop tools on open formats in one data folder.

Layout of ``data_dir``: ``contacts/*.vcf``, ``calendar/<Calendar>.ics``, ``reminders/<List>.ics``,
``mail/{INBOX,Drafts,Sent}`` (Maildir), ``notes/<folder>/<name>.md``, ``messages/outbox.jsonl``,
``files/`` (searched with the user's Documents, Downloads and Desktop).

Helper lookups are repeated inside tools as in the reference: a recipient without ``@`` is looked
up as a contact, an SMS recipient without digits as a phone number, an attachment is searched for
by name inside the allowed folders (``find_file``). Each ``prepare_<tool>`` method does those
lookups before approval and returns the call with everything resolved (and the e-mail body
written), so the person approves exactly what then runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from engine.addresses import as_email_address, as_phone_number, normalize_phone
from engine.tools.desktop import desktop_specs
from engine.tools.local.calendar import CalendarStore, event_span, parse_when
from engine.tools.local.contacts import Contacts
from engine.tools.local.files import describe_file, find_file, open_with_desktop, pdf_text
from engine.tools.local.mail import MailStore, SmtpSettings
from engine.tools.local.meetings import jitsi_link, zoom_link
from engine.tools.local.notes import Notes
from engine.tools.local.places import directions_url, location_url
from engine.tools.local.store import append_line
from engine.tools.spec import Prepared, ToolBox, ToolError
from engine.writer import ExtractiveWriter, Writer


def reminder_added(name: str, due: dt.datetime | None, all_day: bool, where: str) -> str:
    """The confirmation both backends give, so a plan reads the same on a Mac and elsewhere."""
    when = "" if due is None else (f" for {due:%a %Y-%m-%d}" if all_day else f" for {due:%a %Y-%m-%d %H:%M}")
    return f"Reminder '{name}'{when} added to {where}."


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "tinyagent"


def default_file_roots(data_dir: Path | None = None) -> list[Path]:
    """The folders files may come from when none are named: the data folder's ``files/`` and the
    user's Documents, Downloads and Desktop (what the Settings dialog shows)."""
    home = Path.home()
    return [Path(data_dir or default_data_dir()).expanduser() / "files"] + [home / d for d in ("Documents", "Downloads", "Desktop")]


@dataclass
class LocalBackend:
    """Tool implementations over ``data_dir``. ``open_in_desktop=False`` keeps maps and files from
    launching viewers (tests, ``--dry-run``, headless machines)."""

    data_dir: Path = field(default_factory=default_data_dir)
    writer: Writer = field(default_factory=ExtractiveWriter)
    open_in_desktop: bool = True
    smtp: SmtpSettings | None = field(default_factory=SmtpSettings.from_env)
    sender: str = field(default_factory=lambda: os.environ.get("TINYAGENT_FROM", "me@localhost"))
    zoom_token: str | None = field(default_factory=lambda: os.environ.get("TINYAGENT_ZOOM_TOKEN"))
    search_roots: list[Path] | None = None

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).expanduser()
        self.contacts = Contacts(self.data_dir / "contacts")
        self.calendar = CalendarStore(self.data_dir / "calendar", self.data_dir / "reminders")
        self.mail = MailStore(self.data_dir / "mail", self.sender, self.smtp)
        self.notes = Notes(self.data_dir / "notes")
        self.outbox = self.data_dir / "messages" / "outbox.jsonl"
        if self.search_roots is None:
            self.search_roots = default_file_roots(self.data_dir)

    # -- helpers shared by several tools ---------------------------------------------------

    def _emails(self, values: list[str]) -> list[str]:
        out = []
        for v in values:
            v = str(v).strip()
            if not v:
                continue
            if "@" in v:
                out.append(v)
                continue
            c = self.contacts.find(v)
            if not c.emails:
                raise ToolError(f"{c.name} has no email address in the address book.")
            out.append(c.emails[0])
        return out

    def _phones(self, values: list[str]) -> list[str]:
        out = []
        for v in values:
            v = str(v).strip()
            if not v:
                continue
            if "@" in v:  # small models pass the looked-up e-mail where a number belongs
                c = self.contacts.by_email(v)
                if not c.phones:
                    raise ToolError(f"{c.name} has no phone number in the address book.")
                out.append(normalize_phone(c.phones[0]))
            elif any(ch.isdigit() for ch in v):
                out.append(normalize_phone(v))
            else:
                out.append(self.get_phone_number(v))
        return out

    def _find(self, name: str) -> Path:
        return find_file(name, self.search_roots or [])

    def _paths(self, values: list[str]) -> list[str]:
        return [str(self._find(str(v))) for v in values if str(v).strip()]

    def _open(self, target: str) -> None:
        if self.open_in_desktop:
            open_with_desktop(target)

    # -- the 16 tools ----------------------------------------------------------------------

    def get_phone_number(self, name: str) -> str:
        if number := as_phone_number(name):
            return number
        c = self.contacts.find(name)
        if not c.phones:
            raise ToolError(f"{c.name} has no phone number in the address book.")
        return normalize_phone(c.phones[0])

    def get_email_address(self, name: str) -> str:
        if address := as_email_address(name):
            return address
        c = self.contacts.find(name)
        if not c.emails:
            raise ToolError(f"{c.name} has no email address in the address book.")
        return c.emails[0]

    def create_calendar_event(
        self, title: str, start_date: str, end_date: str, location: str, invitees: list[str], notes: str, calendar: str
    ) -> str:
        start, end = event_span(start_date, end_date)
        emails = self._emails(invitees or [])
        path = self.calendar.create_event(title or "Event", start, end, location or "", emails, notes or "", calendar or "")
        who = f" with {', '.join(emails)}" if emails else ""
        return f"Created '{title}' on {start:%a %Y-%m-%d %H:%M}–{end:%H:%M}{who} in {path.stem}."

    def open_and_get_file_path(self, file_name: str) -> str:
        path = self._find(file_name)
        self._open(str(path))
        return str(path)

    def summarize_pdf(self, pdf_path: str) -> str:
        return self.writer.summarize(pdf_text(self._find(pdf_path)))

    def compose_new_email(
        self, recipients: list[str], cc: list[str], subject: str, context: str, attachments: list[str],
        *, body: str | None = None, files: dict[str, list[int]] | None = None,
    ) -> str:
        to = self._emails(recipients or [])
        if not to:
            raise ToolError("The email has no recipients.")
        if body is None:
            body = self.writer.email_body(subject or "", context or "")
        msg = self.mail.build(to, self._emails(cc or []), subject or "", body, self._attached(attachments, files))
        status = self.mail.deliver(msg)
        return f"Email '{subject}' to {', '.join(to)}: {status}."

    def _attached(self, attachments: list[str] | None, files: dict[str, list[int]] | None) -> list[str]:
        """The attachments' paths, refused if a file changed (size or modification time) since
        approval showed it (``files``, from the preparer): what was approved is what is sent."""
        paths = self._paths(attachments or [])
        for path in paths:
            if files is not None and path in files:
                st = Path(path).stat()
                if [st.st_size, st.st_mtime_ns] != list(files[path]):
                    raise ToolError(f"{path} changed after it was shown for approval (size or modification time); "
                                    "nothing was sent. Ask again to send the file as it is now.")
        return paths

    @staticmethod
    def _stamps(paths: list[str]) -> dict[str, list[int]]:
        return {p: [Path(p).stat().st_size, Path(p).stat().st_mtime_ns] for p in paths}

    def _replying_to(self, key: str | None = None) -> tuple[str, EmailMessage, str, str]:
        key, original = (key, self.mail.message(key)) if key is not None else self.mail.selected()
        subject = str(original["Subject"] or "")
        subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        sender = str(original["Reply-To"] or original["From"] or "")
        if not sender:
            raise ToolError("The selected email has no sender to reply to.")
        return key, original, subject, sender

    def reply_to_email(self, cc: list[str], context: str, attachments: list[str], *, body: str | None = None,
                       message: str | None = None, files: dict[str, list[int]] | None = None) -> str:
        """``message``: the inbox key approval showed (a newer mail is not the one answered)."""
        _, original, subject, sender = self._replying_to(message)
        if body is None:
            body = self.writer.email_body(subject, context or "", thread=self.mail.body_of(original))
        msg = self.mail.build([sender], self._emails(cc or []), subject, body, self._attached(attachments, files), original)
        return f"Reply to {sender}: {self.mail.deliver(msg)}."

    def _forwarded(self, key: str | None, context: str) -> tuple[str, EmailMessage, str]:
        key, original = (key, self.mail.message(key)) if key is not None else self.mail.selected()
        quoted = (
            f"---------- Forwarded message ----------\nFrom: {original['From']}\n"
            f"Subject: {original['Subject']}\n\n{self.mail.body_of(original)}"
        )
        return key, original, (f"{context.strip()}\n\n" if context and context.strip() else "") + quoted

    def forward_email(self, recipients: list[str], cc: list[str], context: str, attachments: list[str], *,
                      body: str | None = None, message: str | None = None, files: dict[str, list[int]] | None = None) -> str:
        """``message`` and ``body``: the inbox key and the text approval showed."""
        to = self._emails(recipients or [])
        if not to:
            raise ToolError("Forward to whom? No recipients were given.")
        _, original, quoted = self._forwarded(message, context)
        subject = f"Fwd: {original['Subject'] or ''}"
        msg = self.mail.build(to, self._emails(cc or []), subject, body if body is not None else quoted,
                              self._attached(attachments, files))
        return f"Forwarded to {', '.join(to)}: {self.mail.deliver(msg)}."

    def maps_open_location(self, location: str) -> str:
        url = location_url(location)
        self._open(url)
        return url

    def maps_show_directions(self, start_location: str, end_location: str, transport: str) -> str:
        url = directions_url(start_location, end_location, transport)
        self._open(url)
        return url

    def create_note(self, name: str, content: str, folder: str) -> str:
        if not name or not name.strip():
            raise ToolError("A note needs a name.")
        path = self.notes.create(name, content or "", folder)
        return f"Created note '{path.stem}' ({path})."

    def open_note(self, name: str, folder: str) -> str:
        return self.notes.read(name, folder)

    def append_note_content(self, name: str, content: str, folder: str) -> str:
        path = self.notes.append(name, content or "", folder)
        return f"Appended to note '{path.stem}'."

    def create_reminder(
        self, name: str, due_date: str, notes: str, list_name: str, priority: int, all_day: bool
    ) -> str:
        due = parse_when(due_date, "due_date")
        path = self.calendar.create_reminder(name or "Reminder", due, notes or "", list_name or "", priority or 0, bool(all_day))
        return reminder_added(name, due, bool(all_day), path.stem)

    def send_sms(self, recipients: list[str], message: str) -> str:
        numbers = self._phones(recipients or [])
        if not numbers:
            raise ToolError("The message has no recipients.")
        record = {"to": numbers, "message": message, "at": dt.datetime.now().isoformat(timespec="seconds")}
        append_line(self.outbox, json.dumps(record, ensure_ascii=False))
        return f"Message to {', '.join(numbers)} queued in the outbox."

    def get_zoom_meeting_link(self, topic: str, start_time: str, duration: int, meeting_invitees: list[str]) -> str:
        if self.zoom_token:
            return zoom_link(self.zoom_token, topic, start_time, duration, self._emails(meeting_invitees or []))
        return jitsi_link(topic)

    # -- calls worked out before approval ----------------------------------------------------
    # Each returns the call with names resolved, so approval shows (and the tool then gets) the
    # addresses, numbers and files that will really be used. They only read.

    def _files_shown(self, paths: list[str], verb: str) -> tuple[str, ...]:
        return tuple(f"{verb} {describe_file(Path(p))}" for p in paths)

    def prepare_create_calendar_event(
        self, title: str, start_date: str, end_date: str, location: str, invitees: list[str], notes: str, calendar: str
    ) -> Prepared:
        emails = self._emails(invitees or [])
        details = (f"invites {', '.join(emails)}",) if emails else ()
        return Prepared({"title": title, "start_date": start_date, "end_date": end_date, "location": location,
                         "invitees": emails, "notes": notes, "calendar": calendar}, details)

    def prepare_open_and_get_file_path(self, file_name: str) -> Prepared:
        path = str(self._find(file_name))
        verb = "opens" if self.open_in_desktop else "finds (opening is off)"
        return Prepared({"file_name": path}, self._files_shown([path], verb))

    def prepare_summarize_pdf(self, pdf_path: str) -> Prepared:
        return Prepared({"pdf_path": str(self._find(pdf_path))})

    def prepare_compose_new_email(
        self, recipients: list[str], cc: list[str], subject: str, context: str, attachments: list[str]
    ) -> Prepared:
        to, copy, files = self._emails(recipients or []), self._emails(cc or []), self._paths(attachments or [])
        body = self.writer.email_body(subject or "", context or "")
        details = (f"to {', '.join(to)}",) + ((f"cc {', '.join(copy)}",) if copy else ()) + self._files_shown(files, "attaches")
        return Prepared({"recipients": to, "cc": copy, "subject": subject, "context": context, "attachments": files},
                        (*details, f"body:\n{body}"), {"body": body, "files": self._stamps(files)})

    def prepare_reply_to_email(self, cc: list[str], context: str, attachments: list[str]) -> Prepared:
        key, original, subject, sender = self._replying_to()
        copy, files = self._emails(cc or []), self._paths(attachments or [])
        body = self.writer.email_body(subject, context or "", thread=self.mail.body_of(original))
        details = (f"replies to {sender}: {subject}",) + ((f"cc {', '.join(copy)}",) if copy else ())
        return Prepared({"cc": copy, "context": context, "attachments": files},
                        (*details, *self._files_shown(files, "attaches"), f"body:\n{body}"),
                        {"body": body, "message": key, "files": self._stamps(files)})

    def prepare_forward_email(self, recipients: list[str], cc: list[str], context: str, attachments: list[str]) -> Prepared:
        key, original, body = self._forwarded(None, context)
        to, copy, files = self._emails(recipients or []), self._emails(cc or []), self._paths(attachments or [])
        details = (f"forwards '{original['Subject'] or ''}' from {original['From'] or 'unknown'} to {', '.join(to)}",)
        details += ((f"cc {', '.join(copy)}",) if copy else ()) + self._files_shown(files, "attaches")
        return Prepared({"recipients": to, "cc": copy, "context": context, "attachments": files},
                        (*details, f"body:\n{body}"), {"body": body, "message": key, "files": self._stamps(files)})

    def prepare_send_sms(self, recipients: list[str], message: str) -> Prepared:
        handles = self._phones(recipients or [])
        return Prepared({"recipients": handles, "message": message}, (f"to {', '.join(handles)}",))

    def _map_shown(self) -> tuple[str, ...]:
        if not self.open_in_desktop:
            return ("builds a map link (opening is off)",)
        return ("opens a map in the browser: the place names go to the map service",)

    def prepare_maps_open_location(self, location: str) -> Prepared:
        return Prepared({"location": location}, self._map_shown())

    def prepare_maps_show_directions(self, start_location: str, end_location: str, transport: str) -> Prepared:
        return Prepared({"start_location": start_location, "end_location": end_location, "transport": transport},
                        self._map_shown())

    # -------------------------------------------------------------------------------------

    def toolbox(self) -> ToolBox:
        box = ToolBox()
        for spec in desktop_specs():
            impl: Callable[..., str] = getattr(self, spec.name)
            box.add(spec, impl, getattr(self, f"prepare_{spec.name}", None))
        return box
