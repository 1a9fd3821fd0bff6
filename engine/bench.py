"""Benchmarks that print tables; speed targets live here, not in unit tests.

    python -m engine.bench planner [--model default] [--queries FILE]   # grammar sampling: checked first / whole vocab / off
    python -m engine.bench prefix  [--model default]                    # cold start: no cache / disk / memory
    python -m engine.bench toolrag                                      # selection latency per query
    python -m engine.bench targets --candidate fast                     # planners in units of raw generation
    python -m engine.bench constraints [-n 20]                          # grammar per token: llama.cpp, check-first, llguidance, xgrammar
    python -m engine.bench train [--base tiny]                          # training s/sample per base and setup
    python -m engine.bench lookup --candidate fast:ADAPTER.gguf         # prompt-lookup decoding, no grammar
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
from collections.abc import Callable
from pathlib import Path

from engine import models
from engine.config import Config, PlannerConfig
from engine.data.records import Record
from engine.flags import add_flags
from engine.generation import GenerationStats
from engine.llama import LocalLLM
from engine.planner import Planner, PlanStream, PlanTimings
from engine.runtime import adapted, build_planner, load_llm
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
    if isinstance(planner.llm, LocalLLM):
        planner.llm.keep_only(s.request)
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


RAW_PROMPT = "List sixty common English nouns, one per line, numbered:\n1."
RAW_TOKENS = 60


def raw_generation_ms(llm: LocalLLM, repeat: int = 3) -> float:
    """The median time the model takes to read a short prompt and write 60 tokens, free: the
    unit the planner targets are stated in, since absolute times vary by machine and load."""
    times = [_raw_once(llm) for _ in range(repeat + 1)]
    return statistics.median(times[1:])


def _raw_once(llm: LocalLLM) -> float:
    stats = GenerationStats()
    t0 = time.monotonic()
    for _piece in llm.stream(RAW_PROMPT, max_tokens=RAW_TOKENS, stop=[], stats=stats):
        pass
    if stats.generated_tokens < RAW_TOKENS:
        raise SystemExit(f"the raw run stopped after {stats.generated_tokens} tokens, not {RAW_TOKENS}")
    return (time.monotonic() - t0) * 1000


def _records_of_length(path: Path, calls: Callable[[int], bool], n: int) -> list[Record]:
    from engine.data.records import first_valid
    from engine.eval.metrics import plan_length

    if not path.is_file():
        raise SystemExit(f"{path} is missing: python -m engine.data reference (or --long/--short FILE)")
    return [r for r in first_valid(path, desktop_specs()) if calls(plan_length(r.plan))][:n]


def _candidate(name: str, threads: int | None, merge: bool = True) -> Config:
    """``MODEL`` or ``MODEL:ADAPTER.gguf`` as a settled config (a model alone brings its manifest
    adapter, merged where its manifest pins the merge unless ``merge`` is off)."""
    model, _, lora = name.partition(":")
    return adapted(Config(model=model, lora=lora or None, threads=threads, merge=merge))


def _variants(name: str, threads: int | None) -> list[tuple[str, Config]]:
    """A candidate as it plans, and where its adapter plans merged, also unmerged (the previous
    default) to compare it with in the same run."""
    config = _candidate(name, threads)
    unmerged = _candidate(name, threads, merge=False)
    if unmerged.model == config.model:
        return [(_label(config), config)]
    return [(_label(unmerged), unmerged), (_label(config), config)]


def _label(config: Config) -> str:
    return f"{Path(config.model or '').name}{' + ' + Path(config.lora).parent.name if config.lora != 'none' else ''}"


def bench_targets(candidates: list[str], short: Path, long: Path, n: int, threads: int | None) -> None:
    """The tuned planner against today's default, in units of the 1.5B's raw generation of 60
    tokens measured in the same run (issue targets: short p50 <= 0.6, first task <= 0.3, a
    6-call request <= 1.2), with p95, the checks' cost per generated token, and the cold start:
    loading the model and the first plan before any warm-up. Each candidate plans every record
    token by token and jump-forward (``PlannerConfig.jump``), and an adapter that plans merged
    (``engine.merge``) plans unmerged too; all of them in turn, in an order that rotates from
    record to record so that a drift in the machine's speed falls on each, and the plans are
    compared. The unit is timed in turn with them too, once after every record's round, and is
    the median of all those runs: timed only at the start, the same merged planner's 6-call ratio
    was 1.01 in one run and 1.39 in the next on one machine, its unit 2,555 and 2,539 ms, while
    the planner itself had slowed down by a third."""
    from engine.eval.runner import plan_record

    unit_llm = load_llm(Config(model="default", threads=threads, lora="none"))
    unit_runs = [raw_generation_ms(unit_llm)]
    sets = {"short (1-2 calls)": _records_of_length(short, lambda k: k <= 2, n),
            "6 calls": _records_of_length(long, lambda k: k == 6, n)}
    decodings = {False: "token by token", True: "jump-forward"}
    timed: list[tuple[str, bool, str, int, list[PlanTimings]]] = []
    cold: list[tuple[str, bool, float, float]] = []
    notes: list[str] = []
    for name in candidates:
        planners: dict[tuple[str, bool], Planner] = {}
        for label, config in _variants(name, threads):
            t0 = time.monotonic()
            llm = load_llm(config)
            load_ms = (time.monotonic() - t0) * 1000
            for jump in decodings:
                planners[label, jump] = build_planner(config.replace(jump=jump), desktop_specs(), llm=llm, strict=True)
            default = config.planner.jump
            first = plan_record(planners[label, default], next(iter(sets.values()))[0]).timings.total_ms
            cold.append((label, default, load_ms, first))
        for planner in planners.values():
            planner.warm_up()
        keys = list(planners)
        texts: dict[tuple[str, bool], list[str]] = {k: [] for k in keys}
        for set_name, records in sets.items():
            runs: dict[tuple[str, bool], list[PlanTimings]] = {k: [] for k in keys}
            for i, rec in enumerate(records):
                for key in keys[i % len(keys):] + keys[:i % len(keys)]:
                    s = plan_record(planners[key], rec)
                    texts[key].append(s.text)
                    runs[key].append(s.timings)
                unit_runs.append(_raw_once(unit_llm))
            timed += [(label, jump, set_name, len(records), stats) for (label, jump), stats in runs.items()]
        labels = list(dict.fromkeys(label for label, _ in keys))
        for label in labels:
            same = sum(a == b for a, b in zip(texts[label, False], texts[label, True], strict=True))
            notes.append(f"{label}: plans identical token by token and jump-forward: {same} of {len(texts[label, False])}")
        for label in labels[1:]:
            same = sum(a == b for a, b in zip(texts[labels[0], True], texts[label, True], strict=True))
            notes.append(f"{labels[0]} and {label}, jump-forward: plans identical {same} of {len(texts[label, True])}")
        del planners, llm
        gc.collect()
    unit = statistics.median(unit_runs)
    rows = []
    for label, jump, set_name, n_records, stats in timed:
        (p50, p95), (f50, _) = (_percentiles([t.total_ms for t in stats]),
                                _percentiles([t.first_task_ms or t.total_ms for t in stats]))
        tokens = max(1, sum(t.generated_tokens for t in stats))
        rows.append([label, decodings[jump], set_name, n_records, f"{p50:.0f}", f"{p95:.0f}",
                     f"{p50 / unit:.2f}", f"{p95 / unit:.2f}", f"{f50:.0f}", f"{f50 / unit:.2f}",
                     f"{sum(t.check_ms for t in stats) / tokens:.2f}",
                     f"{sum(t.forced_tokens for t in stats) / tokens:.0%}"])
    print(f"unit: the 1.5B reads a short prompt and writes {RAW_TOKENS} tokens in {unit:.0f} ms, the median of "
          f"{len(unit_runs)} timings spread over the run ({min(unit_runs):.0f}-{max(unit_runs):.0f}; "
          f"{threads or 'all'} threads)")
    print_table(["planner", "decoding", "requests", "n", "plan p50 ms", "p95 ms", "p50 x unit", "p95 x unit",
                 "first task p50 ms", "x unit", "checks ms/token", "tokens forced"], rows)
    print()
    for note in notes:
        print(note)
    print()
    print_table(["planner (cold)", "decoding", "load ms", "first plan ms", "load + first plan x unit"],
                [[label, decodings[jump], f"{load:.0f}", f"{first:.0f}", f"{(load + first) / unit:.2f}"]
                 for label, jump, load, first in cold])


def bench_constraints(path: Path, n: int) -> None:
    """What holding a plan to the grammar costs per token, each way there is
    (``engine.llama.constraints``), from the same GBNF (``engine.grammar.plan_grammar`` over the
    16 desktop tools), on the first ``n`` reference plans it accepts. The kind guard is not in the
    grammar (``$N`` of the right kind depends on what the plan wrote so far), so any of them needs
    it beside; its cost is in ``bench targets``' checks column."""
    from engine.grammar import plan_grammar
    from engine.llama.constraints import Refused, grammar_costs

    records = _records_of_length(path, lambda k: True, 10 * n)
    try:
        plans, tokens, costs = grammar_costs(str(models.resolve("fast")), plan_grammar(desktop_specs()),
                                             [r.plan for r in records], limit=n)
    except (Refused, ValueError) as exc:
        raise SystemExit(f"bench constraints: {exc}") from None
    if plans < n:
        print(f"(the grammar accepted only {plans} of the first {len(records)} plans)")
    print(f"{plans} reference plans, {tokens} tokens, grammar over the 16 desktop tools")
    print_table(["way", "grammar per request ms", "per token ms"],
                [[c.way + (f" ({c.note})" if c.note else ""),
                  "–" if c.per_request_ms is None else f"{c.per_request_ms:.1f}",
                  "–" if c.per_token_ms is None else f"{c.per_token_ms:.3f}"] for c in costs])


