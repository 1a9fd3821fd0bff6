"""Training the ToolRAG classifier, its report and its "sure" thresholds (the runtime selectors
are in ``engine.toolrag``; this module needs only numpy and the encoder, not the ``train`` extra).

    python -m engine.train.toolrag train  --data data/train.jsonl --val data/val.jsonl --out models/toolrag/ \
        --extra data/reference-train.jsonl --layers 2   # the reference's train split only
    python -m engine.train.toolrag sure   --data data/v2/val.jsonl
    python -m engine.train.toolrag report --data data/test.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.adapters import file_sha256
from engine.resources import models_path
from engine.toolrag import ClassifierSelector, EmbedSelector, Head, ngrams, sigmoid, with_helpers
from engine.tools.desktop import desktop_specs


def init_head(dim: int, labels: int, hidden: int, rng: np.random.Generator) -> Head:
    if hidden:
        return Head({
            "w1": rng.normal(0, (2 / dim) ** 0.5, (dim, hidden)).astype(np.float32), "b1": np.zeros(hidden, np.float32),
            "w2": rng.normal(0, (1 / hidden) ** 0.5, (hidden, labels)).astype(np.float32), "b2": np.zeros(labels, np.float32),
        })
    return Head({"w2": np.zeros((dim, labels), np.float32), "b2": np.zeros(labels, np.float32)})


class Adam:
    """Adam over some of a head's arrays, in place, with weight decay on the ``decayed`` ones (the
    weights, not the biases): the embedding head and the word view are fitted the same way."""

    def __init__(self, params: dict[str, np.ndarray], names: Sequence[str], lr: float, weight_decay: float,
                 decayed: Sequence[str]) -> None:
        self.p, self.lr, self.weight_decay, self.decayed = params, lr, weight_decay, set(decayed)
        self.m = {k: np.zeros_like(params[k]) for k in names}
        self.v = {k: np.zeros_like(params[k]) for k in names}
        self.steps = 0

    def step(self, grads: dict[str, np.ndarray]) -> None:
        self.steps += 1
        p, m, v = self.p, self.m, self.v
        for k, g in grads.items():
            g = g + self.weight_decay * p[k] if k in self.decayed else g
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g * g
            mh, vh = m[k] / (1 - 0.9**self.steps), v[k] / (1 - 0.999**self.steps)
            p[k] -= (self.lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)


def fit_head(head: Head, x: np.ndarray, y: np.ndarray, epochs: int, lr: float, batch: int, rng: np.random.Generator,
             weight_decay: float = 1e-4) -> None:
    """Binary cross-entropy per label, Adam, weight decay on the weights only."""
    p = head.p
    adam = Adam(p, [k for k in ("w1", "b1", "w2", "b2") if k in p], lr, weight_decay, decayed=("w1", "w2"))
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), batch):
            idx = order[i : i + batch]
            xb, yb = x[idx], y[idx]
            logits, h = head.forward(xb)
            d = (sigmoid(logits) - yb) / len(idx)
            grads = {"w2": (h if h is not None else xb).T @ d, "b2": d.sum(0)}
            if h is not None:
                dh = (d @ p["w2"].T) * (h > 0)
                grads["w1"] = xb.T @ dh
                grads["b1"] = dh.sum(0)
            adam.step(grads)


def word_vocab(queries: Sequence[str], min_count: int = 3) -> list[str]:
    """N-grams (``engine.toolrag.ngrams``) in at least ``min_count`` queries, most common first:
    rarer ones are names and typos that would be learned by heart."""
    from collections import Counter

    counts = Counter(g for q in queries for g in ngrams(q))
    return [g for g, n in counts.most_common() if n >= min_count]


def add_words(head: Head, vocab: list[str], dim: int, labels: int) -> Head:
    """``head`` with an untrained word view beside it (``Head``'s docstring says why)."""
    params = {**head.p, "vocab": np.array(vocab), "lw": np.zeros((len(vocab), labels), np.float32),
              "le": np.zeros((dim, labels), np.float32), "lb": np.zeros(labels, np.float32)}
    return Head(params)


def fit_words(head: Head, x: np.ndarray, texts: Sequence[str], y: np.ndarray, epochs: int, lr: float, batch: int,
              rng: np.random.Generator, weight_decay: float = 1e-5) -> None:
    """The word view alone (binary cross-entropy, Adam): its own loss, since the two heads are
    blended by their maximum, not summed."""
    p = head.p
    ids = head.word_ids(texts)
    adam = Adam(p, ("lw", "le", "lb"), lr, weight_decay, decayed=("lw", "le"))
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), batch):
            idx = order[i : i + batch]
            rows = [ids[j] for j in idx]
            d = (sigmoid(head.word_logits(x[idx], rows)) - y[idx]) / len(idx)
            flat = np.concatenate(rows) if rows else np.zeros(0, np.int64)
            glw = np.zeros_like(p["lw"])
            np.add.at(glw, flat, np.repeat(d, [len(r) for r in rows], axis=0))
            adam.step({"lw": glw, "le": x[idx].T @ d, "lb": d.sum(0)})


