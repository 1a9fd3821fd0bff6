"""Tool specifications: what the planner is told about a tool and what the validator checks.

A ``ToolSpec`` is backend-neutral. It can be built from a typed Python function (its signature
and docstring) or from an OpenAI / JSON-schema function definition, so the planner works for any
tool set, not only the 16 desktop tools.
"""

from __future__ import annotations

import inspect
import string
import types
import typing
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.errors import TinyAgentError

SCALAR_TYPES = ("str", "int", "float", "bool")
LIST_TYPES = tuple(f"list[{t}]" for t in SCALAR_TYPES)
SUPPORTED_TYPES = SCALAR_TYPES + LIST_TYPES

_PY_TO_NAME: dict[Any, str] = {str: "str", int: "int", float: "float", bool: "bool"}
_JSON_TO_NAME = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


class ToolError(TinyAgentError):
    """A tool could not do its job; the message is shown to the user as is. Part of the tool
    contract: a backend raises it without importing the scheduler. ``candidates`` are
    values that may have been meant (similar names or files) in place of ``value``, the argument
    that could not be used, for the person to pick from (``Executor.run(fixes=...)``)."""

    def __init__(self, message: str, *, candidates: Iterable[str] = (), value: str | None = None) -> None:
        super().__init__(message)
        self.candidates = tuple(candidates)
        self.value = value


class ToolSpecError(TinyAgentError, ValueError):
    """A tool definition cannot be turned into a ``ToolSpec`` (unsupported type, bad schema)."""


_MISSING = object()


@dataclass(frozen=True)
class Param:
    """One positional parameter of a tool.

    ``type`` is one of ``SUPPORTED_TYPES``: plans are Python-literal text, so only literal-friendly
    types can be written by the model and checked by the grammar.
    """

    name: str
    type: str
    description: str = ""
    default: Any = _MISSING
    kinds: tuple[str, ...] = ()
    """The kinds of data it accepts (``engine.kinds.Kind`` values); empty: anything."""
    min_items: int = 0
    """For a list: how many items it needs (JSON schema's ``minItems``; recipients need one)."""
    enum: tuple[Any, ...] = ()
    """The only values it takes (JSON schema's ``enum``), shown to the planner."""
    from_query: bool = False
    """A value written in the plan must be words of the request (``x-from-query``): a contact is
    looked up by the name the person gave, so a lookup of someone the request never names (the
    0.5B once looked up "the owner", "the boss" and seven more for "the landlord, Mr. Okonkwo")
    cannot be written. A ``$N`` still passes."""

    @property
    def guidance(self) -> str:
        """What the planner is told of it beyond its type: description, allowed values, default."""
        parts = [self.description.strip()] if self.description.strip() else []
        if self.enum:
            parts.append("one of " + ", ".join(repr(v) if isinstance(v, str) else str(v) for v in self.enum))
        if not self.required:
            parts.append(f"optional, default {self.default!r}")
        return "; ".join(parts)

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    @property
    def is_list(self) -> bool:
        return self.type.startswith("list[")

    @property
    def item_type(self) -> str:
        return self.type[5:-1] if self.is_list else self.type


@dataclass(frozen=True)
class Rule:
    """A line of guidance a tool set gives the planner when any of ``tools`` is offered; in the
    prompt the rules come in the set's order. ``{tools}`` in the text names the offered ones
    among ``tools``, so an unoffered tool is never mentioned."""

    order: int
    text: str
    tools: tuple[str, ...]

    def render(self, offered: Collection[str]) -> str:
        return self.text.replace("{tools}", ", ".join(t for t in self.tools if t in offered))


