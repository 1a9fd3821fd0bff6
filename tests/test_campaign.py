"""The training campaign: its state is what the repo holds, a sitting continues exactly where the
last one stopped, and a truncated or foreign state is refused before torch reads it.

The logic of the data stream runs without torch; the sittings themselves (marked ``model``) train
the 270M for a few steps on CPU with the real loop and val scoring by llama.cpp.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from engine.data.records import Record
from engine.train.campaign import (
    STATE_FILE,
    WEIGHTS_FILE,
    CampaignError,
    Focus,
    Mix,
    Point,
    Settings,
    Source,
    State,
    check_weights,
    is_long,
    read_state,
    windows,
    windows_table,
)

PLAN5 = "\n".join(f'{i}. get_email_address("P{i}")' for i in range(1, 6)) + "\n6. join()<END_OF_PLAN>"


def _records(n: int, prefix: str = "r") -> list[Record]:
    return [Record(f"{prefix}{i:03d}", f"Remind me {i}", f'1. create_reminder("R{i}", "", "", "", 0, False)\n2. join()', [])
            for i in range(n)]


def _settings() -> Settings:
    return Settings(sources=(Source("a", "a.jsonl", Focus.ALL, 2), Source("b", "b.jsonl", Focus.ALL, 1)))


def test_the_stream_resumes_where_it_stopped_from_what_is_saved() -> None:
    """Twelve samples in one go, or four, a save to JSON and a load, then eight: the same records."""
    records = {"a": _records(5, "a"), "b": _records(3, "b")}
    whole = Mix(State(_settings()), records)
    twelve = [next(whole).id for _ in range(12)]
    first = State(_settings())
    part = Mix(first, records)
    four = [next(part).id for _ in range(4)]
    again = State.from_json(json.loads(json.dumps(first.to_json())))
    eight = [next(Mix(again, records)).id for _ in range(1)]
    rest = Mix(again, records)
    eight += [next(rest).id for _ in range(7)]
    assert four + eight == twelve
    assert [i[0] for i in twelve[:6]] == ["a", "a", "b", "a", "a", "b"]  # weights 2 : 1
    bs = [i for i in twelve if i[0] == "b"]
    assert sorted(bs[:3]) == ["b000", "b001", "b002"]  # an epoch sees each once
    assert again.positions["b"][0] == 1  # b ran out and began its second epoch, in a new order


def test_long_plans_are_the_ones_that_fail_most() -> None:
    assert is_long(Record("x", "q", PLAN5, []))
    three = "\n".join(f'{i}. get_phone_number("P{i}")' for i in range(1, 4)) + "\n4. join()"
    assert is_long(Record("x", "q", three, []))
    assert not is_long(_records(1)[0])


def test_settings_and_state_survive_json() -> None:
    state = State(_settings(), step=7, samples_seen=56, positions={"a": [1, 2]})
    back = State.from_json(json.loads(json.dumps(state.to_json())))
    assert back == state and back.settings.sources[0].focus is Focus.ALL


def test_the_curve_is_averaged_in_windows_since_val_last_changed() -> None:
    old_mix = dataclasses.replace(_settings(), sources=_settings().sources[:1])
    # No kept adapter was rescored (best is None): the val change is read from the settings alone.
    state = State(_settings(), revisions=[
        {"samples": 100, "why": "new val", "replaced": dataclasses.replace(old_mix, val_limit=30).to_json()},
        {"samples": 400, "why": "new mix", "replaced": old_mix.to_json()}])
    state.curve = [Point(s, s // 8, 0.1, v, v / 2, 1.0) for s, v in
                   ((100, 0.9), (150, 0.5), (250, 0.6), (260, 0.7), (420, 0.4))]
    got = windows(state, size=200)
    assert [(w.first, w.last, w.points) for w in got] == [(150, 260, 3), (420, 420, 1)]
    assert got[0].val_success == pytest.approx(0.6) and got[0].val_success_args == pytest.approx(0.3)
    assert got[0].best == 0.7 and got[1].val_success == 0.4
    assert windows_table(state, 200).splitlines()[2].startswith("| 150–260 | 3 | 60.0% | 30.0% | 70.0% |")
    assert windows(State(_settings()), 200) == []
    with pytest.raises(ValueError):
        windows(state, 0)


def test_a_missing_truncated_or_foreign_weights_file_is_refused(tmp_path) -> None:
    import hashlib

    data = b"\x08\x00\x00\x00\x00\x00\x00\x00{}" + b" " * 6
    (tmp_path / WEIGHTS_FILE).write_bytes(data)
    state = State(_settings(), weights_bytes=len(data), weights_sha256=hashlib.sha256(data).hexdigest())
    assert check_weights(tmp_path, state) == tmp_path / WEIGHTS_FILE
    (tmp_path / WEIGHTS_FILE).write_bytes(data[:-3])
    with pytest.raises(CampaignError, match="truncated or foreign"):
        check_weights(tmp_path, state)
    (tmp_path / WEIGHTS_FILE).write_bytes(data[:-1] + b"x")
    with pytest.raises(CampaignError, match="sha256"):
        check_weights(tmp_path, state)
    (tmp_path / WEIGHTS_FILE).unlink()
    with pytest.raises(CampaignError, match="missing"):
        check_weights(tmp_path, state)
    with pytest.raises(CampaignError, match="records no size"):
        check_weights(tmp_path, State(_settings()))


def test_a_broken_state_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(CampaignError, match="no campaign"):
        read_state(tmp_path)
    (tmp_path / STATE_FILE).write_text("{not json")
    with pytest.raises(CampaignError, match="unreadable"):
        read_state(tmp_path)
    (tmp_path / STATE_FILE).write_text(json.dumps({"settings": {"sources": [{"name": "a"}]}}))
    with pytest.raises(CampaignError, match="settings are unreadable"):
        read_state(tmp_path)


def test_the_committed_campaign_is_consistent() -> None:
    """What the repo holds can be continued: its weights are the file its state records."""
    from engine.train.campaign import campaign_dir

    folder = campaign_dir()
    if not (folder / STATE_FILE).exists():
        pytest.skip("no campaign committed yet")
    state = read_state(folder)
    check_weights(folder, state)
    assert state.samples_seen >= max(p.samples for p in state.curve)
    assert sum(p.kept for p in state.curve) == 1


# -- sittings on the 270M (torch, llama.cpp) -------------------------------------------------------


def _tiny_lora(base: Path):  # type: ignore[no-untyped-def]
    """The 270M with a rank-4 LoRA on every linear layer whose B is not zero: a trained adapter,
    not the identity PEFT starts with."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from engine.train.step import TARGET_MODULES

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(str(base.parent), gguf_file=base.name, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=list(TARGET_MODULES), task_type="CAUSAL_LM"))
    for name, p in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.02)
    return model


