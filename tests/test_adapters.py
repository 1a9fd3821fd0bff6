"""Adapters: a GGUF LoRA is used only on the base it was trained on, with the prompt it was trained
on; anything else is refused with its reason and the base model plans alone."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from engine.adapters import AdapterError, check_base, read_adapter
from engine.config import Config, PromptStyle
from engine.runtime import adapted


def _base(tmp_path: Path) -> Path:
    base = tmp_path / "base.gguf"
    base.write_bytes(b"GGUF" + b"\0" * 60)
    return base


def _adapter(folder: Path, base_sha256: str, prompt: str = "compact", name: str = "planner-lora.gguf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"GGUF" + b"\1" * 60)
    (folder / "manifest.json").write_text(json.dumps({"adapter": name, "base_sha256": base_sha256,
                                                      "config": {"prompt": prompt, "examples": 0}}))
    return path


def test_an_adapter_brings_the_prompt_it_was_trained_on(tmp_path) -> None:
    base = _base(tmp_path)
    lora = _adapter(tmp_path / "a", hashlib.sha256(base.read_bytes()).hexdigest())
    info = read_adapter(lora)
    assert info.prompt is PromptStyle.COMPACT and info.examples == 0
    warnings: list[str] = []
    config = adapted(Config(model=str(base), lora=str(lora)), warnings.append)
    assert warnings == [] and config.lora == str(lora) and config.planner.prompt is PromptStyle.COMPACT


def test_an_adapter_for_another_base_is_refused_and_the_base_plans_alone(tmp_path) -> None:
    base = _base(tmp_path)
    lora = _adapter(tmp_path / "a", "0" * 64)
    with pytest.raises(AdapterError, match="trained on another base"):
        check_base(read_adapter(lora), base)
    warnings: list[str] = []
    config = adapted(Config(model=str(base), lora=str(lora)), warnings.append)
    assert config.lora == "none" and config.planner.prompt is PromptStyle.REFERENCE
    assert len(warnings) == 1 and "another base" in warnings[0] and "planning with base.gguf alone" in warnings[0]


def test_a_corrupt_adapter_or_manifest_is_refused_with_its_reason(tmp_path) -> None:
    base = _base(tmp_path)
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"<html>not found</html>")
    for path, why in [(junk, "not a GGUF file"), (tmp_path / "missing.gguf", "cannot be read")]:
        with pytest.raises(AdapterError, match=why):
            read_adapter(path)
        warnings: list[str] = []
        assert adapted(Config(model=str(base), lora=str(path)), warnings.append).lora == "none"
        assert why in warnings[0]
    lora = _adapter(tmp_path / "b", "0" * 64)
    (lora.parent / "manifest.json").write_text("{broken")
    with pytest.raises(AdapterError, match="manifest.json is unreadable"):
        read_adapter(lora)


def test_an_adapter_without_its_own_manifest_keeps_the_configs_prompt(tmp_path) -> None:
    base = _base(tmp_path)
    lora = _adapter(tmp_path / "c", "0" * 64, name="other.gguf")
    alone = lora.with_name("mine.gguf")
    alone.write_bytes(lora.read_bytes())  # the folder's manifest describes other.gguf, not this file
    info = read_adapter(alone)
    assert info.base_sha256 is None and info.prompt is None
    assert adapted(Config(model=str(base), lora=str(alone))).planner.prompt is PromptStyle.REFERENCE


def test_the_shipped_planner_adapter_matches_its_base_and_prompt() -> None:
    """The app plans with the manifest's ``planner`` model and its adapter when no model is named;
    a foreign tool set gets the general ``default`` model without it."""
    from engine import models
    from engine.runtime import foreign_model

    planner = models.entry(None)
    assert planner.adapter is not None
    info = read_adapter(models.models_path(planner.adapter))
    assert info.base_sha256 == planner.sha256 and info.prompt is PromptStyle.COMPACT
    assert info.merged is not None and info.merged.file.endswith("-merged.gguf")  # pinned: the app plans merged
    assert models.entry("default").key != planner.key and models.entry("default").adapter is None
    assert foreign_model(Config()).model == "default" and foreign_model(Config()).lora == "none"


@pytest.mark.model
def test_the_app_plans_with_the_tuned_planner_when_no_model_is_named(tmp_path) -> None:
    """The shipped default, end to end: no model named, so the 0.5B with its adapter and the
    compact prompt; a request it must plan with a lookup first, run for real in a data folder."""
    import asyncio
    import datetime as dt

    from engine.agent import load_agent

    config = Config(data_dir=tmp_path, threads=2, open_in_desktop=False)
    assert adapted(config.replace(merge=False)).lora.endswith("planner-compact/planner-lora.gguf")
    merged = read_adapter(adapted(config.replace(merge=False)).lora).merged
    assert merged is not None and adapted(config).lora == "none" and Path(adapted(config).model).name == merged.file
    agent, backend = load_agent(config, warn=pytest.fail)
    assert agent.planner.config.prompt is PromptStyle.COMPACT
    backend.contacts.add("Sid Jha", ["sid@example.com"], ["+14155550100"])
    run = asyncio.run(agent.run("Text Sid that I am running late", now=dt.datetime(2026, 11, 23, 10, 0)))
    assert run.result.plan_error is None, run.stream.text
    assert [t.tool for t in run.stream.plan.calls] == ["get_phone_number", "send_sms"], run.stream.text
    assert run.stream.timings.prompt_tokens < 600


def test_a_truncated_or_replaced_adapter_is_refused_before_llama_cpp_reads_it(tmp_path) -> None:
    """Size and sha256 against the manifest: a truncated GGUF still starts with GGUF, and loading
    it crashed the process in native code at the first plan."""
    base = _base(tmp_path)
    lora = _adapter(tmp_path / "a", hashlib.sha256(base.read_bytes()).hexdigest())
    manifest = lora.parent / "manifest.json"
    data = json.loads(manifest.read_text())
    data.update(adapter_bytes=lora.stat().st_size, adapter_sha256=hashlib.sha256(lora.read_bytes()).hexdigest())
    manifest.write_text(json.dumps(data))
    assert read_adapter(lora).prompt is PromptStyle.COMPACT
    whole = lora.read_bytes()
    lora.write_bytes(whole[:40])
    with pytest.raises(AdapterError, match="truncated or replaced"):
        read_adapter(lora)
    warnings: list[str] = []
    assert adapted(Config(model=str(base), lora=str(lora)), warnings.append).lora == "none" and "truncated" in warnings[0]
    lora.write_bytes(whole[:-1] + b"\2")
    with pytest.raises(AdapterError, match="sha256"):
        read_adapter(lora)


def test_the_shipped_adapter_is_the_file_its_manifest_describes() -> None:
    from engine.resources import models_path

    data = json.loads(models_path("planner-compact", "manifest.json").read_text())
    path = models_path("planner-compact", data["adapter"])
    assert path.stat().st_size == data["adapter_bytes"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == data["adapter_sha256"]