def save_head(head: Head, path: Path) -> None:
    """Half precision: the committed head stays small, and ``Head.load`` widens it again."""
    np.savez_compressed(path, **{k: v if v.dtype.kind == "U" else v.astype(np.float16) for k, v in head.p.items()})


def _load_set(path: Path) -> tuple[list[str], list[set[str]]]:
    from engine.data.records import BadLine, read_records

    queries, tools = [], []
    for r in read_records(path):
        if isinstance(r, BadLine):
            print(f"{path}:{r.line}: skipped, {r.reason}", file=sys.stderr)
            continue
        queries.append(r.query)
        tools.append(set(r.tools))
    return queries, tools


def _fmt(name: str, m: dict[str, float]) -> list[object]:
    return [name, f"{m['recall']:.3f}", f"{m['all_needed_kept']:.3f}", f"{m['mean_selected']:.2f}", f"{m['exact_set']:.3f}"]


def set_metrics(chosen: list[set[str]], truth: list[set[str]]) -> dict[str, float]:
    tp = sum(len(c & t) for c, t in zip(chosen, truth, strict=True))
    need = sum(len(t) for t in truth)
    return {
        "recall": tp / need if need else 1.0,
        "all_needed_kept": float(np.mean([t <= c for c, t in zip(chosen, truth, strict=True)])),
        "mean_selected": float(np.mean([len(c) for c in chosen])),
        "exact_set": float(np.mean([c == t for c, t in zip(chosen, truth, strict=True)])),
    }


def sure_thresholds(probs: np.ndarray, truth: list[set[str]], labels: list[str], precision: float = 0.98,
                    min_support: int = 20) -> dict[str, float]:
    """Per tool, the lowest probability above which the tool is needed at least ``precision`` of
    the time on these queries (and at least ``min_support`` queries are that sure); tools that
    never reach it get no threshold. The planner refuses ``join()`` until such a tool is called."""
    out: dict[str, float] = {}
    for i, name in enumerate(labels):
        order = np.argsort(-probs[:, i], kind="stable")
        needed = np.array([name in truth[j] for j in order])
        count = np.arange(1, len(order) + 1)
        ok = np.flatnonzero((np.cumsum(needed) / count >= precision) & (count >= min_support))
        if ok.size:
            out[name] = float(probs[order[ok.max()], i])
    return out


def _labels_matrix(tools: list[set[str]], labels: list[str]) -> np.ndarray:
    y = np.zeros((len(tools), len(labels)), np.float32)
    for i, ts in enumerate(tools):
        for t in ts:
            y[i, labels.index(t)] = 1.0
    return y


