"""Composition: two short requests written one after the other, their plans joined into one.

The reference's own requests are compositions of a few errands ("Summarize the report, reply to
Sarah with it attached, and set a reminder for the seminar"), and its test split is mostly long
ones (56 of 110 plans have 6 to 8 calls), which is where the tuned planner fails most. Its train
split has only 795 such requests, and entity swaps (``engine.data.vary``) give them new names but
never new combinations. Joining two of its short requests (1-4 calls) gives a long one that keeps
the reference's own wording and conventions in every clause, in a pairing the model has not seen:
some 39,000 pairs from the 280 short train records.

The second plan's steps are renumbered after the first's and its ``$N`` follow them. A step that
repeats one of the first plan's calls exactly (both look up John's address) is not written twice:
its ``$N`` point to the first one, as a person writing the whole request would plan it (and as the
planner must, since it ends a plan at a repeated call).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import replace

from engine.data.records import Record

MAX_CALLS = 8
"""The reference's longest plans have 8 calls (train and test alike)."""

STEP = re.compile(r"^\s*(\d+)\.\s*(\w+\(.*\))\s*$")
REF = re.compile(r"\$(\d+)")
JOIN = "join()"

CONNECTORS = ("", "Also, ", "Then ", "After that, ", "Additionally, ", "And ")
"""How the second request follows the first; "" keeps it a sentence of its own."""

VERBS = frozenset({
    "add", "append", "arrange", "book", "check", "compose", "create", "draft", "email", "find", "forward", "get",
    "invite", "locate", "look", "make", "message", "navigate", "note", "open", "organize", "plan", "remind", "reply",
    "retrieve", "schedule", "send", "set", "share", "show", "start", "summarize", "text", "update", "write",
})
"""First words that are verbs: lower-cased after a connector. Anything else ("John needs …", "Please …")
keeps its capital, and the request is joined without a connector."""


def steps(plan: str) -> list[tuple[int, str]] | None:
    """``(id, call)`` of each step before ``join()``; None for a plan that is not only numbered
    calls and a final join (a ``Thought:`` line, ids out of order)."""
    out: list[tuple[int, str]] = []
    lines = [ln for ln in plan.replace("<END_OF_PLAN>", "").strip().splitlines() if ln.strip()]
    for n, line in enumerate(lines, 1):
        m = STEP.match(line)
        if not m or int(m.group(1)) != n:
            return None
        if m.group(2) == JOIN:
            return out if n == len(lines) else None
        out.append((n, m.group(2)))
    return None


def _renumber(call: str, mapping: dict[int, int]) -> str:
    return REF.sub(lambda m: f"${mapping[int(m.group(1))]}" if int(m.group(1)) in mapping else m.group(0), call)


def join_plans(first: Sequence[tuple[int, str]], second: Sequence[tuple[int, str]]) -> list[str]:
    """The calls of ``first`` then ``second``, renumbered, a repeated call shared."""
    calls = [call for _, call in first]
    mapping: dict[int, int] = {}
    for old, call in second:
        new = _renumber(call, mapping)
        if new in calls:
            mapping[old] = calls.index(new) + 1
        else:
            calls.append(new)
            mapping[old] = len(calls)
    return calls


def join_requests(first: str, second: str, rng: random.Random) -> str:
    head = first.rstrip()
    if head[-1:] not in ".!?":
        head += "."
    tail = second.strip()
    word = re.match(r"[A-Za-z]+", tail)
    connector = rng.choice(CONNECTORS)
    if connector and word and word.group(0).lower() in VERBS:
        tail = tail[0].lower() + tail[1:]
    elif connector:
        connector = ""
    return f"{head} {connector}{tail}"


def compose(first: Record, second: Record, rng: random.Random) -> Record | None:
    """``first`` and ``second`` as one request and one plan; None where they cannot be: a plan of
    more than ``MAX_CALLS`` calls, a plan that is not plain numbered calls, or requests written
    for different days (their dates in brackets would disagree)."""
    if first.date != second.date:
        return None
    a, b = steps(first.plan), steps(second.plan)
    if not a or not b:
        return None
    calls = join_plans(a, b)
    if len(calls) > MAX_CALLS:
        return None
    plan = "\n".join(f"{i}. {call}" for i, call in enumerate(calls, 1)) + f"\n{len(calls) + 1}. {JOIN}<END_OF_PLAN>"
    return replace(first, id=f"{first.id}+{second.id}", query=join_requests(first.query, second.query, rng), plan=plan,
                   tools=sorted(set(first.tools) | set(second.tools)), extra={})


def compose_epoch(order: Sequence[Record], tag: str) -> list[Record]:
    """Each record of an epoch joined with a partner from a second shuffle of the same records
    (seeded by ``tag``, so an epoch is reproducible from its place); a record whose pairing
    cannot be composed stays as it is."""
    partners = list(order)
    random.Random(f"{tag}/partners").shuffle(partners)
    out = []
    for i, rec in enumerate(order):
        other = partners[i] if partners[i] is not rec else partners[(i + 1) % len(partners)]
        composed = compose(rec, other, random.Random(f"{tag}/{i}")) if other is not rec else None
        out.append(composed or rec)
    return out
