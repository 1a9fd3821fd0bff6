"""How alike two sets of requests are: the figures that decide whether a planner measured on one
would be measured fairly on the other.

Our first generator wrote 12.8 words and 2.4 calls per request where the reference's requests have
37.7 words and 5.3 calls, and our numbers looked better than the product was. ``compare`` prints
the figures side by side and says which are more than 15% off the reference's:

- words per query (mean, p90);
- the calls-per-plan histogram (1 … 8+);
- the share of plans where one call uses another's result;
- how often each tool is used, and the 10 most frequent tool pairs (co-occurring in a plan);
- distinct word trigrams in 1,000 random queries, a diversity measure that does not grow with
  the size of the set.

A share under 10% is compared with an absolute tolerance of 1.5 points instead: on 1,000 records a
0.7% bin moves by half a point by chance alone.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from engine.data.records import valid_records
from engine.plan import Plan
from engine.tools.spec import ToolSpec

TOLERANCE = 0.15
SMALL_SHARE = 0.10
SMALL_SHARE_SLACK = 0.015
TRIGRAM_SAMPLE = 1000
HISTOGRAM = ("1", "2", "3", "4", "5", "6", "7", "8+")


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    share: bool = False
    """A fraction of plans (printed as a percentage, small ones compared absolutely)."""


def _calls(plan: Plan) -> int:
    return len(plan.calls)


def _bucket(n: int) -> str:
    return "8+" if n >= 8 else str(max(n, 1))


def profile(rows: Iterable[tuple[str, Plan]], pairs: list[tuple[str, str]] | None = None, seed: int = 0) -> dict[str, Figure]:
    """The figures of ``(query, plan)`` rows; ``pairs`` fixes which tool pairs are reported (the
    reference's most frequent), so both sides report the same ones."""
    rows = list(rows)
    if not rows:
        raise ValueError("no valid records to profile")
    n = len(rows)
    words = [len(q.split()) for q, _ in rows]
    out: dict[str, Figure] = {
        "words per query (mean)": Figure("words per query (mean)", statistics.fmean(words)),
        "words per query (p90)": Figure("words per query (p90)", statistics.quantiles(words, n=10)[-1] if n > 1 else words[0]),
        "calls per plan (mean)": Figure("calls per plan (mean)", statistics.fmean(_calls(p) for _, p in rows)),
    }
    hist = Counter(_bucket(_calls(p)) for _, p in rows)
    for b in HISTOGRAM:
        out[f"plans with {b} calls"] = Figure(f"plans with {b} calls", hist[b] / n, share=True)
    dependent = sum(any(t.deps for t in p.calls) for _, p in rows)
    out["plans with a dependency"] = Figure("plans with a dependency", dependent / n, share=True)
    tool_use = Counter(t for _, p in rows for t in {c.tool for c in p.calls})
    for tool in sorted(tool_use):
        out[f"uses {tool}"] = Figure(f"uses {tool}", tool_use[tool] / n, share=True)
    pair_use = Counter(pair for _, p in rows for pair in combinations(sorted({c.tool for c in p.calls}), 2))
    for a, b in pairs if pairs is not None else [pr for pr, _ in pair_use.most_common(10)]:
        out[f"pair {a} + {b}"] = Figure(f"pair {a} + {b}", pair_use[(a, b)] / n, share=True)
    sample = random.Random(seed).sample([q for q, _ in rows], min(TRIGRAM_SAMPLE, n))
    trigrams = {tuple(w[i : i + 3]) for q in sample for w in [q.lower().split()] for i in range(len(w) - 2)}
    out[f"distinct trigrams in {len(sample)} queries"] = Figure(f"distinct trigrams in {len(sample)} queries", len(trigrams))
    return out


def top_pairs(figures: dict[str, Figure]) -> list[tuple[str, str]]:
    names = [f.name.removeprefix("pair ").split(" + ") for f in figures.values() if f.name.startswith("pair ")]
    return [(a, b) for a, b in names]


def within(reference: Figure, other: Figure) -> bool:
    if reference.share and reference.value < SMALL_SHARE:
        return abs(other.value - reference.value) <= SMALL_SHARE_SLACK
    return abs(other.value - reference.value) <= TOLERANCE * reference.value


def load(path: Path, specs: list[ToolSpec]) -> list[tuple[str, Plan]]:
    """Valid records of a file; bad lines and invalid plans are reported by ``valid_records``."""
    return [(rec.query, plan) for rec, plan in valid_records(path, specs)]


def compare(reference: list[tuple[str, Plan]], other: list[tuple[str, Plan]]) -> list[tuple[str, Figure, Figure, bool]]:
    """Each of the reference's figures beside the other set's, and whether it is within tolerance."""
    ref = profile(reference)
    oth = profile(other, pairs=top_pairs(ref))
    rows = []
    for name, r in ref.items():
        o = oth.get(name) or Figure(name, 0.0, r.share)
        if name.startswith("distinct trigrams"):
            o = next(f for k, f in oth.items() if k.startswith("distinct trigrams"))
        rows.append((name, r, o, within(r, o)))
    for name, o in oth.items():  # a tool only the other set uses is a difference too
        if name.startswith("uses ") and name not in ref:
            rows.append((name, Figure(name, 0.0, True), o, within(Figure(name, 0.0, True), o)))
    return rows


def table(rows: list[tuple[str, Figure, Figure, bool]], names: tuple[str, str]) -> str:
    """A Markdown table (the README shows it as printed)."""

    def fmt(f: Figure) -> str:
        return f"{100 * f.value:.1f}%" if f.share else (f"{f.value:.0f}" if f.value >= 100 else f"{f.value:.1f}")

    lines = [f"| figure | {names[0]} | {names[1]} | within 15% |", "|---|---|---|---|"]
    lines += [f"| {name} | {fmt(r)} | {fmt(o)} | {'yes' if ok else '**no**'} |" for name, r, o, ok in rows]
    off = sum(not ok for *_, ok in rows)
    lines.append("")
    lines.append(f"{len(rows) - off} of {len(rows)} figures within tolerance" + (f"; {off} off" if off else ""))
    return "\n".join(lines)
