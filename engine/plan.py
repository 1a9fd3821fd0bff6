"""The LLMCompiler plan format: text <-> ``Plan``, incremental parsing and validation.

A plan is numbered lines ``N. tool(arg, ...)`` with Python literals, ``"$N"`` / ``"${N}"`` for an
earlier task's result, a final ``N. join()`` and ``<END_OF_PLAN>``. ``PlanParser`` accepts the
text in arbitrary chunks (a token stream) and hands out each task the moment its line is
complete, already checked against the offered tools, so execution can start before the model has
finished writing. Every problem is a ``PlanError`` naming the task and the reason; nothing else
escapes the parser, whatever the input.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from engine.errors import TinyAgentError
from engine.tools.spec import Param, ToolSpec

END_OF_PLAN = "<END_OF_PLAN>"
MAX_LINE_CHARS = 8000
MAX_TASKS = 64

# The body is stripped in code: a lazy ``(.*?)\s*$`` rescans every whitespace run (3.5 s on a
# 40,000-character line).
_LINE_RE = re.compile(r"^\s*(\d{1,6})\s*\.(.*)$", re.S)
_THOUGHT_RE = re.compile(r"^\s*Thought\s*:\s*(.*)$", re.S)
WHOLE_REF = re.compile(r"^\$\{?(\d{1,6})\}?$")
"""A value that is one reference and nothing else: ``$3`` or ``${3}``."""
EMBEDDED_REF = re.compile(r"\$\{(\d{1,6})\}|\$(\d{1,6})(?!\d)")
"""A reference inside text (``"at $2"``); the id is ``group(1) or group(2)``. The one pattern the
engine, the metrics and the data generators read ``$N`` with, beside ``WHOLE_REF``
(``ref_ids`` and ``renumber_refs`` wrap it)."""


def ref_ids(text: str) -> list[int]:
    """Every ``$N`` / ``${N}`` id in ``text``, in order (``$5`` in prose included: callers that
    must tell text from references use ``_refs_in``'s rule)."""
    return [int(m.group(1) or m.group(2)) for m in EMBEDDED_REF.finditer(text)]


def renumber_refs(text: str, new_id: Callable[[int], int]) -> str:
    """``text`` with each reference ``$N`` / ``${N}`` written as ``$<new_id(N)>``."""
    return EMBEDDED_REF.sub(lambda m: f"${new_id(int(m.group(1) or m.group(2)))}", text)


class PlanError(TinyAgentError, ValueError):
    """A plan that cannot be run as written. ``kind`` is machine-readable, ``task_id`` may be None.

    Kinds: ``syntax``, ``unknown_tool``, ``arity``, ``type``, ``duplicate_id``, ``order``,
    ``missing_ref``, ``later_ref``, ``cycle``, ``incomplete``, ``too_long``, and ``kind`` (an
    argument of a kind of data its parameter does not accept, ``engine.kinds``).
    """

    def __init__(self, kind: str, message: str, task_id: int | None = None, line: str = "") -> None:
        self.kind = kind
        self.task_id = task_id
        self.line = line
        where = f"task {task_id}: " if task_id is not None else ""
        super().__init__(f"{where}{message}")


@dataclass(frozen=True)
class Ref:
    """The whole value of an argument is the result of task ``id``."""

    id: int

    def __repr__(self) -> str:
        return f'"${self.id}"'


@dataclass(frozen=True)
class Task:
    """One numbered call of a plan. ``args`` are literal values, ``Ref``s, and strings that may
    embed ``$N`` references; ``deps`` are the ids of earlier tasks this one waits for."""

    id: int
    tool: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    thought: str = ""
    deps: frozenset[int] = frozenset()
    _bound: dict[ToolSpec, dict[str, Any]] = field(default_factory=dict, init=False, compare=False, repr=False)
    """``bind_arguments``' result per spec: the parser, the kind check, the executor and the
    answer all need it, and binding once keeps them reading the same values."""

    @property
    def is_join(self) -> bool:
        return self.tool == "join"

    def text(self) -> str:
        """The task as a plan line, e.g. ``2. get_email_address("Sid")``."""
        parts = [format_literal(a) for a in self.args]
        parts += [f"{k}={format_literal(v)}" for k, v in self.kwargs]
        return f"{self.id}. {self.tool}({', '.join(parts)})"


@dataclass
class Plan:
    """Tasks in the order written. ``complete`` is true once ``join()`` was seen."""

    tasks: list[Task] = field(default_factory=list)
    complete: bool = False

    @property
    def calls(self) -> list[Task]:
        """Tasks other than ``join``."""
        return [t for t in self.tasks if not t.is_join]

    def by_id(self) -> dict[int, Task]:
        return {t.id: t for t in self.tasks}

    def text(self) -> str:
        lines = [t.text() for t in self.tasks]
        if not self.complete:
            return "\n".join(lines)
        return "\n".join(lines) + END_OF_PLAN


# -- literals -------------------------------------------------------------------------------


def format_literal(value: Any) -> str:
    """Python-literal text with double-quoted strings, the convention of the reference's plans."""
    if isinstance(value, Ref):
        return f'"${value.id}"'
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_literal(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} into a plan")


def _literal(node: ast.AST, task_id: int, line: str, depth: int = 0) -> Any:
    if depth > 8:
        raise PlanError("syntax", "arguments are nested too deeply", task_id, line)
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (str, int, float, bool))):
        if isinstance(node.value, str):
            m = WHOLE_REF.match(node.value.strip())
            if m:
                return Ref(int(m.group(1)))
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        value = node.operand.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e, task_id, line, depth + 1) for e in node.elts]
    if isinstance(node, ast.Name) and node.id in ("true", "false", "null", "none"):
        return {"true": True, "false": False, "null": None, "none": None}[node.id]
    # A bare $N is not Python, so it is rewritten to a marker before parsing; see _parse_call.
    if isinstance(node, ast.Name) and node.id.startswith("__ref_"):
        return Ref(int(node.id[6:]))
    snippet = ast.get_source_segment(line, node) or type(node).__name__
    raise PlanError("syntax", f"argument {snippet!r} is not a literal (string, number, bool, None, list or $N)", task_id, line)


