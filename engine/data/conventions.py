"""How consistently a set's plans follow a convention that the request alone does not decide.

The reference's plans were written by a large model, and on some choices it flips a coin: whether
"reply to the email from John" looks John up (to cc him), whether appending to a note opens it
first. A planner cannot learn a coin flip, and a test record on one is lost half the time
whatever it writes. ``python -m engine.data conventions FILE...`` counts, per convention, the
plans it applies to and those that follow it; on an eval results file (``tinyagent eval --out``)
it also counts how often the prediction made the truth's choice, and the failed records where it
did not, which is the part of a test set's failures that these conventions explain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.plan import Plan, PlanError, Ref, parse_plan
from engine.tools.spec import ToolSpec

_REPLY_FROM = re.compile(r"\breply to (?:the )?(?:latest )?email from ([A-Z][\w-]*)|\breply to ([A-Z][\w-]*)'s email", re.I)


def sender(query: str) -> str | None:
    """The first name of the person whose e-mail the request answers, if it names one."""
    m = _REPLY_FROM.search(query)
    return (m.group(1) or m.group(2)) if m else None


def _calls(plan: Plan, tool: str) -> list[object]:
    """The first argument of each call of ``tool``."""
    return [t.args[0] for t in plan.calls if t.tool == tool and t.args]


def _texts(plan: Plan, tool: str) -> set[str]:
    """The first arguments of ``tool``'s calls that are written out, lowercased."""
    return {a.lower() for a in _calls(plan, tool) if isinstance(a, str)}


def _reply_applies(query: str, plan: Plan) -> bool:
    return sender(query) is not None and any(t.tool == "reply_to_email" for t in plan.calls)


def _reply_follows(query: str, plan: Plan) -> bool:
    return (sender(query) or "").lower() in _texts(plan, "get_email_address")


def _append_applies(query: str, plan: Plan) -> bool:
    return bool(_calls(plan, "append_note_content"))


def _append_follows(query: str, plan: Plan) -> bool:
    return bool(_texts(plan, "append_note_content") & _texts(plan, "open_note"))


def _phone_applies(query: str, plan: Plan) -> bool:
    return bool(_calls(plan, "get_phone_number"))


def _phone_follows(query: str, plan: Plan) -> bool:
    return any(isinstance(a, Ref) for a in _calls(plan, "get_phone_number"))


@dataclass(frozen=True)
class Convention:
    name: str
    means: str
    """What a plan that follows it does."""
    applies: Callable[[str, Plan], bool]
    follows: Callable[[str, Plan], bool]


CONVENTIONS = (
    Convention("reply-looks-up-sender", "a reply to X's e-mail looks X up (and ccs X)", _reply_applies, _reply_follows),
    Convention("append-opens-note", "appending to a note opens that note first", _append_applies, _append_follows),
    Convention("phone-via-email", "a phone number is looked up from an e-mail lookup's result", _phone_applies,
               _phone_follows),
)


@dataclass
class Tally:
    convention: Convention
    applies: int = 0
    follows: int = 0
    compared: int = 0
    """Results only: records where the convention applies to the truth and the prediction parsed."""
    agrees: int = 0
    failed_on_it: int = 0
    """Failed records whose prediction made the other choice (some may have failed on more)."""
    examples: list[str] = field(default_factory=list)


def _parse(text: str, specs: Sequence[ToolSpec]) -> Plan | None:
    try:
        return parse_plan(text, specs)
    except PlanError:
        return None


def tally(rows: Iterable[dict], specs: Sequence[ToolSpec]) -> list[Tally]:
    """Per convention, over ``rows``: records (``query``, ``plan``) or eval results (``query``,
    ``truth``, ``pred``, ``success``)."""
    out = [Tally(c) for c in CONVENTIONS]
    for row in rows:
        truth = _parse(row.get("truth", row.get("plan", "")), specs)
        if truth is None:
            continue
        pred = _parse(row["pred"], specs) if isinstance(row.get("pred"), str) else None
        for t in out:
            c = t.convention
            if not c.applies(row["query"], truth):
                continue
            t.applies += 1
            follows = c.follows(row["query"], truth)
            t.follows += follows
            if pred is None:
                continue
            t.compared += 1
            same = c.follows(row["query"], pred) == follows
            t.agrees += same
            if not same and not row.get("success", True):
                t.failed_on_it += 1
    return out


def table(name: str, tallies: Sequence[Tally]) -> str:
    results = any(t.compared for t in tallies)
    head = "| convention | applies | follows |" + (" prediction made the truth's choice | failed records on it |" if results else "")
    rule = "|---|---|---|" + ("---|---|" if results else "")
    lines = [f"{name}", "", head, rule]
    for t in tallies:
        share = f"{t.follows} ({t.follows / t.applies:.0%})" if t.applies else "0"
        row = f"| {t.convention.name}: {t.convention.means} | {t.applies} | {share} |"
        if results:
            row += f" {t.agrees} of {t.compared} | {t.failed_on_it} |"
        lines.append(row)
    return "\n".join(lines)


def read_rows(path: Path) -> list[dict]:
    """The JSON lines of ``path``; a line that is not a record or a result is an error naming
    its number."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        if not (isinstance(row, dict) and isinstance(row.get("query"), str)
                and isinstance(row.get("truth", row.get("plan")), str)):
            raise ValueError(f"{path}:{n}: neither a record (query, plan) nor an eval result (query, truth, pred)")
        rows.append(row)
    return rows
