"""A campaign sitting on a lent GPU: packed here, trained there, adopted here.

Pure logic (which checkpoints come back, how the payload is cut into calls, a returned checkpoint
checked) runs without torch; the round trip (marked ``model``) packs the 270M's campaign, trains
the pack with the machine-side entry on this CPU, adopts it, and compares with a CPU sitting of
the same steps from a twin of the same campaign.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from engine.train.gpu_sitting import GpuSittingError, choose, joined, stage


def _evals(*losses: float) -> list[dict]:
    return [{"step": 10 * (i + 1), "val_loss": x} for i, x in enumerate(losses)]


def test_the_last_and_the_lowest_val_loss_come_back_then_the_farthest() -> None:
    assert choose(_evals(3.0, 2.0, 1.5, 1.6, 1.7, 1.8)) == [0, 2, 5]
    assert choose(_evals(3.0, 2.0, 1.5, 1.4)) == [0, 1, 3]
    assert choose(_evals(1.0)) == [0]
    assert choose([]) == []
    assert choose(_evals(2.0, 1.0, 3.0, 1.0, 4.0)) == [0, 3, 4]  # a tie in val loss goes to the later point
    assert choose(_evals(2.0, 1.0, 1.0), keep=1) == [2]


def test_the_payload_is_cut_into_calls_that_each_fit(tmp_path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    for name, size in (("pack.json", 100), ("samples.npz", 3000), ("campaign-last.safetensors", 5000)):
        (pack / name).write_bytes(b"p" * size)
    wheel = tmp_path / "gguf-0.19.0-py3-none-any.whl"
    wheel.write_bytes(b"w" * 500)
    base = tmp_path / "base.gguf"
    payload = bytes(range(256)) * 200
    base.write_bytes(payload)
    calls = stage(pack, base, [wheel], tmp_path / "xfer", room=20_000)
    sizes = [sum((tmp_path / "xfer" / f"p{i}" / n).stat().st_size for n in names) for i, names in enumerate(calls, 1)]
    assert all(s <= 20_000 for s in sizes) and len(calls) == 3 and sizes[:2] == [20_000, 20_000]
    assert calls[0][:4] == [wheel.name, "pack.json", "samples.npz", "campaign-last.safetensors"]
    parts = sorted((p for p in (tmp_path / "xfer").glob("p*/base.part*")), key=lambda p: p.name)
    assert b"".join(p.read_bytes() for p in parts) == payload
    with pytest.raises(GpuSittingError, match="does not fit"):
        stage(pack, base, [wheel], tmp_path / "xfer2", room=4000)


def test_a_returned_checkpoint_is_checked_before_use(tmp_path) -> None:
    data = b"weights" * 1000
    (tmp_path / "a.0").write_bytes(data[:3000])
    (tmp_path / "a.1").write_bytes(data[3000:])
    entry = {"step": 5, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "parts": ["a.0", "a.1"]}
    assert joined(tmp_path, entry) == data
    (tmp_path / "a.1").write_bytes(data[3000:-1])
    with pytest.raises(GpuSittingError, match="truncated or altered"):
        joined(tmp_path, entry)
    (tmp_path / "a.1").unlink()
    with pytest.raises(GpuSittingError, match="part is missing"):
        joined(tmp_path, entry)


@pytest.mark.model
@pytest.mark.slow
def test_a_gpu_sitting_takes_the_steps_a_cpu_sitting_would(tmp_path) -> None:
    """Pack two steps of the 270M's campaign, train them with the machine-side entry (here on the
    CPU, which is what the script does where torch sees no GPU), adopt: the campaign is where a
    CPU sitting of two steps from a twin leaves it (step, samples, the stream's place), with the
    same losses; the weights it goes on from are the returned last checkpoint; adopting twice,
    or a pack of a campaign that moved on, is refused."""
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    import engine.train.campaign as C
    import engine.train.gpu_sitting as G
    from engine import models
    from tests.test_campaign import _tiny_campaign

    folder, settings, _ = _tiny_campaign(tmp_path)

    def sit(where: Path, steps: int, **kw: object) -> C.State:
        return C.run_sitting(C.Sitting(where, minutes=10, threads=2, save_every=1, max_steps=steps, log=lambda m: None,
                                       work=tmp_path / "work"), **kw)  # type: ignore[arg-type]

    sit(folder, 1, settings=settings)
    twin = tmp_path / "twin"
    shutil.copytree(folder, twin)
    before = (folder / C.STATE_FILE).read_bytes()
    meta = G.pack(folder, 4, tmp_path / "pack", val_records=2)
    assert (folder / C.STATE_FILE).read_bytes() == before and meta["steps"] == 2
    result = G.train(tmp_path / "pack", models.resolve("tiny"), 600, tmp_path / "out", eval_every=1, max_steps=2,
                     log=lambda m: None)
    assert result["steps"] == 2 and [e["step"] for e in result["evals"]] == [1, 2]
    state = G.adopt(tmp_path / "out", tmp_path / "pack", folder, threads=2, log=lambda m: None)
    cpu = sit(twin, 2)
    assert (state.step, state.samples_seen, state.turn, state.positions) == (cpu.step, cpu.samples_seen, cpu.turn,
                                                                             cpu.positions)
    assert state.curve[-1].loss == pytest.approx(cpu.curve[-1].loss, abs=2e-3)
    assert state.sittings[-1]["device"] == "cpu" and state.sittings[-1]["to_samples"] == state.samples_seen
    C.check_weights(folder, state)
    last = next(e for e in result["returned"] if e["step"] == 2)
    assert hashlib.sha256((folder / C.WEIGHTS_FILE).read_bytes()).hexdigest() == last["sha256"]
    assert sum(p.kept for p in state.curve) == 1
    with pytest.raises(GpuSittingError, match="moved on"):
        G.adopt(tmp_path / "out", tmp_path / "pack", folder)
    assert json.loads((folder / C.STATE_FILE).read_text())["step"] == state.step


def test_each_call_moves_its_own_folder_and_only_the_last_trains() -> None:
    from engine.train.gpu_sitting import call_commands

    commands = call_commands([["a.whl", "base.part00"], ["base.part01"], ["base.part02"]], ".xfer", seconds=300, wall=400)
    assert [f"mv .xfer/p{i}/*" in c for i, c in enumerate(commands, 1)] == [True, True, True]
    assert ["engine.train.gpu_sitting --pack" in c for c in commands] == [False, False, True]
    assert "--seconds 300 --wall 400" in commands[-1] and all(len(c) <= 2000 for c in commands)
    assert "engine.train.gpu_sitting --pack" in call_commands([["a.whl", "base.part00"]])[0]


def test_a_step_whose_loss_is_not_finite_changes_nothing(monkeypatch) -> None:
    """One NaN batch must not poison the weights (it did on the H200, at step 547 of 1,727)."""
    torch = pytest.importorskip("torch")
    import engine.train.step as S

    w = torch.nn.Parameter(torch.ones(3))
    optim = torch.optim.AdamW([w], lr=0.1)
    scale = {"value": float("nan")}
    monkeypatch.setattr(S, "prefix_cache", lambda *a: None)
    monkeypatch.setattr(S, "batch_loss", lambda *a: (w * scale["value"]).sum())
    loss = S.optimizer_step(None, optim, [w], [], [], "cpu")
    assert loss != loss
    assert torch.equal(w.detach(), torch.ones(3)) and w.grad is None
    scale["value"] = 1.0
    assert S.optimizer_step(None, optim, [w], [], [], "cpu") == 3.0
    assert not torch.equal(w.detach(), torch.ones(3))
