"""ToolRAG: choose the few tools a query needs, so the prompt carries only their descriptions.

``make_selector(name, specs)`` returns ``query -> list[ToolSpec]`` (``None`` means all tools):

- ``none``: every tool.
- ``embed`` / ``embed:K``: the K tools whose descriptions are most cosine-similar to the query
  (all-MiniLM-L6-v2), the baseline the reference compares against.
- ``classifier``: a multi-label head over the frozen MiniLM sentence embedding pooled after the
  encoder's first layers (two: as accurate as six at a third of the cost), trained on the
  synthetic data (``python -m engine.train.toolrag train``), thresholded for recall.
  Tools a chosen tool depends on are added (``ToolSpec.helpers``: ``send_sms`` brings ``get_phone_number``), since
  helpers are often never named in the query. If nothing passes the threshold, the planner gets
  every tool: a longer prompt, but never an empty plan for a query that needed a tool.

Training, the report and the thresholds are in ``engine.train.toolrag``:

    python -m engine.train.toolrag train  --data data/train.jsonl --val data/val.jsonl --out models/toolrag/ \
        --extra data/reference-train.jsonl --layers 2
    python -m engine.train.toolrag report --data data/test.jsonl
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from engine.errors import TinyAgentError
from engine.planner import ToolSelector
from engine.resources import models_path
from engine.tools.spec import ToolSpec

SELECTORS = ("none", "embed", "embed:K", "classifier")
DEFAULT_EMBED_K = 6

class ToolRAGError(TinyAgentError, ValueError):
    pass


def with_helpers(names: set[str], specs: Mapping[str, ToolSpec]) -> set[str]:
    """``names`` and the tools they usually need an input from (``ToolSpec.helpers``)."""
    out = set(names)
    for n in names:
        if n in specs:
            out.update(h for h in specs[n].helpers if h in specs)
    return out


def _tool_text(spec: ToolSpec) -> str:
    return f"{spec.name.replace('_', ' ')}: {spec.description} {' '.join(spec.guidance)}"


class EmbedSelector:
    def __init__(self, specs: Sequence[ToolSpec], k: int = DEFAULT_EMBED_K) -> None:
        from engine.encoder import default_encoder

        self.specs = list(specs)
        self.k = k
        self.encoder = default_encoder()
        self.matrix = self.encoder.encode([_tool_text(s) for s in self.specs])

    def scores(self, queries: list[str]) -> np.ndarray:
        return self.encoder.encode(queries) @ self.matrix.T

    def __call__(self, query: str) -> list[ToolSpec]:
        s = self.scores([query])[0]
        top = np.argsort(-s)[: self.k]
        return [self.specs[i] for i in sorted(top)]


class ClassifierSelector:
    """The trained head in ``models/toolrag/``; ``threshold`` from its manifest unless given."""

    def __init__(self, specs: Sequence[ToolSpec], folder: Path | None = None, threshold: float | None = None) -> None:
        from engine.encoder import default_encoder

        folder = folder or models_path("toolrag")
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise ToolRAGError(f"no trained ToolRAG classifier in {folder}; run: python -m engine.train.toolrag train")
        self.manifest = read_manifest(manifest_path)
        self.labels: list[str] = self.manifest["labels"]
        self.head = Head.load(checked_weights(folder, self.manifest))
        self.threshold = float(threshold if threshold is not None else self.manifest["threshold"])
        self.specs = {s.name: s for s in specs}
        self.unlabelled = [n for n in self.specs if n not in self.labels]
        """Tools the classifier was never trained on (a 17th tool, another tool set's): it cannot
        say they are not needed, so they are always offered (``runtime.tool_selector`` says so)."""
        self.encoder = default_encoder()
        self.layers = int(self.manifest["encoder"].get("layers", self.encoder.layers))
        self.head.check(self.encoder.dim, len(self.labels), folder / self.manifest["weights"])
        self._last: tuple[str, np.ndarray] | None = None

    def probabilities(self, queries: list[str]) -> np.ndarray:
        if len(queries) == 1 and self._last is not None and self._last[0] == queries[0]:
            return self._last[1]
        probs = self.head.predict(self.encoder.encode(queries, layers=self.layers), queries)
        if len(queries) == 1:
            self._last = (queries[0], probs)
        return probs

    def sure(self, query: str) -> list[str]:
        """Tools the classifier is sure the query needs (per-tool thresholds tuned on val for
        precision, ``python -m engine.train.toolrag sure``); none when the manifest has no thresholds."""
        thresholds = self.manifest.get("sure", {}).get("thresholds", {})
        probs = self.probabilities([query])[0]
        return [name for i, name in enumerate(self.labels) if name in thresholds and probs[i] >= thresholds[name]]

    def describe(self) -> str:
        return f"{self.manifest['head']}, {self.layers} layers, t={self.threshold:.2f}"

    def choose(self, probs: np.ndarray) -> set[str]:
        picked = {self.labels[i] for i in np.flatnonzero(probs >= self.threshold)}
        return with_helpers(picked, self.specs) | set(self.unlabelled) if picked else set()

    def __call__(self, query: str) -> list[ToolSpec]:
        names = self.choose(self.probabilities([query])[0])
        if not names:
            return list(self.specs.values())
        return [s for n, s in self.specs.items() if n in names]


def read_manifest(path: Path) -> dict:
    """The classifier's manifest, refused with its reason when it is not one (the app then offers
    every tool, and says why)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ToolRAGError(f"{path} is unreadable ({type(exc).__name__}: {exc})") from None
    missing = [k for k in ("weights", "labels", "threshold", "encoder") if not isinstance(data, dict) or k not in data]
    if missing:
        raise ToolRAGError(f"{path} lacks {', '.join(missing)}: not a ToolRAG classifier manifest")
    labels = data["labels"]
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels) \
            or len(set(labels)) != len(labels):
        raise ToolRAGError(f"{path}: labels must be a non-empty list of distinct tool names")
    return data


