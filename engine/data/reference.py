"""The reference's own examples, split once with a fixed seed into train / val / test.

``../shared/data/reference-examples.jsonl`` holds 1,010 requests written by a large model, with
their plans: the closest thing we have to requests as people write them. Train may feed the
example bank and fine-tuning; val picks checkpoints; test is only ever planned and scored. The id
lists are committed (``resources/data/reference-split.json``) so that the split cannot drift when
the file is re-read, re-ordered or extended: ids not in the lists are reported, never placed.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from engine.data.records import BadLine, read_records, write_records
from engine.resources import resource_path

SIZES = {"test": 110, "val": 100}
"""The rest (800 of 1,010) is train."""
SPLITS = ("train", "val", "test")


def split_file() -> Path:
    return resource_path("data", "reference-split.json")


def make_split(ids: list[str], seed: int = 0) -> dict[str, list[str]]:
    """Shuffle ``ids`` with ``seed`` and cut test, val, then train (each list sorted)."""
    if len(set(ids)) != len(ids):
        raise ValueError("the ids are not unique")
    if len(ids) <= sum(SIZES.values()):
        raise ValueError(f"{len(ids)} records cannot give {SIZES['test']} test and {SIZES['val']} val records and a train split")
    order = sorted(ids)
    random.Random(seed).shuffle(order)
    test, val = order[: SIZES["test"]], order[SIZES["test"] : SIZES["test"] + SIZES["val"]]
    return {"seed": seed, "test": sorted(test), "val": sorted(val), "train": sorted(order[SIZES["test"] + SIZES["val"] :])}  # type: ignore[dict-item]


def load_split(path: Path | None = None) -> dict[str, set[str]]:
    data = json.loads((path or split_file()).read_text(encoding="utf-8"))
    return {s: set(data[s]) for s in SPLITS}


def write_splits(source: Path, out: Path, split: dict[str, set[str]] | None = None) -> dict[str, int]:
    """``out/reference-{train,val,test}.jsonl`` from ``source`` by the committed id lists; each
    record is tagged with its split. Bad lines and unknown ids are reported and left out."""
    split = split or load_split()
    where = {i: s for s, ids in split.items() for i in ids}
    rows: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for item in read_records(source):
        if isinstance(item, BadLine):
            print(f"{source}:{item.line}: skipped, {item.reason}", file=sys.stderr)
            continue
        s = where.get(item.id)
        if s is None:
            print(f"{source}: {item.id} is in no committed split; left out", file=sys.stderr)
            continue
        item.split, item.family = s, "reference"
        rows[s].append(item.to_json())
    for s in SPLITS:
        write_records(out / f"reference-{s}.jsonl", rows[s])
    return {s: len(r) for s, r in rows.items()}
