"""``tinyagent eval``: run the real planner over a JSONL set and score every plan.

Each record is planned with its own ``date`` as "today" (records without one, like the reference's
examples, are planned with a fixed date and their dates are not compared). Prints a table and
writes one JSON line per record (prediction, scores, mismatches, timings) so failures can be read.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import fcntl
import json
import os
import statistics
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

from engine.config import Config, ConfigError
from engine.data.records import Record, first_valid
from engine.eval.metrics import FAILURE_KINDS, FREE_TEXT_THRESHOLD, PlanScore, Summary, plan_length, score_plan
from engine.examples import ExampleBank, load_examples
from engine.flags import add_flags, config_from
from engine.planner import Planner, PlanStream
from engine.runtime import FROM_CONFIG, adapted, build_planner, foreign_model, load_llm, selector_name
from engine.tools.desktop import desktop_specs
from engine.tools.spec import ToolSpec
from engine.tools.toolset import load_tool_set

UNDATED_NOW = dt.datetime(2026, 11, 23, 10, 0)


def plan_record(planner: Planner, rec: Record) -> PlanStream:
    """Plan one record as the app would on the record's date (``UNDATED_NOW`` without one)."""
    return asyncio.run(planner.plan(rec.query, rec.date or UNDATED_NOW))


def score_record(pred: str, rec: Record, by_name: Mapping[str, ToolSpec]) -> PlanScore:
    """Score a plan against the record's; dates count only where the record has a date."""
    return score_plan(pred, rec.plan, by_name, compare_dates=rec.date is not None)


def evaluate(planner: Planner, records: Iterable[Record]) -> Summary:
    """Plan and score ``records``: the loop eval runs (with its per-record rows) and training's
    checkpoint selection runs (without them)."""
    by_name = {s.name: s for s in planner.tools}
    summary = Summary()
    for rec in records:
        summary.add(score_record(plan_record(planner, rec).plan_text, rec, by_name), truth_calls=plan_length(rec.plan))
    return summary


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="set_path", type=Path, required=True, help="a JSONL file in the record format")
    add_flags(p, ("model", "lora", "merge", "toolrag", "selection", "grammar", "examples", "kinds", "jump", "prompt", "threads"),
              helps={"toolrag": "classifier, none (all tools), embed, embed:K, or oracle (the record's own tools)"})
    p.add_argument("--limit", type=int, help="score only the first N records")
    p.add_argument("--bank", type=Path, help="example bank JSONL (default: resources/examples/handwritten.jsonl + synthetic.jsonl)")
    p.add_argument("--out", type=Path, help="per-record results (default: <set>.<model>.results.jsonl)")
    p.add_argument("--tools", type=Path, help="score plans over this JSON tool list instead of the desktop tools "
                   "(no desktop examples, rules or date brackets; ToolRAG offers all tools)")
    p.add_argument("--resume", action="store_true",
                   help="keep the records already in --out (re-scored from their stored plans) and plan only the rest")


def _done(path: Path) -> dict[str, dict]:
    """Per-record results already written to ``path`` by an earlier (perhaps interrupted) run."""
    done: dict[str, dict] = {}
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            done[row["id"]] = row
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # a line cut short when the run was killed: that record is planned again
    return done


SETTINGS = ("model", "lora", "toolrag", "toolrag_in", "grammar", "examples", "bank", "prompt", "kinds", "jump")
"""The summary fields that decide the plans: a resumed run must match the one it continues."""


def _mismatch(summary_path: Path, current: dict[str, object]) -> str | None:
    """Why the results beside ``summary_path`` were planned differently, if they were."""
    try:
        earlier = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    earlier.setdefault("toolrag_in", "prompt")
    earlier.setdefault("bank", "default")
    earlier.setdefault("prompt", "reference")
    earlier.setdefault("kinds", False)
    earlier.setdefault("jump", False)
    diff = [f"{k} {earlier.get(k)!r} (now {current[k]!r})" for k in SETTINGS if k in earlier and earlier[k] != current[k]]
    return ", ".join(diff) or None


