"""PEFT LoRA adapter -> GGUF LoRA that llama.cpp applies to the quantized base at load time.

The format is llama.cpp's (its ``convert_lora_to_gguf.py``): ``general.type = adapter``,
``adapter.type = lora``, ``adapter.lora.alpha``, and for each adapted weight ``W`` two tensors
``<gguf name of W>.lora_a`` (r × in) and ``.lora_b`` (out × r), with the base model's architecture
so llama.cpp can refuse an adapter made for another model. Only architectures whose projection
weights GGUF stores unpermuted (Qwen2, Gemma 2/3, ...) are accepted, since for them PEFT's
matrices apply as they are; Llama-style q/k permutation would need the same permutation here.

Needs numpy, safetensors and ``gguf``; not torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engine.errors import TinyAgentError

SUPPORTED_ARCHS = ("qwen2", "qwen3", "gemma2", "gemma3")


class AdapterExportError(TinyAgentError, ValueError):
    pass


def base_info(base_gguf: Path) -> tuple[str, int]:
    """(architecture, block count) of a GGUF model."""
    import gguf

    reader = gguf.GGUFReader(str(base_gguf))
    arch = str(reader.fields["general.architecture"].contents())
    return arch, int(reader.fields[f"{arch}.block_count"].contents())


def gguf_tensor_name(peft_name: str, arch: str, n_blocks: int) -> tuple[str, str]:
    """``base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight`` ->
    (``blk.3.attn_q.weight``, ``lora_a``)."""
    import gguf

    parts = {".lora_A.weight": "lora_a", ".lora_B.weight": "lora_b"}
    ending = next((e for e in parts if peft_name.endswith(e)), None)
    if ending is None:
        raise AdapterExportError(f"{peft_name}: not a LoRA A/B weight (was the adapter saved with modules_to_save?)")
    hf = peft_name.removeprefix("base_model.model.").removesuffix(ending) + ".weight"
    arch_ids = {v: k for k, v in gguf.MODEL_ARCH_NAMES.items()}
    name = gguf.get_tensor_name_map(arch_ids[arch], n_blocks).get_name(hf, try_suffixes=(".weight",))
    if name is None:
        raise AdapterExportError(f"{hf}: no GGUF tensor of a {arch} model corresponds to it")
    return name, parts[ending]


def write_gguf_lora(
    out: Path, arch: str, n_blocks: int, alpha: float, weights: dict[str, np.ndarray], dtype: str = "f16"
) -> Path:
    """Write ``weights`` (PEFT names -> arrays) as a GGUF LoRA for an ``arch`` model."""
    import gguf

    if arch not in SUPPORTED_ARCHS:
        raise AdapterExportError(f"exporting LoRA for {arch!r} is not supported (supported: {', '.join(SUPPORTED_ARCHS)})")
    pairs: dict[str, dict[str, np.ndarray]] = {}
    for peft_name, array in weights.items():
        name, part = gguf_tensor_name(peft_name, arch, n_blocks)
        pairs.setdefault(name, {})[part] = array
    for name, ab in pairs.items():
        if set(ab) != {"lora_a", "lora_b"}:
            raise AdapterExportError(f"{name}: has {', '.join(sorted(ab))} but needs both lora_a and lora_b")
        if ab["lora_a"].shape[0] != ab["lora_b"].shape[1]:
            raise AdapterExportError(f"{name}: rank of A {ab['lora_a'].shape} and B {ab['lora_b'].shape} differ")
    np_type = {"f16": np.float16, "f32": np.float32}[dtype]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    writer = gguf.GGUFWriter(str(tmp), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    for name in sorted(pairs):
        for part in ("lora_a", "lora_b"):
            writer.add_tensor(f"{name}.{part}", np.ascontiguousarray(pairs[name][part], dtype=np_type))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out)
    return out


def export_adapter(adapter_dir: Path, base_gguf: Path, out: Path, dtype: str = "f16") -> Path:
    """Convert a PEFT adapter folder (``adapter_config.json`` + ``adapter_model.safetensors``)."""
    from safetensors.numpy import load_file

    config_path, weights_path = adapter_dir / "adapter_config.json", adapter_dir / "adapter_model.safetensors"
    for p in (config_path, weights_path):
        if not p.is_file():
            raise AdapterExportError(f"{p} is missing: is {adapter_dir} a PEFT adapter folder?")
    config = json.loads(config_path.read_text())
    if config.get("use_dora") or config.get("use_rslora"):
        raise AdapterExportError("DoRA and rsLoRA adapters cannot be expressed as a llama.cpp LoRA")
    arch, n_blocks = base_info(base_gguf)
    return write_gguf_lora(out, arch, n_blocks, float(config["lora_alpha"]), load_file(str(weights_path)), dtype)
