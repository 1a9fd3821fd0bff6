"""Generator v2: requests written as prose, with the plan shapes people's requests have.

v1 glued one template per request and wrote 2.4 calls per plan; the reference's requests have 5.3,
and two in three chain one result into another (a summary into a note, a meeting link into an
invite, a file into a mail). So v2 takes each plan's *shape* from the reference's examples: which
tools, in which order, and which call's result feeds which parameter. It keeps nothing else of
them: every argument is drawn from our own pools (``lexicon``) and every word of the request is
written here, clause by clause, with connectors and references back ("the summary", "the link",
"them"). Shapes come from the matching split of the reference (train shapes for train records, and
so on), and each clause's phrasing template splits by family as in v1 (template 0 test, 1 val,
the rest train), so neither a test shape nor a test phrasing is ever trained on.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.data import lexicon as L
from engine.data.generator import Gen, PlanBuilder, Rejected, When, split_of, surface
from engine.data.records import Record
from engine.plan import Plan, parse_plan, ref_ids
from engine.tools.desktop import desktop_specs

HELPERS = ("get_email_address", "get_phone_number")
TERSE_FROM = 6
SPECS = desktop_specs()
PARAMS = {s.name: [p.name for p in s.params] for s in SPECS}


@dataclass(frozen=True)
class Shape:
    """A plan's shape: each call's tool and, per parameter, the earlier calls (0-based) it uses."""

    tools: tuple[str, ...]
    wiring: tuple[dict[str, tuple[int, ...]], ...]

    @classmethod
    def of(cls, plan: Plan) -> Shape:
        index = {t.id: i for i, t in enumerate(plan.calls)}
        wiring = []
        for t in plan.calls:
            uses: dict[str, tuple[int, ...]] = {}
            for name, value in zip(PARAMS[t.tool], t.args, strict=False):
                refs = tuple(index[n] for n in ref_ids(repr(value)) if n in index)
                if refs:
                    uses[name] = refs
            wiring.append(uses)
        return cls(tuple(t.tool for t in plan.calls), tuple(wiring))

    def consumers(self, i: int) -> list[tuple[int, str]]:
        return [(j, p) for j, w in enumerate(self.wiring) for p, srcs in w.items() if i in srcs]


@dataclass
class Ctx:
    """What the clauses of one request share: who and what it is about, and the plan so far."""

    g: Gen
    shape: Shape
    template: int
    pb: PlanBuilder = field(default_factory=PlanBuilder)
    refs: list[str] = field(default_factory=list)
    """``$N`` of each shape call, once it is in the plan."""
    people: dict[int, str] = field(default_factory=dict)
    files: dict[int, str] = field(default_factory=dict)
    subject: str = ""
    when: When | None = None
    used_names: set[str] = field(default_factory=set)
    mentioned: set[str] = field(default_factory=set)
    """Files already named in the request: the next mention says "it"."""

    def person(self) -> str:
        for _ in range(50):
            first = self.g.rng.choice(L.FIRST_NAMES)
            if first not in self.used_names:
                self.used_names.add(first)
                return f"{first} {self.g.rng.choice(L.LAST_NAMES)}" if self.g.rng.random() < 0.15 else first
        raise Rejected("could not find a first name not already in this request")

    def pick(self, items: list[str]) -> str:
        return self.g.rng.choice(items)

    def the_when(self) -> When:
        """One date per request: an event and its meeting link share it, as people write them."""
        if self.when is None:
            self.when = self.g.when()
        return self.when

    def src(self, i: int, param: str) -> tuple[int, ...]:
        return self.shape.wiring[i].get(param, ())

    @property
    def terse(self) -> bool:
        """A request of many steps is written tersely: no location, ask or pleasantry to spare."""
        return len(self.shape.tools) >= TERSE_FROM

    def location(self) -> str:
        return self.pick(L.PLACES) if not self.terse and self.g.rng.random() < 0.3 else ""


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _q(text: str) -> str:
    return f'"{text}"'


def _file_name(ctx: Ctx, pdf: bool) -> str:
    r = ctx.g.rng
    if pdf:
        return r.choice(L.PDF_NAMES) if r.random() < 0.5 else f"{r.choice(L.SUBJECTS).title()} {r.choice(L.FILE_KINDS)}.pdf"
    ext = r.choice(L.OTHER_EXTENSIONS + [".pdf"] * 4)
    stem = r.choice(L.SUBJECTS).replace(" ", r.choice(["_", " ", "-"]))
    return f"{stem}_{r.choice(L.FILE_KINDS)}{ext}" if r.random() < 0.3 else f"{stem}{ext}"


# What a call's result is called when a later clause uses it.
def _noun(ctx: Ctx, i: int) -> str:
    tool = ctx.shape.tools[i]
    if tool == "get_email_address":
        return f"{ctx.people[i]}'s email address"
    if tool == "get_phone_number":
        return f"{ctx.people[i]}'s phone number"
    if tool == "open_and_get_file_path":
        return f"the file {_q(ctx.files[i])}"
    return {
        "summarize_pdf": ctx.pick(["the summary", "that summary", "the summary of it"]),
        "get_zoom_meeting_link": ctx.pick(["the meeting link", "the Zoom link", "the link"]),
        "maps_open_location": ctx.pick(["the map link", "the location link"]),
        "maps_show_directions": ctx.pick(["the directions", "the directions link", "the route"]),
        "open_note": ctx.pick(["the note's contents", "what's in that note", "the note"]),
        "create_calendar_event": "the event",
    }.get(tool, "the result")


def _value(ctx: Ctx, i: int, param: str, label: str, default: str) -> tuple[str, str]:
    """The argument for a text parameter (``$N`` embedded after ``label`` when wired) and how the
    clause mentions it."""
    srcs = ctx.src(i, param)
    if not srcs:
        return default, ""
    refs = " ".join(ctx.refs[s] for s in srcs)
    return (f"{label}{refs}" if label else refs), _names([_noun(ctx, s) for s in srcs])


def _list(ctx: Ctx, i: int, param: str) -> tuple[list[str], str]:
    srcs = ctx.src(i, param)
    return [ctx.refs[s] for s in srcs], _names([ctx.people.get(s) or _noun(ctx, s) for s in srcs]) if srcs else ""


def _address(ctx: Ctx) -> str:
    first = ctx.person().split()[0]
    user = first.lower().encode("ascii", "ignore").decode() or "info"
    return f"{user}{ctx.pick(['', '.w', '22', '_work'])}@{ctx.pick(['example.com', 'mail.com', 'work.org', 'startup.io', 'uni.edu'])}"


def _number(ctx: Ctx) -> str:
    r = ctx.g.rng
    a, b, c = r.randint(201, 989), r.randint(200, 999), r.randint(1000, 9999)
    return r.choice([f"+1 {a} {b} {c}", f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"+44 20 {b}{c // 10} {c}"])


def _recipients(ctx: Ctx, i: int, param: str, literal: Callable[[Ctx], str]) -> tuple[list[str], str]:
    """Looked-up recipients, or, where the shape has no lookup, an address or number written out."""
    refs, who = _list(ctx, i, param)
    if refs:
        return refs, who
    value = literal(ctx)
    return [value], value


def _attach(ctx: Ctx, i: int) -> tuple[list[str], str]:
    srcs = ctx.src(i, "attachments")
    if not srcs:
        return [], ""
    shown = []
    for s in srcs:
        name = ctx.files.get(s)
        if name is None:
            shown.append(_noun(ctx, s))
        elif name in ctx.mentioned:
            shown.append(ctx.pick(["it", "the same file", "that file"]))
        else:
            ctx.mentioned.add(name)
            shown.append(_q(name))
    return [ctx.refs[s] for s in srcs], ctx.pick(["attach ", "with ", "attaching ", "and include "]) + _names(shown)


def _t(ctx: Ctx, options: list[str]) -> str:
    """The clause phrasing of this request's template family (the last one serves higher indices)."""
    return options[min(ctx.template, len(options) - 1)] if ctx.template < 2 else ctx.g.rng.choice(options[2:])


