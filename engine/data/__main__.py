"""``python -m engine.data generate --n 20000 --seed 0 --out data/``, ``python -m engine.data stats FILE``,
``python -m engine.data compare REFERENCE.jsonl OTHER.jsonl`` and ``python -m engine.data conventions FILE...``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections import Counter
from pathlib import Path

import networkx as nx

from engine.data.generator import CONNECTORS, STRUCTURES, Gen, Rejected, compound, split_of, surface
from engine.data.records import Record, valid_records, write_records
from engine.plan import PlanError, parse_plan
from engine.tools.desktop import desktop_specs

NEGATIVE_SHARE = 0.04
COMPOUND_SHARE = 0.12
SPLIT_WEIGHTS = [0.8, 0.1, 0.1]


def generate(n: int, seed: int) -> tuple[list[dict], Counter[str]]:
    """``n`` records: single requests first, then a ``COMPOUND_SHARE`` of two or three in one sentence.

    Compound requests come from a second random stream, so the single requests of a seed stay
    the same as before compound ones were added.
    """
    n_compound = round(n * COMPOUND_SHARE)
    rows: list[dict] = []
    seen: set[str] = set()
    rejected: Counter[str] = Counter()
    _fill(rows, seen, rejected, n - n_compound, random.Random(seed), seed, compound_parts=0)
    _fill(rows, seen, rejected, n, random.Random(seed + 1), seed, compound_parts=3)
    return rows, rejected


def _fill(rows: list[dict], seen: set[str], rejected: Counter[str], n: int, rng: random.Random, seed: int,
          compound_parts: int) -> None:
    specs = desktop_specs()
    names = sorted(STRUCTURES)
    positive = [s for s in names if s != "negative"]
    base = dt.datetime(2026, 1, 1, 8, 0)
    attempts = 0
    while len(rows) < n and attempts < n * 20:
        attempts += 1
        if compound_parts:
            s, n_templates = "compound", len(CONNECTORS)
        else:
            s = "negative" if rng.random() < NEGATIVE_SHARE else rng.choice(positive)
            n_templates, fn = STRUCTURES[s]
        split = rng.choices(["train", "val", "test"], weights=SPLIT_WEIGHTS)[0]
        t = rng.choice([i for i in range(n_templates) if split_of(i) == split])
        today = base + dt.timedelta(days=rng.randrange(0, 700), minutes=30 * rng.randrange(0, 22))
        g = Gen(rng, today)
        try:
            query, pb = compound(g, t, rng.randint(2, compound_parts)) if compound_parts else fn(g, t)
        except Rejected as exc:
            rejected[str(exc)] += 1
            continue
        protect = {w.lower() for when in g.whens for w in when.phrase.split()}
        query = surface(rng, query, protect)
        try:
            g.check_dates(query)
        except Rejected:
            rejected["date phrase"] += 1
            continue
        if query in seen:
            rejected["duplicate"] += 1
            continue
        plan = pb.text()
        try:
            parsed = parse_plan(plan, specs)
        except PlanError as exc:  # a generator bug: never written out
            raise RuntimeError(f"{s}/{t} produced an invalid plan: {exc}\n{plan}") from exc
        seen.add(query)
        rec = Record(f"syn-{seed}-{len(rows):06d}", query, plan, pb.tools(), today, f"{s}/{t}", split_of(t))
        rows.append(rec.to_json(parsed))


def _depth(rec: dict) -> int:
    g = nx.DiGraph()
    g.add_nodes_from(n for n, _ in rec["dag"]["nodes"])
    g.add_edges_from(tuple(e) for e in rec["dag"]["edges"])
    return nx.dag_longest_path_length(g) + 1 if g.number_of_nodes() else 0


def report(rows: list[dict]) -> dict:
    ngrams: dict[int, set[tuple[str, ...]]] = {1: set(), 2: set(), 3: set()}
    for r in rows:
        words = r["query"].lower().split()
        for k in ngrams:
            ngrams[k].update(tuple(words[i : i + k]) for i in range(len(words) - k + 1))
    return {
        "records": len(rows),
        "splits": dict(Counter(r.get("split", "") for r in rows)),
        "structures": len({r["family"].split("/")[0] for r in rows if r.get("family")}),
        "template_families": len({r.get("family") for r in rows}),
        "distinct_queries": len({r["query"] for r in rows}),
        "distinct_ngrams": {str(k): len(v) for k, v in ngrams.items()},
        "tool_count_histogram": dict(sorted(Counter(len(r["tools"]) for r in rows).items())),
        "calls_histogram": dict(sorted(Counter(len(r["dag"]["nodes"]) for r in rows).items())),
        "depth_histogram": dict(sorted(Counter(_depth(r) for r in rows).items())),
        "tool_frequency": dict(Counter(t for r in rows for t in r["tools"]).most_common()),
    }


def write_bank(data: Path, every: int, out: Path, held_out: list[Path] = ()) -> int:  # type: ignore[assignment]
    """Keep every ``every``-th valid train record, refusing any record not from the train split, so
    that retrieved examples can never leak a test or val phrasing into the prompt; and dropping
    any that is a near-duplicate of a query in ``held_out`` (v1's negatives, "tell me a joke",
    were the same text in every split)."""
    from engine.data.near import near_duplicates

    kept = []
    for i, (item, _) in enumerate(valid_records(data, desktop_specs())):
        if item.split != "train":
            print(f"{data}: record {item.id} is from the {item.split or 'unknown'} split; the bank takes train only",
                  file=sys.stderr)
            return 2
        if i % every == 0:
            kept.append(item.to_json())
    held = [rec.query for path in held_out for rec, _ in valid_records(path, desktop_specs())]
    near = {i for i, _, _ in near_duplicates([r["query"] for r in kept], held)}
    kept = [r for i, r in enumerate(kept) if i not in near]
    write_records(out, kept)
    print(f"wrote {len(kept)} examples to {out} ({len(near)} near-duplicates of held-out queries left out)")
    return 0


def _generate_v2(reference: Path, n: int, seed: int, out: Path) -> int:
    from engine.data.prose import generate as prose
    from engine.data.prose import reference_shapes

    specs = desktop_specs()
    try:
        records = prose(reference_shapes(reference), n, seed)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from engine.kinds import check_plan_kinds

    plans = [parse_plan(r.plan, specs) for r in records]
    # A plan whose dataflow the kind rules reject (a shape taken from one of the reference's 22 such
    # plans) must not be learned from; the test split keeps them, so scores stay honest.
    wrong = {i for i, (r, plan) in enumerate(zip(records, plans, strict=True))
             if r.split != "test" and check_plan_kinds(plan, specs)}
    rows = [r.to_json(plan) for i, (r, plan) in enumerate(zip(records, plans, strict=True)) if i not in wrong]
    for s in ("train", "val", "test"):
        write_records(out / f"{s}.jsonl", [row for row in rows if row["split"] == s])
    (out / "stats.json").write_text(json.dumps(report(rows) | {"seed": seed, "generator": "v2"}, indent=1, ensure_ascii=False))
    counts = Counter(row["split"] for row in rows)
    print(f"wrote {counts['train']} train, {counts['val']} val, {counts['test']} test records to {out}/ "
          f"({len(wrong)} train/val plans of a wrong data kind left out)")
    return 0


def _kinds_report(path: Path) -> int:
    """Plans of ``path`` whose dataflow the kind rules reject, counted by what was wrong."""
    from engine.kinds import check_plan_kinds

    specs = desktop_specs()
    total, rejected, why = 0, 0, Counter()
    try:
        for _rec, plan in valid_records(path, specs):
            total += 1
            bad = check_plan_kinds(plan, specs)
            rejected += bool(bad)
            why.update(f"{m.tool}.{m.param} given {m.given.split(' (')[-1].rstrip(')') if m.given.startswith('$') else 'a literal'}"
                       for m in bad)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{rejected} of {total} valid plans have an argument of a kind its parameter does not accept")
    for reason, n in why.most_common():
        print(f"  {n:4d}  {reason}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engine.data")
    sub = p.add_subparsers(dest="cmd", required=True)
    gen = sub.add_parser("generate", help="write train/val/test JSONL split by template family")
    gen.add_argument("--generator", choices=("v1", "v2"), default="v2",
                     help="v2 (default): prose requests with the reference's plan shapes; v1: the first, template generator")
    gen.add_argument("--n", type=int, default=20000)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--out", type=Path, help="default: data/ for v1, data/v2/ for v2")
    gen.add_argument("--reference", type=Path, default=Path("../shared/data/reference-examples.jsonl"),
                     help="v2: where the plan shapes come from (split by the committed id lists)")
    bk = sub.add_parser("bank", help="sample the in-context example bank from the train split")
    bk.add_argument("--data", type=Path, default=Path("data/train.jsonl"))
    bk.add_argument("--every", type=int, default=5, help="keep every N-th record")
    bk.add_argument("--out", type=Path, default=Path("resources/examples/synthetic.jsonl"))
    bk.add_argument("--held-out", type=Path, nargs="*", default=[],
                    help="val/test sets whose queries (and near-duplicates, TF-IDF cosine >= 0.9) the bank must not hold")
    st = sub.add_parser("stats", help="diversity report of a JSONL file in the record format")
    st.add_argument("file", type=Path)
    ref = sub.add_parser("reference", help="write data/reference-{train,val,test}.jsonl by the committed id lists")
    ref.add_argument("--source", type=Path, default=Path("../shared/data/reference-examples.jsonl"))
    ref.add_argument("--out", type=Path, default=Path("data"))
    kd = sub.add_parser("kinds", help="how many plans of a record file the data-kind rules reject, and why")
    kd.add_argument("file", type=Path)
    cmp = sub.add_parser("compare", help="figures of a record file beside the reference's, and which are >15%% off")
    cmp.add_argument("reference", type=Path)
    cmp.add_argument("other", type=Path)
    cmp.add_argument("--check", action="store_true", help="exit 1 when a figure is off")
    cv = sub.add_parser("conventions", help="how consistently plans follow conventions the request does not decide "
                                            "(a record file, or an eval results file: also how often the prediction agreed)")
    cv.add_argument("files", type=Path, nargs="+")
    args = p.parse_args(argv)

    if args.cmd == "conventions":
        from engine.data.conventions import read_rows, table, tally

        try:
            for path in args.files:
                print(table(str(path), tally(read_rows(path), desktop_specs())), end="\n\n")
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0

    if args.cmd == "reference":
        from engine.data.reference import write_splits

        try:
            counts = write_splits(args.source, args.out)
        except OSError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(", ".join(f"{n} {s}" for s, n in counts.items()), f"written to {args.out}/reference-*.jsonl")
        return 0

    if args.cmd == "kinds":
        return _kinds_report(args.file)

    if args.cmd == "compare":
        from engine.data.compare import compare, load, table

        specs = desktop_specs()
        try:
            rows = compare(load(args.reference, specs), load(args.other, specs))
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(table(rows, (args.reference.name, args.other.name)))
        return 1 if args.check and not all(ok for *_, ok in rows) else 0

    if args.cmd == "generate" and args.generator == "v2":
        return _generate_v2(args.reference, args.n, args.seed, args.out or Path("data/v2"))

    if args.cmd == "generate":
        args.out = args.out or Path("data")
        rows, rejected = generate(args.n, args.seed)
        random.Random(args.seed).shuffle(rows)  # so that the first N records of a split are a fair sample
        for split in ("train", "val", "test"):
            write_records(args.out / f"{split}.jsonl", [r for r in rows if r["split"] == split])
        stats = report(rows) | {"rejected": dict(rejected), "seed": args.seed}
        (args.out / "stats.json").write_text(json.dumps(stats, indent=1, ensure_ascii=False))
        print(json.dumps(stats, indent=1, ensure_ascii=False))
        return 0

    if args.cmd == "bank":
        return write_bank(args.data, args.every, args.out, args.held_out)

    rows = [item.to_json(parsed) | {"family": item.family or "?"} for item, parsed in valid_records(args.file, desktop_specs())]
    print(json.dumps(report(rows), indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
