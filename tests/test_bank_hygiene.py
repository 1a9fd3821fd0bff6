"""The default example bank never shows the planner a held-out question: no record of a val or
test split or family, and no near-duplicate (TF-IDF cosine >= 0.9) of any val or test query of v1,
v2, the reference's split, or the hand-written eval set; and that eval set matches no template."""

from __future__ import annotations

import json

import pytest

from engine.data.__main__ import generate as generate_v1
from engine.data.generator import split_of
from engine.data.near import near_duplicates
from engine.data.prose import generate as generate_v2
from engine.data.prose import reference_shapes
from engine.data.records import read_records
from engine.data.reference import load_split
from engine.examples import load_examples
from engine.resources import resource_path


@pytest.fixture(scope="module")
def generated(reference_examples) -> dict[str, list[str]]:
    """Queries by split of v1, v2 (as their default commands write them, seed 0, 20,000 each) and
    the reference."""
    split = load_split()
    reference = {s: [r.query for r in read_records(reference_examples) if r.id in ids] for s, ids in split.items()}
    v1, _ = generate_v1(20000, 0)
    v2 = generate_v2(reference_shapes(reference_examples), 20000, 0)
    out: dict[str, list[str]] = {}
    for s in ("train", "val", "test"):
        out[s] = [r["query"] for r in v1 if r["split"] == s] + [r.query for r in v2 if r.split == s] + reference[s]
    return out


def _eval_set() -> list[str]:
    return [r.query for r in read_records(resource_path("eval", "handwritten.jsonl"))]


def test_the_bank_holds_no_val_or_test_record_or_family():
    for rec in read_records(resource_path("examples", "synthetic.jsonl")):
        assert rec.split == "train", rec.id
        assert split_of(int(rec.family.rsplit("/", 1)[1])) == "train", rec.id


@pytest.mark.slow
def test_the_bank_holds_no_near_duplicate_of_a_held_out_query(generated):
    bank = [e.query for e in load_examples()]
    held = generated["val"] + generated["test"] + _eval_set()
    near = near_duplicates(bank, held)
    assert not near, [(bank[i], held[j], round(s, 2)) for i, j, s in near[:5]]


@pytest.mark.slow
def test_the_hand_written_eval_set_matches_no_template_and_is_never_an_example(generated):
    queries = _eval_set()
    assert len(queries) >= 60 and len(set(queries)) == len(queries)
    every = generated["train"] + generated["val"] + generated["test"]
    near = near_duplicates(queries, every, threshold=0.8)
    assert not near, [(queries[i], every[j]) for i, j, _ in near[:5]]
    bank_ids = {json.loads(line)["id"] for name in ("handwritten.jsonl", "synthetic.jsonl")
                for line in resource_path("examples", name).read_text(encoding="utf-8").splitlines() if line.strip()}
    assert not bank_ids & {r.id for r in read_records(resource_path("eval", "handwritten.jsonl"))}