@dataclass(frozen=True)
class ToolSpec:
    """Name, ordered typed parameters, return type, description and whether it changes anything.

    ``side_effect`` drives approval and ``--dry-run``: a tool that writes, sends or creates
    something, opens a file or URL, or sends data off the machine must say so; only lookups that
    stay on the machine and launch nothing run without asking.
    """

    name: str
    params: tuple[Param, ...]
    returns: str = "str"
    description: str = ""
    guidance: tuple[str, ...] = ()
    side_effect: bool = True
    returns_kind: str | None = None
    """The kind of data it returns (``engine.kinds.Kind``), so a later call's ``$N`` can be checked."""
    action: str | None = None
    """What a call does, as the infinitive the answer uses ("text {recipients}"), with ``{param}``
    for a parameter's value: "Did not text Sid: no phone number on his card." (``x-action``)."""
    helpers: tuple[str, ...] = ()
    """Tools whose results this one's inputs usually come from (``send_sms`` needs
    ``get_phone_number``): ToolRAG offers them whenever it offers this (``x-helpers``)."""
    rules: tuple[Rule, ...] = field(default=(), compare=False)
    """The tool set's prompt rules that apply when this tool is offered (its file's ``x-rules``;
    they belong to the set, not the tool's own schema, so they do not take part in equality)."""
    origin: str = field(default="", compare=False)
    """Where the tool came from: ``desktop``, ``mcp:SERVER`` (``engine.tools.mcp``), or empty for
    a Python function or a JSON tool file; warnings and the app name it."""

    def __post_init__(self) -> None:
        if not (self.name.isascii() and self.name.isidentifier()) or self.name == "join":
            # ASCII only: plans are parsed and constrained as ASCII call names, and a non-ASCII name
            # used to pass here and fail later inside llama.cpp's grammar, at the first plan.
            raise ToolSpecError(f"tool name {self.name!r} must be an ASCII Python identifier other than 'join' "
                                "(letters a-z, A-Z, digits and _)")
        seen: set[str] = set()
        for p in self.params:
            if p.type not in SUPPORTED_TYPES:
                raise ToolSpecError(
                    f"{self.name}: parameter {p.name!r} has type {p.type!r}; "
                    f"supported types are {', '.join(SUPPORTED_TYPES)}"
                )
            if p.name in seen:
                raise ToolSpecError(f"{self.name}: parameter {p.name!r} appears twice")
            seen.add(p.name)
        if self.action is not None:
            try:
                fields = [f for _, f, _, _ in string.Formatter().parse(self.action) if f is not None]
            except ValueError as exc:
                raise ToolSpecError(f"{self.name}: x-action {self.action!r}: {exc}") from None
            if unknown := [f for f in fields if f not in seen]:
                raise ToolSpecError(f"{self.name}: x-action {self.action!r} may only name parameters, "
                                    f"not {unknown[0]!r}")

    @property
    def signature(self) -> str:
        """The one-line signature the planner sees, e.g. ``get_email_address(name: str) -> str``;
        an optional parameter shows its default (``units: str = 'metric'``)."""
        args = ", ".join(f"{p.name}: {p.type}" + ("" if p.required else f" = {p.default!r}") for p in self.params)
        return f"{self.name}({args}) -> {self.returns}"

    def prompt_block(self) -> str:
        """Signature plus `` - `` guidance bullets, the reference planner's tool description format,
        and a bullet per parameter that says more than its type (description, allowed values):
        dropping those cost a foreign tool set 14.5 points. The desktop set has none."""
        lines = [self.signature]
        if self.description:
            lines.append(f" - {self.description}")
        lines.extend(f" - {g}" for g in self.guidance)
        lines.extend(f" - {p.name}: {p.guidance}" for p in self.params if p.description.strip() or p.enum)
        return "\n".join(lines)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    # -- builders -------------------------------------------------------------------------

    @classmethod
    def from_function(cls, fn: Callable[..., Any], *, side_effect: bool | None = None) -> ToolSpec:
        """Build a spec from a typed function; the docstring's first paragraph is the description.

        Docstring lines starting with ``- `` become guidance bullets. ``side_effect`` defaults to
        the function's ``__side_effect__`` attribute, else ``True`` (the safe assumption).
        """
        try:
            hints = typing.get_type_hints(fn)
        except Exception as exc:  # unresolvable forward references and the like
            raise ToolSpecError(f"{fn.__name__}: cannot read type hints ({exc})") from exc
        params = []
        for p in inspect.signature(fn).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise ToolSpecError(f"{fn.__name__}: *args / **kwargs cannot be planned")
            if p.name not in hints:
                raise ToolSpecError(f"{fn.__name__}: parameter {p.name!r} needs a type hint")
            default = _MISSING if p.default is inspect.Parameter.empty else p.default
            params.append(Param(p.name, _python_type_name(hints[p.name], fn.__name__), default=default))
        returns = hints.get("return", str)
        doc = inspect.getdoc(fn) or ""
        description, guidance = _split_doc(doc)
        if side_effect is None:
            side_effect = bool(getattr(fn, "__side_effect__", True))
        return cls(
            name=fn.__name__,
            params=tuple(params),
            returns=_python_type_name(returns, fn.__name__) if returns is not type(None) else "None",
            description=description,
            guidance=guidance,
            side_effect=side_effect,
        )

    @classmethod
    def from_json_schema(cls, definition: Mapping[str, Any]) -> ToolSpec:
        """Build a spec from an OpenAI-style function definition.

        Accepts ``{"type": "function", "function": {...}}`` or the inner object. Parameter order
        is the order of ``properties``. Extensions: ``x-guidance`` (list of bullets),
        ``x-side-effect`` (bool), ``x-returns`` (type name), ``x-returns-kind`` and ``x-kind``
        (``engine.kinds``), ``x-from-query`` (``Param.from_query``), ``x-action`` (the answer's phrase).
        """
        fn = definition.get("function", definition)
        if not isinstance(fn, Mapping) or "name" not in fn:
            raise ToolSpecError("a function definition needs a 'name'")
        name = str(fn["name"])
        schema = fn.get("parameters") or {"type": "object", "properties": {}}
        props = schema.get("properties", {})
        required = set(schema.get("required", list(props)))
        params = []
        for pname, pschema in props.items():
            ptype = _json_type_name(pschema, f"{name}.{pname}")
            default = _MISSING if pname in required else pschema.get("default")
            kinds = pschema.get("x-kind", ())
            enum = pschema.get("enum", ())
            params.append(Param(pname, ptype, str(pschema.get("description", "")), default,
                                (kinds,) if isinstance(kinds, str) else tuple(kinds), int(pschema.get("minItems", 0)),
                                tuple(enum) if isinstance(enum, list | tuple) else (),
                                bool(pschema.get("x-from-query", False))))
        return cls(
            name=name,
            params=tuple(params),
            returns=str(fn.get("x-returns", "str")),
            description=str(fn.get("description", "")),
            guidance=tuple(fn.get("x-guidance", ())),
            side_effect=bool(fn.get("x-side-effect", True)),
            returns_kind=fn.get("x-returns-kind"),
            action=fn.get("x-action"),
            helpers=tuple(fn.get("x-helpers", ())),
        )

    def to_json_schema(self) -> dict[str, Any]:
        """The inverse of ``from_json_schema`` (round-trips)."""
        props: dict[str, Any] = {}
        for p in self.params:
            if p.is_list:
                entry: dict[str, Any] = {"type": "array", "items": {"type": _name_to_json(p.item_type)}}
            else:
                entry = {"type": _name_to_json(p.type)}
            if p.description:
                entry["description"] = p.description
            if not p.required:
                entry["default"] = p.default
            if p.kinds:
                entry["x-kind"] = list(p.kinds)
            if p.min_items:
                entry["minItems"] = p.min_items
            if p.enum:
                entry["enum"] = list(p.enum)
            if p.from_query:
                entry["x-from-query"] = True
            props[p.name] = entry
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": {
                    "type": "object",
                    "properties": props,
                    "required": [p.name for p in self.params if p.required],
                },
                "x-guidance": list(self.guidance),
                "x-side-effect": self.side_effect,
                "x-returns": self.returns,
                **({"x-returns-kind": self.returns_kind} if self.returns_kind else {}),
                **({"x-action": self.action} if self.action else {}),
                **({"x-helpers": list(self.helpers)} if self.helpers else {}),
            },
        }