def bench_lookup(candidate: str, queries: Path, n: int, threads: int | None) -> None:
    """Prompt-lookup speculative decoding (llama-cpp-python's ``LlamaPromptLookupDecoding``) on the
    planner's own prompts, without the grammar: llama-cpp-python hands a logits processor the
    unverified draft tokens too, so it cannot run with the planner's grammar check; this measures
    what it could gain, and whether greedy plans stay the same."""
    from engine.eval.runner import UNDATED_NOW
    from engine.llama.lookup import complete_all
    from engine.plan import END_OF_PLAN

    config = _candidate(candidate, threads)
    planner = build_planner(config, desktop_specs(), llm=load_llm(config), select=None)
    records = _records_of_length(queries, lambda k: True, n)
    prompts = [planner.prepare(r.query, r.date or UNDATED_NOW).prompt for r in records]
    rows, texts = [], {}
    for label, lookup in (("plain", False), ("prompt lookup", True)):
        done = complete_all(config.model or "", None if config.lora == "none" else config.lora, prompts,
                            threads=threads or 2, lookup=lookup, stop=END_OF_PLAN)
        texts[label] = done.texts
        rows.append([label, len(prompts), f"{statistics.median(done.seconds) * 1000:.0f}",
                     f"{done.tokens / sum(done.seconds):.1f}"])
    same = sum(a == b for a, b in zip(texts["plain"], texts["prompt lookup"], strict=True))
    print(f"{Path(config.model or '').name} + {Path(config.lora).name}, {config.planner.prompt.value} prompt, no grammar")
    print_table(["decoding", "plans", "p50 ms", "tokens/s"], rows)
    print(f"identical plans: {same} of {len(prompts)}")