def checked_weights(folder: Path, manifest: dict) -> Path:
    """The head's file, refused unless its size (and sha256, where the manifest records one) is
    what the manifest says: a truncated or foreign file must not pick the tools."""
    from engine.adapters import recorded_file_problem

    path = folder / str(manifest["weights"])
    if problem := recorded_file_problem(path, manifest.get("weights_bytes"), manifest.get("weights_sha256"),
                                        "the classifier's manifest"):
        raise ToolRAGError(problem)
    return path


def make_selector(name: str, specs: Sequence[ToolSpec]) -> ToolSelector | None:
    if name in ("none", "all"):
        return None
    if name == "embed" or name.startswith("embed:"):
        k = int(name.split(":", 1)[1]) if ":" in name else DEFAULT_EMBED_K
        return EmbedSelector(specs, k)
    if name == "classifier":
        return ClassifierSelector(specs)
    raise ToolRAGError(f"unknown ToolRAG selector {name!r}; available: {', '.join(SELECTORS)}")


# -- the head (trained by ``engine.train.toolrag``) -------------------------------------------


WORD = re.compile(r"\w+")
MAX_WORDS = 2000
"""Words of a request the word view reads (its first ones): a 50,000-character paste costs no
more than a long e-mail."""


def ngrams(text: str) -> list[str]:
    """The lowercased words of ``text`` and its adjacent pairs, each once: the head's word view."""
    words = WORD.findall(text.lower())[:MAX_WORDS]
    return list(dict.fromkeys([*words, *(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))]))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


class Head:
    """A multi-label head: logistic (no ``w1``) or one ReLU hidden layer. Only what a selector
    needs at run time is here; initialising, fitting and saving it are training's.

    With a word view (``vocab``, ``lw``, ``le``, ``lb``) a second, linear head reads the request's
    words and word pairs beside the embedding, and a tool's probability is the larger of the two.
    The embedding of a two-layer MiniLM blurs the plain evidence of a short imperative ("text",
    "the link"); a linear head over the words keeps it. Training fits it as a candidate beside the
    plain heads (``--words``), and it is kept only where it reaches the recall target with fewer
    tools."""

    WORD_KEYS = ("vocab", "lw", "le", "lb")

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        self.p = params
        self.index = {str(w): i for i, w in enumerate(params["vocab"])} if "vocab" in params else None

    def word_ids(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each text's known n-grams as rows of ``lw``."""
        assert self.index is not None
        index = self.index
        return [np.array([index[g] for g in ngrams(t) if g in index], dtype=np.int64) for t in texts]

    def word_logits(self, x: np.ndarray, ids: Sequence[np.ndarray]) -> np.ndarray:
        lw = self.p["lw"]
        out = x @ self.p["le"] + self.p["lb"]
        for i, rows in enumerate(ids):
            if rows.size:
                out[i] += lw[rows].sum(0)
        return out

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The logits, and the hidden activations (None without a hidden layer)."""
        h = None
        if "w1" in self.p:
            h = np.maximum(x @ self.p["w1"] + self.p["b1"], 0.0)
            x = h
        return x @ self.p["w2"] + self.p["b2"], h

    def predict(self, x: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """Probabilities per label; ``texts`` (the requests ``x`` embeds) feed the word view."""
        probs = sigmoid(self.forward(x)[0])
        if self.index is None:
            return probs
        if texts is None or len(texts) != len(x):
            raise ValueError("a head with a word view needs the requests' texts beside their embeddings")
        return np.maximum(probs, sigmoid(self.word_logits(x, self.word_ids(texts))))

    @classmethod
    def load(cls, path: Path) -> Head:
        try:
            with np.load(path, allow_pickle=False) as f:
                return cls({k: f[k] if f[k].dtype.kind == "U" else f[k].astype(np.float32) for k in f.files})
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            raise ToolRAGError(f"{path} is not a readable head ({type(exc).__name__}: {exc})") from None

    def check(self, features: int, labels: int, path: Path) -> None:
        """Refuse a head that does not map the encoder's ``features`` to one logit per label."""
        need = ("w1", "b1", "w2", "b2") if "w1" in self.p else ("w2", "b2")
        missing = [k for k in need if k not in self.p]
        if missing:
            raise ToolRAGError(f"{path} lacks {', '.join(missing)}")
        inner = self.p["w1"].shape[1] if "w1" in self.p else features
        shapes = {"w2": (inner, labels), "b2": (labels,)}
        if "w1" in self.p:
            shapes |= {"w1": (features, inner), "b1": (inner,)}
        if any(k in self.p for k in self.WORD_KEYS):
            missing = [k for k in self.WORD_KEYS if k not in self.p]
            if missing:
                raise ToolRAGError(f"{path} has a partial word view: it lacks {', '.join(missing)}")
            if self.p["vocab"].ndim != 1 or self.p["vocab"].dtype.kind != "U":
                raise ToolRAGError(f"{path}: vocab must be a list of words")
            shapes |= {"lw": (len(self.p["vocab"]), labels), "le": (features, labels), "lb": (labels,)}
        wrong = [f"{k} is {self.p[k].shape}, not {v}" for k, v in shapes.items() if self.p[k].shape != v]
        if wrong:
            raise ToolRAGError(f"{path} does not fit {features} encoder features and {labels} labels: {'; '.join(wrong)}")
