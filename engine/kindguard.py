"""Data kinds enforced while the plan is being written, token by token.

The grammar is unrolled by step, so it knows that ``$2`` exists at step 3 but not what task 2
returns; a grammar per history of tool choices would be exponential. So the kinds are checked on
the text instead: ``KindGuard.allows(text)`` says whether a plan prefix can still become a plan
whose dataflow has the right kinds (``engine.kinds``). The check-first sampler asks it about the
model's best tokens in order and takes the first that both the grammar and the guard accept:

- a ``$N`` whose task returns the wrong kind cannot be written (an e-mail lookup as an SMS
  attachment, a reminder as a PDF);
- a literal where an address, a number or a path is needed must be one the query holds, so a
  name ("Sid") cannot be texted and an address cannot be made up;
- a tool whose needed input nothing can provide yet cannot be chosen as the next call, so the
  model writes the lookup first;
- ``join()`` is refused while a tool the caller is sure of (``sure``) has not been called and
  still could be;
- a name a contact is looked up by (``Param.from_query``) must be words of the query, so nobody
  the person did not name is looked up.

When none of the model's best tokens passes, the guard yields to the grammar alone (counted in
``yielded``): it never forces an impossible plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from engine.config import DEFAULT_MAX_STEPS
from engine.kinds import Kind, literal_kinds, returns_kind
from engine.tools.spec import Param, ToolSpec

_LINE = re.compile(r"^(\d+)\. (\w+)\(")
_STEP = re.compile(r"^(\d+)\. ?")
_QUERY_EMAIL = re.compile(r"[^\s@\"'<>(),;:\[\]]+@[^\s@\"'<>(),;:\[\]]+\.[A-Za-z]{2,}")
_QUERY_PHONE = re.compile(r"\+?\(?\d[\d\s().\-/]{5,}\d")
_QUERY_PATH = re.compile(r"(?<![\w/])(?:~/|/)[^\s\"']+")


def query_literals(query: str) -> dict[str, set[Kind]]:
    """Addresses, numbers and paths written in the query, each with the kinds it can be."""
    found: dict[str, set[Kind]] = {}
    for pattern in (_QUERY_EMAIL, _QUERY_PHONE, _QUERY_PATH):
        for m in pattern.finditer(query):
            text = m.group(0).strip().rstrip(".,;:!?")
            kinds = literal_kinds(text) - {Kind.TEXT}
            if kinds:
                found[text] = kinds
    return found


def _words(text: str) -> str:
    """Text compared as words: case and runs of whitespace do not matter."""
    return re.sub(r"\s+", " ", text).casefold()


def _string_body(value: str, *, complete: bool) -> tuple[str, bool]:
    """The text of a string literal written so far (``value`` opens with its quote), and whether
    its closing quote is written (``complete``: the caller knows the value has ended)."""
    closed = complete or (len(value) > 1 and value.endswith('"') and not value.endswith('\\"'))
    return (value[1:-1] if closed else value[1:]), closed


def _needs_source(p: Param) -> bool:
    """A kind-checked parameter that must get a value: a single one, or a list that needs items."""
    return bool(p.kinds) and (not p.is_list or p.min_items > 0)


class KindGuard:
    """Whether a plan prefix over ``tools`` (the callable ones) can still have the right kinds."""

    def __init__(self, tools: Iterable[ToolSpec], query: str, *, sure: Sequence[str] = (),
                 max_steps: int = DEFAULT_MAX_STEPS, earlier: Mapping[int, Kind | None] | None = None,
                 names_from_query: bool = True) -> None:
        """``earlier``: what the usable steps of earlier rounds return, by id (a re-plan round
        may name them with ``$N``). ``names_from_query=False`` lifts the ``from_query`` rule for a
        re-plan round, whose names may also come from the first round's plan; ``engine.provenance``
        checks those against both before a step runs, and says which it refused."""
        self.earlier = dict(earlier or {})
        self.query_words = _words(query) if names_from_query else None
        self.specs = {t.name: t for t in tools}
        self.literals = query_literals(query)
        self.sure = [t for t in sure if t in self.specs]
        self.max_steps = max_steps
        self.producible = {k for t in self.specs.values() if (k := returns_kind(t))} | {
            k for kinds in self.literals.values() for k in kinds}
        self.yielded = 0

    def allows(self, text: str) -> bool:
        *done, current = text.split("\n")
        produced: dict[int, Kind | None] = dict(self.earlier)
        called: set[str] = set()
        for line in done:
            if m := _LINE.match(line):
                spec = self.specs.get(m.group(2))
                produced[int(m.group(1))] = returns_kind(spec) if spec else None
                called.add(m.group(2))
        return self._line_ok(current, produced, called)

    # -- one line ------------------------------------------------------------------------------

    def _line_ok(self, line: str, produced: dict[int, Kind | None], called: set[str]) -> bool:
        m = _STEP.match(line)
        if m is None or not line.startswith(f"{m.group(1)}. "):
            return True  # the step number is still being written
        step, rest = int(m.group(1)), line[m.end():]
        if "(" not in rest:
            names = [t for t in self.specs if t.startswith(rest)]
            if "join".startswith(rest) and self._join_ok(produced, called, step):
                return True
            return any(self._tool_ok(self.specs[t], produced) for t in names) or (not names and not "join".startswith(rest))
        tool = rest[: rest.index("(")]
        if tool == "join":
            return self._join_ok(produced, called, step)
        spec = self.specs.get(tool)
        if spec is None:
            return True  # not a kind question: the grammar decides
        return self._tool_ok(spec, produced) and self._args_ok(spec, rest[rest.index("(") + 1 :], produced)

    def _join_ok(self, produced: dict[int, Kind | None], called: set[str], step: int) -> bool:
        if step > self.max_steps:
            return True
        return not [t for t in self.sure if t not in called and self._reachable(self.specs[t])]

    def _tool_ok(self, spec: ToolSpec, produced: dict[int, Kind | None]) -> bool:
        """Every input the tool needs can be given now: an earlier result or a query literal."""
        have = {k for k in produced.values() if k} | {k for kinds in self.literals.values() for k in kinds}
        return all(Kind.TEXT.value in p.kinds or {Kind(k) for k in p.kinds} & have for p in spec.params if _needs_source(p))

    def _reachable(self, spec: ToolSpec) -> bool:
        """Every input it needs could be given after some lookups the plan may still add."""
        return all({Kind(k) for k in p.kinds} & self.producible for p in spec.params if _needs_source(p))

    # -- the arguments of the call being written ------------------------------------------------

    def _args_ok(self, spec: ToolSpec, args: str, produced: dict[int, Kind | None]) -> bool:
        param, cur, in_str, esc, in_list, items = 0, "", False, False, False, 0
        for ch in args:
            if in_str:
                cur += ch
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_str = False
                continue
            if ch == '"':
                in_str, cur = True, cur + ch
            elif ch == "[":
                in_list, items, cur = True, 0, ""
            elif ch in ",])":
                if cur.strip():
                    if not self._value_ok(spec, param, cur.strip(), produced, complete=True):
                        return False
                    items += in_list
                cur = ""
                if ch == "]":
                    if items == 0 and param < len(spec.params) and spec.params[param].min_items > 0:
                        return False
                    in_list = False
                elif ch == "," and not in_list:
                    param += 1
            elif not (ch == " " and not cur):
                cur += ch
        return not cur.strip() or self._value_ok(spec, param, cur.strip(), produced, complete=False)

    def _value_ok(self, spec: ToolSpec, index: int, value: str, produced: dict[int, Kind | None], *, complete: bool) -> bool:
        if index >= len(spec.params):
            return True
        if spec.params[index].from_query and not self._named_in_query(value, complete=complete):
            return False
        kinds = {Kind(k) for k in spec.params[index].kinds}
        if not kinds or Kind.TEXT in kinds or not value.startswith('"'):
            return True  # anything goes
        if value == '"':  # opened: only if something of the right kind can fill it
            return any(self._ref_ok(j, kinds, produced) for j in produced) or any(k & kinds for k in self.literals.values())
        if value == '""':
            return False  # an empty address, number or path says nothing: leave the item out
        body, closed = _string_body(value, complete=complete)
        if body.startswith("$"):
            digits = body[1:]
            if closed:
                return digits.isdigit() and self._ref_ok(int(digits), kinds, produced)
            return any(str(j).startswith(digits) and self._ref_ok(j, kinds, produced) for j in produced)
        allowed = [text for text, k in self.literals.items() if k & kinds]
        return body in allowed if closed else any(text.startswith(body) for text in allowed)

    def _named_in_query(self, value: str, *, complete: bool) -> bool:
        """A string literal (written so far) is words of the query; a reference or an escape passes."""
        if self.query_words is None or not value.startswith('"') or value == '"':
            return True
        body, closed = _string_body(value, complete=complete)
        if body.startswith("$") or "\\" in body:
            return True
        words = _words(body)
        return (bool(words.strip()) and words in self.query_words) if closed else words in self.query_words

    @staticmethod
    def _ref_ok(ref: int, kinds: set[Kind], produced: dict[int, Kind | None]) -> bool:
        if ref not in produced:
            return True  # a reference to a missing task is the parser's error, not a kind question
        kind = produced[ref]
        return kind is None or kind in kinds
