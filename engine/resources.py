"""Where the shipped data lives: ``resources/`` and ``models/`` in a checkout, or the
``tinyagent_resources`` / ``tinyagent_models`` packages they are installed as."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def _is_checkout(root: Path) -> bool:
    """Whether ``root`` is tinyagent's own source tree. Installed, the engine sits in
    site-packages, where a ``resources/`` folder may belong to any other package: it must never
    replace the desktop tool set."""
    try:
        return 'name = "tinyagent"' in (root / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return False


def _locate(package: str, folder: str) -> Path:
    local = _REPO / folder
    if local.is_dir() and _is_checkout(_REPO):
        return local
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise FileNotFoundError(f"cannot find the {folder}/ folder; reinstall tinyagent")


def resource_path(*parts: str) -> Path:
    return _locate("tinyagent_resources", "resources").joinpath(*parts)


def models_path(*parts: str) -> Path:
    return _locate("tinyagent_models", "models").joinpath(*parts)
