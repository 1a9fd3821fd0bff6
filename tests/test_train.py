"""Fine-tuning support that runs without torch: training prompts and the GGUF LoRA export.

The export is checked against llama.cpp itself (model tests): an adapter whose B matrices are zero
must leave the model's output unchanged, and a non-zero one must change it; so a name or shape that
llama.cpp did not apply would fail here. The training loop itself needs torch (the ``train``
extra) and is exercised by ``python -m engine.train planner``, reported in the README.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from engine.data.records import Record
from engine.plan import END_OF_PLAN
from engine.train.gguf_lora import AdapterExportError, base_info, gguf_tensor_name, write_gguf_lora
from engine.train.samples import offered_names, target_text

gguf = pytest.importorskip("gguf")

CANON = ["a", "b", "c", "d", "e", "f", "g", "h"]


def test_offered_keeps_truth_and_selection_in_canonical_order() -> None:
    got = offered_names(["g", "b"], ["c"], CANON, random.Random(1), distractors=2)
    assert {"b", "c", "g"} <= set(got)
    assert len(got) == 5
    assert got == [n for n in CANON if n in got]


def test_offered_adds_truth_the_selector_missed_and_is_seeded() -> None:
    a = offered_names(["h"], ["a"], CANON, random.Random(7), distractors=3)
    b = offered_names(["h"], ["a"], CANON, random.Random(7), distractors=3)
    assert a == b and "h" in a and len(a) == 5


def test_offered_refuses_unknown_tools() -> None:
    with pytest.raises(ValueError, match="zzz"):
        offered_names(["zzz"], [], CANON, random.Random(0), distractors=1)


def test_target_ends_where_the_planner_stops() -> None:
    assert target_text('1. join()') == "1. join()" + END_OF_PLAN
    assert target_text(f"1. join(){END_OF_PLAN}\n") == f"1. join(){END_OF_PLAN}"


def test_peft_names_map_to_llama_cpp_names() -> None:
    assert gguf_tensor_name("base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight", "qwen2", 24) == (
        "blk.3.attn_q.weight", "lora_a")
    assert gguf_tensor_name("base_model.model.model.layers.17.mlp.down_proj.lora_B.weight", "gemma3", 18) == (
        "blk.17.ffn_down.weight", "lora_b")
    with pytest.raises(AdapterExportError, match="not a LoRA"):
        gguf_tensor_name("base_model.model.lm_head.weight", "qwen2", 24)
    with pytest.raises(AdapterExportError, match="no GGUF tensor"):
        gguf_tensor_name("base_model.model.model.layers.0.self_attn.rotary.lora_A.weight", "qwen2", 24)


def _fake_adapter(n_blocks: int, hidden: int, kv: int, rank: int, scale: float, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n_blocks):
        for proj, width in (("q_proj", hidden), ("v_proj", kv)):
            stem = f"base_model.model.model.layers.{i}.self_attn.{proj}"
            out[f"{stem}.lora_A.weight"] = rng.normal(0, 0.5, (rank, hidden)).astype(np.float32)
            out[f"{stem}.lora_B.weight"] = (rng.normal(0, 0.5, (width, rank)) * scale).astype(np.float32)
    return out


def test_written_adapter_reads_back_as_llama_cpp_expects(tmp_path) -> None:
    path = write_gguf_lora(tmp_path / "a.gguf", "qwen2", 2, 32.0, _fake_adapter(2, 8, 4, 2, 1.0))
    reader = gguf.GGUFReader(str(path))
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["adapter.type"].contents() == "lora"
    assert reader.fields["adapter.lora.alpha"].contents() == 32.0
    assert reader.fields["general.architecture"].contents() == "qwen2"
    shapes = {t.name: [int(x) for x in t.shape] for t in reader.tensors}
    # GGUF lists dimensions innermost first: A is (in=8, r=2), B is (r=2, out)
    assert shapes["blk.1.attn_q.weight.lora_a"] == [8, 2]
    assert shapes["blk.1.attn_q.weight.lora_b"] == [2, 8]
    assert shapes["blk.0.attn_v.weight.lora_b"] == [2, 4]
    assert len(shapes) == 8


def test_export_refuses_incomplete_or_unsupported_adapters(tmp_path) -> None:
    weights = _fake_adapter(1, 8, 4, 2, 1.0)
    del weights["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"]
    with pytest.raises(AdapterExportError, match="needs both"):
        write_gguf_lora(tmp_path / "a.gguf", "qwen2", 1, 16.0, weights)
    with pytest.raises(AdapterExportError, match="not supported"):
        write_gguf_lora(tmp_path / "b.gguf", "llama", 1, 16.0, _fake_adapter(1, 8, 4, 2, 1.0))
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def fast_model(fast_model_path):  # type: ignore[no-untyped-def]
    return fast_model_path


def _greedy(model_path, lora, prompt: str) -> str:  # type: ignore[no-untyped-def]
    from engine.llama import LocalLLM

    llm = LocalLLM(model_path, n_ctx=256, n_threads=2, lora_path=lora)
    return llm.complete(prompt, max_tokens=12)


@pytest.mark.model
def test_llama_cpp_applies_the_exported_adapter(fast_model, tmp_path) -> None:
    arch, n_blocks = base_info(fast_model)
    assert arch == "qwen2"
    hidden, kv = 896, 128  # Qwen2.5-0.5B: 14 query heads and 2 KV heads of 64
    prompt = "def fibonacci(n):\n"
    base = _greedy(fast_model, None, prompt)
    zero = write_gguf_lora(tmp_path / "zero.gguf", arch, n_blocks, 16.0, _fake_adapter(n_blocks, hidden, kv, 4, 0.0))
    assert _greedy(fast_model, zero, prompt) == base
    loud = write_gguf_lora(tmp_path / "loud.gguf", arch, n_blocks, 16.0, _fake_adapter(n_blocks, hidden, kv, 4, 1.0))
    assert _greedy(fast_model, loud, prompt) != base


@pytest.mark.model
def test_training_prompts_are_the_planners_prompts(fast_model) -> None:
    import datetime as dt

    from engine.llama import LocalLLM
    from engine.tools.desktop import desktop_specs
    from engine.train.samples import SampleBuilder

    specs = desktop_specs()
    vocab = LocalLLM(fast_model, vocab_only=True)
    builder = SampleBuilder(vocab, specs, select=None, examples=2, distractors=1, seed=0)
    rec = Record("r1", "Text Sid that I am late", '1. get_phone_number("Sid")\n2. send_sms(["$1"], "I am late")\n3. join()',
                 ["get_phone_number", "send_sms"], date=dt.datetime(2026, 11, 23, 9, 0))
    sample = builder.sample(rec)
    offered = [s for s in specs if s.name in sample.tools]
    assert sample.prompt == builder.planner.build_prompt(rec.query, rec.date, offered)
    assert "Text Sid that I am late" in sample.prompt and sample.target.endswith(END_OF_PLAN)
    tok = builder.tokenized(sample)
    assert vocab.llama.detokenize(tok.target_ids).decode() == sample.target
    assert tok.prompt_ids == vocab.tokenize(sample.prompt, add_bos=True)


def _records(prefix: str, n: int) -> list[Record]:
    return [Record(f"{prefix}{i}", f"Remind me to call {prefix} {i}", f'1. create_reminder("Call {prefix} {i}")\n2. join()',
                   ["create_reminder"]) for i in range(n)]


def test_val_sets_are_interleaved_so_a_limit_holds_each_alike() -> None:
    from engine.train.lora import interleaved

    picked = interleaved([_records("a", 5), _records("b", 2)], 5)
    assert [r.id for r in picked] == ["a0", "b0", "a1", "b1", "a2"]
    assert len(interleaved([_records("a", 5), _records("b", 2)], None)) == 7


@pytest.mark.model
def test_each_train_set_gives_an_equal_share_whatever_its_size(fast_model) -> None:
    from engine.llama import LocalLLM
    from engine.tools.desktop import desktop_specs
    from engine.train.samples import SampleBuilder

    builder = SampleBuilder(LocalLLM(fast_model, vocab_only=True), desktop_specs(), select=None, examples=0,
                            distractors=0, prompt="compact")
    stream = builder.stream([_records("big", 50), _records("small", 3)], max_len=4096)
    ids = [next(stream).id for _ in range(12)]
    assert sum(i.startswith("small") for i in ids) == 6
    assert {i for i in ids if i.startswith("small")} == {"small0", "small1", "small2"}


@pytest.mark.model
def test_shipped_adapter_matches_its_base_and_changes_it() -> None:
    """The committed adapter is for the model its manifest names, and llama.cpp applies it."""
    import json

    from engine import models
    from engine.resources import models_path

    manifest = json.loads(models_path("planner-lora", "manifest.json").read_text())
    base = models.resolve("tiny")
    assert manifest["base_sha256"] == models.entry("tiny").sha256
    adapter = models_path("planner-lora", manifest["adapter"])
    assert adapter.stat().st_size == manifest["adapter_bytes"]
    assert base_info(base)[0] == str(gguf.GGUFReader(str(adapter)).fields["general.architecture"].contents())
    prompt = "Question: Remind me to call Mom\n1."
    assert _greedy(base, adapter, prompt) != _greedy(base, None, prompt)


@pytest.mark.model
def test_a_resumed_run_ends_where_an_uninterrupted_one_does(tmp_path) -> None:
    """Two steps, stop, two more with --resume: the same adapter as four steps in one go; a new
    run over the state and a resume with other settings are refused."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("peft")
    from engine.train.lora import RESUME_FILE, TrainConfig, train_planner

    data = tmp_path / "train.jsonl"
    rows = [{"id": f"r{i}", "query": f"Remind me to call Ana {i} times", "date": "2026-11-30 09:00", "split": "train",
             "plan": f'1. create_reminder("Call Ana {i} times", "", "", "", 0, False)\n2. join()<END_OF_PLAN>'}
            for i in range(8)]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")

    def run(out: Path, **kw: object) -> None:
        out.mkdir(exist_ok=True)
        cfg = TrainConfig(data=[data, data], val=[data], base="tiny", out=out, steps=4, eval_every=100, val_limit=1,
                          prompt="compact", threads=2, save_every=1, **kw)  # type: ignore[arg-type]
        train_planner(cfg, log=lambda m: None)

    whole, parts = tmp_path / "whole", tmp_path / "parts"
    run(whole)
    run(parts, stop_after=2)
    assert torch.load(parts / RESUME_FILE, weights_only=False)["step"] == 2
    with pytest.raises(SystemExit, match="holds a run to resume"):
        run(parts)
    with pytest.raises(SystemExit, match="other settings: lr"):
        run(parts, resume=True, lr=1e-3)
    run(parts, resume=True)
    a = torch.load(whole / RESUME_FILE, weights_only=False)
    b = torch.load(parts / RESUME_FILE, weights_only=False)
    assert a["step"] == b["step"] == 4 and a["report"]["samples_seen"] == b["report"]["samples_seen"] == 4
    for name, tensor in a["adapter"].items():
        assert torch.allclose(tensor, b["adapter"][name], atol=1e-6), name