Clause = Callable[[Ctx, int], str]
CLAUSES: dict[str, Clause] = {}


def clause(tool: str) -> Callable[[Clause], Clause]:
    def register(fn: Clause) -> Clause:
        CLAUSES[tool] = fn
        return fn

    return register


@clause("get_email_address")
def _email(ctx: Ctx, i: int) -> str:
    p = ctx.people[i]
    return _t(ctx, [f"look up {p}'s email", f"find the email address for {p}", f"get me {p}'s e-mail address",
                    f"check what email address I have for {p}", f"pull up {p}'s email"])


@clause("get_phone_number")
def _phone(ctx: Ctx, i: int) -> str:
    p = ctx.people[i]
    return _t(ctx, [f"find {p}'s phone number", f"look up {p}'s number", f"get the phone number for {p}",
                    f"check what number I have saved for {p}", f"pull up {p}'s cell number"])


@clause("open_and_get_file_path")
def _open_file(ctx: Ctx, i: int) -> str:
    ctx.mentioned.add(ctx.files[i])
    f = _q(ctx.files[i])
    return _t(ctx, [f"open the file {f}", f"find and open {f}", f"pull up {f} for me", f"open {f} so I can look at it",
                    f"locate the document {f} and open it"])


@clause("summarize_pdf")
def _summarize(ctx: Ctx, i: int) -> str:
    name = ctx.files.get(i, "the document")
    ctx.mentioned.add(name)
    f = _q(name)
    return _t(ctx, [f"summarize {f}", f"give me a summary of {f}", f"write a short summary of the PDF {f}",
                    f"boil {f} down to the key points", f"summarize the document {f}"])