def _mark_bare_refs(body: str) -> str:
    """Rewrite ``$N`` / ``${N}`` written outside string literals to a name ``ast`` can read."""
    out: list[str] = []
    i, quote = 0, ""
    while i < len(body):
        c = body[i]
        if quote:
            out.append(c)
            if c == "\\" and i + 1 < len(body):
                out.append(body[i + 1])
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
            out.append(c)
        elif c == "$":
            m = EMBEDDED_REF.match(body, i)
            if m and not (m.end() < len(body) and (body[m.end()].isalnum() or body[m.end()] == "_")):
                out.append(f"__ref_{m.group(1) or m.group(2)}")
                i = m.end()
                continue
            out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _parse_call(body: str, task_id: int, line: str) -> tuple[str, tuple[Any, ...], tuple[tuple[str, Any], ...]]:
    if "$" in body:
        body = _mark_bare_refs(body)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in model text are not the user's concern
            tree = ast.parse(body, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
        raise PlanError("syntax", f"cannot read {body!r} as a call ({type(exc).__name__})", task_id, line) from None
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise PlanError("syntax", f"expected tool(arg, ...), got {body!r}", task_id, line)
    try:
        args = tuple(_literal(a, task_id, body) for a in call.args)
        kwargs: list[tuple[str, Any]] = []
        for kw in call.keywords:
            if kw.arg is None:
                raise PlanError("syntax", "**kwargs are not allowed in a plan", task_id, line)
            kwargs.append((kw.arg, _literal(kw.value, task_id, body)))
    except RecursionError:
        raise PlanError("syntax", "arguments are nested too deeply", task_id, line) from None
    if any(isinstance(a, ast.Starred) for a in call.args):
        raise PlanError("syntax", "*args are not allowed in a plan", task_id, line)
    return call.func.id, args, tuple(kwargs)


def _refs_in(value: Any, task_id: int) -> set[int]:
    """Ids referenced by a value: whole ``Ref``s anywhere, and ``$N`` inside strings when N is an
    earlier id (so ``"costs $5"`` in task 3 stays text)."""
    if isinstance(value, Ref):
        return {value.id}
    if isinstance(value, str) and "$" in value:
        found = set()
        for m in EMBEDDED_REF.finditer(value):
            n = int(m.group(1) or m.group(2))
            if m.group(1) is not None or n < task_id:
                found.add(n)
        return found
    if isinstance(value, list):
        out: set[int] = set()
        for v in value:
            out |= _refs_in(v, task_id)
        return out
    return set()


# -- binding and type checks -----------------------------------------------------------------


def _type_ok(value: Any, type_name: str) -> bool:
    if isinstance(value, Ref):
        return True
    if type_name == "str":
        return value is None or isinstance(value, str)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "bool":
        return isinstance(value, bool)
    return False


def _coerce(param: Param, value: Any, task: Task) -> Any:
    if value is None and not param.required:
        return param.default  # None for an optional parameter: its default
    if param.is_list:
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not _type_ok(item, param.item_type) or item is None:
                raise PlanError(
                    "type", f"{task.tool}: {param.name} expects {param.type}, got item {format_literal(item)}", task.id
                )
        return items
    if isinstance(value, list):
        raise PlanError("type", f"{task.tool}: {param.name} expects {param.type}, got a list", task.id)
    if not _type_ok(value, param.type):
        raise PlanError("type", f"{task.tool}: {param.name} expects {param.type}, got {format_literal(value)}", task.id)
    return value


def bind_arguments(task: Task, spec: ToolSpec) -> dict[str, Any]:
    """Map a task's arguments onto the tool's parameters, in order, checking count and types.

    Named arguments are accepted (models trained elsewhere write them), trailing parameters with
    defaults may be left out, and a single value for a ``list[...]`` parameter becomes a list.
    Bound once per task and spec; each call returns its own copy of the mapping.
    """
    if (done := task._bound.get(spec)) is None:
        done = task._bound[spec] = _bind(task, spec)
    return dict(done)


def _bind(task: Task, spec: ToolSpec) -> dict[str, Any]:
    params = spec.params
    if len(task.args) > len(params):
        raise PlanError(
            "arity", f"{spec.name} takes {len(params)} argument(s) but {len(task.args)} were given", task.id
        )
    bound: dict[str, Any] = {}
    for p, v in zip(params, task.args, strict=False):
        bound[p.name] = v
    names = {p.name for p in params}
    for k, v in task.kwargs:
        if k not in names:
            raise PlanError("arity", f"{spec.name} has no parameter named {k!r}", task.id)
        if k in bound:
            raise PlanError("arity", f"{spec.name}: {k!r} is given twice", task.id)
        bound[k] = v
    out: dict[str, Any] = {}
    for p in params:
        if p.name in bound:
            out[p.name] = _coerce(p, bound[p.name], task)
        elif not p.required:
            out[p.name] = p.default
        else:
            raise PlanError("arity", f"{spec.name} is missing argument {p.name!r} ({p.type})", task.id)
    return out


def check_task(task: Task, specs: Mapping[str, ToolSpec]) -> None:
    """Tool exists and arguments fit its signature (references are checked elsewhere)."""
    if task.is_join:
        if task.args or task.kwargs:
            raise PlanError("arity", "join() takes no arguments", task.id)
        return
    spec = specs.get(task.tool)
    if spec is None:
        offered = ", ".join(sorted(specs)) or "none"
        raise PlanError("unknown_tool", f"unknown tool {task.tool!r} (offered: {offered})", task.id)
    bind_arguments(task, spec)


# -- the incremental parser ------------------------------------------------------------------


class PlanParser:
    """Feed it text in any chunks; it returns each task as soon as its line is complete.

    With ``specs`` every task is checked on arrival (tool, arguments, and that references point to
    tasks already seen), so a task handed out is safe to schedule. With ``incremental=False``
    reference checks wait for ``finish()``, which can then tell a cycle from a forward reference.
    After a ``PlanError`` the parser refuses further input.

    ``stop_on_repeat``: a call identical to an earlier one (same tool, same arguments) ends the plan
    there, as if ``join()`` had been written in its place, and ``repeated`` holds its id. Small
    models that lose the thread loop on a call (``get_phone_number("Hannah")`` nine times); running
    it again can only repeat a side effect, so the planner closes the plan instead.

    ``earlier``: the tasks of earlier rounds of a re-plan. Their ids may be referred to and new
    ids continue after them. With ``stop_on_repeat`` a call that repeats one of ``no_repeat``
    (default: all of ``earlier``) also ends the plan: a re-plan must neither retry what failed as
    it was nor do again what was done, while looking up again what was found is harmless.

    ``refuse``: asked about each call once its arguments are checked; a reason (not None) ends the
    plan there like a repeat, and ``refused`` holds (id, reason). Re-plan rounds use it to stop
    a step whose recipients or files came from text the agent read (``engine.provenance``).
    """

    def __init__(
        self, specs: Mapping[str, ToolSpec] | Iterable[ToolSpec] | None = None, *, incremental: bool = True,
        stop_on_repeat: bool = False, earlier: Sequence[Task] = (), no_repeat: Sequence[Task] | None = None,
        refuse: Callable[[Task], str | None] | None = None,
    ):
        if specs is not None and not isinstance(specs, Mapping):
            specs = {s.name: s for s in specs}
        self.specs: Mapping[str, ToolSpec] | None = specs
        self.incremental = incremental
        self.stop_on_repeat = stop_on_repeat
        self.repeated: int | None = None
        self.refuse = refuse
        self.refused: tuple[int, str] | None = None
        self.earlier = [t for t in earlier if not t.is_join]
        self.no_repeat = self.earlier if no_repeat is None else list(no_repeat)
        self.plan = Plan()
        self._buffer = ""
        self._thought = ""
        self._failed: PlanError | None = None
        self._ended = False

    @property
    def done(self) -> bool:
        return self._ended

    def feed(self, chunk: str) -> list[Task]:
        if self._failed:
            raise self._failed
        if self._ended:
            return []
        self._buffer += chunk
        out: list[Task] = []
        try:
            while not self._ended:
                end = _end_marker(self._buffer)
                nl = self._buffer.find("\n")
                if nl == -1 and end == -1:
                    if len(self._buffer) > MAX_LINE_CHARS:
                        raise PlanError("too_long", f"a plan line is longer than {MAX_LINE_CHARS} characters")
                    break
                if end != -1 and (nl == -1 or end < nl):
                    line, self._buffer = self._buffer[:end], ""
                    out += self._line(line)
                    self._end()
                else:
                    line, self._buffer = self._buffer[:nl], self._buffer[nl + 1 :]
                    out += self._line(line)
        except PlanError as exc:
            self._failed = exc
            raise
        return out

    def finish(self) -> list[Task]:
        """End of the stream: flush the last line and run whole-plan checks."""
        out = self.feed("")
        try:
            if not self._ended:
                rest, self._buffer = self._buffer, ""
                out += self._line(rest)
                self._ended = True
                if not self.plan.complete:
                    raise PlanError(
                        "incomplete", "the plan ended without join(); the model may have been cut off"
                    )
            if not self.incremental:
                check_references(self.plan)
        except PlanError as exc:
            self._failed = exc
            raise
        return out

    def _end(self) -> None:
        self._ended = True
        if not self.plan.complete:
            if not self.plan.tasks or not self.plan.tasks[-1].is_join:
                raise PlanError("incomplete", f"{END_OF_PLAN} came before join()")

    def _line(self, raw: str) -> list[Task]:
        line = raw.strip()
        if not line or self.plan.complete:
            return []
        m = _THOUGHT_RE.match(line)
        if m:
            self._thought = m.group(1).strip()
            return []
        m = _LINE_RE.match(line)
        if not m:
            return []  # prose, code fences and the like carry no task
        task_id = int(m.group(1))
        body = m.group(2).strip()
        if len(self.plan.tasks) >= MAX_TASKS:
            raise PlanError("too_long", f"a plan may have at most {MAX_TASKS} tasks", task_id, line)
        name, args, kwargs = _parse_call(body, task_id, line)
        deps: set[int] = set()
        for v in list(args) + [v for _, v in kwargs]:
            deps |= _refs_in(v, task_id)
        task = Task(task_id, name, args, kwargs, self._thought, frozenset(deps))
        self._thought = ""
        if self.stop_on_repeat and not task.is_join and any(
            (t.tool, t.args, t.kwargs) == (name, args, kwargs) for t in [*self.no_repeat, *self.plan.tasks]
        ):
            self.repeated = task_id
            task = Task(task_id, "join")
        seen = {t.id for t in [*self.earlier, *self.plan.tasks]}
        if task_id in seen:
            raise PlanError("duplicate_id", f"id {task_id} is used twice", task_id, line)
        if self.specs is not None:
            check_task(task, self.specs)
        if self.incremental:
            before = [*self.earlier, *self.plan.tasks]
            if before and task_id < before[-1].id:
                raise PlanError("order", f"ids must increase; {task_id} comes after {before[-1].id}", task_id)
            for d in sorted(task.deps):
                _check_ref(task, d, seen)
        if self.refuse is not None and not task.is_join and (reason := self.refuse(task)) is not None:
            self.refused = (task_id, reason)
            task = Task(task_id, "join")
        if task.is_join:
            self.plan.complete = True
        self.plan.tasks.append(task)
        if self.repeated is not None or self.refused is not None:
            self._ended = True
        return [task]


def _end_marker(buffer: str) -> int:
    """Where ``<END_OF_PLAN>`` ends the plan in ``buffer``: the first one outside a quoted string
    (a message may quote it: ``send_sms(["$1"], "type <END_OF_PLAN> to stop")``), else -1."""
    start = 0
    while (i := buffer.find(END_OF_PLAN, start)) != -1:
        quote, escaped = "", False
        for c in buffer[buffer.rfind("\n", 0, i) + 1 : i]:
            if escaped:
                escaped = False
            elif c == "\\" and quote:
                escaped = True
            elif c in "\"'" and (not quote or c == quote):
                quote = "" if quote else c
        if not quote:
            return i
        start = i + len(END_OF_PLAN)
    return -1


def _check_ref(task: Task, dep: int, seen: set[int]) -> None:
    if dep == task.id:
        raise PlanError("cycle", f"refers to its own result ${dep}", task.id)
    if dep > task.id:
        raise PlanError("later_ref", f"refers to ${dep}, which comes later; a task may only use earlier results", task.id)
    if dep not in seen:
        raise PlanError("missing_ref", f"refers to ${dep}, but there is no task {dep}", task.id)


def check_references(plan: Plan) -> None:
    """Whole-plan reference checks: missing targets, cycles, then references to later tasks."""
    ids = {t.id for t in plan.tasks}
    for t in plan.tasks:
        for d in sorted(t.deps):
            if d not in ids:
                raise PlanError("missing_ref", f"refers to ${d}, but there is no task {d}", t.id)
    g = to_graph(plan, include_join=True)
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        cycle = []
    if cycle:
        path = " -> ".join(str(u) for u, _ in cycle) + f" -> {cycle[0][0]}"
        raise PlanError("cycle", f"tasks depend on each other in a cycle ({path})", cycle[0][1])
    for t in plan.tasks:
        for d in sorted(t.deps):
            if d >= t.id:
                raise PlanError("later_ref", f"refers to ${d}, which comes later; a task may only use earlier results", t.id)


def parse_plan(text: str, specs: Mapping[str, ToolSpec] | Iterable[ToolSpec] | None = None) -> Plan:
    """Parse and validate a whole plan text."""
    parser = PlanParser(specs, incremental=False)
    parser.feed(text)
    parser.finish()
    return parser.plan


def to_graph(plan: Plan, *, include_join: bool = False) -> nx.DiGraph:
    """Nodes are task ids (attributes ``tool`` and ``task``), edges run from a dependency to its user."""
    g = nx.DiGraph()
    for t in plan.tasks:
        if t.is_join and not include_join:
            continue
        g.add_node(t.id, tool=t.tool, task=t)
    for t in plan.tasks:
        if t.id in g:
            for d in t.deps:
                g.add_edge(d, t.id)
    return g


# -- substitution ----------------------------------------------------------------------------


def substitute(value: Any, results: Mapping[int, Any], task_id: int) -> Any:
    """Replace references with results: a ``Ref`` by the value itself, ``$N`` inside text by its
    string form, recursively through lists. A list result put where a list item stood is spliced in."""
    if isinstance(value, Ref):
        return results[value.id]
    if isinstance(value, str) and "$" in value:

        def repl(m: re.Match[str]) -> str:
            n = int(m.group(1) or m.group(2))
            if n in results and (m.group(1) is not None or n < task_id):
                r = results[n]
                return ", ".join(map(str, r)) if isinstance(r, list) else str(r)
            return m.group(0)

        return EMBEDDED_REF.sub(repl, value)
    if isinstance(value, list):
        out: list[Any] = []
        for v in value:
            r = substitute(v, results, task_id)
            if isinstance(v, Ref) and isinstance(r, list):
                out.extend(r)
            else:
                out.append(r)
        return out
    return value
