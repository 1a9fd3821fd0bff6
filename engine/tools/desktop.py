"""The 16 desktop tools of the reference, as specs: names, parameters and order kept exactly so
plans and models made for the reference work unchanged. Loaded from ``resources/tools/desktop.json``."""

from __future__ import annotations

import functools
import json

from engine.resources import resource_path
from engine.tools.spec import ToolSpec


@functools.cache
def _load() -> tuple[ToolSpec, ...]:
    from engine.kinds import check_tool_set

    data = json.loads(resource_path("tools", "desktop.json").read_text(encoding="utf-8"))
    specs = tuple(ToolSpec.from_json_schema(d) for d in data)
    check_tool_set(specs)
    return specs


def desktop_specs() -> list[ToolSpec]:
    return list(_load())


DESKTOP_TOOL_NAMES = tuple(s.name for s in _load())