@clause("create_calendar_event")
def _event(ctx: Ctx, i: int) -> str:
    invitees, who = _list(ctx, i, "invitees")
    notes, notes_said = _value(ctx, i, "notes", ctx.pick(["Join here: ", "Link: ", ""]), "")
    w, loc = ctx.the_when(), ctx.location()
    title = ctx.subject.title()
    cal = ctx.pick(L.CALENDARS) if ctx.g.rng.random() < 0.1 else None
    ctx.pb.call("create_calendar_event", title, w.iso(), w.plus(60), loc or "", invitees, notes, cal)
    with_ = f" with {who}" if who else ""
    at = f" at {loc}" if loc else ""
    add = f", and put {notes_said} in the notes" if notes_said else ""
    in_cal = f" in my {cal} calendar" if cal else ""
    meeting = ctx.subject if ctx.subject.endswith(("meeting", "session", "call")) else f"{ctx.subject} meeting"
    return _t(ctx, [f"set up a {meeting}{with_} {w.phrase}{at}{in_cal}{add}",
                    f"create an event {_q(title)} {w.phrase}{at}{with_}{in_cal}{add}",
                    f"schedule the {ctx.subject}{with_} for {w.phrase}{at}{in_cal}{add}",
                    f"put the {ctx.subject} on my calendar {w.phrase}{at}{(', invite ' + who) if who else ''}{in_cal}{add}",
                    f"book the {ctx.subject} {w.phrase}{at}{with_}{in_cal}{add}"])


def _mail_context(ctx: Ctx, i: int) -> tuple[str, str]:
    """The mail's ``context`` and how the request says it: often just what it is about, as
    people write ("email Sid about the launch")."""
    ask = ctx.pick(L.EMAIL_ASKS) if not ctx.terse and ctx.g.rng.random() < 0.35 else ""
    value, said = _value(ctx, i, "context", f"{ask}. " if ask else "", ask or ctx.subject)
    if said:
        return value, (f"{ask} and include {said}" if ask else f"share {said}")
    return value, ask


