"""Calendar events and reminders in iCalendar files (``<data>/calendar/*.ics``, ``<data>/reminders/*.ics``).

A calendar file is read, the new component added, and the whole file replaced atomically, under
the file's lock: every event already there is kept exactly, two writers never lose each other's
events, and a file that does not parse (or is not UTF-8, as iCalendar requires) is never rewritten.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import icalendar

from engine.tools.local.store import atomic_write, fold, locked, near_names, safe_filename
from engine.tools.spec import ToolError

PRODID = "-//tinyagent//local backend//EN"


def parse_when(value: str | None, what: str) -> dt.datetime | None:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            pass
    raise ToolError(f"{what} {value!r} is not a date; expected 'YYYY-MM-DD HH:MM:SS'.")


def event_span(start_date: str | None, end_date: str | None) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of an event as the reference fills them in: a missing end is start + 1 h,
    a missing start is end − 1 h, and an end not after the start is start + 1 h."""
    start, end = parse_when(start_date, "start_date"), parse_when(end_date, "end_date")
    if start is None and end is None:
        raise ToolError("The event has no start date.")
    try:
        if start is None:
            start = end - dt.timedelta(hours=1)  # type: ignore[operator]
        if end is None or end <= start:
            end = start + dt.timedelta(hours=1)
    except OverflowError:
        raise ToolError(f"The event's time {start_date or end_date!r} is outside the calendar's range.") from None
    return start, end


def _load(path: Path) -> icalendar.Calendar:
    if not path.exists():
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        return cal
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ToolError(
            f"{path} is not UTF-8, as iCalendar requires (byte {exc.start}); it was left untouched. "
            f"Convert it, e.g. `iconv -f latin1 -t utf-8`, to add to it."
        ) from None
    try:
        return icalendar.Calendar.from_ical(text)
    except Exception as exc:
        raise ToolError(f"{path} is not a readable iCalendar file ({exc}); it was left untouched.") from exc


def _save_with(path: Path, component: icalendar.cal.Component) -> None:
    with locked(path) as real:
        cal = _load(real)
        cal.add_component(component)
        atomic_write(path, cal.to_ical())


def _named(folder: Path, name: str, what: str) -> Path:
    """The file of calendar (or list) ``name``: an existing one whatever its case and accents; a
    new one for a name unlike any there; and for a name close to one there ("Wrok" beside
    "Work"), an error offering it, so a typo never starts a calendar of its own."""
    path = folder / f"{safe_filename(name)}.ics"
    if path.exists():
        return path
    existing = {p.stem: p for p in folder.glob("*.ics")} if folder.is_dir() else {}
    for stem, p in existing.items():
        if fold(stem) == fold(name):
            return p
    if close := near_names(name, existing):
        raise ToolError(f"No {what} named {name!r}. Did you mean {' or '.join(close)}? (A name unlike any of yours "
                        f"makes a new {what}.)", candidates=close, value=name)
    return path


class CalendarStore:
    def __init__(self, events_dir: Path, reminders_dir: Path) -> None:
        self.events_dir = events_dir
        self.reminders_dir = reminders_dir

    def create_event(
        self, title: str, start: dt.datetime, end: dt.datetime, location: str, invitees: list[str], notes: str, calendar: str
    ) -> Path:
        ev = icalendar.Event()
        ev.add("uid", f"{uuid.uuid4()}@tinyagent")
        ev.add("dtstamp", dt.datetime.now(dt.timezone.utc))
        ev.add("summary", title)
        ev.add("dtstart", start)
        ev.add("dtend", end)
        if location:
            ev.add("location", location)
        if notes:
            ev.add("description", notes)
        for email in invitees:
            attendee = icalendar.vCalAddress(f"mailto:{email}")
            attendee.params["ROLE"] = icalendar.vText("REQ-PARTICIPANT")
            ev.add("attendee", attendee, encode=0)
        path = _named(self.events_dir, calendar or "Calendar", "calendar")
        _save_with(path, ev)
        return path

    def create_reminder(
        self, name: str, due: dt.datetime | None, notes: str, list_name: str, priority: int, all_day: bool
    ) -> Path:
        todo = icalendar.Todo()
        todo.add("uid", f"{uuid.uuid4()}@tinyagent")
        todo.add("dtstamp", dt.datetime.now(dt.timezone.utc))
        todo.add("summary", name)
        if due is not None:
            todo.add("due", due.date() if all_day else due)
        if notes:
            todo.add("description", notes)
        if priority:
            todo.add("priority", max(0, min(9, int(priority))))
        todo.add("status", "NEEDS-ACTION")
        path = _named(self.reminders_dir, list_name or "Reminders", "list")
        _save_with(path, todo)
        return path

    def events(self) -> list[icalendar.Event]:
        out = []
        for path in sorted(self.events_dir.glob("*.ics")):
            out += list(_load(path).walk("VEVENT"))
        return out

    def reminders(self) -> list[icalendar.Todo]:
        out = []
        for path in sorted(self.reminders_dir.glob("*.ics")):
            out += list(_load(path).walk("VTODO"))
        return out
