"""A reproducible, offline generator of (query, plan) records for the 16 desktop tools.

Each *structure* (a plan shape: "look up N people, then invite them", "summarize a PDF and mail
it", …) has several *phrasing templates*. A family is one (structure, template) pair, and splits
are made by family: template 0 of every structure goes to test, template 1 to val, the rest to
train, so the test split measures new phrasings of known plan shapes, never a memorised one.

Dates: the generator picks the target datetime itself and renders a phrase for it ("next Friday at
noon"); the record is kept only if ``engine.dates`` resolves the phrase to the same value, so the
ground truth and the planner's date resolver cannot silently disagree.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from engine.dates import MONTHS, WEEKDAYS, Moment, find_dates
from engine.plan import format_literal, renumber_refs

from . import pools as P

Structure = Callable[["Gen", int], tuple[str, "PlanBuilder"]]
STRUCTURES: dict[str, tuple[int, Structure]] = {}


def structure(n_templates: int) -> Callable[[Structure], Structure]:
    def register(fn: Structure) -> Structure:
        STRUCTURES[fn.__name__.removeprefix("s_")] = (n_templates, fn)
        return fn

    return register


def split_of(template: int) -> str:
    return {0: "test", 1: "val"}.get(template, "train")


class PlanBuilder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def call(self, tool: str, *args: object) -> str:
        self.calls.append((tool, args))
        return f"${len(self.calls)}"

    def text(self) -> str:
        lines = [f"{i}. {tool}({', '.join(format_literal(a) for a in args)})" for i, (tool, args) in enumerate(self.calls, 1)]
        lines.append(f"{len(self.calls) + 1}. join()<END_OF_PLAN>")
        return "\n".join(lines)

    def tools(self) -> list[str]:
        return sorted({t for t, _ in self.calls})

    def extend(self, other: PlanBuilder) -> None:
        """Append ``other``'s calls, renumbering its ``$N`` references to follow this plan's."""
        offset = len(self.calls)

        def shift(value: object) -> object:
            if isinstance(value, str):
                return renumber_refs(value, lambda n: n + offset)
            if isinstance(value, list):
                return [shift(v) for v in value]
            return value

        self.calls.extend((tool, tuple(shift(a) for a in args)) for tool, args in other.calls)


class Rejected(Exception):
    """The sample is not usable (its date phrase did not resolve as intended)."""


@dataclass(frozen=True)
class When(Moment):
    """A date phrase the generator writes into a query, and what it must resolve to."""

    phrase: str


class Gen:
    def __init__(self, rng: random.Random, today: dt.datetime) -> None:
        self.rng = rng
        self.today = today
        self.whens: list[When] = []

    # -- pools -----------------------------------------------------------------------------

    def person(self) -> str:
        r = self.rng.random()
        first = self.rng.choice(P.FIRST_NAMES)
        return f"{first} {self.rng.choice(P.LAST_NAMES)}" if r < 0.3 else first

    def people(self, n: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            p = self.person()
            if all(p.split()[0] != q.split()[0] for q in out):
                out.append(p)
        return out

    def pick(self, items: list[str]) -> str:
        return self.rng.choice(items)

    # -- dates and times -------------------------------------------------------------------

    def _time(self) -> tuple[str, dt.time]:
        r = self.rng
        if r.random() < 0.08:
            return "noon", dt.time(12)
        h = r.choice([8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 15, 16, 17, 18, 19])
        m = r.choice([0, 0, 0, 0, 30, 30, 15, 45])
        h12 = h % 12 or 12
        ampm = "am" if h < 12 else "pm"
        style = r.random()
        if style < 0.12:
            return f"{h:02d}:{m:02d}", dt.time(h, m)
        mm = f":{m:02d}" if m else ""
        sep = " " if r.random() < 0.3 else ""
        suffix = ampm.upper() if r.random() < 0.2 else ampm
        return f"{h12}{mm}{sep}{suffix}", dt.time(h, m)

    def when(self, need_time: bool = True) -> When:
        r, today = self.rng, self.today.date()
        day_kind = r.choice(["tomorrow", "tomorrow", "today", "weekday", "next_weekday", "date", "dat", "rel"] if need_time
                            else ["tomorrow", "weekday", "next_weekday", "date"])
        if day_kind == "rel" and need_time:
            if r.random() < 0.5:
                n = r.choice([1, 2, 3, 4, 5])
                value = (self.today + dt.timedelta(hours=n)).replace(second=0, microsecond=0)
                w = When(value, True, f"in {n} hour{'s' if n > 1 else ''}")
            else:
                n = r.choice([10, 15, 20, 30, 45])
                value = (self.today + dt.timedelta(minutes=n)).replace(second=0, microsecond=0)
                w = When(value, True, f"in {n} minutes")
            self.whens.append(w)
            return w
        if day_kind == "tomorrow":
            day, words = today + dt.timedelta(days=1), "tomorrow"
        elif day_kind == "today":
            day, words = today, "today"
            r.choice(range(3))  # a draw kept so that a seed reproduces the datasets made so far
        elif day_kind == "dat":
            day, words = today + dt.timedelta(days=2), "the day after tomorrow"
        elif day_kind == "weekday":
            wd = r.randrange(7)
            delta = (wd - today.weekday()) % 7 or 7
            day = today + dt.timedelta(days=delta)
            name = WEEKDAYS[wd].capitalize()
            words = r.choice([f"on {name}", name, f"this {name}"])
        elif day_kind == "next_weekday":
            wd = r.randrange(7)
            day = today + dt.timedelta(days=7 - today.weekday() + wd)
            words = f"next {WEEKDAYS[wd].capitalize()}"
        else:
            day = today + dt.timedelta(days=r.randint(3, 60))
            month = MONTHS[day.month - 1].capitalize()
            suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(day.day, "th")
            words = r.choice([f"on {month} {day.day}", f"on {month[:3]} {day.day}{suffix}", f"on the {day.day}{suffix} of {month}"])
        if not need_time:
            w = When(dt.datetime.combine(day, dt.time(0)), False, words)
        else:
            special = r.random()
            if day_kind == "tomorrow" and special < 0.1:
                w = When(dt.datetime.combine(day, dt.time(9)), True, "tomorrow morning")
            else:
                tphrase, t = self._time()
                at = f"at {tphrase}" if tphrase != "noon" else r.choice(["at noon", "at noon"])
                phrase = f"{at} {words}" if r.random() < 0.2 and not words.startswith("on the") else f"{words} {at}"
                w = When(dt.datetime.combine(day, t), True, phrase)
        self.whens.append(w)
        return w

    def check_dates(self, query: str) -> None:
        found = {(m.value, m.has_time) for m in find_dates(query, self.today)}
        for w in self.whens:
            if (w.value, w.has_time) not in found:
                raise Rejected(f"{w.phrase!r} did not resolve to {w.iso()}")
        if len(found) != len({(w.value, w.has_time) for w in self.whens}):
            raise Rejected("the query has a date phrase the plan does not use")


def title(topic: str) -> str:
    t = topic.removeprefix("the ").strip()
    return t[:1].upper() + t[1:]


def lookups(pb: PlanBuilder, names: list[str], tool: str = "get_email_address") -> list[str]:
    return [pb.call(tool, n) for n in names]


def join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# -- structures ------------------------------------------------------------------------------


@structure(4)
def s_email_lookup(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    p = g.person()
    pb = PlanBuilder()
    pb.call("get_email_address", p)
    q = [f"What is {p}'s email address?", f"find the email of {p}", f"Look up {p}'s email", f"I need {p}'s e-mail"][t]
    return q, pb


@structure(4)
def s_phone_lookup(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    p = g.person()
    pb = PlanBuilder()
    pb.call("get_phone_number", p)
    q = [f"What's {p}'s phone number?", f"get me {p}'s number", f"Find the phone number for {p}", f"what number does {p} have"][t]
    return q, pb


@structure(5)
def s_reminder(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    task, w = g.pick(P.TASKS), g.when()
    lst = g.pick(P.LISTS) if t == 3 else ""
    pb = PlanBuilder()
    pb.call("create_reminder", title(task), w.iso(), "", lst, 0, False)
    q = [
        f"Remind me to {task} {w.phrase}",
        f"set a reminder {w.phrase} to {task}",
        f"Create a reminder: {task}, {w.phrase}",
        f"Add '{task}' to my {lst} list for {w.phrase}",
        f"don't let me forget to {task} {w.phrase}",
    ][t]
    return q, pb


@structure(3)
def s_reminder_all_day(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    task, w = g.pick(P.TASKS), g.when(need_time=False)
    pb = PlanBuilder()
    pb.call("create_reminder", title(task), w.iso(), "", "", 0, True)
    q = [
        f"All-day reminder {w.phrase}: {task}",
        f"remind me {w.phrase} to {task}, all day",
        f"Add an all-day reminder to {task} {w.phrase}",
    ][t]
    return q, pb


@structure(5)
def s_invite(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    names = g.people(g.rng.choice([1, 1, 2, 2, 3]))
    topic, w = g.pick(P.TOPICS), g.when()
    pb = PlanBuilder()
    refs = lookups(pb, names)
    dur = 60
    pb.call("create_calendar_event", title(topic), w.iso(), w.plus(dur), "", refs, "", None)
    who = join_names(names)
    q = [
        f"Create a calendar invite with {who} {w.phrase} about {topic}",
        f"schedule a meeting with {who} {w.phrase} to discuss {topic}",
        f"Invite {who} to {topic} {w.phrase}",
        f"Set up {topic} with {who} {w.phrase}",
        f"put {topic} on my calendar {w.phrase} and invite {who}",
    ][t]
    return q, pb


@structure(4)
def s_event_place(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    topic, w, place = g.pick(P.TOPICS), g.when(), g.pick(P.PLACES)
    hours = g.rng.choice([1, 2, 3])
    cal = g.pick(P.CALENDARS) if t == 3 else None
    pb = PlanBuilder()
    pb.call("create_calendar_event", title(topic), w.iso(), w.plus(60 * hours), place, [], "", cal)
    dur = f"for {hours} hours" if hours > 1 else "for an hour"
    q = [
        f"Block {dur} {w.phrase} for {topic} at {place}",
        f"add {topic} at {place} {w.phrase} {dur} to my calendar",
        f"Calendar: {topic}, {w.phrase}, {dur}, location {place}",
        f"Put {topic} in my {cal} calendar {w.phrase} at {place} {dur}",
    ][t]
    return q, pb


@structure(5)
def s_email(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    names = g.people(g.rng.choice([1, 1, 2]))
    cc = g.people(1) if t in (2, 4) else []
    cc = [c for c in cc if c.split()[0] not in {n.split()[0] for n in names}]
    ask = g.pick(P.EMAIL_ASKS)
    pb = PlanBuilder()
    refs = lookups(pb, names)
    cc_refs = lookups(pb, cc)
    subject = P.EMAIL_SUBJECTS[ask]
    pb.call("compose_new_email", refs, cc_refs, subject, ask[:1].upper() + ask[1:] + ".", [])
    who = join_names(names)
    ccs = f", cc {cc[0]}" if cc else ""
    q = [
        f"Send an email to {who} to {ask}{ccs}",
        f"email {who} and {ask}",
        f"Write {who} an email to {ask}{ccs}",
        f"Shoot {who} a mail: {ask}",
        f"Compose an email to {who}{ccs} to {ask}",
    ][t]
    return q, pb


@structure(3)
def s_email_address(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    user = g.pick(P.FIRST_NAMES).lower().replace("é", "e").replace("ö", "o")
    addr = f"{user.split()[0].replace(' ', '')}@{g.pick(['example.com', 'acme.org', 'mail.com'])}"
    ask = g.pick(P.EMAIL_ASKS)
    pb = PlanBuilder()
    pb.call("compose_new_email", [addr], [], P.EMAIL_SUBJECTS[ask], ask[:1].upper() + ask[1:] + ".", [])
    q = [f"Email {addr} to {ask}", f"send a mail to {addr}: {ask}", f"Write to {addr} and {ask}"][t]
    return q, pb


@structure(5)
def s_sms(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    names = g.people(g.rng.choice([1, 1, 1, 2]))
    msg = g.pick(P.MESSAGES)
    pb = PlanBuilder()
    refs = lookups(pb, names, "get_phone_number")
    pb.call("send_sms", refs, msg[:1].upper() + msg[1:])
    who = join_names(names)
    q = [f"Text {who} that {msg}", f"send {who} a message: {msg}", f"Tell {who} by SMS: {msg}", f"message {who} '{msg}'",
         f"Let {who} know via text that {msg}"][t]
    return q, pb


@structure(3)
def s_sms_number(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    num = f"+1 {g.rng.randint(200, 999)} {g.rng.randint(200, 999)} {g.rng.randint(1000, 9999)}"
    msg = g.pick(P.MESSAGES)
    pb = PlanBuilder()
    pb.call("send_sms", [num], msg[:1].upper() + msg[1:])
    q = [f"Text {num}: {msg}", f"send an sms to {num} saying {msg}", f"Message {num} that {msg}"][t]
    return q, pb


@structure(4)
def s_directions(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    end = g.pick(P.PLACES)
    start = g.pick([p for p in P.PLACES if p != end]) if t in (1, 3) else ""
    mode = g.pick(["d", "w", "r"])
    how = {"d": "driving", "w": "walking", "r": "transit"}[mode]
    pb = PlanBuilder()
    pb.call("maps_show_directions", start, end, mode)
    frm = f" from {start}" if start else ""
    by = {"d": "car", "w": "foot", "r": "public transport"}[mode]
    q = [f"Show me {how} directions to {end}", f"How do I get{frm} to {end} by {by}?",
         f"{how} route to {end}", f"Get {how} directions{frm} to {end}"][t]
    return q, pb


@structure(3)
def s_open_location(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    place = g.pick(P.PLACES)
    pb = PlanBuilder()
    pb.call("maps_open_location", place)
    return [f"Where is {place}?", f"show {place} on the map", f"Open {place} in Maps"][t], pb


@structure(4)
def s_note_create(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    name, content = g.pick(P.NOTE_NAMES), g.pick(P.NOTE_CONTENTS)
    folder = g.pick(P.FOLDERS) if t in (1, 3) else ""
    pb = PlanBuilder()
    pb.call("create_note", name, content, folder)
    inf = f" in {folder}" if folder else ""
    q = [f"Create a note called {name} with {content}", f"make a note{inf} named '{name}': {content}",
         f"New note {name}: {content}", f"Write down {content} in a new note {name}{inf}"][t]
    return q, pb


@structure(3)
def s_note_open(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    name = g.pick(P.NOTE_NAMES)
    folder = g.pick(P.FOLDERS) if t == 2 else ""
    pb = PlanBuilder()
    pb.call("open_note", name, folder)
    return [f"What does my {name} note say?", f"open the note {name}", f"Show me my {name} note from the {folder} folder"][t], pb


@structure(3)
def s_note_append(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    name, content = g.pick(P.NOTE_NAMES), g.pick(P.NOTE_CONTENTS)
    folder = g.pick(P.FOLDERS) if t == 1 else ""
    pb = PlanBuilder()
    pb.call("append_note_content", name, content, folder)
    return [f"Add '{content}' to my {name} note", f"append {content} to the {name} note in {folder}",
            f"Update my {name} note with: {content}"][t], pb


@structure(3)
def s_open_file(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    f = g.pick(P.OTHER_FILES + P.PDFS)
    pb = PlanBuilder()
    pb.call("open_and_get_file_path", f)
    return [f"Open {f}", f"find the file {f} for me", f"Where is {f} on my computer?"][t], pb


@structure(4)
def s_pdf_summary(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    f = g.pick(P.PDFS)
    pb = PlanBuilder()
    path = pb.call("open_and_get_file_path", f)
    pb.call("summarize_pdf", path)
    return [f"Summarize {f}", f"give me a summary of {f}", f"What's in {f}? Summarize it", f"tl;dr of {f} please"][t], pb


@structure(3)
def s_pdf_to_email(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    f, p = g.pick(P.PDFS), g.person()
    pb = PlanBuilder()
    path = pb.call("open_and_get_file_path", f)
    summary = pb.call("summarize_pdf", path)
    addr = pb.call("get_email_address", p)
    pb.call("compose_new_email", [addr], [], f"Summary of {f}", summary, [])
    return [f"Summarize {f} and email the summary to {p}", f"send {p} a summary of {f} by email",
            f"Email {p} the summary of {f}"][t], pb


@structure(3)
def s_pdf_to_note(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    f, name = g.pick(P.PDFS), g.pick(P.NOTE_NAMES)
    pb = PlanBuilder()
    path = pb.call("open_and_get_file_path", f)
    summary = pb.call("summarize_pdf", path)
    pb.call("create_note", name, summary, "")
    return [f"Summarize {f} and save it in a note called {name}", f"put a summary of {f} into a new note {name}",
            f"Make a note {name} with the summary of {f}"][t], pb


@structure(3)
def s_attach_email(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    f, p = g.pick(P.OTHER_FILES + P.PDFS), g.person()
    pb = PlanBuilder()
    addr = pb.call("get_email_address", p)
    path = pb.call("open_and_get_file_path", f)
    pb.call("compose_new_email", [addr], [], f.rsplit(".", 1)[0].replace("_", " ").title(), f"Please find {f} attached.", [path])
    return [f"Email {f} to {p}", f"send {p} the file {f} as an attachment", f"Mail {p} with {f} attached"][t], pb


@structure(4)
def s_zoom_event(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    names = g.people(g.rng.choice([1, 2]))
    topic, w = g.pick(P.TOPICS), g.when()
    dur = g.rng.choice([30, 45, 60, 60])
    pb = PlanBuilder()
    refs = lookups(pb, names)
    link = pb.call("get_zoom_meeting_link", title(topic), w.iso(), dur, refs)
    pb.call("create_calendar_event", title(topic), w.iso(), w.plus(dur), "", refs, link, None)
    who = join_names(names)
    d = f" for {dur} minutes" if dur != 60 else ""
    q = [f"Create a zoom meeting with {who} {w.phrase}{d} about {topic} and add it to my calendar",
         f"set up a video call for {topic} with {who} {w.phrase}{d}, with a calendar invite",
         f"Schedule a Zoom about {topic} {w.phrase}{d} with {who} and put the link in the invite",
         f"zoom with {who} {w.phrase}{d} re {topic}, put it on the calendar"][t]
    return q, pb


@structure(3)
def s_zoom_email(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    p = g.person()
    topic, w = g.pick(P.TOPICS), g.when()
    pb = PlanBuilder()
    addr = pb.call("get_email_address", p)
    link = pb.call("get_zoom_meeting_link", title(topic), w.iso(), 60, [addr])
    pb.call("compose_new_email", [addr], [], title(topic), link, [])
    return [f"Create a zoom link for {topic} {w.phrase} and email it to {p}",
            f"send {p} a zoom invite by email for {topic} {w.phrase}",
            f"Email {p} a meeting link for {topic} {w.phrase}"][t], pb


@structure(3)
def s_zoom_sms(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    p = g.person()
    topic, w = g.pick(P.TOPICS), g.when()
    pb = PlanBuilder()
    addr = pb.call("get_email_address", p)
    phone = pb.call("get_phone_number", p)
    link = pb.call("get_zoom_meeting_link", title(topic), w.iso(), 60, [addr])
    pb.call("send_sms", [phone], link)
    return [f"Make a zoom meeting with {p} {w.phrase} about {topic} and text them the link",
            f"text {p} a zoom link for {topic} {w.phrase}",
            f"Create a video call about {topic} {w.phrase} with {p}; send the link by SMS"][t], pb


@structure(3)
def s_directions_sms(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    p, place = g.person(), g.pick(P.PLACES)
    pb = PlanBuilder()
    url = pb.call("maps_show_directions", "", place, "d")
    phone = pb.call("get_phone_number", p)
    pb.call("send_sms", [phone], url)
    return [f"Text {p} the directions to {place}", f"send {p} directions to {place} via SMS",
            f"Message {p} a route to {place}"][t], pb


@structure(3)
def s_location_email(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    names, place = g.people(g.rng.choice([1, 2])), g.pick(P.PLACES)
    pb = PlanBuilder()
    url = pb.call("maps_open_location", place)
    refs = lookups(pb, names)
    pb.call("compose_new_email", refs, [], f"Location of {place}", url, [])
    who = join_names(names)
    return [f"Email the location of {place} to {who}", f"send {who} where {place} is by email",
            f"Mail {who} a map link for {place}"][t], pb


@structure(3)
def s_reply(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    msg = g.pick(P.EMAIL_ASKS)
    cc = g.person() if t == 1 else None
    pb = PlanBuilder()
    refs = lookups(pb, [cc]) if cc else []
    pb.call("reply_to_email", refs, msg[:1].upper() + msg[1:] + ".", [])
    return [f"Reply to this email to {msg}", f"reply and {msg}, cc {cc}", f"Answer the email: {msg}"][t], pb


@structure(3)
def s_forward(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    p = g.person()
    pb = PlanBuilder()
    addr = pb.call("get_email_address", p)
    pb.call("forward_email", [addr], [], "", [])
    return [f"Forward this email to {p}", f"fwd this to {p}", f"Send this email on to {p}"][t], pb


@structure(4)
def s_invite_and_text(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    p = g.person()
    topic, w = g.pick(P.TOPICS), g.when()
    pb = PlanBuilder()
    addr = pb.call("get_email_address", p)
    phone = pb.call("get_phone_number", p)
    pb.call("create_calendar_event", title(topic), w.iso(), w.plus(60), "", [addr], "", None)
    pb.call("send_sms", [phone], f"I sent you an invite for {topic.removeprefix('the ')} {w.phrase}")
    q = [f"Invite {p} to {topic} {w.phrase} and text them about it",
         f"schedule {topic} with {p} {w.phrase}, then let them know by SMS",
         f"Create an event for {topic} {w.phrase} with {p} and send a text",
         f"calendar invite to {p} for {topic} {w.phrase} + sms heads-up"][t]
    return q, pb


@structure(3)
def s_reminder_and_note(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    task, w = g.pick(P.TASKS), g.when()
    name, content = g.pick(P.NOTE_NAMES), g.pick(P.NOTE_CONTENTS)
    pb = PlanBuilder()
    pb.call("create_reminder", title(task), w.iso(), "", "", 0, False)
    pb.call("create_note", name, content, "")
    return [f"Remind me to {task} {w.phrase} and make a note {name} with {content}",
            f"note {name}: {content}; also remind me {w.phrase} to {task}",
            f"Two things: a reminder to {task} {w.phrase}, and a note called {name} saying {content}"][t], pb


@structure(4)
def s_negative(g: Gen, t: int) -> tuple[str, PlanBuilder]:
    q = g.pick(P.NEGATIVES)
    return [q, q.lower(), q.rstrip("?"), f"hey, {q[:1].lower()}{q[1:]}"][t], PlanBuilder()


# -- several requests in one sentence ------------------------------------------------------------

# (opening, separator, last separator); index 0 is the test family, 1 val, the rest train.
CONNECTORS = [
    ("", ", ", ", and "),
    ("", ". Also, ", ". Also, "),
    ("", " and then ", " and then "),
    ("First ", "; then ", "; then "),
    ("", "; ", "; "),
    ("", ". After that, ", ". And "),
]
_SINGLE_EMAIL = {"reply", "forward"}


def compound(g: Gen, t: int, n_parts: int) -> tuple[str, PlanBuilder]:
    """Two or three single requests in one sentence, each phrased by a template of ``t``'s split.

    The parts' plans are concatenated, so lookups of every part come first in their own part,
    exactly as the planner is asked to write them. A draw that repeats a call (the same person
    looked up twice) or mixes two "this email" requests is rejected: its right plan is ambiguous.
    """
    split = split_of(t)
    names = g.rng.sample(sorted(s for s in STRUCTURES if s not in {"negative"}), n_parts)
    if len(_SINGLE_EMAIL & set(names)) > 1:
        raise Rejected("two requests about the same selected email")
    pb, pieces = PlanBuilder(), []
    for name in names:
        n_templates, fn = STRUCTURES[name]
        q, part = fn(g, g.rng.choice([i for i in range(n_templates) if split_of(i) == split]))
        pb.extend(part)
        pieces.append(q.rstrip(".?! "))
    calls = [(tool, repr(args)) for tool, args in pb.calls]
    if len(set(calls)) != len(calls):
        raise Rejected("the same call twice")
    opening, sep, last = CONNECTORS[t]
    rest = [_lower_first(p) for p in pieces[1:]]
    body = _lower_first(pieces[0]) if opening else pieces[0]
    for i, piece in enumerate(rest):
        body += (last if i == len(rest) - 1 else sep) + piece
    return opening + body, pb


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if first.lower() in _IMPERATIVES | _QUESTION_WORDS else text


_QUESTION_WORDS = {"what", "where", "what's", "where's", "how", "two", "calendar", "note", "fwd"}


# -- surface variation -------------------------------------------------------------------------


def _typo(rng: random.Random, text: str, protect: set[str]) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha() and w.islower() and w not in protect]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


_IMPERATIVES = {
    "create", "send", "remind", "text", "email", "schedule", "invite", "show", "open", "add", "make", "set", "write",
    "summarize", "forward", "reply", "find", "get", "look", "block", "put", "tell", "let", "message", "mail", "compose",
}


def surface(rng: random.Random, query: str, protect: set[str]) -> str:
    q = query
    if q.split(" ", 1)[0].lower() in _IMPERATIVES and rng.random() < 0.35:
        prefix = rng.choice(P.POLITE)
        if prefix:
            q = prefix + q[:1].lower() + q[1:]
    if rng.random() < 0.12:
        q = q.lower()
    if rng.random() < 0.08:
        q = _typo(rng, q, protect)
    if rng.random() < 0.3 and not q.endswith(("?", ".", "!")):
        q += rng.choice([".", "!", " please", " thanks"])
    return q
