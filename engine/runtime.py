"""Assemble a ready ``Agent`` or ``Planner`` from a ``Config``.

``build_planner`` is the one place a planner is put together (model, adapter, example bank,
ToolRAG selector, planner config): the app, the CLI, eval, bench and training all call it, so a
plan scored by eval is the plan the app would make with the same config.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from engine import models
from engine.adapters import AdapterError, check_base, read_adapter
from engine.config import Backend, Config
from engine.examples import ExampleBank
from engine.generation import APP_CACHE, PlanningModel
from engine.llama import LocalLLM
from engine.planner import Planner, ToolSelector
from engine.toolrag import ToolRAGError, make_selector
from engine.tools.local import LocalBackend, default_data_dir
from engine.tools.spec import ToolSpec


def tool_selector(name: str, specs: list[ToolSpec], warn: Callable[[str], None] = print) -> ToolSelector | None:
    """The ToolRAG selector, or all tools (with a warning) when its model cannot be loaded."""
    from engine.encoder import EncoderError

    try:
        select = make_selector(name, specs)
        if unlabelled := getattr(select, "unlabelled", None):
            warn(f"ToolRAG's classifier has no label for {', '.join(unlabelled)}: always offered to the planner")
        return select
    except (ToolRAGError, EncoderError) as exc:
        warn(f"ToolRAG '{name}' unavailable ({exc}); offering all tools to the planner")
        return None


def make_backend(config: Config) -> LocalBackend:
    """The tools' backend (``Backend``): ``auto`` picks ``macos`` on a Mac."""
    from engine.tools import macos

    kind = config.backend
    if kind is Backend.AUTO:
        kind = Backend.MACOS if macos.available() else Backend.LOCAL
    roots = [r.expanduser() for r in config.file_roots] if config.file_roots is not None else None
    cls = macos.MacBackend if kind is Backend.MACOS else LocalBackend
    return cls(config.data_dir or default_data_dir(), open_in_desktop=config.open_in_desktop, search_roots=roots)


def selector_name(config: Config, foreign: bool, warn: Callable[[str], None] = print) -> str:
    """``config.toolrag``, unless it names a selector trained on the desktop tools and the tools
    are someone else's: then ``none`` (all tools), and ``warn`` says so."""
    if foreign and not config.toolrag.startswith(("embed", "none", "all")):
        warn(f"ToolRAG: all tools (the {config.toolrag} knows only the desktop tools; embed ranks yours)")
        return "none"
    return config.toolrag


def adapted(
    config: Config, warn: Callable[[str], None] = print, progress: Callable[[int, int], None] | None = None
) -> Config:
    """``config`` with its model file and adapter settled: ``model`` the GGUF's path, ``lora`` the
    adapter's path (the manifest's own unless ``lora`` says otherwise) or ``none``, and the prompt
    the one the adapter was trained on (``engine.adapters``). An adapter that cannot be used is
    reported through ``warn`` and left out: the base model plans alone. An adapter whose manifest
    pins its merge plans merged (``model`` the merged file, ``lora`` none) unless ``merge`` is off;
    a merge that fails or differs from the pin is reported and the adapter applies unmerged."""
    path = models.resolve(config.model, progress=progress)
    known = None if models.is_path(config.model) else models.entry(config.model).sha256  # pinned, checked on assembly
    lora = models.default_adapter(config.model, config.lora)
    config = config.replace(model=str(path), lora=lora or "none")
    if lora is None:
        return config
    try:
        info = read_adapter(lora)
        check_base(info, path, known)
    except AdapterError as exc:
        warn(f"{exc}; planning with {path.name} alone")
        return config.replace(lora="none")
    if info.prompt is not None and info.prompt is not config.planner.prompt:
        config = config.replace(prompt=info.prompt, **({} if info.examples is None else {"examples": info.examples}))
    if config.merge and info.merged is not None:
        try:
            config = config.replace(model=str(models.merged(path, info.path, info.merged, progress=progress)),
                                    lora="none")
        except models.ModelError as exc:
            warn(f"{exc}; planning with the adapter unmerged")
    return config


def foreign_model(config: Config) -> Config:
    """The model for a tool set other than the desktop one: the general ``default`` model unless
    one is named, and no adapter unless one is named (the app's planner and the manifest's
    adapters are tuned to the desktop tools)."""
    return config.replace(model=config.model or "default", lora=config.lora or "none")


def load_llm(config: Config, progress: Callable[[int, int], None] | None = None) -> LocalLLM:
    """The config's model with its adapter, as ``adapted`` settles them."""
    path = models.resolve(config.model, progress=progress)
    return LocalLLM(path, n_threads=config.threads, lora_path=models.default_adapter(config.model, config.lora))


FOREIGN_CACHE = "tools"
"""The KV-cache group of tool sets other than the desktop one (see ``generation.APP_CACHE``)."""

FROM_CONFIG: Final = object()
"""``build_planner``'s ``select`` default: the selector ``config.toolrag`` names."""


def build_planner(
    config: Config,
    specs: Sequence[ToolSpec],
    *,
    llm: PlanningModel | None = None,
    bank: ExampleBank | None = None,
    select: ToolSelector | None | object = FROM_CONFIG,
    foreign: bool = False,
    strict: bool = False,
    warn: Callable[[str], None] = print,
) -> Planner:
    """A planner over ``specs`` as ``config`` says (``llm`` defaults to the config's model and
    adapter, ``adapted``).

    ``foreign``: the tools are not the desktop set, so nothing of the desktop set may leak in:
    the examples come from ``bank`` or there are none, and a ToolRAG selector trained on the
    desktop tools is replaced by all tools (``warn`` says so); ``embed`` ranks any tool set; and
    its prompt prefixes are cached apart from the app's (``FOREIGN_CACHE``).

    ``strict`` (eval, training): a selector that cannot be loaded is an error rather than all
    tools with a warning, since the numbers would otherwise describe another setup."""
    if foreign:
        config = foreign_model(config)
    if llm is None:
        config = adapted(config, warn)
        llm = load_llm(config)
    planner_config = config.planner
    if foreign:
        bank = bank if bank is not None else ExampleBank([])
        if not bank.examples:
            planner_config = planner_config.replace(examples=0)
    if select is FROM_CONFIG:
        name = selector_name(config, foreign, warn)
        select = make_selector(name, list(specs)) if strict else tool_selector(name, list(specs), warn)
    return Planner(llm, specs,
                   bank if bank is not None else ExampleBank.default(),
                   select_tools=select, config=planner_config,  # type: ignore[arg-type]
                   cache_group=FOREIGN_CACHE if foreign else APP_CACHE)
