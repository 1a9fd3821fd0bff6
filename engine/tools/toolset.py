"""A tool set from a JSON file, checked as a whole when it loads.

It sits above ``engine.kinds`` (the whole-set checks) and ``engine.tools.spec`` (one tool), so
loading a set never makes the spec module reach back up for the kind rules.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.kinds import check_tool_set
from engine.tools.spec import Rule, ToolSpec, ToolSpecError


def load_tool_set(path: Path) -> list[ToolSpec]:
    """Specs from an OpenAI-style JSON tool list (``[{"type": "function", "function": {...}}]``,
    or ``{"tools": [...]}``, which may add ``"x-rules": [{"tools": [...], "text": "..."}]``:
    ``Rule``s for the planner's prompt), checked as a whole when loaded
    (``engine.kinds.check_tool_set``), so a broken tool set is refused with its reason here and
    not at plan time."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except RecursionError:
        raise ToolSpecError(f"cannot read the tool set {path}: it is nested too deeply") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ToolSpecError(f"cannot read the tool set {path}: {exc}") from None
    rules: Any = []
    if isinstance(data, Mapping):
        data, rules = data.get("tools"), data.get("x-rules", [])
    if not isinstance(data, list) or not all(isinstance(d, Mapping) for d in data):
        raise ToolSpecError(f"{path}: a tool set is a JSON list of function definitions (or {{\"tools\": [...]}})")
    try:
        specs = [ToolSpec.from_json_schema(d) for d in data]
    except ToolSpecError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise ToolSpecError(f"{path}: a tool definition is malformed ({type(exc).__name__}: {exc})") from None
    names = {s.name for s in specs}
    if len(names) != len(specs):
        raise ToolSpecError(f"{path}: two tools share a name")
    for s in specs:
        if unknown := [h for h in s.helpers if h not in names]:
            raise ToolSpecError(f"{path}: {s.name}'s x-helpers names {unknown[0]!r}, which is not in the set")
    specs = _with_rules(specs, rules, path)
    check_tool_set(specs)
    return specs


def _with_rules(specs: list[ToolSpec], rules: Any, path: Path) -> list[ToolSpec]:
    if not isinstance(rules, list) or not all(
        isinstance(r, Mapping) and isinstance(r.get("text"), str) and isinstance(r.get("tools"), list) for r in rules
    ):
        raise ToolSpecError(f'{path}: x-rules is a list of {{"tools": [names], "text": "..."}}')
    names = {s.name for s in specs}
    parsed = [Rule(i, r["text"], tuple(map(str, r["tools"]))) for i, r in enumerate(rules)]
    for rule in parsed:
        if unknown := [t for t in rule.tools if t not in names]:
            raise ToolSpecError(f"{path}: a rule names {unknown[0]!r}, which is not in the set")
    return [dataclasses.replace(s, rules=tuple(r for r in parsed if s.name in r.tools)) for s in specs]
