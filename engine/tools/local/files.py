"""Finding, opening and reading the user's files (the Linux stand-in for Spotlight)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pypdf import PdfReader

from engine.executor import ToolError
from engine.tools.local.store import fold

MAX_SCAN = 50_000


def find_file(name: str, roots: list[Path]) -> Path:
    """Best match for ``name`` under ``roots``: exact name, then same stem, then name contained.

    ``name`` may also be a path that exists. The scan is bounded so a huge tree cannot hang a plan.
    """
    if not name or not name.strip():
        raise ToolError("No file name was given.")
    direct = Path(os.path.expanduser(name.strip()))
    if direct.is_absolute() and direct.is_file():
        return direct
    wanted = fold(Path(name.strip()).name)
    wanted_stem = fold(Path(name.strip()).stem) if "." in wanted else wanted
    exact, stem, partial = [], [], []
    seen = 0
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for fn in filenames:
                seen += 1
                f = fold(fn)
                p = Path(dirpath) / fn
                if f == wanted:
                    exact.append(p)
                elif fold(Path(fn).stem) == wanted_stem:
                    stem.append(p)
                elif wanted_stem in f:
                    partial.append(p)
            if seen > MAX_SCAN:
                break
    for tier in (exact, stem, partial):
        if tier:
            return sorted(tier, key=lambda p: (-p.stat().st_mtime, str(p)))[0]
    searched = ", ".join(str(r) for r in roots) or "no folders"
    raise ToolError(f"No file matching {name!r} was found (searched {searched}).")


def open_with_desktop(target: str) -> None:
    """Hand a path or URL to the desktop's opener, without waiting for it."""
    opener = shutil.which("xdg-open") or shutil.which("open")
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
