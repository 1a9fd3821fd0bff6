"""One configuration: every choice the app, the CLI, eval, bench and training make, with one default
and one validator each.

``PlannerConfig`` holds how a plan is written (prompt, examples, grammar, where ToolRAG's choice
applies, the kind guard); ``Config`` holds it together with what the app around the planner needs
(model, adapter, data folder, backend, threads, ToolRAG). Both are frozen: a config is built once,
checked once in ``__post_init__``, and changed only by ``replace``, which checks again. Every
front end builds one (the CLI from its flags, eval from its, the app's settings hold one and save
it with ``to_dict``), so no option has two names, two defaults or a second validator.

Closed choices are enums; a value given as its string (from a flag or a settings file) is
accepted and turned into the enum. A value that cannot be is a ``ConfigError`` naming the field.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

from engine.errors import TinyAgentError


class ConfigError(TinyAgentError, ValueError):
    """A configuration value that is of the wrong type, out of range, or at odds with another."""


class PromptStyle(StrEnum):
    """``reference``: the reference's long prompt with guidance and retrieved examples, for untuned
    models and for GGUFs trained on it (the reference's TinyAgent-1.1B). ``compact``: one line per
    tool signature, the date and the question, for a planner fine-tuned on it, which needs
    neither examples nor descriptions: ~10x fewer prompt tokens to train on and to evaluate."""

    REFERENCE = "reference"
    COMPACT = "compact"


class Selection(StrEnum):
    """Where ToolRAG's choice of tools applies. ``grammar``: every tool is described, so the prompt
    prefix is the same for every query and stays cached, and the grammar lets the plan call only
    the chosen ones (the app's default). ``prompt``: only the chosen tools are described (the
    reference's way; the only one without a grammar)."""

    PROMPT = "prompt"
    GRAMMAR = "grammar"


class Backend(StrEnum):
    """``macos`` drives the Mac's apps through AppleScript; ``local`` keeps everything in the data
    folder on open formats; ``auto`` picks ``macos`` on a Mac."""

    AUTO = "auto"
    LOCAL = "local"
    MACOS = "macos"


DEFAULT_MAX_STEPS = 12
"""Plans longer than this are cut (the grammar's and the kind guard's limit too)."""

TOOLRAG_NAMES = ("classifier", "embed", "embed:K", "none")
_TOOLRAG_RE = re.compile(r"classifier|embed(:[1-9][0-9]*)?|none|all")


def _checked(owner: type, name: str, value: Any, hint: Any) -> Any:
    """``value`` as field ``name`` of ``owner`` must hold it (an enum from its string, a path from
    a string, a tuple from a list), or a ``ConfigError`` that says what was expected."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _checked(owner, name, value, option)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0]
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            raise ConfigError(f"{name}: {value!r} is not one of {', '.join(m.value for m in hint)}") from None
    if hint is Path:
        if isinstance(value, str | Path) and str(value):
            return Path(value)
        raise ConfigError(f"{name}: expected a path, got {value!r}")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{name}: expected a list, got {value!r}")
        return tuple(_checked(owner, name, v, typing.get_args(hint)[0]) for v in value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{name}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{name}: expected a whole number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{name}: expected text, got {value!r}")
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        raise ConfigError(f"{name}: expected a {hint.__name__}, got {value!r}")
    raise TypeError(f"{owner.__name__}.{name}: no check for {hint!r}")  # a field added without one: a bug


def _check_fields(obj: Any) -> None:
    """Turn every field's value into its declared type, or raise ``ConfigError``."""
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        object.__setattr__(obj, f.name, _checked(type(obj), f.name, getattr(obj, f.name), hints[f.name]))


def _positive(name: str, value: int | None, smallest: int = 1, largest: int | None = None) -> None:
    if value is not None and value < smallest:
        raise ConfigError(f"{name}: must be at least {smallest}, got {value}")
    if value is not None and largest is not None and value > largest:
        raise ConfigError(f"{name}: must be at most {largest}, got {value}")


LIMITS = {"examples": 16, "max_steps": 64, "max_tokens": 4096, "threads": 256}
"""The largest value each count may take: the grammar is unrolled per step (``max_steps`` of a
million built a 9 GB grammar), and a settings file is not trusted to be sane."""


def _allowed_root(root: Path) -> None:
    """A folder whose files may be attached must not hold the whole home folder (``/``, ``~``):
    that would let a plan mail ``~/.ssh``. Subfolders of home and other folders are fine."""
    resolved = Path(root).expanduser().resolve()
    home = Path.home().resolve()
    if resolved == Path(resolved.anchor) or home.is_relative_to(resolved):
        raise ConfigError(f"file_roots: {root} would allow every file in your home folder; name narrower folders "
                          "(e.g. ~/Documents)")


@dataclass(frozen=True)
class PlannerConfig:
    """How a plan is written. The defaults are the app's."""

    examples: int = 3
    """Retrieved in-context examples per prompt (the reference prompt; the compact one has none)."""
    grammar: bool = True
    max_steps: int = DEFAULT_MAX_STEPS
    max_tokens: int = 600
    prefix_cache: bool = True
    check_first: bool = True
    """With the grammar: ask it about the model's choice before filtering the whole vocabulary
    (``engine.llama.sampling``); False is llama-cpp-python's own, slower grammar sampling."""
    jump: bool = True
    """With the check-first grammar: write what the grammar forces (step numbers, a tool name's
    rest once its start is unique, the plan's end) in one batch with the model's last choice
    instead of a decode step a token (``engine.grammar.forced_text``). The forced text is what the
    model would have had to write, but llama.cpp's logits shift slightly (~0.1-0.3) for tokens
    evaluated in a batch, so a later near-tie can go the other way: not the same plans to the
    token, measured in the README (Speed)."""
    selection: Selection | None = None
    """Where ToolRAG's choice applies (``Selection``). None: ``grammar`` when the grammar is on,
    else ``prompt`` (without a grammar nothing would hold the plan to the choice)."""
    prompt: PromptStyle = PromptStyle.REFERENCE
    """The compact prompt has no examples: ``examples`` is ignored with it."""
    kinds: bool | None = None
    """Hold the plan's data kinds while decoding (``engine.kindguard``); needs the grammar with
    check-first sampling. None: on whenever those are (the default since it was measured on three
    sets: plans of a wrong kind 5x fewer, success the same or higher; README, "Results")."""
    dates: bool = True
    """Follow date phrases in the question with their resolved value in [brackets] (the desktop
    tools take ISO dates); off for a tool set that takes none, whose arguments would copy them."""

    def __post_init__(self) -> None:
        _check_fields(self)
        _positive("examples", self.examples, 0, LIMITS["examples"])
        _positive("max_steps", self.max_steps, 1, LIMITS["max_steps"])
        _positive("max_tokens", self.max_tokens, 1, LIMITS["max_tokens"])
        if self.selection is None:
            object.__setattr__(self, "selection", Selection.GRAMMAR if self.grammar else Selection.PROMPT)
        if self.selection is Selection.GRAMMAR and not self.grammar:
            raise ConfigError("selection 'grammar' needs the grammar: without it the plan could call any described "
                              "tool (use selection 'prompt', or turn the grammar on)")
        if self.kinds is None:
            object.__setattr__(self, "kinds", self.grammar and self.check_first)
        if self.kinds and not (self.grammar and self.check_first):
            raise ConfigError("kinds needs the grammar with check-first sampling")

    @property
    def forces_ahead(self) -> bool:
        """Whether plans are decoded jump-forward: ``jump`` needs the check-first grammar."""
        return self.jump and self.grammar and self.check_first

    def replace(self, **changes: Any) -> PlannerConfig:
        """A copy with ``changes``, checked again; a derived value (``selection``, ``kinds``) left
        to its default is derived again from the new values."""
        return dataclasses.replace(self, **{**self._given(), **changes})

    def _given(self) -> dict[str, Any]:
        """The fields as given: derived values go back to None so a change can re-derive them."""
        out = _fields(self)
        if self.selection is (Selection.GRAMMAR if self.grammar else Selection.PROMPT):
            out["selection"] = None
        if self.kinds == (self.grammar and self.check_first):
            out["kinds"] = None
        return out


@dataclass(frozen=True)
class Config:
    """Everything that decides how the app plans and runs. ``Config()`` is the app's default;
    ``config.replace(grammar=False)`` changes a planner field as readily as an app field."""

    model: str | None = None
    """``default``, ``fast``, ``tiny`` or a ``.gguf`` path; None: the default."""
    lora: str | None = None
    """A GGUF LoRA adapter; None: the model's own adapter from the manifest, if any; ``none``: no adapter."""
    merge: bool = True
    """Plan with the adapter merged into its base where the adapter's manifest pins a merged file
    (``engine.merge``, built once into the model cache): decoding skips the adapter's extra work.
    False applies it unmerged, as an adapter without a pinned merge always is."""
    data_dir: Path | None = None
    threads: int | None = None
    backend: Backend = Backend.AUTO
    file_roots: tuple[Path, ...] | None = None
    """Folders whose files may be opened, summarised and attached (besides none other); None: the
    data folder's ``files/`` and ~/Documents, ~/Downloads, ~/Desktop."""
    open_in_desktop: bool = True
    model_writes_text: bool = True
    """Let the planner's model write the text a tool produces (a summary, a reply)."""
    # The trained classifier, its choice held by the grammar while every tool is described: on 200
    # held-out test records 61.5% success (50.5% with arguments) at a median 12.4 s (one thread, beside
    # an eval), against 59.0% (50.0%) at 34.0 s with only the chosen tools described and 59.5% (47.0%)
    # at 17.5 s with all tools allowed (README, "Results").
    toolrag: str = "classifier"
    """The ToolRAG selector: ``classifier``, ``embed``, ``embed:K`` or ``none`` (every tool)."""
    mcp: tuple[str, ...] = ()
    """MCP servers whose tools are planned beside the desktop tools, each a command line that
    starts it over stdio (``engine.tools.mcp``)."""
    planner: PlannerConfig = field(default_factory=PlannerConfig)

    def __post_init__(self) -> None:
        _check_fields(self)
        _positive("threads", self.threads, 1, LIMITS["threads"])
        for root in self.file_roots or ():
            _allowed_root(root)
        if not _TOOLRAG_RE.fullmatch(self.toolrag):
            raise ConfigError(f"toolrag: {self.toolrag!r} is not one of {', '.join(TOOLRAG_NAMES)}")

    def replace(self, **changes: Any) -> Config:
        """A copy with ``changes`` to app or planner fields (by name), checked again."""
        names = {f.name for f in dataclasses.fields(PlannerConfig)}
        planner = {k: v for k, v in changes.items() if k in names}
        own = {k: v for k, v in changes.items() if k not in names}
        unknown = set(own) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"no such setting: {', '.join(sorted(unknown))}")
        if planner:
            own["planner"] = (own.get("planner") or self.planner).replace(**planner)
        return dataclasses.replace(self, **own)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, planner fields alongside the app's (what ``from_dict`` reads back)."""
        out: dict[str, Any] = {}
        for name, value in {**_fields(self), **self.planner._given()}.items():
            if name == "planner":
                continue
            if isinstance(value, tuple):
                value = [str(v) for v in value]
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value.value if isinstance(value, Enum) else value
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> tuple[Config, list[str]]:
        """A config from ``to_dict``'s output (a settings file): each value that is unknown or does
        not check is left at its default and its name returned, so one bad value loses nothing else."""
        config, dropped = cls(), []
        for name, value in raw.items():
            try:
                config = config.replace(**{name: value})
            except (ConfigError, TypeError):
                dropped.append(name)
        return config, dropped


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