TRAIN_SETUPS = (  # (adapter, precision, sequence length)
    ("LoRA all layers", "fp32", 256),
    ("LoRA all layers", "fp32", 512),
    ("LoRA top half", "fp32", 512),
    ("LoRA all layers", "bf16", 512),
    ("full fine-tuning", "fp32", 512),
    ("LoRA all layers, shared prefix", "fp32", 512),
    ("LoRA all layers, shared prefix, batched 8", "bf16", 512),
    ("LoRA all layers, shared prefix, batched 8", "fp32", 512),
    ("LoRA top half, shared prefix, batched 8", "bf16", 512),
)
BATCH = 8
"""Samples per step in the batched rows: the campaign's (``engine.train.campaign``), their rests
padded into one forward pass on the shared prefix's cache (``batch_loss``)."""
SHARED_PREFIX = 344
"""The compact prompt's static prefix in Qwen tokens (the tool list): with ``--shared-prefix`` it is
run once per step of 4 samples without gradient; the row's time is per sample."""
LOSS_TOKENS = 128
"""Loss on the last 128 positions only (the plan), as training does (``logits_to_keep``)."""


def bench_train(bases: list[str], steps: int, threads: int | None, only: list[str] | None = None) -> None:
    """Training speed on this CPU: seconds per sample and trained tokens per second for each base
    and setup (LoRA r 16 on all linear layers or the top half of the layers, full fine-tuning
    for the small bases, fp32 or bf16, 256 or 512 tokens: a packed sequence costs what one sample
    of its length does). bf16 is fast only where the CPU runs it natively (``step.train_dtype``
    picks for the campaign). One warm-up step, then ``steps`` timed ones."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from engine.train.step import TARGET_MODULES, TokenizedSample, batch_loss, prefix_cache, sample_loss

    if threads:
        torch.set_num_threads(threads)
    rows = []
    for base in bases:
        path = models.resolve(base)
        for adapter, precision, length in TRAIN_SETUPS:
            if only and not any(o in adapter for o in only):
                continue
            full = adapter.startswith("full")
            if full and path.stat().st_size > 600 << 20:
                rows.append([path.name, adapter, precision, length, "-", "-", "skipped: optimizer state > memory"])
                continue
            dtype = torch.bfloat16 if precision == "bf16" else torch.float32
            model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=dtype)
            n_layers = model.config.num_hidden_layers
            if not full:
                top = list(range(n_layers // 2, n_layers)) if "top" in adapter else None
                model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules=list(TARGET_MODULES),
                                                         layers_to_transform=top, task_type="CAUSAL_LM"))
            params = [p for p in model.parameters() if p.requires_grad]
            optim = torch.optim.AdamW(params, lr=1e-5)
            gen = torch.Generator().manual_seed(0)
            times = []
            model.train()
            for step in range(steps + 1):
                ids = torch.randint(1000, 20000, (1, length), generator=gen).tolist()[0]
                t0 = time.monotonic()
                if "batched" in adapter:
                    prefix = ids[:SHARED_PREFIX]
                    rests = torch.randint(1000, 20000, (BATCH, length - SHARED_PREFIX), generator=gen).tolist()
                    batch = [TokenizedSample("bench", prefix + r[:-LOSS_TOKENS], r[-LOSS_TOKENS:]) for r in rests]
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                        batch_loss(model, batch, "cpu", prefix, prefix_cache(model, prefix, "cpu")).backward()
                elif "shared" in adapter:
                    prefix = ids[:SHARED_PREFIX]
                    cache = prefix_cache(model, prefix, "cpu")
                    for _ in range(4):
                        sample = TokenizedSample("bench", ids[:-LOSS_TOKENS], ids[-LOSS_TOKENS:])
                        sample_loss(model, sample, "cpu", prefix, cache).backward()
                else:
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                        sample_loss(model, TokenizedSample("bench", ids[:-LOSS_TOKENS], ids[-LOSS_TOKENS:]), "cpu").backward()
                optim.step()
                optim.zero_grad(set_to_none=True)
                if step:
                    per_step = BATCH if "batched" in adapter else 4 if "shared" in adapter else 1
                    times.append((time.monotonic() - t0) / per_step)
            sec = statistics.median(times)
            rows.append([path.name, adapter, precision, length, f"{sec:.2f}", f"{length / sec:.0f}",
                         f"{sum(p.numel() for p in params) / 1e6:.1f} M trainable"])
            print(" | ".join(map(str, rows[-1])), file=sys.stderr, flush=True)
            del model, optim, params
            gc.collect()
    print(f"{threads or torch.get_num_threads()} threads; loss on the last {LOSS_TOKENS} tokens; median of {steps} steps")
    print_table(["base", "trains", "precision", "tokens", "s / sample", "tokens / s", "note"], rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engine.bench")
    sub = p.add_subparsers(dest="what", required=True)
    pl = sub.add_parser("planner", help="per-query timings with and without the grammar")
    pl.add_argument("--queries", type=Path, help="a text file, one query per line")
    pr = sub.add_parser("prefix", help="cold-start cost with and without the prompt-prefix KV cache")
    tg = sub.add_parser("targets", help="planners against the 1.5B's raw 60-token generation, same run")
    tg.add_argument("--candidate", action="append", default=[],
                    help="MODEL or MODEL:ADAPTER.gguf to compare with the default (repeatable; a model alone brings "
                         "its manifest adapter, if that is its default)")
    tg.add_argument("--short", type=Path, default=Path("resources/eval/handwritten.jsonl"))
    tg.add_argument("--long", type=Path, default=Path("data/reference-test.jsonl"))
    tg.add_argument("-n", type=int, default=8, help="requests per set")
    cs = sub.add_parser("constraints", help="per-token cost of the grammar: llama.cpp, check-first, llguidance, xgrammar")
    cs.add_argument("--set", dest="set_path", type=Path, default=Path("data/reference-test.jsonl"))
    cs.add_argument("-n", type=int, default=20)
    lk = sub.add_parser("lookup", help="prompt-lookup speculative decoding on planner prompts (no grammar)")
    lk.add_argument("--candidate", default="fast", help="MODEL or MODEL:ADAPTER.gguf")
    lk.add_argument("--queries", type=Path, default=Path("resources/eval/handwritten.jsonl"))
    lk.add_argument("-n", type=int, default=12)
    tn = sub.add_parser("train", help="training speed per base and setup (needs the train extra)")
    tn.add_argument("--base", action="append", help="tiny, fast, default or a .gguf (repeatable; default: all three)")
    tn.add_argument("--steps", type=int, default=3)
    tn.add_argument("--only", action="append", help="only the setups whose name holds this (repeatable)")
    tr = sub.add_parser("toolrag", help="ToolRAG selection latency (encoder + head) per query")
    tr.add_argument("--repeat", type=int, default=20)
    for sp in (pl, pr):
        add_flags(sp, ("model",))
    for sp in (pl, pr, tg, lk, tn):
        add_flags(sp, ("threads",))
    args = p.parse_args(argv)
    if args.what == "planner":
        queries = args.queries.read_text().splitlines() if args.queries else QUERIES
        bench_planner(args.model, [q for q in queries if q.strip()], args.threads)
    elif args.what == "targets":
        bench_targets(["default", *args.candidate], args.short, args.long, args.n, args.threads)
    elif args.what == "constraints":
        bench_constraints(args.set_path, args.n)
    elif args.what == "lookup":
        bench_lookup(args.candidate, args.queries, args.n, args.threads)
    elif args.what == "train":
        bench_train(args.base or ["tiny", "fast", "default"], args.steps, args.threads, args.only)
    elif args.what == "toolrag":
        bench_toolrag(args.repeat)
    else:
        bench_prefix(args.model, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
