"""Flags generated once from the Config: every command that plans spells, documents and defaults
a setting the same way, and a flag not given leaves the setting to the Config."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from engine.cli import _query_parser, config_from_args
from engine.config import Config, ConfigError, PromptStyle, Selection
from engine.eval.runner import add_arguments
from engine.flags import FLAGS, add_flags, config_from


def _eval_args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_arguments(p)
    return p.parse_args(["--set", "x.jsonl", *argv])


def test_every_flag_sets_a_config_setting_and_shows_the_configs_default():
    names = {f.name for f in dataclasses.fields(Config)} | {f.name for f in dataclasses.fields(Config().planner)}
    assert set(FLAGS) <= names
    p = argparse.ArgumentParser()
    add_flags(p, FLAGS)
    text = " ".join(p.format_help().split())
    assert "[default: classifier]" in text and "[default: 3]" in text and "--no-grammar" in text and "--no-kinds" in text


def test_no_flags_is_the_apps_config_in_every_command():
    assert config_from_args(_query_parser().parse_args(["hi"])).planner == Config().planner
    assert config_from(_eval_args()) == Config()
    assert config_from(_query_parser().parse_args(["hi"])).toolrag == Config().toolrag


def test_the_same_flag_means_the_same_setting_in_the_cli_and_eval():
    argv = ["--no-grammar", "--toolrag", "embed:4", "--threads", "1", "--model", "fast", "--examples", "2"]
    cli = config_from_args(_query_parser().parse_args(["hi", *argv[:-2]]))
    ev = config_from(_eval_args(*argv))
    for config in (cli, ev):
        assert not config.planner.grammar and config.planner.kinds is False and config.planner.selection is Selection.PROMPT
        assert (config.toolrag, config.threads, config.model) == ("embed:4", 1, "fast")
    assert ev.planner.examples == 2 and cli.planner.examples == Config().planner.examples
    assert config_from(_eval_args("--no-kinds", "--prompt", "compact")).planner.kinds is False
    assert config_from(_eval_args("--prompt", "compact")).planner.prompt is PromptStyle.COMPACT


def test_a_flag_overrides_a_base_config_and_a_bad_combination_is_refused_in_the_configs_words():
    base = Config(model="default", toolrag="none", data_dir=Path("/data"))
    p = argparse.ArgumentParser()
    add_flags(p, ("model", "toolrag", "data_dir"), default_text="the Settings'")
    assert config_from(p.parse_args(["--toolrag", "classifier"]), base) == base.replace(toolrag="classifier")
    assert "[default: the Settings']" in " ".join(p.format_help().split())
    with pytest.raises(ConfigError, match="selection 'grammar' needs the grammar"):
        config_from_args(_query_parser().parse_args(["hi", "--no-grammar", "--toolrag-in", "grammar"]))
    with pytest.raises(ConfigError, match="toolrag"):
        config_from(_eval_args("--toolrag", "magic"))
