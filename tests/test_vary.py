"""Entity substitution: the same plan in new words, consistent between request and plan, never
near a held-out query, and reproducible from (seed, source, epoch, index) alone."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pytest
from mixes import whole_and_resumed

from engine.data.records import Record
from engine.data.vary import NearGuard, Pools, entities, vary
from engine.train.campaign import (
    STATE_FILE,
    CampaignError,
    Focus,
    Mix,
    Settings,
    Source,
    State,
    Varier,
    plan_calls,
    read_state,
    revise,
    write_json,
)

REC = Record(
    "r1",
    'Invite John and Sarah to the launch at Union Square and attach "Q3 Report.pdf"; text John the plan for Home.',
    '1. get_email_address("John")\n2. get_email_address("Sarah")\n3. open_and_get_file_path("Q3 Report.pdf")\n'
    '4. maps_open_location("Union Square")\n5. maps_show_directions("Home", "Union Square", "d")\n'
    '6. get_phone_number("John")\n'
    '7. create_calendar_event("Launch with John", "", "", "Union Square", ["$1", "$2"], "", None)\n'
    '8. send_sms(["$6"], "John, see you at Union Square")\n9. join()<END_OF_PLAN>',
    ["get_email_address"],
)
POOLS = Pools(people=("Priya", "Tomás", "Kenji"), full_names=("Ana Silva",), files={".pdf": ("menu.pdf", "lease.pdf")},
              places=("Lake Merritt", "Terminal 2"))


def test_entities_are_the_lookups_files_and_places_the_request_writes_out() -> None:
    found = entities(REC)
    assert found == {"John": "person", "Sarah": "person", "Q3 Report.pdf": "file", "Union Square": "place"}
    assert "Home" not in found  # generic: the request uses it in other roles too


def test_a_variant_swaps_each_entity_everywhere_and_keeps_the_plan_shape() -> None:
    v = vary(REC, random.Random(0), POOLS, "t")
    assert v.id == "r1~t" and v.tools == REC.tools
    assert plan_calls(v.plan) == plan_calls(REC.plan)
    for old in ("John", "Sarah", "Q3 Report.pdf", "Union Square"):
        assert old not in v.query and old not in v.plan
    first = v.plan.split('get_email_address("')[1].split('"')[0]
    assert first in POOLS.people
    assert v.query.count(first) == REC.query.count("John") and v.plan.count(first) == REC.plan.count("John")
    assert v.plan.splitlines()[2].endswith('.pdf")')
    assert '"Home"' in v.plan
    assert vary(REC, random.Random(0), POOLS, "t") == v


def test_two_entities_never_become_the_same_name() -> None:
    two = Pools(people=("Priya", "Tomás"), full_names=(), files={}, places=())
    for seed in range(20):
        v = vary(REC, random.Random(seed), two, "t")
        assert {v.plan.split('get_email_address("')[i].split('"')[0] for i in (1, 2)} == {"Priya", "Tomás"}


def test_a_record_without_entities_is_left_as_it_is() -> None:
    plain = Record("p", "Remind me to stretch", '1. create_reminder("Stretch", "", "", "", 0, False)\n2. join()', [])
    assert vary(plain, random.Random(0), POOLS, "t") is plain


def test_variants_near_a_held_out_query_keep_the_original() -> None:
    varier = Varier(POOLS, NearGuard([vary(REC, random.Random("s/0"), POOLS, "s/0").query]))
    assert varier.epoch([REC], "s") == [REC] and varier.refused == 1
    free = Varier(POOLS, NearGuard(["Tell me a joke about penguins"]))
    assert free.epoch([REC], "s")[0].id == "r1~s/0" and free.refused == 0


def test_a_varying_stream_resumes_with_the_same_variants() -> None:
    settings = Settings(sources=(Source("v", "v.jsonl", Focus.ALL, 1, vary=True),))
    records = {"v": [REC, Record("r2", REC.query.replace("launch", "party"), REC.plan, REC.tools)]}
    five, resumed = whole_and_resumed(settings, records, Varier(POOLS, NearGuard([])))
    assert resumed == five
    assert [r.id.split("~")[1].split("/")[2] for r in five] == ["0", "0", "1", "1", "2"]  # each epoch varied anew
    with pytest.raises(CampaignError, match="Varier"):
        Mix(State(settings), records)


def test_a_revision_is_recorded_and_keeps_the_run(tmp_path: Path) -> None:
    old = Settings(sources=(Source("a", "a.jsonl"),))
    write_json(tmp_path / STATE_FILE, State(old, step=10, samples_seen=80).to_json())
    new = Settings(sources=(Source("a", "a.jsonl"), Source("b", "a.jsonl", vary=True)))
    with pytest.raises(CampaignError, match="why"):
        revise(tmp_path, new, " ")
    revise(tmp_path, new, "memorising")
    state = read_state(tmp_path)
    assert state.settings == new and state.step == 10 and state.samples_seen == 80
    assert state.revisions[0]["samples"] == 80 and Settings.from_json(state.revisions[0]["replaced"]) == old
    with pytest.raises(CampaignError, match="already"):
        revise(tmp_path, new, "again")
    with pytest.raises(CampaignError, match="rank"):
        revise(tmp_path, Settings(rank=8), "smaller")


def test_a_new_val_set_scores_the_kept_adapter_on_it_first(tmp_path: Path) -> None:
    """Checkpoints after a change of val set are kept or not against the kept adapter's score on
    the new set, never against a number from the old one."""
    old = Settings(sources=(Source("a", "a.jsonl"),), val=("v.jsonl",), val_limit=30)
    write_json(tmp_path / STATE_FILE, State(old, step=10, samples_seen=80, best=[0.7, 0.5]).to_json())
    new = dataclasses.replace(old, val=("v.jsonl", "w.jsonl"), val_limit=45)
    with pytest.raises(CampaignError, match="scored on the new one"):
        revise(tmp_path, new, "short requests")
    asked: list[Settings] = []
    revise(tmp_path, new, "short requests", rescore=lambda s: asked.append(s) or (0.6, 0.4))
    state = read_state(tmp_path)
    assert asked == [new] and state.best == [0.6, 0.4]
    assert state.revisions[0]["best_replaced"] == [0.7, 0.5] and state.revisions[0]["best_rescored"] == [0.6, 0.4]


def _val_file(path: Path, n: int) -> None:
    path.write_text("".join(json.dumps({"id": f"{path.stem}{i}", "query": f"Text P{i} hi", "tools": ["send_sms"],
                                        "plan": f'1. get_phone_number("P{i}")\n2. send_sms(["$1"], "hi")\n'
                                                "3. join()<END_OF_PLAN>", "split": "val"}) + "\n"
                            for i in range(n)), encoding="utf-8")


def test_val_is_a_seeded_draw_from_each_file_and_older_settings_keep_the_first_records(tmp_path: Path) -> None:
    """The first records of a val file are not like the rest (shorter plans): val draws them."""
    _val_file(tmp_path / "a.jsonl", 50)
    _val_file(tmp_path / "b.jsonl", 50)
    drawn = Settings(val=("a.jsonl", "b.jsonl"), val_limit=10)
    ids = [r.id for r in drawn.val_records(tmp_path)]
    assert ids == [r.id for r in drawn.val_records(tmp_path)]  # the same draw every time
    assert len(ids) == len(set(ids)) == 10 and [i[0] for i in ids] == ["a", "b"] * 5
    assert ids != ["a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4"]
    assert [r.id for r in dataclasses.replace(drawn, val_seed=1).val_records(tmp_path)] != ids
    first = dataclasses.replace(drawn, val_seed=None)
    assert [r.id for r in first.val_records(tmp_path)] == ["a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4"]
    old = drawn.to_json()
    del old["val_seed"]
    assert Settings.from_json(old).val_seed is None  # a campaign revised before the draw keeps its val


def test_drawing_val_is_a_new_val_set(tmp_path: Path) -> None:
    old = Settings(sources=(Source("a", "a.jsonl"),), val_seed=None)
    write_json(tmp_path / STATE_FILE, State(old, step=10, samples_seen=80, best=[0.8, 0.7]).to_json())
    with pytest.raises(CampaignError, match="scored on the new one"):
        revise(tmp_path, dataclasses.replace(old, val_seed=0), "val like the test splits")
