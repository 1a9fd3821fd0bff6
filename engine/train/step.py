"""One training step's arithmetic, importing torch alone: the loss of a batch of plan samples on
the prompt's shared prefix, and the optimizer step the campaign takes with it.

Kept apart from the rest of ``engine.train`` so that a bare GPU machine (torch, transformers and
peft, none of the app's own dependencies) can run the very same step as the CPU campaign
(``engine.train.gpu_sitting``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def train_dtype(device: str):  # type: ignore[no-untyped-def]
    """The precision the base computes in on ``device``: bf16 on a GPU; on a CPU whichever of bf16
    and fp32 multiplies a layer-sized matrix faster here, measured, not assumed. bf16 halves the
    time where the CPU has AMX or AVX512-BF16, but an AVX2-only EPYC emulates it: there one bf16
    product took 92 times the fp32 one (4.3 s against 47 ms) and a sitting ran at 291 s per
    sample instead of 4. A small product alone is too quick to time (on an AMX Xeon it picked fp32,
    0.4 ms against 0.7, and the sitting ran at 11 s a sample): it only rules out emulation, and a
    batch-sized product (bf16 5x faster there) decides, best of five."""
    import time

    import torch

    if device != "cpu":
        return torch.bfloat16

    def product(dtype, rows: int, cols: int) -> Callable[[], float]:  # type: ignore[no-untyped-def]
        a, b = torch.ones(rows, 896, dtype=dtype), torch.ones(896, cols, dtype=dtype)
        a @ b

        def timed() -> float:
            t0 = time.perf_counter()
            a @ b
            return time.perf_counter() - t0
        return timed

    def fastest(rows: int, cols: int, reps: int) -> tuple[float, float]:
        """Best of ``reps`` for bf16 and fp32, taken in turn, so that a neighbour's load (the
        session's own evals) falls on both: a single timing once picked fp32 on a CPU where bf16 is
        2.4x faster."""
        bf16, fp32 = product(torch.bfloat16, rows, cols), product(torch.float32, rows, cols)
        times = [(bf16(), fp32()) for _ in range(reps)]
        return min(t[0] for t in times), min(t[1] for t in times)

    bf16, fp32 = fastest(64, 1024, 3)
    if bf16 > 4 * fp32:
        return torch.float32
    bf16, fp32 = fastest(512, 4864, 5)
    return torch.bfloat16 if bf16 < fp32 else torch.float32


def load_base(base: Path, device: str, dtype=None):  # type: ignore[no-untyped-def]
    """The GGUF base on ``device``, computing in ``dtype`` (``train_dtype`` when not given). On a
    GPU the weights are unpacked into dense bf16 (what its matrix units run fastest) where
    transformers can keep them packed instead."""
    import transformers

    dtype = dtype or train_dtype(device)

    options = {}
    gguf_config = getattr(transformers, "GgufConfig", None)
    if device == "cuda" and gguf_config is not None:
        options["quantization_config"] = gguf_config(gguf_file=base.name, dequantize=True)
    load = transformers.AutoModelForCausalLM.from_pretrained
    try:
        model = load(str(base.parent), gguf_file=base.name, dtype=dtype, **options)
    except Exception:  # noqa: BLE001 - an older transformers may not take the option; plain loading unpacks too
        if not options:
            raise
        model = load(str(base.parent), gguf_file=base.name, dtype=dtype)
    return model.to(device)


def lora_model(base: Path, device: str, rank: int, alpha: float, dtype=None):  # type: ignore[no-untyped-def]
    """The base with a fresh LoRA on every linear layer (``TARGET_MODULES``), and its trainable
    parameters, kept in fp32 whatever the base computes in (``load_base``)."""
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(load_base(base, device, dtype), LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0,
                                                               target_modules=list(TARGET_MODULES), task_type="CAUSAL_LM"))
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.data = p.data.float()
    return model, params


@dataclass(frozen=True)
class TokenizedSample:
    id: str
    prompt_ids: list[int]
    target_ids: list[int]

    @property
    def length(self) -> int:
        return len(self.prompt_ids) + len(self.target_ids)



def prefix_cache(model, prefix: list[int], device: str):  # type: ignore[no-untyped-def]
    """The KV cache of the prompt's static prefix under the current weights, without gradient:
    computed once per optimizer step and shared by its samples (``shared_prefix``)."""
    import torch

    with torch.no_grad():
        return model(input_ids=torch.tensor([prefix], device=device), use_cache=True).past_key_values


def sample_loss(model, s: TokenizedSample, device: str, prefix: Sequence[int] = (), shared=None):  # type: ignore[no-untyped-def]
    """Cross-entropy on the sample's plan tokens. With a ``shared`` prefix cache only the rest of
    the sample is run: the same forward pass (so the same loss), without the gradient that would
    flow back through the prefix's keys and values."""
    import copy

    import torch

    n = len(s.target_ids)
    ids = s.prompt_ids + s.target_ids
    if shared is not None and ids[: len(prefix)] == list(prefix) and len(ids) > len(prefix):
        rest = torch.tensor([ids[len(prefix):]], device=device)
        out = model(input_ids=rest, past_key_values=copy.deepcopy(shared), use_cache=True, logits_to_keep=n + 1)
    else:
        out = model(input_ids=torch.tensor([ids], device=device), logits_to_keep=n + 1)
    return torch.nn.functional.cross_entropy(out.logits[0, :n].float(), torch.tensor(ids[-n:], device=device))