@pytest.mark.model
def test_a_shared_prefix_gives_the_same_loss_for_less_work(fast_model) -> None:
    """The compact prompt's tool list run once without gradient, the rest of each sample on its
    cache: the same forward pass, so the same loss, as the whole sample run at once."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("peft")
    import datetime as dt

    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from engine import models
    from engine.llama import LocalLLM
    from engine.tools.desktop import desktop_specs
    from engine.train.samples import SampleBuilder
    from engine.train.step import TARGET_MODULES, prefix_cache, sample_loss

    base = models.resolve("tiny")
    builder = SampleBuilder(LocalLLM(base, vocab_only=True), desktop_specs(), select=None, examples=0, distractors=0,
                            prompt="compact")
    rec = Record("r1", "Text Sid that I am late", '1. get_phone_number("Sid")\n2. send_sms(["$1"], "I am late")\n3. join()',
                 ["get_phone_number", "send_sms"], date=dt.datetime(2026, 11, 23, 9, 0))
    sample = builder.tokenized(builder.sample(rec))
    prefix = builder.static_prefix_ids()
    assert sample.prompt_ids[: len(prefix)] == prefix and len(prefix) > len(sample.prompt_ids) // 2
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(str(base.parent), gguf_file=base.name, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=list(TARGET_MODULES), task_type="CAUSAL_LM"))
    for name, p in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.02)  # a trained adapter, not the zero one PEFT starts with
    model.train()
    whole = sample_loss(model, sample, "cpu")
    shared = sample_loss(model, sample, "cpu", prefix, prefix_cache(model, prefix, "cpu"))
    assert abs(whole.item() - shared.item()) < 1e-3 * max(1.0, whole.item())
    shared.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for n, p in model.named_parameters() if "lora" in n)


def test_a_run_saved_before_a_setting_existed_resumes_with_its_default(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    from engine.train.lora import RESUME_FILE, TrainConfig, load_state, settings

    cfg = TrainConfig(data=[tmp_path / "t.jsonl"], val=[tmp_path / "v.jsonl"], base="fast", out=tmp_path, resume=True)
    older = {k: v for k, v in settings(cfg).items() if k != "shared_prefix"}
    torch.save({"settings": older, "step": 3}, tmp_path / RESUME_FILE)
    assert load_state(tmp_path / RESUME_FILE, cfg)["step"] == 3
    with pytest.raises(SystemExit, match="shared_prefix False"):
        load_state(tmp_path / RESUME_FILE, TrainConfig(**{**cfg.__dict__, "shared_prefix": True}))


def test_the_curve_table_reads_a_runs_manifest(tmp_path) -> None:
    from engine.train.lora import curve_table

    (tmp_path / "manifest.json").write_text(json.dumps({
        "config": {"batch": 4}, "best_step": 100,
        "checkpoints": [{"step": 50, "loss": 0.43, "val_success": 0.2, "val_success_args": 0.1, "seconds": 1800},
                        {"step": 100, "loss": 0.21, "val_success": 0.4, "val_success_args": 0.3, "seconds": 3600}]}))
    lines = curve_table(tmp_path).splitlines()
    assert lines[2] == "| 50 | 200 | 0.430 | 20.0% | 10.0% | 0.50 |"
    assert lines[3] == "| 100 (kept) | 400 | 0.210 | 40.0% | 30.0% | 1.00 |"
