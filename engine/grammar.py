"""GBNF grammar for constrained decoding: the model can only write a well-formed plan.

Generated from the offered ``ToolSpec``s: only those tool names, each with its exact number of
arguments and a literal of the right type in each position, lists of at most ``MAX_LIST_ITEMS``,
ids ``1, 2, 3, …`` in order, ``"$N"`` only for ids already written, and a final
``N. join()<END_OF_PLAN>``. Rules are unrolled per step
(``call_3`` may reference ``$1`` and ``$2``), which is what makes forward references impossible
rather than merely invalid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.config import DEFAULT_MAX_STEPS
from engine.plan import END_OF_PLAN
from engine.tools.spec import Param, ToolSpec

# A list argument (invitees, recipients, attachments) holds at most this many items. Without a
# bound a looping model writes ["$1", "$1", "$1", ...] until it runs out of tokens.
MAX_LIST_ITEMS = 16

# A string holds at most this many characters. The reference's longest is 437 (99% are under 114);
# without a bound a looping model wrote a note body ("Tomatoes - Cucumbers - …") until it ran out
# of tokens, and the plan was lost as a syntax error. Bounded, it must close the string.
MAX_STRING_CHARS = 500

_PRIMITIVES = r"""
ws-char ::= [^"\\\n$]
str-char ::= [^"\\\n] | "\\" ["\\nt]
string ::= "\"" (ws-char str-char{0,{MAX_REST}})? "\""
int ::= "-"? [0-9]{1,18}
float ::= "-"? [0-9]+ ("." [0-9]+)?
bool ::= "True" | "False"
"""


def _value(p: Param, step: int, refs: bool, item: bool = False) -> str:
    type_name = p.item_type if item else p.type
    base = {"str": "string", "int": "int", "float": "float", "bool": "bool"}[type_name]
    alts = [base]
    if not item and (type_name == "str" or not p.required):
        alts.append('"None"')
    if refs:
        alts.append(f"ref-{step}")
    return alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")"


def _arg(p: Param, step: int, refs: bool) -> str:
    if p.is_list:
        item = _value(p, step, refs, item=True)
        return f'"[" ({item} (", " {item}){{0,{MAX_LIST_ITEMS - 1}}})? "]"'
    return _value(p, step, refs)


def _call(t: ToolSpec, step: int, refs: bool) -> str:
    """``name(a, b)``; trailing optional parameters may be left out, innermost last:
    ``"f(" a (", " b (", " c)?)? ")"`` for required ``a`` and optional ``b`` and ``c``."""
    args = [_arg(p, step, refs) for p in t.params]
    if not args:
        return f'"{t.name}()"'
    cut = max((i + 1 for i, p in enumerate(t.params) if p.required), default=0)
    tail = ""
    for i in range(len(args) - 1, cut - 1, -1):
        sep = "" if i == 0 else '", " '
        tail = f"({sep}{args[i]}{' ' + tail if tail else ''})?"
    inner = " ".join(x for x in (' ", " '.join(args[:cut]), tail) if x)
    return f'"{t.name}(" {inner} ")"'


def _rule_name(name: str) -> str:
    return name.replace("_", "-")


def plan_grammar(tools: Sequence[ToolSpec], max_steps: int = DEFAULT_MAX_STEPS, *, first: int = 1,
                 usable: Sequence[int] = ()) -> str:
    """GBNF text for plans over ``tools`` with at most ``max_steps`` calls before ``join()``.

    A re-plan round numbers its steps from ``first`` and may refer to the ``usable`` results of
    earlier rounds (the steps that succeeded), besides its own earlier steps."""
    if max_steps < 1:
        raise ValueError("max_steps must be at least 1")
    last = first + max_steps - 1
    lines = [f"root ::= step-{first}", ""]
    for k in range(first, last + 2):
        join = f'"{k}. join(){END_OF_PLAN}"'
        if k > last or not tools:
            lines.append(f"step-{k} ::= {join}")
        else:
            lines.append(f'step-{k} ::= {join} | "{k}. " call-{k} "\\n" step-{k + 1}')
    lines.append("")
    for k in range(first, last + 1):
        if not tools:
            break
        refs = [*sorted(j for j in set(usable) if j < first), *range(first, k)]
        lines.append(f"call-{k} ::= " + " | ".join(f"{_rule_name(t.name)}-{k}" for t in tools))
        for t in tools:
            lines.append(f"{_rule_name(t.name)}-{k} ::= {_call(t, k, bool(refs))}")
        if refs:
            lines.append(f"ref-{k} ::= " + " | ".join(f'"\\"${j}\\""' for j in refs))
    return "\n".join(lines) + "\n" + _PRIMITIVES.replace("{MAX_REST}", str(MAX_STRING_CHARS - 1))


_LINE = re.compile(r"(\d+)\. ([A-Za-z0-9_]*)")


def forced_text(written: str, names: Sequence[str], first: int = 1) -> str:
    """The text ``plan_grammar(tools, first=first)`` allows as the only way on after ``written``,
    up to where the model has a choice again or the plan ends; "" where it has one now.

    A runtime may write it without asking the model (jump-forward decoding: the forced tokens
    are evaluated in one batch with the model's last choice, at a fraction of a decode step each).
    Only what the model's tokenizer would cut the same way is given, so the tokens written are
    the ones the model would have chosen: the step number ``k.`` at a line's start (not the space
    after it, which the tokenizer joins to the name), a tool name's rest once its start names one
    offered tool and the rest starts a new word piece (``_address`` after ``get_email``), and
    ``()<END_OF_PLAN>`` after ``join``."""
    line_start = written.rfind("\n") + 1
    line = written[line_start:]
    if not line:
        return f"{first + written.count(chr(10))}."
    match = _LINE.fullmatch(line)
    if match is None or not match.group(2):
        return ""
    start = match.group(2)
    fits = [n for n in (*names, "join") if n.startswith(start)]
    if len(fits) != 1:
        return ""
    rest = fits[0][len(start):]
    if fits[0] == "join":
        return f"{rest}(){END_OF_PLAN}" if not rest else ""
    return rest if rest.startswith("_") else ""