def batch_loss(model, batch: Sequence[TokenizedSample], device: str, prefix: Sequence[int], shared):  # type: ignore[no-untyped-def]
    """The mean over ``batch`` of each sample's plan-token cross-entropy, in one forward pass: the
    shared prefix's cache (``prefix_cache``, consumed here) is repeated for each sample, the
    samples' rests are right-padded into one batch, and the vocabulary projection runs only on
    the positions that predict a plan token. The same loss as ``sample_loss`` per sample averaged
    (a test checks it), at a fraction of the cost on a CPU: one pass of wide matrix products
    instead of ``len(batch)`` narrow ones, and no logits for the prompt's padding.

    A sample that does not start with ``prefix`` (a tokenizer boundary moved) falls back to
    ``sample_loss`` on its own."""
    import torch

    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    fits = [s for s in batch if (s.prompt_ids + s.target_ids)[: len(prefix)] == list(prefix)
            and s.length - len(prefix) > len(s.target_ids)]
    losses = [sample_loss(model, s, device) for s in batch if s not in fits]
    if fits:
        rests = [(s.prompt_ids + s.target_ids)[len(prefix):] for s in fits]
        width = max(map(len, rests))
        ids = torch.zeros((len(fits), width), dtype=torch.long, device=device)
        mask = torch.zeros((len(fits), len(prefix) + width), dtype=torch.long, device=device)
        mask[:, : len(prefix)] = 1
        for i, rest in enumerate(rests):
            ids[i, : len(rest)] = torch.tensor(rest, device=device)
            mask[i, len(prefix) : len(prefix) + len(rest)] = 1
        shared.batch_repeat_interleave(len(fits))
        hidden = inner.model(input_ids=ids, attention_mask=mask, past_key_values=shared, use_cache=True).last_hidden_state
        rows, labels, owner = [], [], []
        for i, (s, rest) in enumerate(zip(fits, rests, strict=True)):
            n = len(s.target_ids)
            rows.append(hidden[i, len(rest) - n - 1 : len(rest) - 1])
            labels.extend(rest[len(rest) - n :])
            owner.extend([i] * n)
        logits = inner.lm_head(torch.cat(rows)).float()
        per_token = torch.nn.functional.cross_entropy(logits, torch.tensor(labels, device=device), reduction="none")
        who = torch.tensor(owner, device=device)
        counts = torch.bincount(who, minlength=len(fits)).float()
        losses.extend(torch.zeros(len(fits), device=device).index_add(0, who, per_token) / counts)
    return torch.stack(list(losses)).mean()


def optimizer_step(model, optim, params, batch: Sequence[TokenizedSample], prefix: Sequence[int], device: str,  # type: ignore[no-untyped-def]
                   bf16: bool = True) -> float:
    """One campaign step: the prefix's cache under the current weights, the batch's mean plan
    loss (in bf16 autocast with ``bf16``, see ``train_dtype``), gradients clipped to norm 1, the optimizer's step. Returns the loss.

    A batch whose loss or gradient is not finite is skipped (NaN returned, nothing stepped): on
    the H200 one batch's bf16 forward gave NaN at step 547 of a sitting, and with no guard that
    step turned every weight into NaN and the remaining 1,180 steps into waste."""
    import torch

    shared = prefix_cache(model, list(prefix), device)
    with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
        loss = batch_loss(model, batch, device, prefix, shared)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
    if not (torch.isfinite(loss) and torch.isfinite(norm)):
        optim.zero_grad(set_to_none=True)
        return float("nan")
    optim.step()
    optim.zero_grad(set_to_none=True)
    return float(loss.item())
