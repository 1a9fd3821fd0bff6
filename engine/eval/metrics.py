"""Plan accuracy: the reference's structural ``success`` and our stricter ``success_args``.

``success`` (the reference's definition): the predicted plan calls the same multiset of tools and
its DAG — nodes labelled by tool, edges from ``$N`` references, ``join`` left out — is isomorphic
to the ground truth's. Independent lookups written in another order still count.

``success_args``: additionally, under one such isomorphism, every argument matches after
normalisation: contact names and identifiers case- and accent-insensitively, dates as datetimes,
numbers and booleans exactly, transport by its code, lists as multisets, ``$N`` references through
the isomorphism. Free text (subjects, messages, contexts, note content, titles) is compared
leniently: token F1 >= 0.5 after lower-casing and dropping punctuation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from networkx.algorithms.isomorphism import DiGraphMatcher

from engine.plan import Plan, PlanError, Ref, bind_arguments, parse_plan, renumber_refs, to_graph
from engine.tools.local.store import fold
from engine.tools.spec import ToolSpec

DATE_PARAMS = {"start_date", "end_date", "due_date", "start_time"}
FREE_TEXT_PARAMS = {"title", "subject", "context", "message", "content", "notes", "topic"}
FREE_TEXT_BY_TOOL = {("create_reminder", "name")}
FREE_TEXT_THRESHOLD = 0.5
_TOKEN = re.compile(r"[\w$]+")


@dataclass
class PlanScore:
    parsed: bool
    success: bool
    success_args: bool
    tools_pred: set[str]
    tools_true: set[str]
    error: str = ""
    mismatches: list[str] = field(default_factory=list)
    kind: str = ""
    """Why it failed, one of FAILURE_KINDS ("" on success), so a run can say what to fix first."""


FAILURE_KINDS = ("syntax error", "missing tools", "extra tools", "wrong tools", "different dependencies", "arguments differ")


def _tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(fold(text)))


def text_similarity(a: str, b: str) -> float:
    """Token F1 of two texts (1.0 for two empty texts)."""
    ta, tb = _tokens(a), _tokens(b)
    if not ta and not tb:
        return 1.0
    common = sum((ta & tb).values())
    return 2 * common / (sum(ta.values()) + sum(tb.values()))


def _as_datetime(value: Any) -> dt.datetime | dt.date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            d = dt.datetime.strptime(text, fmt)
            return d.date() if fmt == "%Y-%m-%d" else d
        except ValueError:
            pass
    return None


def _dates_equal(p: Any, t: Any) -> bool:
    dp, dt_ = _as_datetime(p), _as_datetime(t)
    if dp is None or dt_ is None:
        return _empty(p) and _empty(t)
    if isinstance(dp, dt.datetime) and not isinstance(dt_, dt.datetime):
        return dp.date() == dt_ and dp.time() == dt.time(0)
    if isinstance(dt_, dt.datetime) and not isinstance(dp, dt.datetime):
        return dt_.date() == dp and dt_.time() == dt.time(0)
    return dp == dt_


def _empty(v: Any) -> bool:
    return v is None or v == "" or v == []


def _map_refs_in_text(text: str, mapping: Mapping[int, int]) -> str:
    return renumber_refs(text, lambda n: mapping.get(n, -1))


def _norm_item(v: Any, mapping: Mapping[int, int]) -> Any:
    if isinstance(v, Ref):
        return ("ref", mapping.get(v.id, -1))
    if isinstance(v, str):
        m = re.fullmatch(r"\$\{?(\d+)\}?", v.strip())
        if m:
            return ("ref", mapping.get(int(m.group(1)), -1))
        return ("str", fold(v).removeprefix("the "))
    return ("lit", v)


def values_match(tool: str, param: str, pred: Any, true: Any, mapping: Mapping[int, int], compare_dates: bool) -> bool:
    """One argument of the predicted call against the ground truth's (``mapping``: pred id -> true id)."""
    if isinstance(pred, Ref) or isinstance(true, Ref):
        return isinstance(pred, Ref) and isinstance(true, Ref) and mapping.get(pred.id) == true.id
    if isinstance(true, list) or isinstance(pred, list):
        p = pred if isinstance(pred, list) else [pred]
        t = true if isinstance(true, list) else [true]
        identity = {i: i for i in mapping.values()}
        return Counter(repr(_norm_item(x, mapping)) for x in p) == Counter(repr(_norm_item(x, identity)) for x in t)
    if param in DATE_PARAMS:
        return True if not compare_dates else _dates_equal(pred, true)
    if param == "transport":
        return (str(pred or "d").strip().lower()[:1] or "d") == (str(true or "d").strip().lower()[:1] or "d")
    if isinstance(true, bool) or isinstance(pred, bool):
        return bool(pred) == bool(true)
    if isinstance(true, (int, float)) and not isinstance(true, bool):
        return isinstance(pred, (int, float)) and pred == true
    if _empty(pred) and _empty(true):
        return True
    if not isinstance(pred, str) or not isinstance(true, str):
        return pred == true
    if param in FREE_TEXT_PARAMS or (tool, param) in FREE_TEXT_BY_TOOL:
        return text_similarity(_map_refs_in_text(pred, mapping), true) >= FREE_TEXT_THRESHOLD
    return _norm_item(pred, mapping) == _norm_item(true, {i: i for i in mapping.values()})


