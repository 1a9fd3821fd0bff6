"""LoRA fine-tuning of the planner model (PyTorch + PEFT), selected on val success, exported to GGUF.

The base weights come from the same GGUF file llama.cpp runs (transformers de-quantizes it with
``gguf_file=``), and token ids come from llama.cpp's own tokenizer, so what is trained is exactly
what runs. The loss covers the plan tokens only; logits are computed for those positions alone
(``logits_to_keep``), which matters for models with a large vocabulary on a CPU.

Checkpoints are chosen by *val success* (the reference's metric, planned by llama.cpp with the
exported adapter, grammar on, ToolRAG as configured), not by loss: a lower loss on plan text does
not guarantee better plans.

Runs on a GPU when torch sees one (bf16), else on the CPU (fp32) at whatever scale fits.

A CPU run takes hours, so it survives interruption: every ``save_every`` steps the adapter, the
optimizer, the step, the position in the sample stream and the random states go to
``OUT/resume.pt``, and ``--resume`` continues exactly there (``--max-minutes`` bounds each sitting).
A resume with other settings is refused, not mixed into the run.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine.adapters import file_sha256
from engine.config import Config, PlannerConfig, PromptStyle, Selection
from engine.data.records import Record, first_valid
from engine.eval.metrics import Summary
from engine.train.gguf_lora import export_adapter
from engine.train.step import TARGET_MODULES, prefix_cache, sample_loss

ADAPTER_FILE = "planner-lora.gguf"


@dataclass
class TrainConfig:
    data: list[Path]
    """Train splits; each gives an equal share of the samples, whatever its size (so 800 reference
    records are not drowned by 15,000 generated ones)."""
    val: list[Path]
    """Val splits for checkpoint selection, interleaved record by record up to ``val_limit``."""
    base: str
    out: Path
    steps: int = 300
    batch: int = 1
    lr: float = 2e-4
    rank: int = 16
    alpha: float = 32.0
    examples: int = 1
    distractors: int = 2
    toolrag: str = "classifier"
    eval_every: int = 100
    val_limit: int = 40
    max_len: int = 2048
    seed: int = 0
    threads: int | None = None
    max_minutes: float | None = None
    prompt: str = "reference"
    resume: bool = False
    save_every: int = 10
    stop_after: int | None = None
    """Steps to train in this sitting (then stop and save, like ``max_minutes``)."""
    shared_prefix: bool = False
    """Run the compact prompt's static prefix (the tool list, ~70% of a sample) once per step
    without gradient and the rest of each sample on its cache: ~2-3x cheaper steps, the same
    forward pass, a gradient that stops at the prefix's keys and values."""


RESUME_FILE = "resume.pt"
NOT_SETTINGS = ("threads", "max_minutes", "stop_after", "resume", "save_every", "eval_every", "val_limit", "out")
"""Options that do not change what is trained, so a resumed run may change them."""


def settings(cfg: TrainConfig) -> dict:
    """What decides the training trajectory: a resumed run must have the same."""
    return {k: _plain(v) for k, v in asdict(cfg).items() if k not in NOT_SETTINGS}


