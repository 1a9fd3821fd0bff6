"""ToolRAG: choose the few tools a query needs, so the prompt carries only their descriptions.

``make_selector(name, specs)`` returns a function ``query -> list[ToolSpec]`` (or ``None`` for all
tools). Implementations: ``none`` (all tools).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.tools.spec import ToolSpec

Selector = Callable[[str], Sequence[ToolSpec]]
SELECTORS = ("none",)


class ToolRAGError(ValueError):
    pass


def make_selector(name: str, specs: Sequence[ToolSpec]) -> Selector | None:
    if name in ("none", "all"):
        return None
    raise ToolRAGError(f"unknown ToolRAG selector {name!r}; available: {', '.join(SELECTORS)}")
