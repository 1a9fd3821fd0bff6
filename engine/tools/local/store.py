"""Safe file writes for the portable backend: a user's file is replaced whole or not at all."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path


def atomic_write(path: Path, data: str | bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename.

    With ``overwrite=False`` an existing file is never replaced: ``FileExistsError`` instead (the
    final step is a hard link, which fails rather than clobbering a file that appeared meanwhile).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def create_new(path: Path, data: str | bytes) -> Path:
    """Write a new file next to any existing one: ``name.md``, else ``name (2).md``, ``name (3).md``…"""
    stem, suffix = path.stem, path.suffix
    for n in range(1, 1000):
        candidate = path if n == 1 else path.with_name(f"{stem} ({n}){suffix}")
        try:
            return atomic_write(candidate, data, overwrite=False)
        except FileExistsError:
            continue
    raise FileExistsError(f"too many files named like {path}")


def append_line(path: Path, line: str) -> None:
    """Append one line durably (used for the SMS outbox, an append-only log)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(line.rstrip("\n") + "\n")
        f.flush()
        os.fsync(f.fileno())


_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")


def safe_filename(name: str, fallback: str = "untitled") -> str:
    """A file name that keeps the user's words (accents, spaces) but cannot escape its folder."""
    cleaned = _UNSAFE.sub(" ", unicodedata.normalize("NFC", name)).strip().strip(".")
    cleaned = re.sub(r"\s+", " ", cleaned)[:120]
    return cleaned or fallback


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching names (``Erdoğan`` ~ ``erdogan``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()
