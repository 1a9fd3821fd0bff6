"""Assemble a ready ``Agent`` from user options: model file, data folder, grammar, threads.

Shared by the CLI and the GUI so both load models and tools the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine import models
from engine.agent import Agent
from engine.examples import ExampleBank
from engine.llm import LocalLLM
from engine.planner import Planner, PlannerConfig, ToolSelector
from engine.toolrag import ToolRAGError, make_selector
from engine.tools.local import LocalBackend, default_data_dir
from engine.tools.spec import ToolSpec
from engine.writer import LLMWriter


@dataclass
class AgentOptions:
    model: str | None = None
    lora: str | None = None
    data_dir: Path | None = None
    grammar: bool = True
    threads: int | None = None
    examples: int = 3
    open_in_desktop: bool = True
    model_writes_text: bool = True
    # The trained classifier, its choice held by the grammar while every tool is described: on 200
    # held-out test records 61.5% success (50.5% with arguments) at a median 12.4 s (one thread, beside an eval),
    # against 59.0% (50.0%) at 34.0 s with only the chosen tools described (their prompt prefixes are
    # rarely cached) and 59.5% (47.0%) at 17.5 s with all tools allowed (README, "Results").
    toolrag: str = "classifier"
    toolrag_in: str = "grammar"
    """Where the classifier's choice applies (``PlannerConfig.selection``). Without the grammar
    there is nothing to hold the plan to the choice, so it goes in the prompt."""
    kinds: bool | None = None
    """Hold the plan's data kinds while decoding (``PlannerConfig.kinds``); None: the default, on
    with the grammar."""
    backend: str = "auto"
    file_roots: tuple[Path, ...] | None = None
    """Folders whose files may be opened, summarised and attached (besides none other); None: the
    data folder's ``files/`` and ~/Documents, ~/Downloads, ~/Desktop."""


def tool_selector(name: str, specs: list[ToolSpec], warn: Callable[[str], None] = print) -> ToolSelector | None:
    """The ToolRAG selector, or all tools (with a warning) when its model cannot be loaded."""
    from engine.encoder import EncoderError

    try:
        return make_selector(name, specs)
    except (ToolRAGError, EncoderError) as exc:
        warn(f"ToolRAG '{name}' unavailable ({exc}); offering all tools to the planner")
        return None


def make_backend(opts: AgentOptions) -> LocalBackend:
    """``macos`` drives the Mac's apps through AppleScript; ``local`` keeps everything in the data
    folder on open formats; ``auto`` picks ``macos`` on a Mac."""
    from engine.tools import macos

    kind = opts.backend
    if kind == "auto":
        kind = "macos" if macos.available() else "local"
    roots = [Path(r).expanduser() for r in opts.file_roots] if opts.file_roots is not None else None
    if kind == "macos":
        return macos.MacBackend(opts.data_dir or default_data_dir(), open_in_desktop=opts.open_in_desktop, search_roots=roots)
    if kind == "local":
        return LocalBackend(opts.data_dir or default_data_dir(), open_in_desktop=opts.open_in_desktop, search_roots=roots)
    raise ValueError(f"unknown backend {opts.backend!r}: use auto, local or macos")


def load_agent(
    opts: AgentOptions, progress: Callable[[int, int], None] | None = None, warn: Callable[[str], None] = print
) -> tuple[Agent, LocalBackend]:
    path = models.resolve(opts.model, progress=progress)
    llm = LocalLLM(path, n_threads=opts.threads, lora_path=models.default_adapter(opts.model, opts.lora))
    backend = make_backend(opts)
    if opts.model_writes_text:
        backend.writer = LLMWriter(llm)
    tools = backend.toolbox()
    specs = list(tools)
    planner = Planner(
        llm, specs, ExampleBank.default(), select_tools=tool_selector(opts.toolrag, specs, warn),
        config=PlannerConfig(examples=opts.examples, grammar=opts.grammar, selection=opts.toolrag_in if opts.grammar else "prompt",
                             kinds=opts.kinds),
    )
    return Agent(planner, tools), backend
