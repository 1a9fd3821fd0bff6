"""A campaign sitting on a lent GPU machine: packed here, trained there, adopted here.

The lent machine (an H200 for 15 minutes a session) reaches no network, has torch, transformers
and peft but none of the app's own dependencies (llama.cpp among them), and a call carries at most
64 MiB and brings back at most 8 files of 16 MiB. So the sitting is cut in three:

- ``pack`` (here): the campaign's next ``samples`` samples, built and tokenized by llama.cpp's
  tokenizer exactly as a CPU sitting would take them from its stream, deduplicated (the
  reference's records recur every epoch) into ``samples.npz``; the val records likewise; the
  campaign's weights and settings in ``pack.json``; and the stream's place after every step
  (``places.json``, stays here), so that however many steps the GPU gets through, the campaign
  goes on from exactly there.
- ``train`` (there; this module imports torch and ``engine.train.step`` alone): the campaign's own
  step (``step.optimizer_step``, bf16 autocast where it is faster, the shared prefix) over the packed batches until
  the time is up, the val loss (teacher forced) every ``eval_every`` steps, and up to three
  checkpoints back, each in parts under the size a file may come back at: the last (the campaign
  goes on from it), the lowest val loss, and one between.
- ``adopt`` (here): reassemble and check each checkpoint, score it on val as a CPU checkpoint is
  scored (llama.cpp with the grammar, ``campaign.score``), and advance the campaign by the steps
  trained there: step, samples, the stream's place, a sitting of its own, the curve, the best
  adapter kept. A pack for a campaign that moved on since is refused.

The base travels as the GGUF file llama.cpp runs (the only copy of the weights here), cut into
parts that each fit one call beside the working tree; ``train`` checks the whole file's sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.adapters import file_sha256
from engine.errors import TinyAgentError
from engine.train.step import (
    TARGET_MODULES,
    TokenizedSample,
    batch_loss,
    lora_model,
    optimizer_step,
    prefix_cache,
    train_dtype,
)

PACK_FILE = "pack.json"
SAMPLES_FILE = "samples.npz"
PLACES_FILE = "places.json"
WEIGHTS_FILE = "campaign-last.safetensors"
RESULT_FILE = "result.json"
PART_BYTES = 15 * 2**20
"""A returned file may hold 16 MiB; a checkpoint (~18 MB in fp16) comes back in two parts."""
KEEP = 3
SAVE_RESERVE = 45.0
"""Seconds kept, under ``--wall``, for the last val loss and writing the checkpoints back."""


class GpuSittingError(TinyAgentError, RuntimeError):
    """A pack, a result or a returned checkpoint that does not belong to this campaign."""


# -- here: pack -----------------------------------------------------------------------------------


def _flatten(samples: Sequence[TokenizedSample]) -> tuple[list[int], list[int], list[int], list[int]]:
    """Unique samples' tokens end to end, their starts, their plan lengths, and each sample's
    index among the unique ones."""
    seen: dict[tuple[int, ...], int] = {}
    tokens: list[int] = []
    starts = [0]
    targets: list[int] = []
    order: list[int] = []
    for s in samples:
        ids = (*s.prompt_ids, *s.target_ids)
        key = (*ids, -len(s.target_ids))
        if key not in seen:
            seen[key] = len(targets)
            tokens.extend(ids)
            starts.append(len(tokens))
            targets.append(len(s.target_ids))
        order.append(seen[key])
    return tokens, starts, targets, order


def _place(state: Any) -> dict[str, Any]:
    """The stream's place in a campaign state, as ``adopt`` puts it back."""
    return {"turn": state.turn, "positions": {k: list(v) for k, v in state.positions.items()},
            "skipped_too_long": state.skipped_too_long}