def _tiny_campaign(tmp_path: Path) -> tuple[Path, Settings, dict]:
    """A campaign folder for the 270M started from a shipped-style adapter (manifest + GGUF)."""
    from peft import get_peft_model_state_dict

    from engine import models
    from engine.adapters import file_sha256
    from engine.train.gguf_lora import base_info, write_gguf_lora

    data = tmp_path / "train.jsonl"
    rows = [{"id": f"r{i}", "query": f"Remind me to call Ana {i} times", "date": "2026-11-30 09:00", "split": "train",
             "plan": f'1. create_reminder("Call Ana {i} times", "", "", "", 0, False)\n2. join()<END_OF_PLAN>'}
            for i in range(6)]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    base = models.resolve("tiny")
    model = _tiny_lora(base)
    weights = {k: v.detach().numpy() for k, v in get_peft_model_state_dict(model).items()}
    folder = tmp_path / "campaign"
    write_gguf_lora(folder / "planner-lora.gguf", *base_info(base), 8.0, weights)
    (folder / "manifest.json").write_text(json.dumps({
        "adapter": "planner-lora.gguf", "base_sha256": file_sha256(base), "config": {"batch": 2, "prompt": "compact"},
        "best_step": 3, "samples_seen": 6,
        "checkpoints": [{"step": 3, "loss": 1.0, "val_success": 0.0, "val_success_args": 0.0, "seconds": 60}]}))
    settings = Settings(base="tiny", rank=4, alpha=8.0, batch=2, warmup=1, val_limit=1,
                        sources=(Source("t", str(data), Focus.ALL, 1),), val=(str(data),))
    return folder, settings, weights


