"""A LoRA adapter merged into its base GGUF, so that llama.cpp plans without the adapter's extra work.

Unmerged, every token runs each adapted matrix as ``W x + s B (A x)``: for the 0.5B planner that is
168 extra pairs of small matrix products a token, and on two cores they cost more than their
arithmetic (the README's Speed section measures the merged planner against the unmerged one). Merged, each adapted matrix is
``W + s B A``, requantized to Q8_0: Q8_0 is the finest type ``gguf`` can write, and the base's Q5_0
would round most of the fine-tuning away (the change a weight gets is often under half a Q5_0
step). Tensors the adapter does not touch are copied byte for byte.

The merge is bit-exact on every machine, so the file it writes can be pinned by sha256 like any
shipped model: ``s B A`` is summed rank by rank in float64 in a fixed order with numpy's element-wise
operations (correctly rounded, unlike a BLAS product whose summation order depends on the CPU), and
Q8_0 quantization is element-wise too. ``engine.models.merged`` builds it once into the model cache
and checks it against the adapter's manifest.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.errors import TinyAgentError

MERGED_TYPE = "Q8_0"
"""The type every adapted matrix is requantized to."""

Progress = Callable[[int, int], None]


class MergeError(TinyAgentError, ValueError):
    """An adapter that cannot be merged into this base: not a LoRA, or its tensors do not fit the base's."""


def lora_pairs(adapter: Path) -> tuple[str | None, float, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The adapter's architecture, its alpha and, for each base tensor it adapts, its ``(A, B)`` as
    float32 arrays in numpy order (``A`` is rank x in, ``B`` is out x rank)."""
    import gguf

    reader = gguf.GGUFReader(str(adapter))
    kind = reader.fields.get("adapter.type")
    if kind is None or kind.contents() != "lora":
        raise MergeError(f"{adapter} is not a LoRA adapter (no adapter.type = lora)")
    alpha_field = reader.fields.get("adapter.lora.alpha")
    if alpha_field is None:
        raise MergeError(f"{adapter} records no adapter.lora.alpha")
    alpha = float(alpha_field.contents())
    arch = reader.fields.get("general.architecture")
    halves: dict[str, dict[str, np.ndarray]] = {}
    for t in reader.tensors:
        base, _, part = t.name.rpartition(".")
        if part not in ("lora_a", "lora_b"):
            raise MergeError(f"{adapter}: tensor {t.name} is not a LoRA half")
        halves.setdefault(base, {})[part] = gguf.dequantize(t.data, t.tensor_type).reshape(t.data.shape[:2])
    pairs = {}
    for base, h in halves.items():
        if set(h) != {"lora_a", "lora_b"}:
            raise MergeError(f"{adapter}: {base} has only {', '.join(h)}")
        a, b = h["lora_a"], h["lora_b"]
        if a.shape[0] != b.shape[1]:
            raise MergeError(f"{adapter}: {base} has lora_a of rank {a.shape[0]} and lora_b of rank {b.shape[1]}")
        pairs[base] = (a.astype(np.float32), b.astype(np.float32))
    return (str(arch.contents()) if arch else None), alpha, pairs


def merged_weight(w: np.ndarray, a: np.ndarray, b: np.ndarray, scale: float) -> np.ndarray:
    """``w + scale * b @ a`` in float32, computed the same way on every CPU (see the module doc)."""
    acc = w.astype(np.float64)
    a64, b64 = a.astype(np.float64), b.astype(np.float64) * scale
    for k in range(a.shape[0]):
        acc += np.multiply.outer(b64[:, k], a64[k])
    return acc.astype(np.float32)


def merge_adapter(base: Path, adapter: Path, out: Path, progress: Progress | None = None) -> Path:
    """Write ``base`` with ``adapter`` merged into it to ``out`` (through a ``.part`` file, so a
    cancelled merge leaves nothing that looks finished); ``progress`` gets the base's bytes done
    and in all."""
    import gguf

    adapter_arch, alpha, pairs = lora_pairs(adapter)
    reader = gguf.GGUFReader(str(base))
    arch = str(reader.fields["general.architecture"].contents())
    if adapter_arch not in (None, arch):
        raise MergeError(f"{adapter} is for a {adapter_arch} model, {base.name} is {arch}")
    by_name = {t.name: t for t in reader.tensors}
    missing = sorted(set(pairs) - set(by_name))
    if missing:
        raise MergeError(f"{adapter} adapts {missing[0]}, which {base.name} does not have ({len(missing)} such)")
    qtype = gguf.GGMLQuantizationType[MERGED_TYPE]
    tensors: list[tuple[str, np.ndarray, gguf.GGMLQuantizationType]] = []
    done, total = 0, sum(int(t.n_bytes) for t in reader.tensors)
    for t in reader.tensors:
        pair = pairs.get(t.name)
        done += int(t.n_bytes)
        if pair is None:
            tensors.append((t.name, t.data, t.tensor_type))
            continue
        a, b = pair
        rows, cols = int(t.shape[1]), int(t.shape[0])
        if b.shape[0] != rows or a.shape[1] != cols:
            raise MergeError(f"{adapter}: {t.name} is {rows} x {cols} in {base.name}, its LoRA is "
                             f"{b.shape[0]} x {a.shape[1]}")
        w = gguf.dequantize(t.data, t.tensor_type).reshape(rows, cols)
        tensors.append((t.name, gguf.quantize(merged_weight(w, a, b, alpha / a.shape[0]), qtype), qtype))
        if progress:
            progress(done, total)
    tmp = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        writer = gguf.GGUFWriter(str(tmp), arch, endianess=reader.endianess)
        for field in reader.fields.values():
            if field.name == "general.architecture" or field.name.startswith("GGUF."):
                continue
            vtype = field.types[0]
            sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(field.name, field.contents(), vtype, sub_type=sub)
        for name, data, ttype in tensors:
            writer.add_tensor_info(name, data.shape, data.dtype, data.nbytes, ttype)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for _, data, _ in tensors:
            writer.write_tensor_data(data)
        writer.close()
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