@clause("compose_new_email")
def _compose(ctx: Ctx, i: int) -> str:
    to, who = _recipients(ctx, i, "recipients", _address)
    cc, cc_who = _list(ctx, i, "cc")
    files, attach = _attach(ctx, i)
    context, what = _mail_context(ctx, i)
    subject = ctx.subject.title()
    ctx.pb.call("compose_new_email", to, cc, subject, context, files)
    cc_s = f", cc {cc_who}" if cc_who else ""
    at = f", {attach}" if attach else ""
    to_what = f" to {what}" if what else ""
    return _t(ctx, [f"email {who} about the {ctx.subject}{to_what}{cc_s}{at}",
                    f"send {who} an email with the subject {_q(subject)}{to_what}{at}{cc_s}",
                    f"write to {who} about the {ctx.subject}{cc_s}{(': ' + what) if what else ''}{at}",
                    f"draft an email to {who} regarding the {ctx.subject}{to_what}{at}{cc_s}",
                    f"shoot {who} a quick email about the {ctx.subject}{at}{cc_s}{(', and ' + what) if what else ''}"])


@clause("reply_to_email")
def _reply(ctx: Ctx, i: int) -> str:
    cc, cc_who = _list(ctx, i, "cc")
    files, attach = _attach(ctx, i)
    context, what = _mail_context(ctx, i)
    if not what:
        what = context = f"say thanks for the {ctx.subject}"
    ctx.pb.call("reply_to_email", cc, context, files)
    cc_s = f", cc'ing {cc_who}" if cc_who else ""
    at = f", {attach}" if attach else ""
    return _t(ctx, [f"reply to this email to {what}{at}{cc_s}", f"answer the email I have open and {what}{cc_s}{at}",
                    f"respond to the current email to {what}{at}{cc_s}", f"write back to the sender to {what}{cc_s}{at}",
                    f"reply to the selected message{cc_s} and {what}{at}"])


@clause("forward_email")
def _forward(ctx: Ctx, i: int) -> str:
    to, who = _recipients(ctx, i, "recipients", _address)
    cc, cc_who = _list(ctx, i, "cc")
    files, attach = _attach(ctx, i)
    context, what = _mail_context(ctx, i)
    ctx.pb.call("forward_email", to, cc, context, files)
    cc_s = f" and cc {cc_who}" if cc_who else ""
    at = f", {attach}" if attach else ""
    to_what = f" to {what}" if what else ""
    return _t(ctx, [f"forward this email to {who}{cc_s}{to_what}{at}",
                    f"pass the current email on to {who}{cc_s}{at}{(' and ' + what) if what else ''}",
                    f"forward the email I'm reading to {who}{at}{cc_s}",
                    f"send this message along to {who}{cc_s}{at}{to_what}",
                    f"forward the open email to {who}{at}{cc_s}{(' so they can ' + what) if what else ''}"])


@clause("maps_open_location")
def _map(ctx: Ctx, i: int) -> str:
    place = ctx.pick(L.PLACES)
    ctx.pb.call("maps_open_location", place)
    return _t(ctx, [f"show {place} on the map", f"open {place} in Maps", f"pull up {place} on a map",
                    f"find {place} in Apple Maps", f"show me where {place} is"])


@clause("maps_show_directions")
def _directions(ctx: Ctx, i: int) -> str:
    start, end = (ctx.pick(L.PLACES) if ctx.g.rng.random() < 0.25 else ""), ctx.pick(L.PLACES)
    mode, how = ctx.g.rng.choice([("d", "driving"), ("d", "by car"), ("w", "walking"), ("w", "on foot"), ("r", "by transit"),
                                  ("r", "on public transport")])
    ctx.pb.call("maps_show_directions", start, end, mode)
    frm = f" from {start}" if start else ""
    return _t(ctx, [f"get {how} directions{frm} to {end}", f"show me how to get{frm} to {end} {how}",
                    f"open directions{frm} to {end}, {how}", f"map out a route{frm} to {end} {how}",
                    f"find the way{frm} to {end} {how}"])