@pytest.mark.model
@pytest.mark.slow
def test_sittings_continue_from_the_committed_state_only(tmp_path) -> None:
    """Two steps, then two more from what the folder holds: four steps, eight samples, the data
    stream where it was; the first sitting starts from the shipped adapter (read back from its
    GGUF), a truncated weights file and other settings are refused. A sitting scored after its
    last step is not scored again at its end."""
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    import numpy as np

    import engine.train.campaign as C

    folder, settings, shipped = _tiny_campaign(tmp_path)

    def sit(steps: int, val_every: float = 40.0, **kw: object) -> State:
        return C.run_sitting(C.Sitting(folder, minutes=10, threads=2, save_every=1, max_steps=steps, log=lambda m: None,
                                       work=tmp_path / "work", val_every_minutes=val_every), **kw)  # type: ignore[arg-type]

    first = sit(2, settings=settings)
    assert (first.step, first.samples_seen) == (5, 10) and first.positions["t"] == [0, 4]
    from safetensors.numpy import load_file

    after = load_file(str(folder / WEIGHTS_FILE))
    assert set(after) == set(shipped)
    for name in (n for n in shipped if "lora_B" in n):  # began at the shipped adapter, not at zero
        change = np.linalg.norm(after[name].astype("float32") - shipped[name]) / np.linalg.norm(shipped[name])
        assert 0 < change < 0.5, name
    assert len(first.curve) == 2 and first.sittings[0]["from_samples"] == 6
    with pytest.raises(CampaignError, match="other settings"):
        sit(1, settings=dataclasses.replace(settings, lr=1e-3))
    second = sit(2, val_every=0)
    assert (second.step, second.samples_seen, second.positions["t"]) == (7, 14, [1, 2])
    assert [p.step for p in second.curve] == [3, 5, 6, 7]
    assert [s["from_step"] for s in second.sittings] == [3, 5]
    kept = [p for p in second.curve if p.kept]
    assert len(kept) == 1
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["best_step"] == kept[0].step and manifest["adapter_bytes"] == (folder / "planner-lora.gguf").stat().st_size
    from engine import models
    from engine.adapters import file_sha256

    merged = models.cache_dir() / manifest["merged"]["file"]  # the kept adapter's merge, pinned and built
    assert manifest["merged"]["sha256"] == file_sha256(merged) and manifest["merged"]["size"] == merged.stat().st_size
    weights = folder / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(CampaignError, match="truncated"):
        sit(1)


@pytest.mark.model
def test_the_batched_step_gives_each_samples_own_loss(tmp_path) -> None:
    """``batch_loss`` (the shared prefix's cache repeated, the rests padded into one pass, logits
    only where a plan token is predicted) equals ``sample_loss`` per sample, averaged, and its
    gradient reaches the adapter."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("peft")
    import datetime as dt

    from engine import models
    from engine.llama import LocalLLM
    from engine.tools.desktop import desktop_specs
    from engine.train.samples import SampleBuilder
    from engine.train.step import batch_loss, prefix_cache, sample_loss

    base = models.resolve("tiny")
    builder = SampleBuilder(LocalLLM(base, vocab_only=True), desktop_specs(), select=None, examples=0, distractors=0,
                            prompt="compact")
    when = dt.datetime(2026, 11, 23, 9, 0)
    recs = [Record("a", "Text Sid that I am late", '1. get_phone_number("Sid")\n2. send_sms(["$1"], "I am late")\n3. join()',
                   [], date=when),
            Record("b", "Remind me to buy milk", '1. create_reminder("Buy milk", "", "", "", 0, False)\n2. join()', [], date=when),
            Record("c", "Email Ana and Bo the notes", '1. get_email_address("Ana")\n2. get_email_address("Bo")\n'
                   '3. open_note("Notes", "")\n4. compose_new_email(["$1", "$2"], [], "Notes", "$3", [])\n5. join()', [], date=when)]
    samples = [builder.tokenized(builder.sample(r)) for r in recs]
    prefix = builder.static_prefix_ids()
    model = _tiny_lora(base)
    model.train()
    each = torch.stack([sample_loss(model, s, "cpu") for s in samples]).mean()
    batched = batch_loss(model, samples, "cpu", prefix, prefix_cache(model, prefix, "cpu"))
    assert abs(each.item() - batched.item()) < 2e-3 * max(1.0, each.item())
    batched.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for n, p in model.named_parameters() if "lora" in n)
