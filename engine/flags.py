"""Command-line flags for the settings of a ``Config``, written once for every command.

``tinyagent``, ``tinyagent eval``, ``python -m engine.bench``, ``python -m engine.train`` and
``python -m gui`` each declared ``--model``, ``--threads``, ``--toolrag``, ``--grammar`` … with
their own spelling, help and default, and read them into a ``Config`` by hand; a new setting
meant five edits, and the defaults had drifted apart. Here each flag names the setting it sets
(a ``Config.replace`` key), its help states the Config's own default, and a flag not given leaves
the setting to the Config, so a command's defaults are the app's unless it says otherwise.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.config import Backend, Config, PromptStyle, Selection


@dataclass(frozen=True)
class Flag:
    setting: str
    """The ``Config.replace`` key (an app or a planner setting)."""
    option: str
    help: str
    type: Callable[[str], Any] | None = None
    choices: tuple[str, ...] | None = None
    switch: bool = False
    """``--x`` / ``--no-x``."""


FLAGS: Mapping[str, Flag] = {f.setting: f for f in (
    Flag("model", "--model", "a .gguf file, or a model name from models/manifest.json (planner: the tuned desktop "
                             "planner; default: the general model; fast, tiny)"),
    Flag("lora", "--lora", "a GGUF LoRA adapter (the model's own from the manifest, if any; none: no adapter)"),
    Flag("merge", "--merge", "plan with the adapter merged into its base when its manifest pins the merged file "
                             "(built once into the model cache; --no-merge: applied unmerged)", switch=True),
    Flag("threads", "--threads", "CPU threads for the model (all cores when not given)", type=int),
    Flag("data_dir", "--data-dir", "where contacts, calendar, mail, notes live (the XDG data folder when not given)",
         type=Path),
    Flag("backend", "--backend", "where the tools act: the Mac's apps (macos, chosen by auto on a Mac) or the data "
                                 "folder (local)", choices=tuple(b.value for b in Backend)),
    Flag("toolrag", "--toolrag", "tool selection: classifier, none (all tools), embed, embed:K"),
    Flag("selection", "--toolrag-in", "where ToolRAG's choice applies: prompt (describe only the chosen tools) or "
                                      "grammar (describe all, let the plan call only the chosen; keeps the prompt "
                                      "cached; chosen by default with the grammar)",
         choices=tuple(s.value for s in Selection)),
    Flag("grammar", "--grammar", "constrained decoding: the plan can only call offered tools with typed arguments "
                                 "(--no-grammar: the model writes freely)", switch=True),
    Flag("kinds", "--kinds", "hold the plan's data kinds while decoding (engine.kindguard; on with the grammar)",
         switch=True),
    Flag("jump", "--jump", "write what the grammar forces (step numbers, a tool name's rest, the plan's end) in one "
                           "batch with the model's choice (jump-forward decoding; with the check-first grammar)",
         switch=True),
    Flag("examples", "--examples", "in-context examples per prompt (the reference prompt)", type=int),
    Flag("prompt", "--prompt", "compact: tool signatures, date and question only (for a planner tuned on it)",
         choices=tuple(s.value for s in PromptStyle)),
)}


def _default(setting: str) -> Any:
    config = Config()
    value = getattr(config.planner, setting) if hasattr(config.planner, setting) else getattr(config, setting)
    return getattr(value, "value", value)


def add_flags(parser: argparse.ArgumentParser, settings: Iterable[str], *, helps: Mapping[str, str] | None = None,
              defaults: Mapping[str, Any] | None = None, default_text: str | None = None) -> None:
    """The flags of ``settings`` on ``parser``. ``helps`` replaces a flag's help (a command that
    reads it differently); ``defaults`` gives a command its own default; ``default_text`` says
    where the default comes from instead of the Config's value (the app's Settings)."""
    helps, defaults = helps or {}, defaults or {}
    for setting in settings:
        flag = FLAGS[setting]
        default = defaults.get(setting)
        shown = default_text or (default if setting in defaults else _default(setting))
        text = helps.get(setting, flag.help) + (f" [default: {shown}]" if shown not in (None, ()) else "")
        kwargs: dict[str, Any] = {"dest": setting, "default": default, "help": text.replace("%", "%%")}
        if flag.switch:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs.update({k: v for k, v in (("type", flag.type), ("choices", flag.choices)) if v is not None})
        parser.add_argument(flag.option, **kwargs)


def given(args: argparse.Namespace, settings: Iterable[str] = FLAGS) -> dict[str, Any]:
    """The settings among ``settings`` that ``args`` sets (a flag not given is left out)."""
    return {s: getattr(args, s) for s in settings if getattr(args, s, None) is not None}


def config_from(args: argparse.Namespace, base: Config | None = None, **changes: Any) -> Config:
    """``base`` (the app's default ``Config``) with every flag ``args`` gives, then ``changes``;
    checked by the Config, so a bad combination is refused in the same words as anywhere else."""
    return (base or Config()).replace(**{**given(args), **changes})
