"""Resolve relative dates and times in a query ("tomorrow at 3pm", "next Friday at noon", "in 2 hours").

Small models get relative dates wrong far more often than anything else, so the planner does not ask
them to do calendar arithmetic: each date phrase found here is resolved in code and written into the
question right after the phrase, e.g. ``tomorrow at 3pm [2026-11-24 15:00:00]``; the model only has
to copy it. The same resolver gives the data generator its ground truth, so both agree by
construction.

Conventions (documented because people differ): a bare or ``this`` weekday is its next occurrence
after today; ``next <weekday>`` is that weekday in the following Monday-to-Sunday week; a time
without am/pm from 1 to 7 means the afternoon (8 to 11 too when the query speaks of dinner, drinks,
the evening…); a time alone means today.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]
_MONTH_ALT = "|".join(sorted({m for m in MONTHS} | {m[:3] for m in MONTHS} | {"sept"}, key=len, reverse=True))
_WD_ALT = "|".join(sorted(set(WEEKDAYS) | {w[:3] for w in WEEKDAYS} | {"tues", "thur", "thurs", "weds"}, key=len, reverse=True))
_NUM_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty-five": 45,
}
_NUM = r"(?:\d{1,3}|" + "|".join(sorted(_NUM_WORDS, key=len, reverse=True)) + r")"
_PARTS_OF_DAY = {"morning": 9, "noon": 12, "midday": 12, "afternoon": 14, "evening": 18, "night": 20, "tonight": 20, "midnight": 0}

_TIME = (
    r"(?:(?:at|by|@|around|from)\s+)?"
    r"(?:(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)(?![a-z])"
    r"|(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)(?![\d])"
    r"|(?:at|by|around)\s+(?P<hbare>\d{1,2})(?::(?P<mbare>[0-5]\d))?(?![\d:.]|\s*(?:am|pm|a\.m|p\.m|%|percent|minutes|hours|days|people|items))"
    r"|(?:at\s+)?(?P<named>noon|midday|midnight))"
)
_PART = r"(?:(?P<prefix>in\s+the\s+)?(?P<part>morning|afternoon|evening|night))"
_DAY = (
    r"(?P<day>(?P<today>today|(?P<thispart>this\s+(?:morning|afternoon|evening)|tonight))|(?P<dat>(?:the\s+)?day\s+after\s+tomorrow)|(?P<tomorrow>tomorrow|tmrw|tmr)"
    r"|(?:(?:on|this|coming|this\s+coming)\s+)?(?P<next>next\s+)?(?P<wd>" + _WD_ALT + r")\.?(?![a-z])"
    r"|(?:on\s+)?(?P<mon>" + _MONTH_ALT + r")\.?\s+(?P<mday>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4}))?(?![\d])"
    r"|(?:on\s+)?(?:the\s+)?(?P<mday2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon2>" + _MONTH_ALT + r")(?![a-z])(?:,?\s+(?P<year2>\d{4}))?"
    r"|(?:on\s+)?(?P<iso>\d{4}-\d{2}-\d{2})"
    r"|in\s+(?P<ndays>" + _NUM + r")\s+(?P<dunit>days?|weeks?)"
    r"|(?P<nextweek>next\s+week)"
    r")"
)
_REL_TIME = r"(?P<rel>in\s+(?:(?P<half>half\s+an\s+hour)|(?P<n>" + _NUM + r")\s+(?P<unit>minutes?|mins?|hours?|hrs?)))"

_DAY_RE = re.compile(r"\b" + _DAY, re.I)
_TIME_RE = re.compile(r"(?<![\w:])" + _TIME, re.I)
_PART_RE = re.compile(r"\b" + _PART + r"\b", re.I)
_REL_RE = re.compile(r"\b" + _REL_TIME + r"\b", re.I)


@dataclass(frozen=True)
class Moment:
    """A resolved date, with or without a time of day, written as the desktop tools take it.
    The annotator's mentions and the data generator's phrases are both moments."""

    value: dt.datetime
    has_time: bool

    def iso(self) -> str:
        return self.value.strftime("%Y-%m-%d %H:%M:%S") if self.has_time else self.value.strftime("%Y-%m-%d")

    def plus(self, minutes: int) -> str:
        return (self.value + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class DateMention(Moment):
    """A resolved phrase: ``text`` spans ``start:end`` of the query."""

    text: str
    start: int
    end: int


def _num(s: str) -> int:
    s = s.lower()
    return _NUM_WORDS[s] if s in _NUM_WORDS else int(s)


def _resolve_day(m: re.Match[str], today: dt.date) -> dt.date | None:
    g = m.groupdict()
    if g["today"]:
        return today
    if g["dat"]:
        return today + dt.timedelta(days=2)
    if g["tomorrow"]:
        return today + dt.timedelta(days=1)
    if g["wd"]:
        key = g["wd"].lower()[:3]
        target = next(i for i, w in enumerate(WEEKDAYS) if w.startswith(key))
        if g["next"]:
            start_next_week = today + dt.timedelta(days=7 - today.weekday())
            return start_next_week + dt.timedelta(days=target)
        delta = (target - today.weekday()) % 7
        return today + dt.timedelta(days=delta or 7)
    if g["mon"] or g["mon2"]:
        mon_text = (g["mon"] or g["mon2"]).lower()
        month = next(i for i, name in enumerate(MONTHS, 1) if name.startswith(mon_text[:3]))
        day = int(g["mday"] or g["mday2"])
        year_text = g["year"] or g["year2"]
        year = int(year_text) if year_text else today.year
        try:
            d = dt.date(year, month, day)
        except ValueError:
            return None
        if not year_text and d < today:
            d = d.replace(year=year + 1)
        return d
    if g["iso"]:
        try:
            return dt.date.fromisoformat(g["iso"])
        except ValueError:
            return None
    if g["ndays"]:
        n = _num(g["ndays"])
        return today + dt.timedelta(days=n * (7 if g["dunit"].lower().startswith("w") else 1))
    if g["nextweek"]:
        return today + dt.timedelta(days=7 - today.weekday())
    return None


_EVENING_WORDS = re.compile(r"\b(dinner|supper|drinks|party|evening|tonight|night|concert|movie)\b", re.I)


def _resolve_time(m: re.Match[str], evening: bool = False) -> dt.time | None:
    g = m.groupdict()
    if g["named"]:
        return dt.time(_PARTS_OF_DAY[g["named"].lower()])
    if g["h24"] is not None:
        return dt.time(int(g["h24"]), int(g["m24"]))
    if g["h"] is not None:
        h, minute = int(g["h"]), int(g["m"] or 0)
        if not 1 <= h <= 12 or minute > 59:
            return None
        pm = g["ampm"].lower().startswith("p")
        return dt.time(h % 12 + (12 if pm else 0), minute)
    if g["hbare"] is not None:
        h, minute = int(g["hbare"]), int(g["mbare"] or 0)
        if h > 23:
            return None
        if 1 <= h <= 7 or (evening and 8 <= h <= 11):
            h += 12
        return dt.time(h, minute)
    return None


def find_dates(query: str, now: dt.datetime) -> list[DateMention]:
    """All date/time phrases of ``query`` resolved against ``now``, left to right, non-overlapping."""
    today = now.date()
    days = [(m, _resolve_day(m, today)) for m in _DAY_RE.finditer(query)]
    days = [(m, d) for m, d in days if d is not None]
    evening = _EVENING_WORDS.search(query) is not None
    times = [(m, t) for m in _TIME_RE.finditer(query) if (t := _resolve_time(m, evening)) is not None]
    parts = list(_PART_RE.finditer(query))
    rels = list(_REL_RE.finditer(query))

    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    mentions: list[DateMention] = []
    for m in rels:
        n = 30 if m.group("half") else _num(m.group("n"))
        unit = "minutes" if m.group("half") or m.group("unit").lower().startswith("m") else "hours"
        value = (now + dt.timedelta(**{unit: n})).replace(second=0, microsecond=0)
        mentions.append(DateMention(value, True, m.group(0), m.start(), m.end()))
        taken.append((m.start(), m.end()))

    def near(a_end: int, b_start: int) -> bool:
        gap = query[a_end:b_start]
        return b_start >= a_end and len(gap) <= 4 and re.fullmatch(r"[\s,]*(?:at|@)?[\s,]*", gap, re.I) is not None

    used_times: set[int] = set()
    used_parts: set[int] = set()
    for dm, day in days:
        if not free(dm.start(), dm.end()):
            continue
        start, end, when, has_time = dm.start(), dm.end(), None, False
        for i, (tm, t) in enumerate(times):
            if i in used_times:
                continue
            if near(dm.end(), tm.start()) or near(tm.end(), dm.start()):
                start, end = min(start, tm.start()), max(end, tm.end())
                when, has_time = t, True
                used_times.add(i)
                break
        if not has_time:
            for i, pm in enumerate(parts):
                if i not in used_parts and (near(dm.end(), pm.start()) or near(pm.end(), dm.start())):
                    start, end = min(start, pm.start()), max(end, pm.end())
                    when, has_time = dt.time(_PARTS_OF_DAY[pm.group("part").lower()]), True
                    used_parts.add(i)
                    break
        anchor = (dm.group("thispart") or "").lower().split()[-1:] or [""]
        if anchor[0] in _PARTS_OF_DAY:
            if when is None:
                when, has_time = dt.time(_PARTS_OF_DAY[anchor[0]]), True
            elif when.hour < 12 and anchor[0] != "morning":
                when = when.replace(hour=when.hour + 12)
        value = dt.datetime.combine(day, when or dt.time(0))
        mentions.append(DateMention(value, has_time, query[start:end], start, end))
        taken.append((start, end))
    for i, (tm, t) in enumerate(times):
        if i not in used_times and free(tm.start(), tm.end()):
            mentions.append(DateMention(dt.datetime.combine(today, t), True, tm.group(0), tm.start(), tm.end()))
            taken.append((tm.start(), tm.end()))
    for i, pm in enumerate(parts):
        if i not in used_parts and pm.group("prefix") and free(pm.start(), pm.end()):
            t = dt.time(_PARTS_OF_DAY[pm.group("part").lower()])
            mentions.append(DateMention(dt.datetime.combine(today, t), True, pm.group(0), pm.start(), pm.end()))
            taken.append((pm.start(), pm.end()))
    return sorted(mentions, key=lambda x: x.start)


def annotate(query: str, now: dt.datetime) -> str:
    """The query with each resolved phrase followed by ``[YYYY-MM-DD HH:MM:SS]`` (or ``[YYYY-MM-DD]``)."""
    out, pos = [], 0
    for m in find_dates(query, now):
        out.append(query[pos : m.end])
        out.append(f" [{m.iso()}]")
        pos = m.end
    out.append(query[pos:])
    return "".join(out)


def today_line(now: dt.datetime) -> str:
    """``Monday 2026-11-23 09:30``, the reference's format for today's date in the prompt."""
    return now.strftime("%A %Y-%m-%d %H:%M")