def _note_name(ctx: Ctx) -> str:
    return f"{ctx.subject.title()} {ctx.pick(L.NOTE_KINDS)}" if ctx.g.rng.random() < 0.4 else ctx.subject.title()


@clause("create_note")
def _create_note(ctx: Ctx, i: int) -> str:
    name, folder = _note_name(ctx), (ctx.pick(L.FOLDERS) if ctx.g.rng.random() < 0.25 else "")
    content, said = _value(ctx, i, "content", "", ctx.pick(L.TASKS + L.EMAIL_ASKS))
    ctx.pb.call("create_note", name, content, folder)
    body = said or f"the line {_q(content)}"
    where = f" in the {folder} folder" if folder else ""
    return _t(ctx, [f"create a note called {_q(name)}{where} with {body}", f"make a new note {_q(name)}{where} containing {body}",
                    f"jot down {body} in a new note named {_q(name)}{where}", f"save {body} as a note titled {_q(name)}{where}",
                    f"start a note {_q(name)}{where} and put {body} in it"])


@clause("open_note")
def _open_note(ctx: Ctx, i: int) -> str:
    name, folder = _note_name(ctx), (ctx.pick(L.FOLDERS) if ctx.g.rng.random() < 0.25 else "")
    ctx.pb.call("open_note", name, folder)
    where = f" in {folder}" if folder else ""
    return _t(ctx, [f"open my note {_q(name)}{where}", f"pull up the note {_q(name)}{where}", f"show me the {_q(name)} note{where}",
                    f"open the note titled {_q(name)}{where}", f"find my {_q(name)} note{where} and open it"])


@clause("append_note_content")
def _append(ctx: Ctx, i: int) -> str:
    name, folder = _note_name(ctx), (ctx.pick(L.FOLDERS) if ctx.g.rng.random() < 0.25 else "")
    content, said = _value(ctx, i, "content", "", ctx.pick(L.TASKS + L.MESSAGES))
    ctx.pb.call("append_note_content", name, content, folder)
    body = said or _q(content)
    where = f" in {folder}" if folder else ""
    return _t(ctx, [f"add {body} to my note {_q(name)}{where}", f"append {body} to the {_q(name)} note{where}",
                    f"put {body} at the end of my note {_q(name)}{where}", f"update the note {_q(name)}{where} with {body}",
                    f"tack {body} onto my {_q(name)} note{where}"])


@clause("create_reminder")
def _reminder(ctx: Ctx, i: int) -> str:
    task = ctx.pick(L.TASKS)
    w = ctx.g.when()
    notes, said = _value(ctx, i, "notes", "", "")
    lst = ctx.pick(L.LISTS) if ctx.g.rng.random() < 0.2 else ""
    ctx.pb.call("create_reminder", task[:1].upper() + task[1:], w.iso(), notes, lst, 0, not w.has_time)
    in_list = f" on my {lst} list" if lst else ""
    extra = f" with {said} in it" if said else ""
    return _t(ctx, [f"remind me to {task} {w.phrase}{in_list}{extra}", f"set a reminder {w.phrase} to {task}{in_list}{extra}",
                    f"add a reminder to {task} {w.phrase}{in_list}{extra}", f"make sure I remember to {task} {w.phrase}{in_list}{extra}",
                    f"create a reminder{in_list} for {w.phrase}: {task}{extra}"])


