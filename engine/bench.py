"""Benchmarks that print tables; speed targets live here, not in unit tests.

    python -m engine.bench planner [--model default] [--queries FILE]   # grammar sampling: checked first / whole vocab / off
    python -m engine.bench prefix  [--model default]                    # cold start: no cache / disk / memory
    python -m engine.bench toolrag                                      # selection latency per query
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import shutil
import statistics
import sys
import time
from pathlib import Path

from engine import models
from engine.config import Config, PlannerConfig
from engine.planner import Planner, PlanStream
from engine.runtime import build_planner, load_llm
from engine.tools.desktop import desktop_specs

NOW = dt.datetime(2026, 11, 23, 10, 0)
QUERIES = [
    "Create a calendar invite with Sid and Lutfi tomorrow at 3pm about the demo",
    "Remind me to buy milk tomorrow at 9am",
    "Summarize report.pdf and email the summary to Priya, then text her that it's sent",
]


def _row(cells: list[object], widths: list[int]) -> str:
    return " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    widths = [max(len(str(x)) for x in [h, *(r[i] for r in rows)]) for i, h in enumerate(headers)]
    print(_row(headers, widths))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(_row(r, widths))


def _plan(planner: Planner, query: str) -> PlanStream:
    s = asyncio.run(planner.plan(query, NOW))
    if s.static_prefix:
        planner.llm.keep_only(s.static_prefix)
    return s


GRAMMAR_MODES = {
    "check first": PlannerConfig(grammar=True, check_first=True),
    "whole vocab": PlannerConfig(grammar=True, check_first=False),
    "off": PlannerConfig(grammar=False),
}


def bench_planner(model: str | None, queries: list[str], threads: int | None) -> None:
    """Each query planned three ways: the grammar as the planner uses it (the model's choice
    checked first), llama-cpp-python's grammar sampling (whole vocabulary every token), none."""
    config = Config(model=model, threads=threads)
    llm = load_llm(config)
    specs = desktop_specs()
    planners = {mode: build_planner(config.replace(planner=planner_config), specs, llm=llm, select=None)
                for mode, planner_config in GRAMMAR_MODES.items()}
    _plan(planners["check first"], queries[0])  # warm-up: weights paged in, prompt prefix cached
    rows = []
    speeds: dict[str, list[float]] = {mode: [] for mode in planners}
    differ = 0
    for q in queries:
        texts = {}
        for mode, planner in planners.items():
            s = _plan(planner, q)
            texts[mode] = s.text
            t = s.timings
            tps = t.generated_tokens / (t.generation_ms / 1000) if t.generation_ms else 0.0
            speeds[mode].append(tps)
            rows.append([
                q[:48] + ("…" if len(q) > 48 else ""), mode, t.prompt_tokens, t.prefix_cache,
                f"{t.prompt_ms:.0f}", f"{t.first_task_ms or 0:.0f}", f"{t.total_ms:.0f}", t.generated_tokens, f"{tps:.1f}",
                "ok" if s.error is None else s.error.kind,
            ])
        differ += texts["check first"] != texts["whole vocab"]
    print(f"model {llm.name}, {threads or 'all'} threads, today {NOW:%a %Y-%m-%d}")
    print_table(
        ["query", "grammar", "prompt tok", "prefix", "prompt ms", "first task ms", "total ms", "gen tok", "tok/s", "plan"], rows
    )
    mean = {mode: statistics.mean(v) for mode, v in speeds.items()}
    print(
        f"\ngeneration speed (tok/s): {mean['check first']:.1f} grammar checked first, "
        f"{mean['whole vocab']:.1f} grammar over the whole vocabulary, {mean['off']:.1f} without grammar"
    )
    print(f"plans that differ between the two grammar samplers: {differ} of {len(queries)} (greedy: should be 0)")


def bench_prefix(model: str | None, threads: int | None) -> None:
    path = models.resolve(model)
    kv = models.cache_dir().parent / "kv"
    shutil.rmtree(kv, ignore_errors=True)
    rows = []
    for label in ("no cache (first run ever)", "disk (a later process)", "memory (same process)"):
        if label.startswith("memory"):
            s = _plan(planner, QUERIES[1])  # noqa: F821 - the planner of the previous round
        else:
            gc.collect()
            planner = build_planner(Config(model=model, threads=threads), desktop_specs(), select=None)
            s = _plan(planner, QUERIES[1])
        t = s.timings
        rows.append([label, t.prefix_cache, t.prompt_tokens, f"{t.prompt_ms:.0f}", f"{t.first_task_ms or 0:.0f}", f"{t.total_ms:.0f}"])
    print(f"model {path.name}; query: {QUERIES[1]!r}")
    print_table(["start", "prefix", "prompt tok", "prompt ms", "first task ms", "total ms"], rows)


def _percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return times[len(times) // 2], times[int(len(times) * 0.95)]


def bench_toolrag(repeat: int) -> None:
    """Selection latency with the encoder's weights in the CPU caches (a query right after another)
    and out of them (the app's usual case: llama.cpp ran since the last query and evicted them)."""
    import numpy as np

    from engine.toolrag import ClassifierSelector, EmbedSelector

    specs = desktop_specs()
    queries = QUERIES + ["Text Sid that I'm running late", "What's the weather in Paris?", "Forward this email to Marta"]
    flush = np.ones(16 << 20, np.float32)  # 64 MiB: more than this CPU's last-level cache
    rows = []
    clf = ClassifierSelector(specs)
    for name, sel in (("embed top-6 (6 layers)", EmbedSelector(specs)), (f"classifier ({clf.describe()})", clf)):
        for q in queries:
            sel(q)  # warm-up
        warm, cold = [], []
        for _ in range(repeat):
            for q in queries:
                t0 = time.perf_counter()
                sel(q)
                warm.append((time.perf_counter() - t0) * 1000)
                flush.sum()
                t0 = time.perf_counter()
                sel(q)
                cold.append((time.perf_counter() - t0) * 1000)
        rows.append([name, len(warm), *(f"{v:.2f}" for v in (*_percentiles(warm), *_percentiles(cold)))])
    print_table(["selector", "queries", "p50 ms", "p95 ms", "cold p50 ms", "cold p95 ms"], rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engine.bench")
    sub = p.add_subparsers(dest="what", required=True)
    pl = sub.add_parser("planner", help="per-query timings with and without the grammar")
    pl.add_argument("--queries", type=Path, help="a text file, one query per line")
    pr = sub.add_parser("prefix", help="cold-start cost with and without the prompt-prefix KV cache")
    tr = sub.add_parser("toolrag", help="ToolRAG selection latency (encoder + head) per query")
    tr.add_argument("--repeat", type=int, default=20)
    for sp in (pl, pr):
        sp.add_argument("--model", help="default, fast, or a .gguf path")
        sp.add_argument("--threads", type=int)
    args = p.parse_args(argv)
    if args.what == "planner":
        queries = args.queries.read_text().splitlines() if args.queries else QUERIES
        bench_planner(args.model, [q for q in queries if q.strip()], args.threads)
    elif args.what == "toolrag":
        bench_toolrag(args.repeat)
    else:
        bench_prefix(args.model, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