def _tool_counts(plan: Plan) -> Counter[str]:
    return Counter(t.tool for t in plan.calls)


def score_plan(
    pred_text: str, true_text: str, specs: Mapping[str, ToolSpec], *, compare_dates: bool = True
) -> PlanScore:
    truth = parse_plan(true_text, specs)
    counts_true = _tool_counts(truth)
    tools_true = set(counts_true)
    try:
        pred = parse_plan(pred_text, specs)
    except PlanError as exc:
        return PlanScore(False, False, False, set(), tools_true, f"{exc.kind}: {exc}", kind="syntax error")
    counts_pred = _tool_counts(pred)
    tools_pred = set(counts_pred)
    if counts_pred != counts_true:
        missing = sorted((counts_true - counts_pred).elements())
        extra = sorted((counts_pred - counts_true).elements())
        kind = "wrong tools" if missing and extra else "missing tools" if missing else "extra tools"
        detail = "; ".join(f"{label} {', '.join(names)}" for label, names in (("missing", missing), ("extra", extra)) if names)
        return PlanScore(True, False, False, tools_pred, tools_true, f"different tools ({detail})", kind=kind)
    gp, gt = to_graph(pred), to_graph(truth)
    matcher = DiGraphMatcher(gp, gt, node_match=lambda a, b: a["tool"] == b["tool"])
    if not matcher.is_isomorphic():
        return PlanScore(True, False, False, tools_pred, tools_true, "different dependencies", kind="different dependencies")
    best: list[str] = []
    for mapping in DiGraphMatcher(gp, gt, node_match=lambda a, b: a["tool"] == b["tool"]).isomorphisms_iter():
        mismatches = []
        for pid, tid in mapping.items():
            pt, tt = gp.nodes[pid]["task"], gt.nodes[tid]["task"]
            spec = specs[pt.tool]
            pa, ta = bind_arguments(pt, spec), bind_arguments(tt, spec)
            for p in spec.params:
                if not values_match(pt.tool, p.name, pa[p.name], ta[p.name], mapping, compare_dates):
                    mismatches.append(f"{pt.tool}.{p.name}: {pa[p.name]!r} vs {ta[p.name]!r}")
        if not mismatches:
            return PlanScore(True, True, True, tools_pred, tools_true)
        if not best or len(mismatches) < len(best):
            best = mismatches
    return PlanScore(True, True, False, tools_pred, tools_true, "arguments differ", best, kind="arguments differ")


LENGTH_BUCKETS = ("0-1", "2-4", "5+")
_CALL_LINE = re.compile(r"^\s*\d+\s*\.\s*(\w+)\(", re.M)


def length_bucket(calls: int) -> str:
    return "0-1" if calls <= 1 else "2-4" if calls <= 4 else "5+"


def plan_length(plan: str) -> int:
    """Calls in a plan's text (``join()`` not counted), for any tool set, without validating it."""
    return sum(name != "join" for name in _CALL_LINE.findall(plan))


@dataclass
class Summary:
    n: int = 0
    success: int = 0
    success_args: int = 0
    syntax_errors: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    per_tool: dict[str, list[int]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    by_length: dict[str, list[int]] = field(default_factory=lambda: {b: [0, 0] for b in LENGTH_BUCKETS})
    """Successes and records per length of the true plan: long plans are where planners fail, and
    a mean over a set of mostly short ones hides it."""

    def add(self, s: PlanScore, truth_calls: int | None = None) -> None:
        self.n += 1
        if truth_calls is not None:
            bucket = length_bucket(truth_calls)
            self.by_length[bucket][0] += s.success
            self.by_length[bucket][1] += 1
        if s.kind:
            self.failures[s.kind] += 1
        self.success += s.success
        self.success_args += s.success_args
        self.syntax_errors += not s.parsed
        self.tp += len(s.tools_pred & s.tools_true)
        self.fp += len(s.tools_pred - s.tools_true)
        self.fn += len(s.tools_true - s.tools_pred)
        for t in s.tools_true:
            self.per_tool.setdefault(t, [0, 0])
            self.per_tool[t][0] += s.success
            self.per_tool[t][1] += 1

    @property
    def tool_precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def tool_recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

