"""Model manifest logic without the real weights: assembly from part modules (either accessor),
sha256 refusal, and which LoRA adapter applies to which model."""

from __future__ import annotations

import hashlib
import sys
import types

import pytest

from engine import models


def _fake_parts(monkeypatch, tmp_path, chunks: list[bytes], getter: str) -> None:  # type: ignore[no-untyped-def]
    for n, data in enumerate(chunks, 1):
        f = tmp_path / f"chunk{n}"
        f.write_bytes(data)
        mod = types.ModuleType(f"fakeparts_part{n}")
        setattr(mod, getter, lambda f=f: f)
        monkeypatch.setitem(sys.modules, mod.__name__, mod)


def _manifest(chunks: list[bytes], getter: str, adapter: dict | None = None) -> dict:
    whole = b"".join(chunks)
    entry = {"description": "fake", "file": "fake.gguf", "size": len(whole), "sha256": hashlib.sha256(whole).hexdigest(),
             "parts": {"package": "fakeparts-part{n}", "module": "fakeparts_part{n}", "version": "1", "count": len(chunks),
                       "getter": getter}}
    if adapter:
        entry["adapter"] = adapter
    return {"default": "fake", "fast": "fake", "tiny": "fake", "models": {"fake": entry}}


@pytest.mark.parametrize("getter", ["get_part_path", "chunk_path"])
def test_parts_are_assembled_and_verified(monkeypatch, tmp_path, getter) -> None:
    chunks = [b"GGUF" + b"a" * 100, b"b" * 50]
    _fake_parts(monkeypatch, tmp_path, chunks, getter)
    monkeypatch.setattr(models, "manifest", lambda: _manifest(chunks, getter))
    monkeypatch.setenv("TINYAGENT_CACHE", str(tmp_path / "cache"))
    path = models.resolve("tiny")
    assert path.read_bytes() == b"".join(chunks)
    assert models.resolve("tiny") == path


def test_corrupt_parts_are_refused(monkeypatch, tmp_path) -> None:
    chunks = [b"GGUF" + b"a" * 100, b"b" * 50]
    man = _manifest(chunks, "chunk_path")
    _fake_parts(monkeypatch, tmp_path, [chunks[0], b"c" * 50], "chunk_path")
    monkeypatch.setattr(models, "manifest", lambda: man)
    monkeypatch.setenv("TINYAGENT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(models.ModelError, match="sha256"):
        models.resolve("tiny")
    assert not (tmp_path / "cache" / "models" / "fake.gguf").exists()


def test_adapter_choice(monkeypatch, tmp_path) -> None:
    (tmp_path / "lora").mkdir()
    (tmp_path / "lora" / "a.gguf").write_bytes(b"GGUF")
    monkeypatch.setattr(models, "models_path", lambda *parts: tmp_path.joinpath(*parts))
    monkeypatch.setattr(models, "manifest", lambda: _manifest([b"x"], "chunk_path", {"file": "lora/a.gguf", "default": True}))
    assert models.default_adapter("tiny", None) == str(tmp_path / "lora" / "a.gguf")
    assert models.default_adapter("tiny", "none") is None
    assert models.default_adapter("tiny", "/x/other.gguf") == "/x/other.gguf"
    assert models.default_adapter("/some/model.gguf", None) is None
    monkeypatch.setattr(models, "manifest", lambda: _manifest([b"x"], "chunk_path", {"file": "lora/a.gguf", "default": False}))
    assert models.default_adapter("tiny", None) is None
    monkeypatch.setattr(models, "manifest", lambda: _manifest([b"x"], "chunk_path", {"file": "lora/gone.gguf", "default": True}))
    with pytest.raises(models.ModelError, match="--lora none"):
        models.default_adapter("tiny", None)