def _plain(value: object) -> object:
    """A config value as JSON and the resume check see it (paths as strings)."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class Checkpoint:
    step: int
    loss: float
    val_success: float
    val_success_args: float
    seconds: float


@dataclass
class TrainReport:
    config: dict
    base_file: str
    base_sha256: str
    data_sha256: str
    device: str
    trainable_params: int
    checkpoints: list[Checkpoint] = field(default_factory=list)
    best_step: int | None = None
    skipped_too_long: int = 0
    samples_seen: int = 0


def load_records(path: Path, limit: int | None = None) -> list[Record]:
    from engine.tools.desktop import desktop_specs

    return first_valid(path, desktop_specs(), limit)


def interleaved(sets: Sequence[Sequence[Record]], limit: int | None) -> list[Record]:
    """Record 1 of each set, then record 2 of each, …: the first ``limit`` hold every set alike."""
    out = [r for group in itertools.zip_longest(*sets) for r in group if r is not None]
    return out[:limit] if limit else out


def sources_sha256(paths: Sequence[Path]) -> str:
    """One hash for the train files in their order (one file: that file's own sha256)."""
    if len(paths) == 1:
        return file_sha256(paths[0])
    return hashlib.sha256("".join(f"{file_sha256(p)} {p.name}\n" for p in paths).encode()).hexdigest()


def val_success(base: Path, adapter: Path | None, records: list[Record], cfg: TrainConfig) -> Summary:
    """Plan ``records`` with llama.cpp (base + adapter) exactly as ``tinyagent eval`` does."""
    from engine.eval.runner import evaluate
    from engine.runtime import build_planner
    from engine.tools.desktop import desktop_specs

    return evaluate(build_planner(planner_config(cfg, base, adapter), desktop_specs(), strict=True), records)


def planner_config(cfg: TrainConfig, base: Path, adapter: Path | None) -> Config:
    """How the adapter plans at run time: the training prompt and examples, and ToolRAG's choice
    held by the grammar for the compact prompt (which describes every tool) or described in the
    reference prompt (whose samples offer the choice)."""
    selection = Selection.GRAMMAR if cfg.prompt == PromptStyle.COMPACT else Selection.PROMPT
    return Config(model=str(base), lora=str(adapter) if adapter else "none", threads=cfg.threads, toolrag=cfg.toolrag,
                  planner=PlannerConfig(examples=cfg.examples, prompt=cfg.prompt, selection=selection))


def train_planner(cfg: TrainConfig, log=print) -> TrainReport:  # type: ignore[no-untyped-def]
    try:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
    except ImportError as exc:
        raise SystemExit(f"training needs the train extra: pip install -e '.[train]' ({exc})") from exc
    from engine import models
    from engine.llama import LocalLLM
    from engine.toolrag import make_selector
    from engine.tools.desktop import desktop_specs
    from engine.train.samples import SampleBuilder

    if cfg.shared_prefix and cfg.prompt != PromptStyle.COMPACT:
        raise SystemExit("--shared-prefix needs --prompt compact (the only prompt whose start every sample shares)")
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    base = models.resolve(cfg.base)
    train_sets = [load_records(p) for p in cfg.data]
    val_records = interleaved([load_records(p, cfg.val_limit) for p in cfg.val], cfg.val_limit)
    if any(r.split == "test" for r in [*itertools.chain(*train_sets), *val_records]):
        raise SystemExit("refusing to train or select on test-split records")
    log(f"{' + '.join(str(len(t)) for t in train_sets)} train records, {len(val_records)} val records for "
        f"selection; base {base.name}")

    specs = desktop_specs()
    vocab = LocalLLM(base, vocab_only=True)
    builder = SampleBuilder(vocab, specs, select=make_selector(cfg.toolrag, specs), examples=cfg.examples,
                            distractors=cfg.distractors, seed=cfg.seed, prompt=cfg.prompt)
    state_path = cfg.out / RESUME_FILE
    state = load_state(state_path, cfg)

    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    t0 = time.monotonic()
    model = AutoModelForCausalLM.from_pretrained(
        str(base.parent), gguf_file=base.name, dtype=torch.bfloat16 if cuda else torch.float32
    ).to(device)
    log(f"loaded {base.name} for training on {device} in {time.monotonic() - t0:.0f} s")
    model = get_peft_model(model, LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, lora_dropout=0.0,
                                             target_modules=list(TARGET_MODULES), task_type="CAUSAL_LM"))
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.data = p.data.float()
    optim = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    if state is not None:
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(model, state["adapter"])
        optim.load_state_dict(state["optimizer"])
    warmup = max(1, cfg.steps // 20)

    def lr_at(step: int) -> float:
        if step < warmup:
            return cfg.lr * (step + 1) / warmup
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, cfg.steps - warmup)))

    report = TrainReport(config={k: _plain(v) for k, v in asdict(cfg).items()},
                         base_file=base.name, base_sha256=file_sha256(base), data_sha256=sources_sha256(cfg.data), device=device,
                         trainable_params=sum(p.numel() for p in params))
    ckpt_dir = cfg.out / "checkpoints"
    best: tuple[float, float, int] | None = None
    samples = builder.stream(train_sets, cfg.max_len)
    losses: list[float] = []
    first_step = 1
    if state is not None:
        report = TrainReport(**{**state["report"], "checkpoints": [Checkpoint(**c) for c in state["report"]["checkpoints"]]})
        best = tuple(state["best"]) if state["best"] else None  # type: ignore[assignment]
        losses = list(state["losses"])
        for _ in range(report.samples_seen):  # the same stream, at the same place
            next(samples)
        builder.skipped = report.skipped_too_long
        random.setstate(state["python_rng"])
        torch.set_rng_state(state["torch_rng"])
        first_step = state["step"] + 1
        log(f"resuming after step {state['step']} ({report.samples_seen} samples seen)")
    t_train = time.monotonic()

    def save_state(step: int) -> None:
        """Everything a later ``--resume`` needs, written whole or not at all."""
        from peft import get_peft_model_state_dict

        report.skipped_too_long = builder.skipped
        tmp = state_path.with_suffix(".tmp")
        torch.save({"settings": settings(cfg), "step": step, "adapter": get_peft_model_state_dict(model),
                    "optimizer": optim.state_dict(), "report": asdict(report), "best": best,
                    "losses": losses[-1000:], "python_rng": random.getstate(), "torch_rng": torch.get_rng_state()}, tmp)
        tmp.replace(state_path)

    def checkpoint(step: int) -> None:
        """Export, score on val with llama.cpp, keep the best; the manifest is rewritten each time
        so an interrupted run still describes the adapter it left."""
        nonlocal best
        folder = ckpt_dir / f"step-{step}"
        model.save_pretrained(str(folder))
        gguf_path = export_adapter(folder, base, folder / ADAPTER_FILE)
        te = time.monotonic()
        summary = val_success(base, gguf_path, val_records, cfg)
        n_val = max(1, summary.n)
        recent = losses[-cfg.eval_every * cfg.batch:] or [float("nan")]
        ck = Checkpoint(step, sum(recent) / len(recent), summary.success / n_val, summary.success_args / n_val,
                        time.monotonic() - t_train)
        report.checkpoints.append(ck)
        log(f"  checkpoint {step}: val success {ck.val_success:.1%}, with arguments {ck.val_success_args:.1%} "
            f"({time.monotonic() - te:.0f} s to score)")
        key = (ck.val_success, ck.val_success_args, -step)
        if best is None or key > best:
            best = key
            report.best_step = step
            shutil.copyfile(gguf_path, cfg.out / ADAPTER_FILE)
        report.skipped_too_long = builder.skipped
        write_manifest(cfg.out, report)
        model.train()

    model.train()
    last_checkpoint = first_step - 1
    prefix = builder.static_prefix_ids() if cfg.shared_prefix else []
    for step in range(first_step, cfg.steps + 1):
        out_of_time = cfg.max_minutes is not None and time.monotonic() - t_train > cfg.max_minutes * 60
        if out_of_time or (cfg.stop_after is not None and step - first_step >= cfg.stop_after):
            log(f"  stopping before step {step} (this sitting's limit); --resume continues here")
            if last_checkpoint != step - 1:
                checkpoint(step - 1)
            save_state(step - 1)
            break
        for group in optim.param_groups:
            group["lr"] = lr_at(step - 1)
        shared = prefix_cache(model, prefix, device) if prefix else None
        for _ in range(cfg.batch):
            s = next(samples)
            loss = sample_loss(model, s, device, prefix, shared) / cfg.batch
            loss.backward()
            losses.append(loss.item() * cfg.batch)
            report.samples_seen += 1
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        optim.zero_grad(set_to_none=True)
        if step % 10 == 0:
            rate = (time.monotonic() - t_train) / step
            log(f"  step {step}/{cfg.steps}  loss {sum(losses[-10 * cfg.batch:]) / (10 * cfg.batch):.3f}  {rate:.1f} s/step")
        if step % cfg.eval_every == 0 or step == cfg.steps:
            checkpoint(step)
            last_checkpoint = step
        if step % cfg.save_every == 0 or step == cfg.steps or step == last_checkpoint:
            save_state(step)
    return report