def _claim(path: Path) -> IO[str] | None:
    """An open handle holding an exclusive lock on ``path``, or None when another eval holds it:
    two runs writing one results file would interleave and truncate each other's records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a", encoding="utf-8")  # "a": claiming must not empty the file
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def run(args: argparse.Namespace) -> int:
    specs = load_tool_set(args.tools) if args.tools else desktop_specs()
    foreign = args.tools is not None
    by_name = {s.name: s for s in specs}
    records = first_valid(args.set_path, by_name, args.limit)
    if not records:
        print("no usable records", file=sys.stderr)
        return 2
    try:
        args.toolrag = args.toolrag or Config().toolrag
        if args.toolrag != "oracle":
            args.toolrag = selector_name(Config(toolrag=args.toolrag), foreign, lambda m: print(m, file=sys.stderr))
        if args.selection is None and args.toolrag == "none":
            args.selection = "prompt"  # nothing is chosen, so nothing to place (and older rows say prompt)
        config = config_from(args, toolrag="none" if args.toolrag == "oracle" else args.toolrag, dates=not foreign)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if foreign:
        config = foreign_model(config)
    config = adapted(config, lambda m: print(m, file=sys.stderr))
    model_path, lora = Path(config.model or ""), None if config.lora == "none" else config.lora
    grammar = "g" if config.planner.grammar else "ng"
    out_path = args.out or args.set_path.with_suffix(f".{model_path.stem}.{args.toolrag}.{grammar}.results.jsonl")
    summary_path = out_path.with_name(out_path.name.removesuffix(".jsonl") + ".summary.json")
    settings = {"model": model_path.name, "lora": lora and Path(lora).name, "toolrag": args.toolrag,
                "toolrag_in": config.planner.selection.value, "grammar": config.planner.grammar, "examples": config.planner.examples,
                "bank": args.bank.name if args.bank else ("none" if foreign else "default"),
                "prompt": config.planner.prompt.value,
                "kinds": config.planner.kinds, "jump": config.planner.forces_ahead, **({"tools": args.tools.name} if foreign else {})}
    if args.resume and (why := _mismatch(summary_path, settings)):
        print(f"{out_path} was planned with other settings: {why}. Resume with the same options, or use another --out.",
              file=sys.stderr)
        return 2
    claim = _claim(out_path)
    if claim is None:
        print(f"another eval is writing {out_path}: wait for it to finish, or use another --out", file=sys.stderr)
        return 2
    bank = ExampleBank(load_examples(args.bank)) if args.bank else None
    current: dict[str, Record] = {}
    select: object = FROM_CONFIG
    if args.toolrag == "oracle":
        def select(query: str):  # type: ignore[no-untyped-def]
            return [by_name[t] for t in current["record"].tools]
    # The config is settled (adapted) already: the model it names is loaded as it is.
    planner = build_planner(config, specs, llm=load_llm(config), bank=bank, select=select, foreign=foreign, strict=True)
    summary = Summary()
    latencies: list[float] = []
    prompt_tokens: list[int] = []
    offered: list[int] = []
    built: list[bool] = []
    done = _done(out_path) if args.resume else {}
    todo = [r for r in records if r.id not in done]
    if todo:
        current["record"] = todo[0]
        plan_record(planner, todo[0])  # warm-up: latency is steady state
    if done:
        print(f"resuming: {len(records) - len(todo)} records from {out_path}, {len(todo)} to plan", file=sys.stderr)
    t_start = time.monotonic()
    # Kept records are written back first, so an interrupted resume never loses them.
    with open(out_path, "w", encoding="utf-8") as out:
        for i, rec in enumerate([r for r in records if r.id in done] + todo, 1):
            row = done.get(rec.id)
            if row is None:
                current["record"] = rec
                stream = plan_record(planner, rec)
                row = {"id": rec.id, "query": rec.query, "truth": rec.plan, "pred": stream.plan_text, "repeated": stream.repeated,
                       "guard_yielded": stream.guard.yielded if stream.guard else None,
                       "tools_offered": [t.name for t in stream.tools], "timings": stream.timings.__dict__}
            score = score_record(row["pred"], rec, by_name)
            summary.add(score, truth_calls=plan_length(rec.plan))
            latencies.append(row["timings"]["total_ms"])
            prompt_tokens.append(row["timings"]["prompt_tokens"])
            offered.append(len(row["tools_offered"]))
            built.append(row["timings"].get("prefix_cache") == "built")
            row |= {"success": score.success, "success_args": score.success_args, "error": score.error,
                    "mismatches": score.mismatches}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            if i % 10 == 0 or i == len(records):
                print(f"  {i}/{len(records)}  success {summary.success / i:.1%}  ({time.monotonic() - t_start:.0f} s)", file=sys.stderr)

    n = summary.n
    summary_path.write_text(json.dumps({
        "set": str(args.set_path), **settings,
        "toolrag_detail": getattr(planner.select_tools, "describe", lambda: None)(), "records": n,
        "threads": args.threads or os.cpu_count(),
        "success": summary.success / n, "success_args": summary.success_args / n,
        "tool_precision": summary.tool_precision, "tool_recall": summary.tool_recall,
        "syntax_errors": summary.syntax_errors / n, "tools_offered": statistics.mean(offered),
        "prompt_tokens": statistics.mean(prompt_tokens),
        "latency_p50_s": _pct(latencies, 0.5) / 1000, "latency_p95_s": _pct(latencies, 0.95) / 1000,
        "prefix_built": sum(built) / n,
        "failures": {kind: summary.failures[kind] for kind in FAILURE_KINDS},
        "by_length": {b: {"success": ok / total if total else None, "records": total}
                      for b, (ok, total) in summary.by_length.items()},
    }, indent=1))
    claim.close()
    print(f"\n{args.set_path} · {model_path.name} · toolrag {args.toolrag} · grammar {'on' if config.planner.grammar else 'off'}")
    rows = [
        ("records", f"{n}"),
        ("success (DAG isomorphic)", f"{summary.success / n:.1%}"),
        ("success_args (+ arguments)", f"{summary.success_args / n:.1%}"),
        ("tool precision / recall", f"{summary.tool_precision:.3f} / {summary.tool_recall:.3f}"),
        ("syntax errors", f"{summary.syntax_errors / n:.1%}"),
        ("tools offered (mean)", f"{statistics.mean(offered):.1f}"),
        ("prompt tokens (mean)", f"{statistics.mean(prompt_tokens):.0f}"),
        ("plan latency p50 / p95", f"{_pct(latencies, 0.5) / 1000:.1f} s / {_pct(latencies, 0.95) / 1000:.1f} s"),
        ("prompt prefix evaluated", f"{sum(built) / n:.0%} (the rest restored from the KV cache)"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}")
    print(f"(free text compared by token F1 >= {FREE_TEXT_THRESHOLD}; dates compared only for records with a date)")
    print("\nsuccess by length of the true plan:")
    for bucket, (ok, total) in summary.by_length.items():
        print(f"  {bucket.ljust(4)} calls  {f'{ok / total:6.1%}' if total else '     -'}  of {total}")
    print("\nfailures by kind (records; 'arguments differ' still counts for success):")
    for kind in FAILURE_KINDS:
        print(f"  {kind.ljust(24)} {summary.failures[kind]}")
    print("\nper tool (success of records that need it):")
    for tool, (ok, total) in sorted(summary.per_tool.items(), key=lambda kv: -kv[1][1]):
        print(f"  {tool.ljust(24)} {ok / total:6.1%}  of {total}")
    print(f"\nper-record results: {out_path}\nsummary: {summary_path} (python -m engine.eval.table makes a table of these)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tinyagent eval", description="Score the planner on a JSONL set.")
    add_arguments(p)
    return run(p.parse_args(argv))
