"""``python -m engine.eval.table SUMMARY.json ...``: the README's result tables, made from the
summaries that ``tinyagent eval`` writes, so that no number in them is typed by hand."""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

from engine.eval.metrics import FAILURE_KINDS, LENGTH_BUCKETS, length_bucket, plan_length


def margin(rate: float, n: int) -> float:
    """Half-width of the 95% normal-approximation interval of a success rate over ``n`` records:
    on 100 records two settings 5 points apart are within noise, and the table should say so."""
    return 1.96 * math.sqrt(rate * (1 - rate) / n) if n else 0.0


def by_length_from_results(results: Path) -> dict[str, dict]:
    """Success by length of the true plan, counted from a row's per-record results: summaries
    written before ``tinyagent eval`` recorded the buckets get them from the records kept beside
    them, without planning anything again."""
    counts = {b: [0, 0] for b in LENGTH_BUCKETS}
    for line in results.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        bucket = length_bucket(plan_length(row["truth"]))
        counts[bucket][0] += bool(row["success"])
        counts[bucket][1] += 1
    return {b: {"success": ok / n if n else None, "records": n} for b, (ok, n) in counts.items()}


def kind_errors_from_results(results: Path) -> int:
    """How many of a row's predicted plans the data-kind rules reject (``engine.kinds``): a name
    texted, a lookup attached. Counted from the records kept beside the summary, for every row
    alike, whether or not it held the kinds while decoding."""
    from engine.kinds import check_plan_kinds
    from engine.plan import PlanError, parse_plan
    from engine.tools.desktop import desktop_specs

    specs = {s.name: s for s in desktop_specs()}
    bad = 0
    for line in results.read_text(encoding="utf-8").splitlines():
        try:
            plan = parse_plan(json.loads(line)["pred"], specs)
        except (PlanError, KeyError, TypeError):
            continue  # a plan that does not parse is a syntax failure, counted there
        bad += bool(check_plan_kinds(plan, specs))
    return bad


def _bucket_cell(summary: dict, bucket: str) -> str:
    """Success on the records whose true plan has that many calls, and how many there were
    (``?`` for an old summary with no per-record results beside it)."""
    cell = summary.get("by_length", {}).get(bucket)
    if cell is None:
        return "?"
    return f"{cell['success']:.0%} of {cell['records']}" if cell["records"] else "–"


COLUMNS: list[tuple[str, Callable[[dict], str]]] = [
    ("set", lambda s: s.get("set", "?")),
    ("model", lambda s: s["model"].removesuffix(".gguf") + (f" + {s['lora']}" if s.get("lora") else "")),
    ("ToolRAG", lambda s: s["toolrag"] + (f" ({s['toolrag_detail']})" if s.get("toolrag_detail") else "")
     + (" in grammar only" if s.get("toolrag_in") == "grammar" else "")),
    ("grammar", lambda s: ("on" if s["grammar"] else "off") + (" + kinds" if s.get("kinds") else "")
     + (" + jump" if s.get("jump") else "")),
    ("records", lambda s: str(s["records"])),
    # summaries that name no bank were planned before the bank was cleaned of held-out queries
    ("examples from", lambda s: "none (compact prompt)" if s.get("prompt") == "compact"
     else s.get("bank", "default before clean-up")),
    ("success", lambda s: f"{s['success']:.1%} ±{margin(s['success'], s['records']):.1%}"),
    ("success_args", lambda s: f"{s['success_args']:.1%}"),
    *((f"{b} calls", functools.partial(_bucket_cell, bucket=b)) for b in LENGTH_BUCKETS),
    ("syntax errors", lambda s: f"{s['syntax_errors']:.1%}"),
    ("tool P / R", lambda s: f"{s['tool_precision']:.3f} / {s['tool_recall']:.3f}"),
    ("tools offered", lambda s: f"{s['tools_offered']:.1f}"),
    ("prompt tok", lambda s: f"{s['prompt_tokens']:.0f}"),
    ("p50 / p95 s", lambda s: f"{s['latency_p50_s']:.1f} / {s['latency_p95_s']:.1f}"),
    ("prefix built", lambda s: f"{s['prefix_built']:.0%}" if "prefix_built" in s else "?"),
    ("threads", lambda s: str(s.get("threads", "?"))),
]


def _failure_cell(kind: str) -> Callable[[dict], str]:
    return lambda s: str(s["failures"][kind]) if "failures" in s else "?"


FAILURE_COLUMNS = [*COLUMNS[:6], *((kind, _failure_cell(kind)) for kind in FAILURE_KINDS),
                   ("plans of a wrong kind", lambda s: str(s["kind_errors"]) if "kind_errors" in s else "?"),
                   ("p50 s", lambda s: f"{s['latency_p50_s']:.1f}")]


def markdown(summaries: list[dict], columns: list[tuple[str, Callable[[dict], str]]] = COLUMNS) -> str:
    lines = ["| " + " | ".join(name for name, _ in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(s) for _, cell in columns) + " |" for s in summaries]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engine.eval.table", description=__doc__)
    p.add_argument("summaries", type=Path, nargs="+")
    p.add_argument("--failures", action="store_true", help="failed records by kind instead of the scores")
    args = p.parse_args(argv)
    try:
        summaries = [json.loads(f.read_text()) for f in args.summaries]
        for path, summary in zip(args.summaries, summaries, strict=True):
            results = path.with_name(path.name.removesuffix(".summary.json") + ".jsonl")
            if "by_length" not in summary and results.is_file():
                summary["by_length"] = by_length_from_results(results)
            if args.failures and results.is_file():
                summary["kind_errors"] = kind_errors_from_results(results)
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        print(f"cannot read a summary or its results: {exc}", file=sys.stderr)
        return 2
    print(markdown(summaries, FAILURE_COLUMNS if args.failures else COLUMNS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
