"""Composition: two requests as one, their plans renumbered into one valid plan, a repeated call
shared, reproducible from the epoch's place, and never near a held-out query."""

from __future__ import annotations

import json
import random

from mixes import whole_and_resumed

from engine.data.compose import MAX_CALLS, compose, compose_epoch, join_requests, steps
from engine.data.records import Record
from engine.data.vary import NearGuard, Pools
from engine.plan import parse_plan
from engine.tools.desktop import desktop_specs
from engine.train.campaign import Focus, Mix, Settings, Source, State, Varier, in_focus, plan_calls

MAIL = Record(
    "a", 'Summarize "Budget.pdf" and email the summary to John.',
    '1. open_and_get_file_path("Budget.pdf")\n2. summarize_pdf("$1")\n3. get_email_address("John")\n'
    '4. compose_new_email(["$3"], [], "Budget", "$2", [])\n5. join()<END_OF_PLAN>',
    ["compose_new_email", "get_email_address", "open_and_get_file_path", "summarize_pdf"], family="reference",
    split="train")
INVITE = Record(
    "b", "Invite John and Sarah to the review at 3pm.",
    '1. get_email_address("John")\n2. get_email_address("Sarah")\n'
    '3. create_calendar_event("Review", "2024-05-01 15:00:00", "2024-05-01 16:00:00", "", ["$1", "$2"], "", None)\n'
    '4. join()<END_OF_PLAN>',
    ["create_calendar_event", "get_email_address"], family="reference", split="train")
NOTE = Record("c", "Please open my Groceries note.", '1. open_note("Groceries", "")\n2. join()<END_OF_PLAN>',
              ["open_note"], family="reference", split="train")
POOLS = Pools(people=("Priya", "Tomás", "Kenji"), full_names=(), files={".pdf": ("menu.pdf",)}, places=())


def test_the_second_plan_follows_the_first_and_a_repeated_lookup_is_shared() -> None:
    rec = compose(MAIL, INVITE, random.Random(0))
    assert rec is not None
    assert rec.plan.splitlines() == [
        '1. open_and_get_file_path("Budget.pdf")', '2. summarize_pdf("$1")', '3. get_email_address("John")',
        '4. compose_new_email(["$3"], [], "Budget", "$2", [])', '5. get_email_address("Sarah")',
        '6. create_calendar_event("Review", "2024-05-01 15:00:00", "2024-05-01 16:00:00", "", ["$3", "$5"], "", None)',
        "7. join()<END_OF_PLAN>"]
    parse_plan(rec.plan, desktop_specs())
    assert rec.tools == sorted(set(MAIL.tools) | set(INVITE.tools))
    assert rec.id == "a+b" and rec.split == "train"
    assert rec.query.startswith(MAIL.query + " ") and rec.query.lower().endswith(INVITE.query.lower())


def test_a_verb_after_a_connector_is_lower_cased_and_anything_else_stands_alone() -> None:
    joined = {join_requests("Open the map", INVITE.query, random.Random(seed)) for seed in range(40)}
    assert "Open the map. Invite John and Sarah to the review at 3pm." in joined
    assert "Open the map. Also, invite John and Sarah to the review at 3pm." in joined
    alone = {join_requests("Open the map.", NOTE.query, random.Random(seed)) for seed in range(40)}
    assert alone == {"Open the map. Please open my Groceries note."}


def test_what_cannot_be_one_plan_is_refused() -> None:
    long = Record("l", "Text everyone.", "\n".join(f'{i}. get_phone_number("P{i}")' for i in range(1, MAX_CALLS))
                  + f"\n{MAX_CALLS}. join()<END_OF_PLAN>", ["get_phone_number"])
    assert compose(long, NOTE, random.Random(0)) is not None  # MAX_CALLS - 1 + 1 calls
    assert compose(long, INVITE, random.Random(0)) is None
    thought = Record("t", "Open it.", '1. open_note("A", "")\nThought: done\n2. join()<END_OF_PLAN>', ["open_note"])
    assert steps(thought.plan) is None and compose(NOTE, thought, random.Random(0)) is None
    import datetime as dt

    dated = Record("d", NOTE.query, NOTE.plan, NOTE.tools, date=dt.datetime(2024, 5, 1))
    assert compose(MAIL, dated, random.Random(0)) is None


def test_an_epoch_pairs_each_record_with_another_reproducibly() -> None:
    order = [MAIL, INVITE, NOTE]
    first = compose_epoch(order, "s/0")
    assert first == compose_epoch(order, "s/0")
    assert all(r.id.startswith(o.id + "+") and r.id.split("+")[1] != o.id for r, o in zip(first, order, strict=True))
    assert compose_epoch([NOTE], "s/0") == [NOTE]


def test_the_short_focus_is_one_to_four_calls() -> None:
    assert in_focus(INVITE, Focus.SHORT) and in_focus(MAIL, Focus.SHORT)
    five = Record("f", "x", "\n".join(f'{i}. open_note("N{i}", "")' for i in range(1, 6))
                  + "\n6. join()<END_OF_PLAN>", ["open_note"])
    assert len(plan_calls(five.plan)) == 5 and not in_focus(five, Focus.SHORT) and in_focus(five, Focus.LONG)


def test_a_composing_stream_resumes_and_keeps_the_original_near_a_held_out_query() -> None:
    settings = Settings(sources=(Source("c", "c.jsonl", Focus.SHORT, 1, vary=True, compose=True),))
    records = {"c": [MAIL, INVITE, NOTE]}
    varier = Varier(POOLS, NearGuard([]))
    five, resumed = whole_and_resumed(settings, records, varier)
    assert resumed == five
    assert all("+" in r.id and "~" in r.id for r in five)  # composed, then varied
    composed = compose_epoch(Mix(State(settings), records, varier).records["c"], "0/c/0/compose")
    held = Varier(POOLS, NearGuard([r.query for r in composed]))
    plain = Varier(POOLS, NearGuard([]))
    kept = held.epoch(records["c"], "0/c/0", vary=False, compose=True)
    assert held.refused == 3 and kept == records["c"]
    assert plain.epoch(records["c"], "0/c/0", vary=False, compose=True) == composed


def test_settings_with_a_composing_source_round_trip() -> None:
    settings = Settings(sources=(Source("c", "c.jsonl", Focus.SHORT, 2, vary=True, compose=True),))
    assert Settings.from_json(json.loads(json.dumps(settings.to_json()))) == settings
