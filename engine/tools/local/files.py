"""Finding, opening and reading the user's files (the Linux stand-in for Spotlight).

A file argument resolves to one exact file or to an error, never to a guess: the approval shows
the resolved path, and a mail must attach what was approved. So only files inside the allowed
roots (the data folder's ``files/`` and the folders the person configured) are ever used; hidden
files and folders never are; a path, absolute or ``~``, must lead inside a root once symlinks are
followed; and several equally good matches are an error that lists them.
"""

from __future__ import annotations

import mimetypes
import os
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

from pypdf import PdfReader

from engine.tools.local.store import fold, near_names
from engine.tools.spec import ToolError

MAX_SCAN = 50_000
MAX_LISTED = 5

Search = Callable[[str, list[Path]], Iterable[Path]]
"""Candidate files for a bare file name under the roots (a folder walk here, Spotlight on a Mac)."""


def walk_roots(name: str, roots: list[Path]) -> Iterable[Path]:
    """Every visible file under ``roots``; the scan is bounded so a huge tree cannot hang a plan."""
    seen = 0
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for fn in filenames:
                if not fn.startswith("."):
                    yield Path(dirpath) / fn
            seen += len(filenames)
            if seen > MAX_SCAN:
                return


def allowed(path: Path, roots: list[Path]) -> Path | None:
    """``path``'s real location if it is a regular, visible file inside one of ``roots``."""
    real = Path(os.path.realpath(path))
    for root in roots:
        try:
            rel = real.relative_to(root)
        except ValueError:
            continue
        if any(part.startswith(".") for part in rel.parts) or not real.is_file():
            return None
        return real
    return None


def find_file(name: str, roots: list[Path], search: Search = walk_roots) -> Path:
    """The one file inside ``roots`` that ``name`` means.

    ``name`` is a file name (``report.pdf``: that exact name, any case or accents), a name without
    extension (``report``: a file whose stem is that), or a path (absolute, ``~``, or relative to a
    root) that must lead inside a root. Names that merely contain ``name`` are never taken; they
    come back as ``candidates`` on the error, for a person to pick from.
    """
    text = (name or "").strip()
    if not text:
        raise ToolError("No file name was given.")
    if "\x00" in text:
        raise ToolError("A file name cannot contain a NUL character.")
    real_roots = [Path(os.path.realpath(r)) for r in roots]
    where = ", ".join(str(r) for r in roots) or "no folders"
    if "/" in text or "\\" in text or text.startswith("~"):
        return _by_path(text, real_roots, where)
    base = Path(text).name
    if not base or base in (".", "..") or base.startswith("."):
        raise ToolError(f"{name!r} is not a file tinyagent may use: hidden files are never searched, opened or sent.")
    wanted = fold(base)
    wanted_stem = None if Path(base).suffix else wanted
    exact: dict[Path, None] = {}
    stem: dict[Path, None] = {}
    near: dict[Path, None] = {}
    for candidate in search(base, real_roots):
        real = allowed(candidate, real_roots)
        if real is None:
            continue
        f = fold(real.name)
        if f == wanted:
            exact[real] = None
        elif wanted_stem is not None and fold(real.stem) == wanted_stem:
            stem[real] = None
        elif wanted in f or fold(Path(base).stem) in f:
            near[real] = None
    for tier in (exact, stem):
        if len(tier) == 1:
            return next(iter(tier))
        if len(tier) > 1:
            listed = _listed(tier)
            raise ToolError(
                f"{len(tier)} files match {name!r}: {', '.join(listed)}. Say which one (its folder or full path).",
                candidates=listed, value=name,
            )
    if not near:
        paths = {p.name: p for p in _bounded(search(base, real_roots), real_roots)}
        near = {paths[n]: None for n in near_names(base, paths, MAX_LISTED)}
    hint = f" Similar: {', '.join(_listed(near))}." if near else ""
    raise ToolError(f"No file named {name!r} was found (searched {where}).{hint}", candidates=_listed(near), value=name)


def _by_path(text: str, roots: list[Path], where: str) -> Path:
    path = Path(os.path.expanduser(text))
    tries = [path] if path.is_absolute() else [root / path for root in roots]
    for p in tries:
        real = allowed(p, roots)
        if real is not None:
            return real
    if any(os.path.lexists(p) for p in tries):
        raise ToolError(
            f"{text!r} is outside the folders tinyagent may use ({where}), or hidden, or not a regular file; "
            "it was not used. Move it into one of those folders, or add its folder in the settings."
        )
    raise ToolError(f"{text!r} does not exist.")


def _bounded(paths: Iterable[Path], roots: list[Path]) -> list[Path]:
    return [r for p in paths if (r := allowed(p, roots)) is not None]


def _listed(paths: Iterable[Path]) -> list[str]:
    return [str(p) for p in sorted(paths, key=lambda p: (-p.stat().st_mtime, str(p)))[:MAX_LISTED]]


def describe_file(path: Path) -> str:
    """``/home/me/Documents/report.pdf (application/pdf, 23.4 kB)``: what an approval shows."""
    kind = mimetypes.guess_type(path.name)[0] or "unknown type"
    size = path.stat().st_size
    shown = f"{size} bytes" if size < 1000 else f"{size / 1000:.1f} kB" if size < 1_000_000 else f"{size / 1e6:.1f} MB"
    return f"{path} ({kind}, {shown})"


OPENERS = ("/usr/bin/xdg-open", "/usr/local/bin/xdg-open", "/bin/xdg-open", "/usr/bin/open")
"""Where a desktop opener may be: Linux's xdg-open, macOS's open."""


def open_with_desktop(target: str) -> None:
    """Hand a path or URL to the desktop's opener, without waiting for it. The opener is found in
    the system's own folders only, never through ``PATH`` (a folder early in it could hold
    another program of that name)."""
    opener = next((p for p in OPENERS if os.access(p, os.X_OK)), None)
    if opener is None:
        raise ToolError(f"No desktop opener (xdg-open) is installed to open {target}.")
    subprocess.Popen([opener, target], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def pdf_text(path: Path, max_chars: int = 20_000) -> str:
    if not path.is_file():
        raise ToolError(f"{path} does not exist.")
    try:
        reader = PdfReader(str(path))
        chunks = []
        total = 0
        for page in reader.pages:
            t = page.extract_text() or ""
            chunks.append(t)
            total += len(t)
            if total >= max_chars:
                break
    except Exception as exc:
        raise ToolError(f"{path.name} could not be read as a PDF ({type(exc).__name__}: {exc}).") from exc
    text = "\n".join(chunks).strip()
    if not text:
        raise ToolError(f"{path.name} has no extractable text (is it a scan?).")
    return text[:max_chars]