def load_state(path: Path, cfg: TrainConfig) -> dict | None:
    """The state to resume from (``--resume``), or None for a new run. A new run over an old
    one's state, a resume with nothing to resume, and a resume with other settings are errors."""
    import torch

    if not cfg.resume:
        if path.exists():
            raise SystemExit(f"{path.parent} holds a run to resume: pass --resume, or choose another --out")
        return None
    if not path.is_file():
        raise SystemExit(f"nothing to resume: {path} does not exist")
    try:
        state = torch.load(path, weights_only=False)
    except Exception as exc:
        raise SystemExit(f"{path} cannot be read ({type(exc).__name__}: {exc}); it was left as it is") from exc
    now = settings(cfg)
    defaults = settings(TrainConfig(data=[], val=[], base="", out=Path()))
    saved = {**{k: defaults[k] for k in now.keys() - state["settings"].keys()}, **state["settings"]}  # older runs
    diff = [f"{k} {saved.get(k)!r} (now {now.get(k)!r})" for k in sorted(set(now) | set(saved)) if saved.get(k) != now.get(k)]
    if diff:
        raise SystemExit(f"{path} was trained with other settings: {', '.join(diff)}. Resume with the same options.")
    return state


def write_manifest(out: Path, report: TrainReport) -> Path:
    path = out / "manifest.json"
    old = json.loads(path.read_text()) if path.is_file() else {}
    data = {
        "adapter": ADAPTER_FILE,
        "adapter_bytes": (out / ADAPTER_FILE).stat().st_size if (out / ADAPTER_FILE).is_file() else None,
        **asdict(report),
    }
    if "test" in old:
        data["test"] = old["test"]
    path.write_text(json.dumps(data, indent=1))
    return path


