"""Where the shipped data lives: ``resources/`` and ``models/`` in a checkout, or the
``tinyagent_resources`` / ``tinyagent_models`` packages they are installed as."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def _locate(package: str, folder: str) -> Path:
    local = _REPO / folder
    if local.is_dir():
        return local
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise FileNotFoundError(f"cannot find the {folder}/ folder; reinstall tinyagent")


def resource_path(*parts: str) -> Path:
    return _locate("tinyagent_resources", "resources").joinpath(*parts)


def models_path(*parts: str) -> Path:
    return _locate("tinyagent_models", "models").joinpath(*parts)