def train(
    data: Sequence[Path], val: Sequence[Path], out: Path, seed: int = 0, target_recall: float = 0.99,
    extra: Path | None = None, extra_weight: int = 5, layers: int | None = None, words: bool = False,
) -> dict:
    """Encode the queries once, fit the candidate heads, keep the one that reaches
    ``target_recall`` on every val set with the fewest tools (else the one with the best recall).

    ``data`` may be several files (v1's short requests and v2's long ones); each of ``val`` must
    reach the target on its own, so a large set of one style cannot hide a miss on another.
    ``extra`` (the reference's train split) is added ``extra_weight`` times: the synthetic
    templates alone give too few phrasings per plan shape to generalise to the held-out phrasings
    of val and test. ``words`` adds candidates with a word view (``engine.toolrag.Head``).

    ``layers`` pools the encoder's first N layers instead of all six: the encoder is nearly all of
    the selection time, so a shallower encoder that keeps the recall is the faster classifier.
    """
    from engine.encoder import ENCODER_PACKAGE, ENCODER_VERSION, default_encoder
    by_name = {s.name: s for s in desktop_specs()}
    labels = list(by_name)
    rng = np.random.default_rng(seed)
    enc = default_encoder()
    depth = enc.layers if layers is None else layers
    t0 = time.monotonic()
    xq: list[str] = []
    xt: list[set[str]] = []
    counts = []
    for path in data:
        q, t = _load_set(path)
        xq.extend(q)
        xt.extend(t)
        counts.append(len(q))
    vals = [_load_set(path) for path in val]
    x = enc.encode(xq, batch_size=128, layers=depth)
    xvs = [enc.encode(q, batch_size=128, layers=depth) for q, _ in vals]
    n_extra = 0
    if extra is not None:
        eq, et = _load_set(extra)
        n_extra = len(eq)
        ex = enc.encode(eq, batch_size=128, layers=depth)
        x = np.concatenate([x] + [ex] * extra_weight)
        xq, xt = xq + eq * extra_weight, xt + et * extra_weight
    encode_s = time.monotonic() - t0
    y = _labels_matrix(xt, labels)

    def choose(probs: np.ndarray, t: float) -> list[set[str]]:
        return [with_helpers({labels[i] for i in np.flatnonzero(p >= t)}, by_name) for p in probs]

    def calibrate(head: Head) -> tuple[float, list[dict[str, float]]]:
        """The highest threshold at which every val set's recall (helpers added) reaches the target."""
        probs = [head.predict(xv, q) for xv, (q, _) in zip(xvs, vals, strict=True)]
        best_t = 0.01
        for t in np.round(np.arange(0.5, 0.0, -0.01), 2):
            if all(set_metrics(choose(p, t), vt)["recall"] >= target_recall for p, (_, vt) in zip(probs, vals, strict=True)):
                best_t = float(t)
                break
        return best_t, [set_metrics(choose(p, best_t), vt) for p, (_, vt) in zip(probs, vals, strict=True)]

    candidates: dict[str, tuple[Head, float, list[dict[str, float]], float]] = {}
    vocab = word_vocab(xq) if words else []
    for name, hidden, epochs in (("linear", 0, 30), ("mlp256", 256, 10), ("mlp512", 512, 15)):
        t1 = time.monotonic()
        head = init_head(x.shape[1], len(labels), hidden, rng)
        fit_head(head, x, y, epochs=epochs, lr=3e-3, batch=128, rng=rng, weight_decay=1e-3 if hidden else 1e-4)
        candidates[name] = (head, *calibrate(head), time.monotonic() - t1)
        if words and hidden:
            seconds = candidates[name][3]
            t1 = time.monotonic()
            head = add_words(head, vocab, x.shape[1], len(labels))
            fit_words(head, x, xq, y, epochs=5, lr=3e-3, batch=128, rng=rng)
            candidates[f"{name}+words"] = (head, *calibrate(head), seconds + time.monotonic() - t1)
    for name, (_, t, metrics, secs) in candidates.items():
        print(f"{name}: threshold {t:.2f}, val {metrics}, trained in {secs:.1f} s", file=sys.stderr)

    def worst(k: str) -> float:
        return min(m["recall"] for m in candidates[k][2])

    def tools(k: str) -> float:
        return float(np.mean([m["mean_selected"] for m in candidates[k][2]]))

    # Fewest tools at the recall target wins (the prompt is what costs time); else the best recall.
    reaching = [k for k in candidates if worst(k) >= target_recall]
    best = min(reaching, key=tools) if reaching else max(candidates, key=worst)
    head, threshold, val_metrics, _ = candidates[best]
    out.mkdir(parents=True, exist_ok=True)
    save_head(head, out / "head.npz")

    def described(path: Path, records: int) -> dict[str, object]:
        return {"file": str(path), "sha256": file_sha256(path), "records": records}

    manifest = {
        "encoder": {"package": ENCODER_PACKAGE, "version": ENCODER_VERSION, "pooling": "mean", "normalized": True,
                    "layers": depth},
        "head": best,
        "weights": "head.npz",
        "weights_bytes": (out / "head.npz").stat().st_size,
        "weights_sha256": file_sha256(out / "head.npz"),
        "labels": labels,
        "threshold": threshold,
        "target_recall": target_recall,
        "helpers": {name: list(s.helpers) for name, s in by_name.items() if s.helpers},
        "train_data": [described(p, n) for p, n in zip(data, counts, strict=True)],
        "extra_data": None if extra is None else {**described(extra, n_extra), "weight": extra_weight},
        "val_data": [described(p, len(q)) for p, (q, _) in zip(val, vals, strict=True)],
        "val_metrics": dict(zip((str(p) for p in val), val_metrics, strict=True)),
        "candidates": {k: {"threshold": c[1], "val": dict(zip((str(p) for p in val), c[2], strict=True)),
                           "train_seconds": round(c[3], 1)} for k, c in candidates.items()},
        "encode_seconds": round(encode_s, 1),
        "seed": seed,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def report(data: Path, folder: Path | None = None) -> list[list[object]]:
    specs = desktop_specs()
    queries, truth = _load_set(data)
    rows: list[list[object]] = []
    emb = EmbedSelector(specs)
    sims = emb.scores(queries)
    for k in range(3, 9):
        chosen = [{specs[i].name for i in np.argsort(-s)[:k]} for s in sims]
        rows.append(_fmt(f"embed top-{k}", set_metrics(chosen, truth)))
    clf = ClassifierSelector(specs, folder)
    probs = clf.probabilities(queries)
    chosen = [clf.choose(p) for p in probs]
    rows.append(_fmt(f"classifier ({clf.describe()})", set_metrics(chosen, truth)))
    fallback = sum(1 for c in chosen if not c)
    print(f"{data}: {len(queries)} queries; classifier chose nothing (so all tools are offered) for {fallback}")
    return rows


def main(argv: list[str] | None = None) -> int:
    from engine.bench import print_table

    p = argparse.ArgumentParser(prog="python -m engine.train.toolrag")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data", type=Path, nargs="+", required=True)
    t.add_argument("--val", type=Path, nargs="+", required=True, help="each set must reach --target-recall on its own")
    t.add_argument("--out", type=Path, default=Path("models/toolrag"))
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--extra", type=Path, help="more labelled queries, e.g. data/reference-train.jsonl (never a split you evaluate on)")
    t.add_argument("--extra-weight", type=int, default=5)
    t.add_argument("--target-recall", type=float, default=0.99)
    t.add_argument("--layers", type=int, help="encoder layers to pool (1-6; default all 6)")
    t.add_argument("--words", action="store_true", help="also try heads with a word view (engine.toolrag.Head)")
    r = sub.add_parser("report")
    r.add_argument("--data", type=Path, required=True)
    r.add_argument("--model-dir", type=Path)
    su = sub.add_parser("sure", help="tune per-tool 'sure' thresholds on val (precision) and store them in the manifest")
    su.add_argument("--data", type=Path, required=True, help="val records the classifier never trained on")
    su.add_argument("--precision", type=float, default=0.98)
    su.add_argument("--model-dir", type=Path)
    args = p.parse_args(argv)
    if args.cmd == "sure":
        return _tune_sure(args.data, args.precision, args.model_dir)
    if args.cmd == "train":
        t0 = time.monotonic()
        manifest = train(args.data, args.val, args.out, args.seed, args.target_recall, args.extra, args.extra_weight, args.layers,
                         args.words)
        print(json.dumps({k: manifest[k] for k in ("head", "threshold", "weights_bytes", "val_metrics", "candidates")}, indent=1))
        print(f"total {time.monotonic() - t0:.0f} s")
        return 0
    rows = report(args.data, args.model_dir)
    print_table(["selector", "recall", "all needed kept", "tools chosen", "exact set"], rows)
    return 0


def _tune_sure(data: Path, precision: float, folder: Path | None) -> int:
    from engine.bench import print_table

    folder = folder or models_path("toolrag")
    selector = ClassifierSelector(desktop_specs(), folder)
    queries, truth = _load_set(data)
    probs = selector.probabilities(queries)
    thresholds = sure_thresholds(probs, truth, selector.labels, precision)
    rows, fired = [], np.zeros(len(queries), bool)
    for i, name in enumerate(selector.labels):
        if name not in thresholds:
            rows.append([name, "-", "-", "-"])
            continue
        hit = probs[:, i] >= thresholds[name]
        fired |= hit
        needed = np.array([name in t for t in truth])
        rows.append([name, f"{thresholds[name]:.3f}", f"{(hit & needed).sum() / max(1, hit.sum()):.3f}",
                     f"{(hit & needed).sum() / max(1, needed.sum()):.3f}"])
    print_table(["tool", "sure above", "precision", "recall"], rows)
    print(f"fires on {fired.mean():.1%} of {len(queries)} queries")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["sure"] = {"precision": precision, "data": data.name, "queries": len(queries), "fires": round(float(fired.mean()), 4),
                        "thresholds": {k: round(v, 4) for k, v in thresholds.items()}}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