def pack(folder: Path, samples: int, out: Path, val_records: int = 200) -> dict[str, Any]:
    """Write the next ``samples`` samples of the campaign in ``folder`` (and its val set) to
    ``out``; the campaign itself is not changed."""
    import shutil

    import numpy as np

    from engine import models
    from engine.llama import LocalLLM
    from engine.tools.desktop import desktop_specs
    from engine.train.campaign import check_weights, make_mix, next_batch, read_state
    from engine.train.lora import interleaved, load_records
    from engine.train.samples import SampleBuilder

    state = read_state(folder)
    cfg = state.settings
    weights = check_weights(folder, state)
    base = models.resolve(cfg.base)
    builder = SampleBuilder(LocalLLM(base, vocab_only=True), desktop_specs(), select=None, examples=1, distractors=0,
                            seed=cfg.seed, prompt="compact")
    prefix = builder.static_prefix_ids()
    mix = make_mix(state, Path.cwd())
    stream: list[TokenizedSample] = []
    places = [_place(state)]
    for _ in range(samples // cfg.batch):
        stream.extend(next_batch(builder, mix))
        places.append(_place(state))
    val = interleaved([load_records(Path.cwd() / p) for p in cfg.val], val_records)
    if any(r.split == "test" for r in val):
        raise GpuSittingError("refusing to measure on test-split records")
    val_tok = [t for t in (builder.tokenized(builder.sample(r)) for r in val) if t.length <= cfg.max_len]
    out.mkdir(parents=True, exist_ok=True)
    tokens, starts, targets, order = _flatten(stream)
    v_tokens, v_starts, v_targets, _ = _flatten(val_tok)
    np.savez_compressed(out / SAMPLES_FILE, prefix=np.array(prefix, np.int32), tokens=np.array(tokens, np.int32),
                        starts=np.array(starts, np.int64), targets=np.array(targets, np.int32),
                        order=np.array(order, np.int32), val_tokens=np.array(v_tokens, np.int32),
                        val_starts=np.array(v_starts, np.int64), val_targets=np.array(v_targets, np.int32))
    shutil.copyfile(weights, out / WEIGHTS_FILE)
    meta = {"from_step": state.step, "from_samples": state.samples_seen, "steps": len(places) - 1,
            "batch": cfg.batch, "lr": cfg.lr, "warmup": cfg.warmup, "rank": cfg.rank, "alpha": cfg.alpha,
            "target_modules": list(TARGET_MODULES), "settings": cfg.to_json(), "base_file": base.name,
            "base_bytes": base.stat().st_size, "base_sha256": file_sha256(base),
            "weights_sha256": state.weights_sha256, "samples_sha256": file_sha256(out / SAMPLES_FILE),
            "unique_samples": len(targets), "val_samples": len(v_targets)}
    (out / PACK_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    (out / PLACES_FILE).write_text(json.dumps(places) + "\n", encoding="utf-8")
    return meta


CALL_BYTES = 64 * 2**20
"""What one call to the lent machine carries: the working tree and the carried paths together."""


def tree_bytes(root: Path) -> int:
    """The working tree as a call sends it: tracked files present and untracked ones not ignored."""
    import subprocess

    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                           capture_output=True, check=True).stdout.split(b"\0")
    return sum((root / n.decode()).stat().st_size for n in names if n and (root / n.decode()).is_file())


def stage(pack_dir: Path, base: Path, wheels: Sequence[Path], out: Path, room: int) -> list[list[str]]:
    """Cut what the machine needs into call folders ``out/p1``, ``out/p2``, … of at most ``room``
    bytes each: the first holds the wheels and the pack, the base's parts fill the rest. Returns
    each folder's file names; the calls must reach one warm machine in a row (it keeps /root/x)."""
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    calls: list[list[str]] = [[]]
    used = [0]

    def folder() -> Path:
        f = out / f"p{len(calls)}"
        f.mkdir(parents=True, exist_ok=True)
        return f

    for path in [*wheels, *(pack_dir / n for n in (PACK_FILE, SAMPLES_FILE, WEIGHTS_FILE))]:
        shutil.copyfile(path, folder() / path.name)
        calls[-1].append(path.name)
        used[-1] += path.stat().st_size
    if used[-1] > room:
        raise GpuSittingError(f"the pack alone ({used[-1]} bytes) does not fit one call ({room} bytes)")
    with base.open("rb") as f:
        part = 0
        while True:
            chunk = f.read(room - used[-1])
            if not chunk:
                break
            name = f"base.part{part:02d}"
            (folder() / name).write_bytes(chunk)
            calls[-1].append(name)
            used[-1] += len(chunk)
            part += 1
            if used[-1] >= room:
                calls.append([])
                used.append(0)
    return [c for c in calls if c]


def call_commands(calls: Sequence[Sequence[str]], out: str = ".xfer", seconds: int = 420, wall: int = 560) -> list[str]:
    """The command of each call to the lent machine, in order (``device`` tool's ``run``, carrying
    ``out/pN``): the first installs the wheels and checks the imports, the middle ones only move
    their parts to ``/root/x`` (which lives as long as the machine stays warm: 30 s between calls),
    the last puts the base together and trains (its sha256 is checked before anything else)."""
    first = (f"mkdir -p /root/x && mv {out}/p1/* /root/x/ && python3 -m pip install -q --no-index --no-deps "
             "--no-compile --target /tmp/site /root/x/*.whl; PYTHONPATH=/tmp/site:. python3 -c "
             "'import torch, transformers, peft, gguf, engine.train.gpu_sitting; print(torch.cuda.get_device_name())'; "
             "ls /root/x")
    middle = [f"mv {out}/p{i}/* /root/x/ && ls /root/x" for i in range(2, len(calls) + 1)]
    last = (f"cd /root/x && mkdir -p pack && mv {PACK_FILE} {SAMPLES_FILE} {WEIGHTS_FILE} pack/ 2>/dev/null; "
            "[ -f base.gguf ] || { cat base.part* > base.gguf && rm base.part*; }; cd - >/dev/null; set -o pipefail; "
            "PYTHONPATH=/tmp/site:. PYTHONUNBUFFERED=1 python3 -m engine.train.gpu_sitting --pack /root/x/pack "
            f"--base /root/x/base.gguf --seconds {seconds} --wall {wall} --eval-every 100 --out $OUT 2>&1 "
            "| grep --line-buffered -v Converting | tee $OUT/log.txt")
    commands = [first, *middle]
    commands[-1] = commands[-1] + " && " + last if len(calls) > 1 else first + " && " + last
    return commands


# -- there: train ---------------------------------------------------------------------------------


def _samples(tokens, starts, targets, index: Sequence[int]) -> list[TokenizedSample]:  # type: ignore[no-untyped-def]
    out = []
    for i in index:
        ids = tokens[starts[i] : starts[i + 1]].tolist()
        n = int(targets[i])
        out.append(TokenizedSample(str(i), ids[:-n], ids[-n:]))
    return out


def val_loss(model, data, prefix: list[int], device: str, bf16: bool = True, width: int = 16) -> float:  # type: ignore[no-untyped-def]
    """Mean plan-token loss over the packed val samples (teacher forced): a guide for which
    checkpoints to bring back, not the selection itself (``adopt`` scores those on val success)."""
    import torch

    n = len(data["val_targets"])
    total = 0.0
    model.eval()
    with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
        for lo in range(0, n, width):
            batch = _samples(data["val_tokens"], data["val_starts"], data["val_targets"], range(lo, min(n, lo + width)))
            total += float(batch_loss(model, batch, device, prefix, prefix_cache(model, prefix, device))) * len(batch)
    model.train()
    return total / max(1, n)


def choose(evals: Sequence[dict[str, Any]], keep: int = KEEP) -> list[int]:
    """Which eval points' checkpoints come back: the last (the campaign goes on from it), the
    lowest val loss, then those farthest from the ones chosen, up to ``keep``."""
    if not evals:
        return []
    chosen = {len(evals) - 1, min(range(len(evals)), key=lambda i: (evals[i]["val_loss"], -i))}
    while len(chosen) < min(keep, len(evals)):
        chosen.add(max((i for i in range(len(evals)) if i not in chosen), key=lambda i: min(abs(i - c) for c in chosen)))
    return sorted(chosen)


def train(pack_dir: Path, base: Path, seconds: float, out: Path, eval_every: int = 100,
          max_steps: int | None = None, wall: float | None = None, log=print) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Train the packed batches on whatever device torch sees, for at most ``seconds`` of steps
    (and, with ``wall``, stopping in time to save before that many seconds from the start), and
    leave the result and the chosen checkpoints (in parts) in ``out``."""
    import numpy as np
    import torch
    from peft import get_peft_model_state_dict, set_peft_model_state_dict
    from safetensors.torch import load_file, save_file

    t_begin = time.monotonic()
    meta = json.loads((pack_dir / PACK_FILE).read_text(encoding="utf-8"))
    for path, key in ((pack_dir / WEIGHTS_FILE, "weights_sha256"), (pack_dir / SAMPLES_FILE, "samples_sha256"),
                      (base, "base_sha256")):
        if file_sha256(path) != meta[key]:
            raise GpuSittingError(f"{path} is not the file the pack was made with ({key} differs)")
    if meta["target_modules"] != list(TARGET_MODULES):
        raise GpuSittingError(f"the pack's LoRA covers {meta['target_modules']}, this code {list(TARGET_MODULES)}")
    data = dict(np.load(pack_dir / SAMPLES_FILE))
    prefix = data["prefix"].tolist()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = train_dtype(device)
    model, params = lora_model(base, device, meta["rank"], meta["alpha"], dtype)
    weights = {k: v.float() for k, v in load_file(str(pack_dir / WEIGHTS_FILE)).items()}
    names = set(get_peft_model_state_dict(model))
    if set(weights) != names:
        raise GpuSittingError(f"the packed weights do not fit this LoRA ({len(set(weights) ^ names)} names differ)")
    set_peft_model_state_dict(model, weights)
    optim = torch.optim.AdamW(params, lr=meta["lr"], weight_decay=0.0)
    gpu = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    load_seconds = time.monotonic() - t_begin
    log(f"loaded on {gpu} in {load_seconds:.0f} s; {meta['steps']} packed steps of {meta['batch']}")
    out.mkdir(parents=True, exist_ok=True)
    steps = min(meta["steps"], max_steps or meta["steps"])
    batch_size = meta["batch"]
    losses: list[float] = []
    evals: list[dict[str, Any]] = []
    kept: dict[int, dict[str, torch.Tensor]] = {}
    result: dict[str, Any] = {"pack_sha256": meta["samples_sha256"], "device": gpu, "load_seconds": round(load_seconds, 1),
                              "versions": {"torch": torch.__version__, **_versions()}}

    def snapshot(step: int, seconds_so_far: float) -> None:
        evals.append({"step": step, "val_loss": round(val_loss(model, data, prefix, device, dtype is torch.bfloat16), 5),
                      "train_seconds": round(seconds_so_far, 1)})
        kept[step] = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in get_peft_model_state_dict(model).items()}
        log(f"  step {step}: val loss {evals[-1]['val_loss']:.4f}, mean loss {np.nanmean(losses[-50:]):.4f}")

    train_seconds = 0.0
    model.train()
    for k in range(steps):
        if train_seconds >= seconds or (wall is not None and time.monotonic() - t_begin > wall - SAVE_RESERVE):
            break
        ts = time.monotonic()
        for group in optim.param_groups:
            group["lr"] = meta["lr"] * min(1.0, (k + 1) / meta["warmup"])
        batch = _samples(data["tokens"], data["starts"], data["targets"], data["order"][k * batch_size : (k + 1) * batch_size])
        losses.append(optimizer_step(model, optim, params, batch, prefix, device, dtype is torch.bfloat16))
        if device == "cuda":
            torch.cuda.synchronize()
        train_seconds += time.monotonic() - ts
        if (k + 1) % eval_every == 0:
            snapshot(k + 1, train_seconds)
            _write_result(out, result, losses, evals, train_seconds, batch_size, [])
    done = len(losses)
    if done and (not evals or evals[-1]["step"] != done):
        snapshot(done, train_seconds)
    returned = []
    for i in choose(evals):
        step = evals[i]["step"]
        tmp = out / f"step-{step}.safetensors"
        save_file(kept[step], str(tmp))
        returned.append({"step": step, "bytes": tmp.stat().st_size, "sha256": file_sha256(tmp), "parts": _split(tmp)})
    _write_result(out, result, losses, evals, train_seconds, batch_size, returned)
    log(f"done: {done} steps, {done * batch_size} samples in {train_seconds:.0f} s "
        f"({train_seconds / max(1, done * batch_size) * 1000:.1f} ms per sample); returned steps "
        + ", ".join(str(r["step"]) for r in returned))
    return result


def _versions() -> dict[str, str]:
    import peft
    import transformers

    return {"transformers": transformers.__version__, "peft": peft.__version__}


def _split(path: Path) -> list[str]:
    """Cut ``path`` into parts a returned file may be; the whole is removed."""
    data = path.read_bytes()
    names = []
    for i in range(0, len(data), PART_BYTES):
        part = path.with_name(f"{path.name}.{i // PART_BYTES}")
        part.write_bytes(data[i : i + PART_BYTES])
        names.append(part.name)
    path.unlink()
    return names


def _write_result(out: Path, result: dict[str, Any], losses: list[float], evals: list[dict[str, Any]],
                  train_seconds: float, batch: int, returned: list[dict[str, Any]]) -> None:
    result.update(steps=len(losses), samples=len(losses) * batch, train_seconds=round(train_seconds, 1),
                  seconds_per_sample=round(train_seconds / max(1, len(losses) * batch), 4),
                  losses=[round(x, 4) for x in losses], evals=evals, returned=returned)
    tmp = out / (RESULT_FILE + ".tmp")
    tmp.write_text(json.dumps(result) + "\n", encoding="utf-8")
    tmp.replace(out / RESULT_FILE)


# -- here: adopt ----------------------------------------------------------------------------------


def joined(returned: Path, entry: dict[str, Any]) -> bytes:
    """A returned checkpoint put back together, checked against its recorded size and sha256."""
    try:
        data = b"".join((returned / name).read_bytes() for name in entry["parts"])
    except OSError as exc:
        raise GpuSittingError(f"checkpoint of step {entry['step']}: a part is missing ({exc})") from None
    if len(data) != entry["bytes"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise GpuSittingError(f"checkpoint of step {entry['step']} is truncated or altered in its return")
    return data


def adopt(returned: Path, pack_dir: Path, folder: Path, threads: int | None = None, log=print) -> Any:  # type: ignore[no-untyped-def]
    """Fold a GPU sitting's result into the campaign in ``folder``: each returned checkpoint is
    scored on val here, and the campaign advances by the steps trained there."""
    import datetime as dt

    import numpy as np
    from safetensors.numpy import load as load_bytes

    from engine import models
    from engine.train.campaign import Point, read_state, record_point, score, work_dir, write_json
    from engine.train.gguf_lora import base_info, write_gguf_lora

    meta = json.loads((pack_dir / PACK_FILE).read_text(encoding="utf-8"))
    places = json.loads((pack_dir / PLACES_FILE).read_text(encoding="utf-8"))
    try:
        result = json.loads((returned / RESULT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GpuSittingError(f"no readable {RESULT_FILE} in {returned} ({exc})") from None
    state = read_state(folder)
    if result.get("pack_sha256") != meta["samples_sha256"]:
        raise GpuSittingError("the result was trained on another pack")
    if (state.step, state.weights_sha256) != (meta["from_step"], meta["weights_sha256"]):
        raise GpuSittingError(f"the campaign moved on since the pack was made (step {state.step}, packed at "
                              f"{meta['from_step']}); pack again")
    entries = sorted(result["returned"], key=lambda e: e["step"])
    done = int(result["steps"])
    if not entries or entries[-1]["step"] != done:
        raise GpuSittingError("the last step's checkpoint did not come back; the campaign cannot go on from it")
    base = models.resolve(state.settings.base)
    arch, n_blocks = base_info(base)
    seconds_at = {e["step"]: e["train_seconds"] for e in result["evals"]}
    losses = result["losses"]
    batch = meta["batch"]
    hours0 = state.hours
    last_bytes = b""
    for entry in entries:
        data = joined(returned, entry)
        weights = {k: v.astype(np.float32) for k, v in load_bytes(data).items()}
        step = entry["step"]
        gguf_path = write_gguf_lora(work_dir() / f"gpu-step-{meta['from_step'] + step}.gguf", arch, n_blocks,
                                    state.settings.alpha, weights)
        summary = score(base, gguf_path, state.settings, threads)
        n = max(1, summary.n)
        recent = [x for x in losses[max(0, step - 50) : step] if x == x] or [float("nan")]
        point = Point(meta["from_samples"] + step * batch, meta["from_step"] + step, sum(recent) / len(recent),
                      summary.success / n, summary.success_args / n, hours0 + seconds_at[step] / 3600)
        record_point(folder, state, point, gguf_path, base)
        log(f"  val at {point.samples} samples: {point.val_success:.1%} ({point.val_success_args:.1%} with "
            f"arguments){' kept' if point.kept else ''}")
        last_bytes = data
    place = places[done]
    state.step = meta["from_step"] + done
    state.samples_seen = meta["from_samples"] + done * batch
    state.turn, state.positions, state.skipped_too_long = place["turn"], place["positions"], place["skipped_too_long"]
    state.hours = hours0 + result["train_seconds"] / 3600
    device = result["device"] if result["device"] == "cpu" else f"cuda ({result['device']})"
    state.sittings.append({"date": dt.datetime.now().isoformat(timespec="minutes"), "device": device,
                           "threads": None, "from_step": meta["from_step"], "from_samples": meta["from_samples"],
                           "to_step": state.step, "to_samples": state.samples_seen,
                           "train_minutes": round(result["train_seconds"] / 60, 1),
                           "seconds_per_sample": result["seconds_per_sample"],
                           "skipped_nonfinite": sum(x != x for x in losses)})
    tmp = folder / (WEIGHTS_FILE + ".tmp")
    tmp.write_bytes(last_bytes)
    state.weights_bytes = len(last_bytes)
    state.weights_sha256 = file_sha256(tmp)
    tmp.replace(folder / WEIGHTS_FILE)
    write_json(folder / "campaign.json", state.to_json())
    return state


def main(argv: list[str] | None = None) -> int:
    """The machine-side entry: ``python3 -m engine.train.gpu_sitting --pack DIR --base FILE ...``."""
    p = argparse.ArgumentParser(prog="python -m engine.train.gpu_sitting", description=__doc__.splitlines()[0])
    p.add_argument("--pack", type=Path, required=True)
    p.add_argument("--base", type=Path, required=True, help="the GGUF the pack names (its sha256 is checked)")
    p.add_argument("--seconds", type=float, required=True, help="training seconds (loading and val not counted)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--steps", type=int, help="stop after this many steps (the CPU dry run)")
    p.add_argument("--wall", type=float, help="seconds from the start by which everything must be written")
    args = p.parse_args(argv)
    try:
        train(args.pack, args.base, args.seconds, args.out, args.eval_every, args.steps, args.wall,
              log=lambda m: print(m, flush=True))
    except GpuSittingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