@dataclass(frozen=True)
class Prepared:
    """A call worked out before it runs, so that what the person approves is what runs.

    ``arguments`` are the tool's arguments with names resolved (a file name to the one file it
    means, a contact to an address); ``details`` are lines an approval shows beside them (a file's
    size and type, the e-mail body); ``extras`` are inputs the tool takes besides its signature,
    such as the body written from ``context``, passed as keywords when the call runs.
    """

    arguments: dict[str, Any]
    details: tuple[str, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)

    def with_extras(self, edited: dict[str, Any]) -> Prepared:
        """This call with ``edited`` extras (the person rewrote the body), each detail line that
        shows one of them (``"body:\n…"``) shown as it now is: approval shows what will be sent."""
        details = tuple(next((f"{k}:\n{v}" for k, v in edited.items() if line.startswith(f"{k}:\n")), line)
                        for line in self.details)
        return Prepared(self.arguments, details, {**self.extras, **edited})


Preparer = Callable[..., Prepared]


@dataclass
class ToolBox:
    """Specs plus the callables that implement them, looked up by name. A tool may also have a
    ``Preparer``: called with the same arguments before approval, it returns the ``Prepared`` call
    that approval shows and the executor then runs."""

    specs: dict[str, ToolSpec] = field(default_factory=dict)
    impls: dict[str, Callable[..., Any]] = field(default_factory=dict)
    preparers: dict[str, Preparer] = field(default_factory=dict)

    def add(self, spec: ToolSpec, impl: Callable[..., Any] | None = None, prepare: Preparer | None = None) -> None:
        self.specs[spec.name] = spec
        if impl is not None:
            self.impls[spec.name] = impl
        if prepare is not None:
            self.preparers[spec.name] = prepare

    def add_function(self, fn: Callable[..., Any], *, side_effect: bool | None = None) -> ToolSpec:
        spec = ToolSpec.from_function(fn, side_effect=side_effect)
        self.add(spec, fn)
        return spec

    def subset(self, names: list[str]) -> list[ToolSpec]:
        return [self.specs[n] for n in names if n in self.specs]

    def __contains__(self, name: object) -> bool:
        return name in self.specs

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)


