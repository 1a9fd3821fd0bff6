"""The record format shared by the generator, the example bank and ``tinyagent eval``.

One JSON object per line: ``id``, ``query``, ``date`` (the "today" it was written for, or null),
``tools`` (the ground-truth tool set), ``plan`` (LLMCompiler text); generated records add
``family``, ``split`` and ``dag`` (``{"nodes": [[id, tool], ...], "edges": [[from, to], ...]}``).
Reading never crashes on a bad line: it is reported with its line number and skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.plan import Plan, PlanError, parse_plan, to_graph
from engine.tools.spec import ToolSpec


@dataclass
class Record:
    id: str
    query: str
    plan: str
    tools: list[str]
    date: dt.datetime | None = None
    family: str = ""
    split: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, parsed: Plan | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "query": self.query,
            "date": self.date.strftime("%Y-%m-%d %H:%M") if self.date else None,
            "tools": sorted(self.tools),
            "plan": self.plan,
        }
        if self.family:
            out["family"] = self.family
        if self.split:
            out["split"] = self.split
        if parsed is not None:
            g = to_graph(parsed)
            out["dag"] = {"nodes": [[n, g.nodes[n]["tool"]] for n in sorted(g.nodes)], "edges": sorted([list(e) for e in g.edges])}
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str


def _parse_date(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    return dt.datetime.fromisoformat(str(value))


def read_records(path: Path) -> Iterator[Record | BadLine]:
    """Records of a JSONL file, and a ``BadLine`` for each line that is not one."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                if not isinstance(r, dict):
                    raise ValueError("not a JSON object")
                missing = [k for k in ("query", "plan") if not isinstance(r.get(k), str)]
                if missing:
                    raise ValueError(f"missing or non-string {', '.join(missing)}")
                known = {"id", "query", "plan", "tools", "date", "family", "split"}
                yield Record(
                    id=str(r.get("id", f"line-{n}")),
                    query=r["query"],
                    plan=r["plan"],
                    tools=list(r.get("tools") or []),
                    date=_parse_date(r.get("date")),
                    family=str(r.get("family", "")),
                    split=str(r.get("split", "")),
                    extra={k: v for k, v in r.items() if k not in known},
                )
            except (ValueError, TypeError) as exc:
                yield BadLine(n, str(exc))


def valid_records(path: Path, specs: Mapping[str, ToolSpec] | Iterable[ToolSpec]) -> Iterator[tuple[Record, Plan]]:
    """Records whose plan passes the validator, each with its parsed plan. Bad lines and invalid
    plans are reported on stderr (with line number or id) and skipped, never fatal."""
    for item in read_records(path):
        if isinstance(item, BadLine):
            print(f"{path}:{item.line}: skipped, {item.reason}", file=sys.stderr)
            continue
        try:
            parsed = parse_plan(item.plan, specs)
        except PlanError as exc:
            print(f"{path}: {item.id}: skipped, its plan is invalid ({exc})", file=sys.stderr)
            continue
        yield item, parsed


def first_valid(path: Path, specs: Mapping[str, ToolSpec] | Iterable[ToolSpec], limit: int | None = None) -> list[Record]:
    """The first ``limit`` valid records (all when ``limit`` is None or 0), as eval and training read a set."""
    out: list[Record] = []
    for item, _ in valid_records(path, specs):
        out.append(item)
        if limit and len(out) >= limit:
            break
    return out


def write_records(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
