"""The one configuration: defaults, the single validator, enums from strings, frozen copies, and
the settings-file round trip; and that the CLI and eval refuse a bad combination with its words."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from engine.config import Backend, Config, ConfigError, PlannerConfig, PromptStyle, Selection


def test_the_defaults_are_the_apps() -> None:
    config = Config()
    assert config.planner.selection is Selection.GRAMMAR and config.planner.kinds is True
    assert config.backend is Backend.AUTO and config.toolrag == "classifier" and config.planner.examples == 3


def test_derived_values_follow_the_grammar_and_an_explicit_clash_is_refused() -> None:
    off = PlannerConfig(grammar=False)
    assert off.selection is Selection.PROMPT and off.kinds is False
    with pytest.raises(ConfigError, match="needs the grammar"):
        PlannerConfig(grammar=False, selection="grammar")
    with pytest.raises(ConfigError, match="kinds needs the grammar"):
        PlannerConfig(check_first=False, kinds=True)


def test_jump_forward_needs_the_check_first_grammar() -> None:
    assert PlannerConfig(jump=True).forces_ahead
    assert not PlannerConfig(jump=False).forces_ahead
    assert not PlannerConfig(jump=True, grammar=False).forces_ahead
    assert not PlannerConfig(jump=True, check_first=False, kinds=False).forces_ahead


def test_strings_become_enums_and_wrong_types_name_the_field() -> None:
    config = Config(backend="local", file_roots=["/tmp/a", Path("/tmp/b")], planner=PlannerConfig(prompt="compact"))
    assert config.backend is Backend.LOCAL and config.planner.prompt is PromptStyle.COMPACT
    assert config.file_roots == (Path("/tmp/a"), Path("/tmp/b"))
    for bad, field in [({"threads": "2"}, "threads"), ({"threads": 0}, "threads"), ({"backend": "windows"}, "backend"),
                       ({"toolrag": "magic"}, "toolrag"), ({"toolrag": "embed:0"}, "toolrag"), ({"data_dir": 3}, "data_dir"),
                       ({"open_in_desktop": "yes"}, "open_in_desktop")]:
        with pytest.raises(ConfigError, match=field):
            Config(**bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="examples"):
        PlannerConfig(examples=-1)
    with pytest.raises(ConfigError, match="grammar"):
        PlannerConfig(grammar=1)  # type: ignore[arg-type]


def test_frozen_and_replace_checks_again_and_rederives() -> None:
    config = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.threads = 2  # type: ignore[misc]
    plain = config.replace(grammar=False, threads=2)
    assert plain.planner.grammar is False and plain.planner.selection is Selection.PROMPT and plain.threads == 2
    assert plain.replace(grammar=True).planner == Config().planner  # derived values come back with the grammar
    assert config.planner.grammar is True  # the original is untouched
    with pytest.raises(ConfigError, match="no such setting: colour"):
        config.replace(colour="blue")
    with pytest.raises(ConfigError, match="needs the grammar"):
        config.replace(grammar=False, selection="grammar")


def test_settings_file_round_trip_keeps_good_values_and_names_bad_ones() -> None:
    config = Config(model="fast", data_dir=Path("/tmp/data"), backend="local",
                    planner=PlannerConfig(examples=1, selection="prompt", kinds=False))
    raw = json.loads(json.dumps(config.to_dict()))
    assert Config.from_dict(raw) == (config, [])
    raw |= {"threads": "many", "backend": "windows", "unknown": 1}
    loaded, dropped = Config.from_dict(raw)
    assert sorted(dropped) == ["backend", "threads", "unknown"]
    assert loaded.model == "fast" and loaded.planner.examples == 1 and loaded.backend is Backend.AUTO


def _one_record(tmp_path: Path) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"id": "r1", "query": "Remind me to call Ana", "split": "test",
                                "plan": '1. create_reminder("Call Ana", "", "", "", 0, False)\n2. join()<END_OF_PLAN>'}) + "\n")
    return path


def test_eval_refuses_what_the_cli_refuses_with_the_same_words(tmp_path, capsys) -> None:
    from engine.eval.runner import main as eval_main

    assert eval_main(["--set", str(_one_record(tmp_path)), "--toolrag-in", "grammar", "--no-grammar"]) == 2
    assert "needs the grammar" in capsys.readouterr().err
    assert eval_main(["--set", str(_one_record(tmp_path)), "--toolrag", "magic"]) == 2
    assert "toolrag: 'magic' is not one of" in capsys.readouterr().err