@clause("send_sms")
def _sms(ctx: Ctx, i: int) -> str:
    to, who = _recipients(ctx, i, "recipients", _number)
    said_msg = ctx.pick(L.MESSAGES)
    message, said = _value(ctx, i, "message", f"{said_msg}: ", said_msg)
    ctx.pb.call("send_sms", to, message)
    what = f"{_q(said_msg)} with {said}" if said else _q(said_msg)
    return _t(ctx, [f"text {who} {what}", f"send {who} a message saying {what}", f"let {who} know {what} by text",
                    f"message {who}: {what}", f"shoot {who} a text that says {what}"])


@clause("get_zoom_meeting_link")
def _zoom(ctx: Ctx, i: int) -> str:
    invitees, who = _list(ctx, i, "meeting_invitees")
    w = ctx.the_when()
    duration = ctx.g.rng.choice([30, 45, 60, 60, 90])
    ctx.pb.call("get_zoom_meeting_link", ctx.subject.title(), w.iso(), duration, invitees)
    with_ = f" with {who}" if who else ""
    return _t(ctx, [f"set up a {duration}-minute Zoom call{with_} {w.phrase} about the {ctx.subject}",
                    f"create a {duration}-minute Zoom meeting {w.phrase}{with_}",
                    f"get a Zoom link for {w.phrase}{with_}, {duration} minutes",
                    f"schedule a {duration}-minute video call{with_} {w.phrase}",
                    f"make a Zoom link for the {ctx.subject} {w.phrase}{with_} ({duration} min)"])


OPENERS = [""] * 8 + ["Please ", "Could you ", "Can you ", "I need you to ", "Hey, can you ", "Quick favor: ",
                      "When you get a chance, ", "I'd like you to ", "Would you "]
CONNECTORS = [", then ", " and ", " and ", ", and ", ". After that, ", ", and then ", ". Also, ", "; ", ". Then ",
              ", plus ", ". Next, ", " then "]
CLOSERS = [""] * 8 + [" Thanks!", " Thank you.", " Thanks a lot.", " Appreciate it."]


def _helper_folded(shape: Shape, i: int) -> bool:
    """A lookup or file search that a later call uses is said inside that call's clause ("email
    Sid", "attach the slides"), not as a request of its own."""
    tool = shape.tools[i]
    if tool in HELPERS or tool == "open_and_get_file_path":
        return bool(shape.consumers(i))
    return False


def realize(shape: Shape, rng: random.Random, today: dt.datetime, template: int) -> tuple[str, PlanBuilder, Gen]:
    """A request in words and its plan, for ``shape``, in phrasing family ``template``."""
    people = sum(t in HELPERS for t in shape.tools)
    if people > len(L.FIRST_NAMES):
        raise ValueError(f"a plan shape needs {people} different people, more than the {len(L.FIRST_NAMES)} names in the pool")
    g = Gen(rng, today)
    ctx = Ctx(g, shape, template, subject=rng.choice(L.SUBJECTS))
    for i, tool in enumerate(shape.tools):  # names and files first: clauses mention them
        if tool in HELPERS:
            # The reference's get_phone_number("$1") after get_email_address("Emily") is about one
            # person (it was two, one never named); the name drawn anyway keeps the other requests.
            ctx.people[i] = ctx.person()
            src = shape.wiring[i].get("name")
            if src and src[0] in ctx.people:
                ctx.people[i] = ctx.people[src[0]]
        elif tool == "open_and_get_file_path":
            ctx.files[i] = _file_name(ctx, pdf=any(shape.tools[j] == "summarize_pdf" for j, _ in shape.consumers(i)))
        elif tool == "summarize_pdf" and not shape.wiring[i].get("pdf_path"):
            ctx.files[i] = _file_name(ctx, pdf=True)
    clauses = []
    for i, tool in enumerate(shape.tools):
        if tool in HELPERS:
            name = ctx.people[i]
            src = shape.wiring[i].get("name")
            ctx.refs.append(ctx.pb.call(tool, ctx.refs[src[0]] if src else name))
        elif tool == "open_and_get_file_path":
            ctx.refs.append(ctx.pb.call(tool, ctx.files[i]))
        elif tool == "summarize_pdf":
            src = shape.wiring[i].get("pdf_path")
            if src and src[0] in ctx.files:
                ctx.files[i] = ctx.files[src[0]]
            ctx.refs.append(ctx.pb.call(tool, ctx.refs[src[0]] if src else ctx.files[i]))
        if tool in HELPERS or tool in ("open_and_get_file_path", "summarize_pdf"):
            if not _helper_folded(shape, i):
                clauses.append(CLAUSES[tool](ctx, i))
            continue
        n = len(ctx.pb.calls)
        clauses.append(CLAUSES[tool](ctx, i))
        ctx.refs.append(f"${n + 1}")
    if Shape.of(parse_plan(ctx.pb.text(), SPECS)) != shape:  # a wiring the clauses cannot say (5 of 795)
        raise Rejected("the plan does not have the shape it was made from")
    text = ("" if ctx.terse else rng.choice(OPENERS)) + clauses[0]
    for c in clauses[1:]:
        text += rng.choice(CONNECTORS) + c
    text = text[:1].upper() + text[1:]
    text += "." if not text.endswith((".", "!", "?")) else ""
    return text + ("" if ctx.terse else rng.choice(CLOSERS)), ctx.pb, g


