"""The adapter merged into its base: the merge is W + s·B·A requantized to Q8_0 for adapted
tensors and a byte-for-byte copy for the rest, identical on every CPU (so its sha256 can be
pinned), and the app plans merged only with the file its manifest pins."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")

from engine import models  # noqa: E402
from engine.adapters import MergedFile, read_adapter  # noqa: E402
from engine.config import Config  # noqa: E402
from engine.merge import MergeError, merge_adapter, merged_weight  # noqa: E402
from engine.runtime import adapted  # noqa: E402

ROWS, COLS, RANK, ALPHA = 64, 96, 4, 8.0


def _weights() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {"blk.0.attn_q.weight": rng.normal(0, 0.05, (ROWS, COLS)).astype(np.float32),
            "blk.0.ffn_up.weight": rng.normal(0, 0.05, (ROWS, COLS)).astype(np.float32),
            "token_embd.weight": rng.normal(0, 1, (8, COLS)).astype(np.float32)}


def _base(path: Path) -> Path:
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_block_count(1)
    writer.add_string("general.name", "tiny merge test")
    w = _weights()
    writer.add_tensor("token_embd.weight", w["token_embd.weight"])
    writer.add_tensor("blk.0.attn_q.weight", gguf.quantize(w["blk.0.attn_q.weight"], gguf.GGMLQuantizationType.Q5_0),
                      raw_dtype=gguf.GGMLQuantizationType.Q5_0)
    writer.add_tensor("blk.0.ffn_up.weight", gguf.quantize(w["blk.0.ffn_up.weight"], gguf.GGMLQuantizationType.Q8_0),
                      raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _lora(seed: int = 3) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return {"blk.0.attn_q.weight": (rng.normal(0, 0.1, (RANK, COLS)).astype(np.float16),
                                    rng.normal(0, 0.01, (ROWS, RANK)).astype(np.float16))}


def _adapter(path: Path, pairs: dict[str, tuple[np.ndarray, np.ndarray]] | None = None, kind: str = "lora") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, kind)
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, ALPHA)
    for name, (a, b) in (pairs or _lora()).items():
        writer.add_tensor(f"{name}.lora_a", a)
        writer.add_tensor(f"{name}.lora_b", b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_merged_weight_is_w_plus_scaled_ba_whatever_the_memory_layout() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=(48, 80)).astype(np.float32)
    a = rng.normal(size=(8, 80)).astype(np.float32)
    b = rng.normal(size=(48, 8)).astype(np.float32)
    out = merged_weight(w, a, b, 0.5)
    np.testing.assert_allclose(out, w + 0.5 * (b.astype(np.float64) @ a.astype(np.float64)), rtol=1e-6, atol=1e-6)
    again = merged_weight(np.asfortranarray(w), np.asfortranarray(a), np.asfortranarray(b), 0.5)
    assert out.tobytes() == again.tobytes()


def test_adapted_tensors_become_q8_0_with_the_lora_added_and_the_rest_is_copied_byte_for_byte(tmp_path) -> None:
    base = _base(tmp_path / "base.gguf")
    out = merge_adapter(base, _adapter(tmp_path / "a" / "lora.gguf"), tmp_path / "merged.gguf")
    before = {t.name: t for t in gguf.GGUFReader(str(base)).tensors}
    after = gguf.GGUFReader(str(out))
    assert str(after.fields["general.name"].contents()) == "tiny merge test"
    assert int(after.fields["qwen2.block_count"].contents()) == 1
    merged = {t.name: t for t in after.tensors}
    assert list(merged) == list(before)
    for name in ("token_embd.weight", "blk.0.ffn_up.weight"):
        assert merged[name].tensor_type == before[name].tensor_type
        assert merged[name].data.tobytes() == before[name].data.tobytes()
    q = merged["blk.0.attn_q.weight"]
    assert q.tensor_type == gguf.GGMLQuantizationType.Q8_0
    a, b = (x.astype(np.float32) for x in _lora()["blk.0.attn_q.weight"])
    w = gguf.dequantize(before["blk.0.attn_q.weight"].data, gguf.GGMLQuantizationType.Q5_0).reshape(ROWS, COLS)
    want = w + ALPHA / RANK * (b @ a)
    got = gguf.dequantize(q.data, q.tensor_type).reshape(ROWS, COLS)
    step = np.abs(want).reshape(-1, 32).max(axis=1) / 127  # Q8_0's step; its f16 scale adds up to 127 * 2^-11 of it
    assert np.all(np.abs(got - want).reshape(-1, 32) <= step[:, None] * 0.57)
    assert not np.allclose(got, w, atol=1e-3)  # the adapter's change survived the requantization


def test_the_merge_is_bit_exact_so_its_sha256_can_be_pinned(tmp_path) -> None:
    """Pinned: a machine whose float arithmetic gave another file would fail here (and the app
    would refuse its merged planner and plan unmerged)."""
    base = _base(tmp_path / "base.gguf")
    adapter = _adapter(tmp_path / "a" / "lora.gguf")
    first = merge_adapter(base, adapter, tmp_path / "one.gguf")
    second = merge_adapter(base, adapter, tmp_path / "two.gguf")
    assert _sha(first) == _sha(second)
    assert _sha(first) == PINNED


PINNED = "77365c847c7f70985d05e548d577e00a02924c52d91dec1b1bdd3afea132162a"


def test_an_adapter_that_does_not_fit_the_base_is_refused_with_its_reason(tmp_path) -> None:
    base = _base(tmp_path / "base.gguf")
    cases = [
        (_adapter(tmp_path / "x" / "kind.gguf", kind="control"), "not a LoRA adapter"),
        (_adapter(tmp_path / "x" / "name.gguf", {"blk.9.attn_q.weight": _lora()["blk.0.attn_q.weight"]}),
         "which base.gguf does not have"),
        (_adapter(tmp_path / "x" / "shape.gguf", {"blk.0.attn_q.weight": (np.zeros((RANK, 32), np.float16),
                                                                         np.zeros((ROWS, RANK), np.float16))}),
         "its LoRA is 64 x 32"),
    ]
    for adapter, why in cases:
        with pytest.raises(MergeError, match=why):
            merge_adapter(base, adapter, tmp_path / "out.gguf")
        assert not (tmp_path / "out.gguf").exists() and not (tmp_path / "out.gguf.part").exists()


def _pinned_adapter(tmp_path: Path, base: Path, sha256: str | None = None) -> tuple[Path, MergedFile]:
    """An adapter folder whose manifest pins its merge (the real one when ``sha256`` is None)."""
    adapter = _adapter(tmp_path / "ad" / "planner-lora.gguf")
    probe = merge_adapter(base, adapter, tmp_path / "probe.gguf")
    record = MergedFile("base+planner-lora-merged.gguf", probe.stat().st_size, sha256 or _sha(probe))
    (adapter.parent / "manifest.json").write_text(json.dumps({
        "adapter": adapter.name, "base_sha256": _sha(base), "config": {"prompt": "compact", "examples": 1},
        "merged": {"file": record.file, "size": record.size, "sha256": record.sha256}}))
    return adapter, record


def test_the_app_plans_with_the_pinned_merge_built_once_into_the_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TINYAGENT_CACHE", str(tmp_path / "cache"))
    base = _base(tmp_path / "base.gguf")
    adapter, record = _pinned_adapter(tmp_path, base)
    assert read_adapter(adapter).merged == record
    warnings: list[str] = []
    config = adapted(Config(model=str(base), lora=str(adapter)), warnings.append)
    assert warnings == [] and config.lora == "none"
    assert Path(config.model or "") == models.cache_dir() / record.file and _sha(Path(config.model or "")) == record.sha256

    def no_second_merge(*args: object, **kwargs: object) -> None:
        raise AssertionError("merged again although the cache holds the verified file")

    monkeypatch.setattr("engine.merge.merge_adapter", no_second_merge)
    assert adapted(Config(model=str(base), lora=str(adapter))).model == config.model
    unmerged = adapted(Config(model=str(base), lora=str(adapter), merge=False))
    assert unmerged.lora == str(adapter) and unmerged.model == str(base)


def test_a_merge_that_is_not_the_pinned_file_is_refused_and_the_adapter_plans_unmerged(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TINYAGENT_CACHE", str(tmp_path / "cache"))
    base = _base(tmp_path / "base.gguf")
    adapter, record = _pinned_adapter(tmp_path, base, sha256="ab" * 32)
    with pytest.raises(models.ModelError, match="not the .* its manifest pins"):
        models.merged(base, adapter, record)
    assert list(models.cache_dir().iterdir()) == []
    warnings: list[str] = []
    config = adapted(Config(model=str(base), lora=str(adapter)), warnings.append)
    assert config.lora == str(adapter) and config.model == str(base)
    assert len(warnings) == 1 and "planning with the adapter unmerged" in warnings[0]


def test_a_merged_file_name_that_leaves_the_cache_is_refused(tmp_path) -> None:
    base = _base(tmp_path / "base.gguf")
    adapter, _ = _pinned_adapter(tmp_path, base)
    manifest = adapter.parent / "manifest.json"
    data = json.loads(manifest.read_text())
    data["merged"]["file"] = "../../elsewhere.gguf"
    manifest.write_text(json.dumps(data))
    with pytest.raises(Exception, match="not a plain file name"):
        read_adapter(adapter)


@pytest.mark.model
def test_the_shipped_planner_merges_here_into_the_file_its_manifest_pins(tmp_path, monkeypatch) -> None:
    """The real merge (the 0.5B and the campaign's kept adapter, ~1 minute) on this machine's CPU
    gives the bytes pinned where the adapter was kept: the merge is bit-exact across machines."""
    info = read_adapter(models.models_path(models.entry(None).adapter or ""))
    assert info.merged is not None
    base = models.resolve(None)
    monkeypatch.setenv("TINYAGENT_CACHE", str(tmp_path))
    path = models.merged(base, info.path, info.merged)
    assert path.stat().st_size == info.merged.size and path.parent == models.cache_dir()


@pytest.mark.model
def test_models_fetch_planner_gives_the_merged_planner(capsys) -> None:
    """What setup.sh runs: the planner's base assembled and its adapter merged, the path printed."""
    from engine.cli import main

    info = read_adapter(models.models_path(models.entry(None).adapter or ""))
    assert main(["models", "fetch", "planner"]) == 0
    assert info.merged is not None and Path(capsys.readouterr().out.strip()).name == info.merged.file
