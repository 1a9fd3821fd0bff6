"""A campaign mix run whole and the same mix stopped, saved and resumed, for the tests of the
sources that vary or compose records (a sitting must continue exactly where the last one stopped)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from engine.data.records import Record
from engine.train.campaign import Mix, Settings, State, Varier


def whole_and_resumed(settings: Settings, records: Mapping[str, Sequence[Record]], varier: Varier,
                      n: int = 5, cut: int = 2) -> tuple[list[Record], list[Record]]:
    """The first ``n`` records of a mix, and the same ``n`` from a mix whose state went through
    JSON after ``cut`` of them."""
    whole = Mix(State(settings), dict(records), varier)
    first = [next(whole) for _ in range(n)]
    part = State(settings)
    mix = Mix(part, dict(records), varier)
    head = [next(mix) for _ in range(cut)]
    rest = Mix(State.from_json(json.loads(json.dumps(part.to_json()))), dict(records), varier)
    return first, head + [next(rest) for _ in range(n - cut)]