def reference_shapes(source: Path) -> dict[str, list[Shape]]:
    """The plan shapes of the reference's examples, by their committed split (train, val, test)."""
    from engine.data.records import valid_records
    from engine.data.reference import load_split

    split = load_split()
    shapes: dict[str, list[Shape]] = {s: [] for s in split}
    for rec, plan in valid_records(source, SPECS):
        for s, ids in split.items():
            if rec.id in ids and plan.calls:
                shapes[s].append(Shape.of(plan))
    return shapes


TEMPLATES = 5
"""Phrasings per clause: 0 is the test family, 1 val, 2–4 train (``split_of``)."""
SPLIT_WEIGHTS = {"train": 0.8, "val": 0.1, "test": 0.1}
MAX_STALE = 5000


def generate(shapes: dict[str, list[Shape]], n: int, seed: int) -> list[Record]:
    """``n`` records; each split's shapes come from that split of the reference (``shapes``).

    A request the date resolver reads differently from the plan, or one already written, is
    drawn again; a setting that cannot be met (more distinct requests than the pools can make)
    is an error, not a short file.
    """
    missing = [s for s in SPLIT_WEIGHTS if not shapes.get(s)]
    if missing:
        raise ValueError(f"no plan shapes for the {', '.join(missing)} split(s)")
    rng = random.Random(seed)
    base = dt.datetime(2026, 1, 1, 8, 0)
    rows: list[Record] = []
    seen: set[str] = set()
    stale = 0
    while len(rows) < n:
        stale += 1
        if stale > MAX_STALE:
            raise ValueError(f"could make only {len(rows)} distinct requests of the {n} asked for: "
                             f"{MAX_STALE} draws in a row were duplicates or unusable")
        split = rng.choices(list(SPLIT_WEIGHTS), weights=list(SPLIT_WEIGHTS.values()))[0]
        template = rng.choice([t for t in range(TEMPLATES) if split_of(t) == split])
        today = base + dt.timedelta(days=rng.randrange(0, 700), minutes=30 * rng.randrange(0, 22))
        try:
            query, pb, g = realize(rng.choice(shapes[split]), rng, today, template)
            query = surface(rng, query, {w.lower() for when in g.whens for w in when.phrase.split()})
            g.check_dates(query)
        except Rejected:
            continue
        if query in seen:
            continue
        seen.add(query)
        stale = 0
        rows.append(Record(f"v2-{seed}-{len(rows):06d}", query, pb.text(), pb.tools(), today, f"prose/{template}", split))
    return rows