class ToolSource(Protocol):
    """Tools that come from somewhere that must be started and stopped (an MCP server): it adds
    its tools to a ``ToolBox`` (never over a name already there) and closes with the agent."""

    def add_to(self, box: ToolBox, warn: Callable[[str], None] = print) -> list[ToolSpec]: ...

    def close(self) -> None: ...


def _split_doc(doc: str) -> tuple[str, tuple[str, ...]]:
    lines = [ln.strip() for ln in doc.splitlines()]
    description: list[str] = []
    guidance: list[str] = []
    for ln in lines:
        if ln.startswith("- "):
            guidance.append(ln[2:].strip())
        elif not guidance and ln:
            description.append(ln)
    return " ".join(description), tuple(guidance)


def _python_type_name(tp: Any, where: str) -> str:
    if tp in _PY_TO_NAME:
        return _PY_TO_NAME[tp]
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (list, tuple, typing.Sequence) or (origin is not None and str(origin).endswith("Sequence'>")):
        item = args[0] if args else str
        if item in _PY_TO_NAME:
            return f"list[{_PY_TO_NAME[item]}]"
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1:
            return _python_type_name(non_none[0], where)
    raise ToolSpecError(f"{where}: type {tp!r} is not supported; use one of {', '.join(SUPPORTED_TYPES)}")


def _json_type_name(schema: Mapping[str, Any], where: str) -> str:
    jtype = schema.get("type")
    if isinstance(jtype, list):
        non_null = [t for t in jtype if t != "null"]
        jtype = non_null[0] if len(non_null) == 1 else None
    if jtype in _JSON_TO_NAME:
        return _JSON_TO_NAME[jtype]
    if jtype == "array":
        item = schema.get("items", {}).get("type", "string")
        if item in _JSON_TO_NAME:
            return f"list[{_JSON_TO_NAME[item]}]"
    raise ToolSpecError(f"{where}: JSON type {schema.get('type')!r} is not supported")


def _name_to_json(name: str) -> str:
    return {v: k for k, v in _JSON_TO_NAME.items()}[name]
