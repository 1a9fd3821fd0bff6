"""Near-duplicate requests: TF-IDF cosine between two sets of queries.

An example in the prompt that is nearly the question itself makes the planner look better than it
is (v1's hand-written bank held two test records verbatim, and records whose family was shown
succeeded 32 of 33 times). Two queries are near-duplicates at cosine >= 0.9 over word unigrams
and bigrams (as example retrieval compares them), weighted by inverse document frequency over both
sets.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from engine.examples import query_features

THRESHOLD = 0.9


def near_duplicates(a: Sequence[str], b: Sequence[str], threshold: float = THRESHOLD) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, cosine)`` with ``a[i]`` and ``b[j]`` at least ``threshold`` alike.

    Only pairs that share a term are scored (an inverted index over ``b``), so thousands of
    queries on each side take seconds.
    """
    docs = [query_features(q) for q in (*a, *b)]
    df = Counter(t for d in docs for t in d)
    n = len(docs)
    idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}

    def vector(d: Counter[str]) -> dict[str, float]:
        v = {t: c * idf[t] for t, c in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {t: x / norm for t, x in v.items()}

    va, vb = [vector(d) for d in docs[: len(a)]], [vector(d) for d in docs[len(a) :]]
    index: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for j, v in enumerate(vb):
        for t, x in v.items():
            index[t].append((j, x))
    out = []
    for i, v in enumerate(va):
        scores: dict[int, float] = defaultdict(float)
        for t, x in v.items():
            for j, y in index.get(t, ()):
                scores[j] += x * y
        out += [(i, j, s) for j, s in scores.items() if s >= threshold]
    return out
