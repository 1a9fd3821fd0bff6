"""Kinds of data in a plan: what a tool returns and what each parameter accepts.

Most of the planner's failures are not syntax (the grammar rules that out) but dataflow a type
system would reject: ``send_sms(["Sid"], …)`` texts a name, ``summarize_pdf("$1")`` summarises a
reminder, an attachment is an e-mail lookup. A tool set declares kinds in its JSON
(``x-returns-kind`` on a tool, ``x-kind`` on a parameter: the kinds it accepts); a parameter that
declares none accepts anything, so a user's tool set without kinds behaves as before.

The desktop rules are the reference's conventions, not stricter ones: its plans text e-mail
addresses (iMessage takes them), invite by phone number, and attach a summary, a note or a map
link. Held to "recipients are addresses, attachments are files" the checker rejected 129 of its
1,010 plans; with those conventions accepted it rejects only the plans that really are wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from engine.addresses import as_email_address, as_phone_number
from engine.plan import WHOLE_REF, Plan, PlanError, Ref, Task, bind_arguments
from engine.tools.spec import ToolSpec, ToolSpecError


class Kind(StrEnum):
    """``TEXT`` is any text (a name written in a plan is only that); ``DOCUMENT`` is text the agent
    read or wrote, a summary or a note, which may be attached as a text file."""

    EMAIL = "email_address"
    PHONE = "phone_number"
    FILE = "file_path"
    URL = "url"
    MEETING_LINK = "meeting_link"
    DOCUMENT = "document"
    TEXT = "text"
    DATETIME = "datetime"


LITERAL_KINDS = frozenset({Kind.EMAIL, Kind.PHONE, Kind.FILE, Kind.URL, Kind.TEXT})
"""Kinds a value written in the plan itself can have; the others only come from a tool."""


def literal_kinds(value: str) -> set[Kind]:
    """The kinds a literal written in a plan can be taken as (a name is none of these)."""
    v = value.strip()
    kinds = {Kind.TEXT}
    if as_email_address(v) is not None:
        kinds.add(Kind.EMAIL)
    if as_phone_number(v) is not None:
        kinds.add(Kind.PHONE)
    if v.startswith(("/", "~/")):
        kinds.add(Kind.FILE)
    if v.startswith(("http://", "https://")):
        kinds.add(Kind.URL)
    return kinds


@dataclass(frozen=True)
class Mismatch:
    """One argument of the wrong kind: what the parameter accepts and what it was given."""

    task_id: int
    tool: str
    param: str
    accepts: frozenset[Kind]
    given: str
    """What it got: ``$N (email_address)``, or the literal as written."""

    def message(self) -> str:
        wanted = " or ".join(sorted(k.value for k in self.accepts))
        return f"{self.tool}'s {self.param} needs {wanted}, not {self.given}"


def returns_kind(spec: ToolSpec) -> Kind | None:
    return Kind(spec.returns_kind) if spec.returns_kind else None


def accepted(spec: ToolSpec, param: str) -> frozenset[Kind]:
    return frozenset(Kind(k) for k in spec.param(param).kinds)


def check_task_kinds(task: Task, specs: Mapping[str, ToolSpec], produced: Mapping[int, Kind | None]) -> list[Mismatch]:
    """The arguments of ``task`` whose kind its tool does not accept. ``produced`` maps earlier
    task ids to the kind they return (None: unknown, accepted anywhere)."""
    spec = specs.get(task.tool)
    if spec is None or task.is_join:
        return []
    out = []
    for name, value in bind_arguments(task, spec).items():
        wants = accepted(spec, name)
        if not wants:
            continue
        for item in value if isinstance(value, list) else [value]:
            given = _given(item, produced, specs)
            if given is not None and not (given[0] & wants):
                out.append(Mismatch(task.id, task.tool, name, wants, given[1]))
    return out


def _given(item: Any, produced: Mapping[int, Kind | None], specs: Mapping[str, ToolSpec]) -> tuple[set[Kind], str] | None:
    """The kinds ``item`` can be taken as and how to name it, or None when anything goes."""
    ref = item.id if isinstance(item, Ref) else None
    if ref is None and isinstance(item, str) and (m := WHOLE_REF.match(item.strip())):
        ref = int(m.group(1))
    if ref is not None:
        kind = produced.get(ref)
        return None if kind is None else ({kind}, f"${ref} ({kind.value})")
    if item is None or (isinstance(item, str) and not item.strip()):
        return None  # empty: whether it may be left out is the tool's business
    return literal_kinds(str(item)), repr(item)


def check_plan_kinds(plan: Plan, specs: Mapping[str, ToolSpec] | Iterable[ToolSpec]) -> list[Mismatch]:
    """Every argument of ``plan`` of a kind its parameter does not accept."""
    by_name = specs if isinstance(specs, Mapping) else {s.name: s for s in specs}
    produced: dict[int, Kind | None] = {}
    out: list[Mismatch] = []
    for task in plan.calls:
        out += check_task_kinds(task, by_name, produced)
        spec = by_name.get(task.tool)
        produced[task.id] = returns_kind(spec) if spec else None
    return out


def require_kinds(plan: Plan, specs: Mapping[str, ToolSpec] | Iterable[ToolSpec]) -> None:
    """``PlanError("kind", …)`` for the first argument of the wrong kind: for plans that come
    from anywhere (no grammar, a user's edit, another model)."""
    bad = check_plan_kinds(plan, specs)
    if bad:
        raise PlanError("kind", bad[0].message(), bad[0].task_id)


def check_tool_set(specs: Iterable[ToolSpec]) -> None:
    """Refuse, when a tool set is loaded, kinds that are not ``Kind`` values and required
    parameters that nothing could ever satisfy (a kind no tool returns and no literal can be),
    rather than fail every plan that uses them."""
    specs = list(specs)
    produced = set(LITERAL_KINDS)
    for spec in specs:
        for name in [spec.returns_kind, *(k for p in spec.params for k in p.kinds)]:
            if name is not None and name not in Kind._value2member_map_:
                raise ToolSpecError(f"{spec.name}: unknown data kind {name!r}; kinds are {', '.join(k.value for k in Kind)}")
        if spec.returns_kind:
            produced.add(Kind(spec.returns_kind))
    for spec in specs:
        for p in spec.params:
            if p.required and p.kinds and not {Kind(k) for k in p.kinds} & produced:
                raise ToolSpecError(f"{spec.name}: parameter {p.name!r} accepts only {', '.join(p.kinds)}, which no tool "
                                    "returns and no value in a plan can be")
