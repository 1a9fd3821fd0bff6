"""The 16 desktop tools of the reference, as specs: names, parameters and order kept exactly so
plans and models made for the reference work unchanged. Loaded from ``resources/tools/desktop.json``."""

from __future__ import annotations

import dataclasses
import functools

from engine.resources import resource_path
from engine.tools.spec import ToolSpec
from engine.tools.toolset import load_tool_set


@functools.cache
def _load() -> tuple[ToolSpec, ...]:
    return tuple(dataclasses.replace(s, origin="desktop") for s in load_tool_set(resource_path("tools", "desktop.json")))


def desktop_specs() -> list[ToolSpec]:
    return list(_load())


DESKTOP_TOOL_NAMES = tuple(s.name for s in _load())
