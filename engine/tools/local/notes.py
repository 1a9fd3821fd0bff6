"""Notes as Markdown files, ``<data>/notes/<folder>/<name>.md``: readable and editable by any editor."""

from __future__ import annotations

from pathlib import Path

from engine.tools.local.store import atomic_write, create_new, fold, locked, near_names, safe_filename
from engine.tools.spec import ToolError


class Notes:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _folder(self, folder: str | None) -> Path:
        return self.root / safe_filename(folder) if folder and folder.strip() else self.root

    def inside(self, path: Path) -> bool:
        """Whether ``path``, links followed, is a note in this folder: a link in the notes folder
        that points elsewhere (``~/.bashrc``) is not a note, and is never read or written; one to
        another note is."""
        try:
            return Path(path).resolve().is_relative_to(self.root.resolve())
        except OSError:
            return False

    def find(self, name: str, folder: str | None) -> Path:
        base = self._folder(folder)
        exact = base / f"{safe_filename(name)}.md"
        if exact.exists() and self.inside(exact):
            return exact
        pool = [p for p in base.rglob("*.md") if self.inside(p)] if base.is_dir() else []
        if folder and not pool:
            pool = [p for p in self.root.rglob("*.md") if self.inside(p)] if self.root.is_dir() else []
        by_name = {fold(p.stem): p for p in pool}
        if fold(name) in by_name:
            return by_name[fold(name)]
        close = near_names(name, [p.stem for p in pool])
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        where = f"folder {folder!r}" if folder else "your notes"
        raise ToolError(f"No note named {name!r} in {where}.{hint}", candidates=close, value=name)

    def create(self, name: str, content: str, folder: str | None) -> Path:
        text = f"# {name}\n\n{content.strip()}\n" if content.strip() else f"# {name}\n"
        return create_new(self._folder(folder) / f"{safe_filename(name)}.md", text)

    def read(self, name: str, folder: str | None) -> str:
        return _text_of(self.find(name, folder))

    def append(self, name: str, content: str, folder: str | None) -> Path:
        """Add ``content`` at the end under the note's lock, so parallel appends all land."""
        path = self.find(name, folder)
        with locked(path) as real:
            old = _text_of(real)
            sep = "" if old.endswith("\n") else "\n"
            atomic_write(path, f"{old}{sep}\n{content.strip()}\n")
        return path


def _text_of(path: Path) -> str:
    """A note's text; one that is not UTF-8 is refused (and so never rewritten with U+FFFD)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ToolError(f"The note {path} is not UTF-8 text ({exc.reason} at byte {exc.start}); it was left untouched.") from None
