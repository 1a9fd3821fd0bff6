"""A fine-tuned planner adapter (a GGUF LoRA) and what it was trained for.

``python -m engine.train planner`` writes the adapter beside a ``manifest.json`` that records the
base model's sha256 and the prompt it was trained on. An adapter only plans well on that base
with that prompt: on another base its weights are noise, and a model tuned on the compact prompt
has never seen the reference prompt's examples. So the manifest decides the prompt, and an
adapter whose base does not match, or whose file is not a GGUF, is refused with the reason, and
the base model plans alone (``runtime.adapted``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from engine.config import PromptStyle
from engine.errors import TinyAgentError

MANIFEST = "manifest.json"


class AdapterError(TinyAgentError, ValueError):
    """An adapter that cannot be used: missing, not a GGUF file, a broken manifest, another base."""


@dataclass(frozen=True)
class MergedFile:
    """The adapter merged into its base (``engine.merge``), pinned when the adapter was kept: the
    merge is bit-exact, so the file built on any machine must have this size and sha256."""

    file: str
    size: int
    sha256: str


@dataclass(frozen=True)
class AdapterInfo:
    path: Path
    base_sha256: str | None
    """The base it was trained on; None for an adapter without a manifest (not checked)."""
    prompt: PromptStyle | None
    """The prompt it was trained on; None when unknown (the config's is kept)."""
    examples: int | None = None
    merged: MergedFile | None = None
    """The merged planner to build and plan with instead, when the manifest pins one."""


def read_adapter(path: str | Path) -> AdapterInfo:
    """The adapter at ``path`` and, from the manifest beside it (when that manifest describes
    this file), its base and prompt."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise AdapterError(f"adapter {path} cannot be read: {exc.strerror or exc}") from None
    if magic != b"GGUF":
        raise AdapterError(f"adapter {path} is not a GGUF file (it starts with {magic!r})")
    manifest = path.parent / MANIFEST
    if not manifest.is_file():
        return AdapterInfo(path, None, None)
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("adapter") != path.name:
            return AdapterInfo(path, None, None)  # the folder's manifest is another file's
        _check_file(path, data.get("adapter_bytes"), data.get("adapter_sha256"))
        config = data.get("config") or {}
        prompt = PromptStyle(config.get("prompt", PromptStyle.REFERENCE))
        examples = config.get("examples")
        merged = data.get("merged")
        if merged is not None and Path(str(merged["file"])).name != merged["file"]:
            raise ValueError(f"merged file {merged['file']!r} is not a plain file name")
        return AdapterInfo(path, str(data["base_sha256"]), prompt, examples if isinstance(examples, int) else None,
                           None if merged is None else MergedFile(str(merged["file"]), int(merged["size"]),
                                                                  str(merged["sha256"])))
    except AdapterError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AdapterError(f"adapter {path}: its {MANIFEST} is unreadable ({type(exc).__name__}: {exc})") from None


def _check_file(path: Path, size: object, sha256: object) -> None:
    """Refuse an adapter whose size or sha256 is not what its manifest records, before llama.cpp
    reads it: a truncated GGUF passed the magic check and crashed the process in native code."""
    if isinstance(size, int) and path.stat().st_size != size:
        raise AdapterError(f"adapter {path} has {path.stat().st_size} bytes, its {MANIFEST} records {size}: "
                           "truncated or replaced; reinstall it")
    if isinstance(sha256, str) and file_sha256(path) != sha256:
        raise AdapterError(f"adapter {path}: its sha256 is not the one its {MANIFEST} records; reinstall it")


def check_base(info: AdapterInfo, base: Path, known_sha256: str | None = None) -> None:
    """Refuse ``info`` unless it was trained on ``base`` (``known_sha256``: the manifest's pinned
    hash of a named model, which saves hashing a gigabyte)."""
    if info.base_sha256 is None:
        return
    actual = known_sha256 or file_sha256(base)
    if actual != info.base_sha256:
        raise AdapterError(f"adapter {info.path} was trained on another base (sha256 {info.base_sha256[:12]}…), "
                           f"not {base.name} ({actual[:12]}…)")


def recorded_file_problem(path: Path, size: int | None, sha256: str | None, record: str) -> str | None:
    """Why ``path`` is not the file ``record`` (the manifest or state that names it) describes:
    missing, of another size (truncated or foreign), or of another sha256; None when it is. Only
    what ``record`` records is compared; the size first, so a truncated file costs no hashing."""
    if not path.is_file():
        return f"{path} is missing ({record} names it)"
    actual = path.stat().st_size
    if size is not None and actual != size:
        return f"{path} has {actual} bytes, {record} records {size}: truncated or foreign"
    if sha256 is not None and (digest := file_sha256(path)) != sha256:
        return f"{path}: sha256 {digest[:12]}… is not the {str(sha256)[:12]}… {record} records"
    return None


def file_sha256(path: Path) -> str:
    st = path.stat()
    return _sha256(str(path), st.st_size, st.st_mtime_ns)


@functools.cache
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
