"""Entity substitution: a record with its people, files and places swapped, in query and plan alike.

The campaign had seen each of the reference's 795 train records five times when its val loss
kept falling (0.060 → 0.045) while val success stayed flat: it was learning those requests, not
the job. Almost every entity a reference plan looks up is written verbatim in its request (1,102
of 1,117 ``get_email_address`` arguments, 554 of 591 files, 586 of 604 places), so swapping
them consistently gives the same structure in new words: "John and Sarah" becomes "Priya and
Tomás" in the request, the lookups and any note or message that mentions them. What the model
must learn (which tools, how many lookups, what feeds what) stays the reference's own.

Only values found as whole words in the request are swapped, and never the generic ones
("Home", "Work", a folder) that the request also uses in other roles; a variant that ends up a
near-duplicate of a held-out query is dropped by the caller (``NearGuard``).
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from engine.data import pools
from engine.data.records import Record


class Slot(StrEnum):
    PERSON = "person"
    FILE = "file"
    PLACE = "place"


ARGUMENTS: dict[str, tuple[Slot, int]] = {
    "get_email_address": (Slot.PERSON, 1),
    "get_phone_number": (Slot.PERSON, 1),
    "open_and_get_file_path": (Slot.FILE, 1),
    "maps_open_location": (Slot.PLACE, 1),
    "maps_show_directions": (Slot.PLACE, 2),
}
"""Tools whose leading string arguments name an entity, and how many of them do."""

GENERIC = frozenset({"home", "work", "office", "school", "personal", "current location", "my location", "here", "me",
                     "myself", "family", "team", "everyone", "all"} | {f.lower() for f in pools.FOLDERS + pools.LISTS})

CALL = re.compile(r"^\s*\d+\.\s*(\w+)\((.*)\)\s*$", re.MULTILINE)
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
EXTENSION = re.compile(r"(\.[A-Za-z0-9]{1,5})$")


def _whole(value: str) -> str:
    return r"(?<!\w)" + re.escape(value) + r"(?!\w)"


def entities(record: Record) -> dict[str, Slot]:
    """The entity values of ``record``'s plan that its request writes out, each with its slot."""
    out: dict[str, Slot] = {}
    for tool, args in CALL.findall(record.plan):
        if tool not in ARGUMENTS:
            continue
        slot, count = ARGUMENTS[tool]
        for value in STRING.findall(args)[:count]:
            if (value and not value.startswith("$") and "\\" not in value and value.lower() not in GENERIC
                    and re.search(_whole(value), record.query)):
                out.setdefault(value, slot)
    return out


@dataclass(frozen=True)
class Pools:
    """Values to swap in, per slot; files keyed by extension ("" for "the sales report")."""

    people: tuple[str, ...]
    full_names: tuple[str, ...]
    files: dict[str, tuple[str, ...]]
    places: tuple[str, ...]

    @classmethod
    def build(cls, records: Iterable[Record] = ()) -> Pools:
        """The generator's pools plus the entities of ``records`` (train records: the reference's
        own kind of names, files and places, with no held-out request's)."""
        people = set(pools.FIRST_NAMES)
        full = {f"{a} {b}" for a, b in zip(pools.FIRST_NAMES, pools.LAST_NAMES * 3, strict=False)}
        files: dict[str, set[str]] = defaultdict(set)
        places = set(pools.PLACES)
        for name in pools.PDFS + pools.OTHER_FILES:
            files[_extension(name)].add(name)
        for rec in records:
            for value, slot in entities(rec).items():
                if slot is Slot.PERSON:
                    (full if " " in value else people).add(value)
                elif slot is Slot.FILE:
                    files[_extension(value)].add(value)
                else:
                    places.add(value)
        return cls(tuple(sorted(people)), tuple(sorted(full)), {k: tuple(sorted(v)) for k, v in files.items()},
                   tuple(sorted(places)))

    def candidates(self, value: str, slot: Slot) -> Sequence[str]:
        if slot is Slot.PERSON:
            return self.full_names if " " in value else self.people
        if slot is Slot.FILE:
            return self.files.get(_extension(value)) or self.files.get("", ())
        return self.places


def _extension(name: str) -> str:
    m = EXTENSION.search(name)
    return m.group(1).lower() if m else ""


def vary(record: Record, rng: random.Random, pool: Pools, tag: str) -> Record:
    """``record`` with each of its entities swapped for another of the same slot, everywhere in
    the request and the plan; the record itself where it has none."""
    found = entities(record)
    if not found:
        return record
    text = record.query + "\n" + record.plan
    lowered = text.lower()
    taken = {v.lower() for v in found}
    mapping: dict[str, str] = {}
    for value, slot in found.items():
        # A whole-word match needs a substring match: the regex runs only on the few that have one.
        options = [c for c in pool.candidates(value, slot) if c.lower() not in taken
                   and not (c.lower() in lowered and re.search(_whole(c), text, re.IGNORECASE))]
        if not options:
            continue
        new = rng.choice(options)
        taken.add(new.lower())
        mapping[value] = new
    if not mapping:
        return record
    pattern = re.compile("|".join(_whole(v) for v in sorted(mapping, key=len, reverse=True)))
    swap = lambda m: mapping[m.group(0)]  # noqa: E731
    return replace(record, id=f"{record.id}~{tag}", query=pattern.sub(swap, record.query),
                   plan=pattern.sub(swap, record.plan))


class NearGuard:
    """Refuses variants that are near-duplicates of held-out queries (``engine.data.near``), a
    batch at a time (one TF-IDF pass over a whole epoch of variants takes about a second)."""

    def __init__(self, held_out: Sequence[str]) -> None:
        self.held_out = list(held_out)

    def near(self, queries: Sequence[str]) -> set[int]:
        from engine.data.near import near_duplicates

        return {i for i, _, _ in near_duplicates(queries, self.held_out)} if self.held_out else set()