def attach_test(out: Path, summaries: list[Path]) -> Path:
    """Record ``tinyagent eval`` summaries on the test split in the adapter's manifest."""
    path = out / "manifest.json"
    data = json.loads(path.read_text())
    data["test"] = [json.loads(p.read_text()) for p in summaries]
    path.write_text(json.dumps(data, indent=1))
    return path


def curve_table(out: Path) -> str:
    """Val success against samples seen, from a run's manifest: what the README shows of a run."""
    data = json.loads((out / "manifest.json").read_text())
    batch = int(data["config"].get("batch", 1))
    rows = ["| step | samples seen | mean loss since the last | val success | with arguments | hours |",
            "|---|---|---|---|---|---|"]
    for c in data["checkpoints"]:
        best = " (kept)" if c["step"] == data.get("best_step") else ""
        rows.append(f"| {c['step']}{best} | {c['step'] * batch} | {c['loss']:.3f} | {c['val_success']:.1%} | "
                    f"{c['val_success_args']:.1%} | {c['seconds'] / 3600:.2f} |")
    return "\n".join(rows)


def main_train(cfg: TrainConfig) -> int:
    cfg.out.mkdir(parents=True, exist_ok=True)
    report = train_planner(cfg, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps({"best_step": report.best_step, "checkpoints": [asdict(c) for c in report.checkpoints]}, indent=1))
    return 0
