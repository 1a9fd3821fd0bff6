"""What the engine asks of a language model and what it gets back: the one model seam.

A typed ``GenerationRequest`` goes in (the system and user turns, the cached prefix, a grammar or
a token guard, the token budget, the stop strings); text pieces and ``GenerationStats`` come out.
A runtime declares its ``Capability``s, so a Config that needs what the runtime lacks is refused
before anything is planned (``Planner``), rather than planned without it and scored as if it had
it. Nothing here knows llama.cpp: ``engine.llama`` is the real runtime, ``ScriptedLLM`` the fake
that replays written plans so the planner, the agent and the app are tested without weights.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from engine.models import ModelError

APP_CACHE = "app"
"""The prefix group of the app's own prompts. Any other group (``Agent.for_tools`` and eval over
a foreign tool set use ``tools``) is kept apart with a smaller budget, so planning over other
tool sets never evicts the prefix the app starts from."""


class Capability(enum.Enum):
    """What a runtime can do beyond writing text."""

    GRAMMAR = "a grammar (GBNF) holding the text to a form"
    TOKEN_CONSTRAINT = "a guard refusing tokens as they are chosen"
    PREFIX_CACHE = "a cache of the prompt's static prefix"


class TextGuard(Protocol):
    """A token constraint: asked about the text written so far plus one candidate token, as the
    model chooses (``engine.kindguard.KindGuard`` is the planner's)."""

    yielded: int
    """Steps where no candidate it was shown passed, so it let the grammar decide."""

    def allows(self, text: str) -> bool: ...


@dataclass(frozen=True)
class GenerationRequest:
    """One completion. ``system`` and ``user`` are the two turns; the runtime renders them in its
    own chat layout."""

    system: str
    user: str
    max_tokens: int = 512
    stop: tuple[str, ...] = ()
    temperature: float = 0.0
    grammar: str | None = None
    """GBNF text the output must follow (needs ``Capability.GRAMMAR``)."""
    guard: TextGuard | None = field(default=None, compare=False)
    """Refuses tokens as they are chosen, greedy only (needs ``Capability.TOKEN_CONSTRAINT``)."""
    check_first: bool = True
    """With a grammar and greedy decoding, ask the grammar about the model's own choice before
    filtering the whole vocabulary: same text, faster. A runtime may ignore it."""
    prefix: str | None = None
    """The start of ``system`` that every request of this kind shares, worth caching
    (``Capability.PREFIX_CACHE``); ``None``: nothing is cached."""
    prefix_group: str = APP_CACHE
    """Where the prefix's cached state is kept (``APP_CACHE``)."""
    plain: str | None = None
    """The part of ``user`` (its last occurrence) never to be read as special tokens: a
    person's words or a document. ``None``: the whole user turn."""
    forced: Callable[[str], str] | None = field(default=None, compare=False)
    """Given the text written so far, the text the grammar allows as the only way on
    (``engine.grammar.forced_text``); a runtime may write it without asking the model
    (jump-forward decoding). Only a hint: the grammar still decides what is written."""

    def __post_init__(self) -> None:
        if self.prefix is not None and not self.system.startswith(self.prefix):
            raise ValueError("a request's prefix must be the start of its system turn")

    @property
    def as_text(self) -> str:
        """The part of the user turn read as plain text (``plain``)."""
        return self.plain if self.plain is not None else self.user

    @property
    def needs(self) -> frozenset[Capability]:
        """The capabilities this request relies on (a cached prefix is only an optimisation)."""
        return frozenset({*([Capability.GRAMMAR] if self.grammar else []),
                          *([Capability.TOKEN_CONSTRAINT] if self.guard is not None else [])})


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    prompt_ms: float = 0.0
    prefix_cache: str = "off"
    generated_tokens: int = 0
    generation_ms: float = 0.0
    check_ms: float = 0.0
    """Of ``prompt_ms + generation_ms``, the time the grammar and guard checks took."""
    forced_tokens: int = 0
    """Of ``generated_tokens``, those written as the grammar forced them, without a decode step."""


class PlanningModel(Protocol):
    """What the planner and the writer need of a model. ``engine.llama.LocalLLM`` is the real
    one, ``ScriptedLLM`` a fake."""

    @property
    def name(self) -> str: ...

    @property
    def capabilities(self) -> frozenset[Capability]: ...

    def render(self, system: str, user: str) -> str:
        """The prompt as the model reads it (shown in eval records and prompt tests)."""
        ...

    def prime(self, request: GenerationRequest) -> str:
        """Make the request's prefix ready now, so the first plan costs what later ones do;
        returns where it came from (``memory``, ``disk``, ``built``) or ``off``."""
        ...

    def generate(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        """Text pieces as they are written; ``stats`` is filled in as it goes."""
        ...


def missing(model: PlanningModel, needed: Collection[Capability]) -> list[Capability]:
    """Of ``needed``, what ``model`` cannot do, in ``Capability`` order."""
    return [c for c in Capability if c in needed and c not in model.capabilities]


def check_request(model: PlanningModel, request: GenerationRequest) -> None:
    """Refuse a request the model cannot honour: a grammar it would ignore gives unchecked text."""
    if lacks := missing(model, request.needs):
        raise ModelError(f"{model.name} cannot apply {', '.join(c.value for c in lacks)}")


class ScriptedLLM:
    """A fake ``PlanningModel``: each ``generate`` call yields the next scripted reply in small
    pieces (as a model streams) and records the request. It follows no grammar or guard, even
    when it declares it can (the default, so planner configs need no changes in tests): a test
    that needs their effect uses a real model."""

    name = "scripted"

    def __init__(self, replies: Sequence[str], piece: int = 7,
                 capabilities: Collection[Capability] = tuple(Capability)) -> None:
        self.replies = list(replies)
        self.piece = piece
        self.capabilities = frozenset(capabilities)
        self.calls: list[GenerationRequest] = []
        self.primed: list[GenerationRequest] = []

    def render(self, system: str, user: str) -> str:
        return f"{system}\n\n{user}\n"

    def prime(self, request: GenerationRequest) -> str:
        self.primed.append(request)
        return "off"

    def generate(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        check_request(self, request)
        if not self.replies:
            raise ModelError("the scripted model has no reply left")
        self.calls.append(request)
        text = self.replies.pop(0)
        for i in range(0, len(text), self.piece):
            yield text[i : i + self.piece]
