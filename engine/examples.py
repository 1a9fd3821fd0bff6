"""The in-context example bank and its retrieval by query similarity.

Retrieval is TF-IDF cosine over words and word pairs: no model to load, well under a millisecond
per query for a bank of a few thousand examples, and good at matching the verbs and objects
("text", "directions", "summarize … pdf") that decide a plan's shape. Examples whose tools are not
all offered are left out, so an example never shows a tool the model may not use.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from engine.data.records import Record
from engine.resources import resource_path

_WORD = re.compile(r"[a-z0-9']+")


Example = Record
"""An example of the bank is a record (``engine.data.records``): one shape for the bank, eval
sets and training data."""


def query_features(text: str) -> Counter[str]:
    """Word unigrams and bigrams: what example retrieval and the near-duplicate check compare."""
    words = _WORD.findall(text.lower())
    feats = Counter(words)
    feats.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
    return feats


DEFAULT_BANKS = ("handwritten.jsonl", "synthetic.jsonl")


def load_examples(path: Path | None = None) -> list[Example]:
    """Examples from ``path``, or the default bank: the hand-written examples plus a sample of the
    synthetic train split (``python -m engine.data bank``), which holds no test or val family."""
    if path is None:
        return [ex for name in DEFAULT_BANKS for ex in load_examples(resource_path("examples", name))]
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        date = dt.datetime.fromisoformat(r["date"]) if r.get("date") else None
        out.append(Record(str(r.get("id", len(out))), r["query"], r["plan"].strip(), list(r.get("tools", ())), date))
    return out


class ExampleBank:
    def __init__(self, examples: Iterable[Example]) -> None:
        self.examples = list(examples)
        df: Counter[str] = Counter()
        feats = [query_features(e.query) for e in self.examples]
        for f in feats:
            df.update(f.keys())
        n = max(1, len(self.examples))
        self._idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
        self._vecs = [self._vector(f) for f in feats]

    @classmethod
    def default(cls) -> ExampleBank:
        return cls(load_examples())

    def _vector(self, feats: Counter[str]) -> dict[str, float]:
        vec = {t: c * self._idf.get(t, 1.0) for t, c in feats.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    def select(self, query: str, k: int, offered: Sequence[str] | None = None, exclude: str = "") -> list[Example]:
        """The ``k`` examples most similar to ``query`` that use only ``offered`` tools."""
        q = self._vector(query_features(query))
        allowed = set(offered) if offered is not None else None
        scored = []
        for ex, vec in zip(self.examples, self._vecs, strict=True):
            if ex.query == exclude or (allowed is not None and not set(ex.tools) <= allowed):
                continue
            score = sum(w * vec.get(t, 0.0) for t, w in q.items())
            scored.append((score, ex.id, ex))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [ex for _, _, ex in scored[:k]]
