"""Safe file writes for the portable backend: a user's file is replaced whole or not at all, and
two writers of one file (two tasks of a plan, or two processes) take turns instead of losing
each other's changes.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on Windows; the in-process lock still holds there
    fcntl = None  # type: ignore[assignment]

# A name's UTF-8 bytes, not its characters, hit the file system's 255-byte limit; this leaves room
# for a suffix such as " (12).md" and the ".lock" beside it.
MAX_NAME_BYTES = 200

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@contextmanager
def locked(path: Path) -> Iterator[Path]:
    """Hold ``path`` for one read-modify-write and yield the real file to work on.

    Independent tasks of a plan run at once, so three appends to one note (or three events in one
    calendar) would each read the old file and the last replace would win. A lock per real path
    (symlinks followed) serialises threads; ``flock`` on a ``.NAME.lock`` file beside it serialises
    processes. The lock file, not the data file, is locked because an atomic replace swaps the
    data file's inode.
    """
    real = Path(os.path.realpath(path))
    real.parent.mkdir(parents=True, exist_ok=True)
    with _thread_locks_guard:
        in_process = _thread_locks.setdefault(str(real), threading.Lock())
    with in_process:
        fd = os.open(real.parent / f".{real.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield real
        finally:
            os.close(fd)


def atomic_write(path: Path, data: str | bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename.

    With ``overwrite=False`` an existing file is never replaced: ``FileExistsError`` instead (the
    final step is a hard link, which fails rather than clobbering a file that appeared meanwhile).
    A replaced symlink stays a symlink (its target is rewritten) and a replaced file keeps its mode.
    """
    if overwrite and path.is_symlink():
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode) if overwrite else None
    except FileNotFoundError:
        mode = None
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
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
    """Append one line durably (used for the SMS outbox, an append-only log), to a file only its
    owner may read: it holds the person's messages."""
    with locked(path) as real:
        fd = os.open(real, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with open(fd, "a", encoding="utf-8") as f:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
            f.write(line.rstrip("\n") + "\n")
            f.flush()
            os.fsync(f.fileno())


_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")


def safe_filename(name: str, fallback: str = "untitled") -> str:
    """A file name that keeps the user's words (accents, spaces) but cannot escape its folder, hide
    itself (no leading dot), disguise itself (no bidi overrides or other invisible characters:
    ``invoice\u202efdp.exe``) or exceed the file system's limit in bytes (``MAX_NAME_BYTES``)."""
    visible = "".join(" " if unicodedata.category(c) in ("Cc", "Cf") else c for c in unicodedata.normalize("NFC", name))
    cleaned = _UNSAFE.sub(" ", visible).strip().strip(".")
    cleaned = re.sub(r"\s+", " ", cleaned)
    cleaned = cleaned.encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", "ignore").strip()
    return cleaned or fallback


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching names (``Erdoğan`` ~ ``erdogan``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def near_names(name: str, names: Iterable[str], limit: int = 5) -> list[str]:
    """The names a mistyped or partial ``name`` may have meant, best first: those that hold it
    ("standup" → "Team standup notes"), then those spelled alike ("Wrok" → "Work")."""
    want = fold(name)
    by_fold = {fold(n): n for n in names}
    if not want:
        return []
    holding = sorted((f for f in by_fold if want in f and f != want), key=len)
    alike = difflib.get_close_matches(want, list(by_fold), n=limit, cutoff=0.6)
    out: list[str] = []
    for f in [*holding, *alike]:
        if by_fold[f] not in out:
            out.append(by_fold[f])
    return out[:limit]
