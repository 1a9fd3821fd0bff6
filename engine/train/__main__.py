"""``python -m engine.train continue|stop|revise|campaign|gpu-pack|gpu-adopt|planner|export|attach-test|pin-merged|curve``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.flags import add_flags


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engine.train", description="Fine-tune the planner with LoRA.")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("planner", help="train a LoRA adapter; keeps the checkpoint with the best val success")
    t.add_argument("--data", type=Path, nargs="+", required=True,
                   help="train split JSONL files; each gives an equal share of the samples")
    t.add_argument("--val", type=Path, nargs="+", required=True,
                   help="val split JSONL files (checkpoint selection), interleaved up to --val-limit")
    t.add_argument("--base", required=True, help="default, fast, or a .gguf path (the model the adapter is for)")
    t.add_argument("--out", type=Path, required=True, help="output folder (adapter, manifest, checkpoints)")
    t.add_argument("--steps", type=int, default=300)
    t.add_argument("--batch", type=int, default=1, help="samples per optimizer step (gradient accumulation)")
    t.add_argument("--lr", type=float, default=2e-4)
    t.add_argument("--rank", type=int, default=16)
    t.add_argument("--alpha", type=float, default=32.0)
    t.add_argument("--distractors", type=int, default=2, help="unneeded tools added to each prompt as negatives")
    t.add_argument("--eval-every", type=int, default=100, help="steps between val-success checkpoints")
    t.add_argument("--val-limit", type=int, default=40, help="val records planned per checkpoint")
    t.add_argument("--max-len", type=int, default=2048, help="skip samples longer than this many tokens")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--max-minutes", type=float, help="stop (with a final checkpoint) after this much training time")
    t.add_argument("--stop-after", type=int, help="train this many steps in this sitting, then stop and save")
    t.add_argument("--resume", action="store_true", help="continue the run in --out where it stopped (same settings)")
    t.add_argument("--save-every", type=int, default=10, help="steps between saves of the state --resume continues from")
    t.add_argument("--shared-prefix", action="store_true",
                   help="compact prompt: run the tool list once per step without gradient (2-3x cheaper steps)")
    add_flags(t, ("examples", "toolrag", "prompt", "threads"), defaults={"examples": 1, "toolrag": "classifier", "prompt": "reference"},
              helps={"examples": "in-context examples in each prompt (use the same at run time)",
                     "toolrag": "the selector whose choice each prompt offers",
                     "prompt": "compact: tool signatures, date and question only (no examples), ~10x fewer prompt tokens"})
    e = sub.add_parser("export", help="convert a PEFT adapter folder to a GGUF LoRA")
    e.add_argument("adapter", type=Path)
    e.add_argument("--base", required=True, help="the GGUF model it was trained on")
    e.add_argument("--out", type=Path, required=True)
    a = sub.add_parser("attach-test", help="record tinyagent eval summaries (test split) in an adapter's manifest")
    a.add_argument("folder", type=Path)
    a.add_argument("summaries", type=Path, nargs="+")
    m = sub.add_parser("pin-merged", help="merge an adapter folder's adapter into its base and pin the merged "
                       "file's size and sha256 in its manifest (the app then plans merged)")
    m.add_argument("folder", type=Path)
    m.add_argument("--base", default="fast", help="the base model: a manifest name or a .gguf path")
    r = sub.add_parser("curve", help="the val-success curve of a run (its manifest) as a markdown table")
    r.add_argument("folder", type=Path)
    c = sub.add_parser("continue", help="continue the planner's training campaign (models/planner-compact) "
                       "in the background at low priority; saves often, keeps the best adapter by val")
    c.add_argument("--minutes", type=float, required=True, help="training minutes in this sitting (val scoring not counted)")
    add_flags(c, ("threads",))
    c.add_argument("--save-every", type=int, default=5, help="steps between saves of the committed state")
    c.add_argument("--val-every", type=float, default=40.0, help="minutes between val checkpoints (and one at the end)")
    c.add_argument("--steps", type=int, help="stop after this many steps")
    c.add_argument("--folder", type=Path, help="the campaign's folder (default: models/planner-compact)")
    c.add_argument("--foreground", action="store_true", help="train in this process instead of in the background")
    g = sub.add_parser("gpu-pack", help="pack the campaign's next samples for a sitting on a lent GPU machine "
                       "(python -m engine.train.gpu_sitting runs there)")
    g.add_argument("--samples", type=int, required=True)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--val-records", type=int, default=200, help="val records whose loss the GPU run reports")
    s = sub.add_parser("gpu-stage", help="cut a pack, the base and wheels into folders, one per call to the lent machine")
    s.add_argument("--pack", type=Path, required=True)
    s.add_argument("--out", type=Path, default=Path(".xfer"), help="an ignored folder of the checkout (carried)")
    s.add_argument("--wheel", type=Path, nargs="*", default=[], help="wheels the machine lacks (gguf)")
    s.add_argument("--margin", type=int, default=512 * 1024, help="bytes left free in each call")
    d = sub.add_parser("gpu-adopt", help="score a GPU sitting's returned checkpoints on val and advance the campaign")
    d.add_argument("returned", type=Path, help="the folder the GPU run wrote (its $OUT)")
    d.add_argument("--pack", type=Path, required=True, help="the folder gpu-pack wrote")
    add_flags(d, ("threads",))
    v = sub.add_parser("revise", help="move the campaign to the current default settings (data mix, learning rate) "
                       "from its next step, recording when and why")
    v.add_argument("--why", required=True)
    v.add_argument("--folder", type=Path, help="the campaign's folder (default: models/planner-compact)")
    add_flags(v, ("threads",))
    sub.add_parser("stop", help="ask the background sitting to save, score and stop; waits for it")
    sub.add_parser("campaign", help="the campaign's curve and sittings")
    args = p.parse_args(argv)

    if args.cmd in ("gpu-pack", "gpu-stage", "gpu-adopt"):
        return gpu_command(args)
    if args.cmd in ("continue", "stop", "campaign", "revise"):
        return campaign_command(args, argv if argv is not None else sys.argv[1:])

    if args.cmd == "planner":
        from engine.train.lora import TrainConfig, main_train

        fields = {k: v for k, v in vars(args).items() if k != "cmd"}
        return main_train(TrainConfig(**fields))
    if args.cmd == "export":
        from engine import models
        from engine.train.gguf_lora import export_adapter

        print(export_adapter(args.adapter, models.resolve(args.base), args.out))
        return 0
    if args.cmd == "pin-merged":
        from engine import models
        from engine.train.campaign import pin_merged

        print(json.dumps(pin_merged(args.folder, models.resolve(args.base)), indent=1))
        return 0
    if args.cmd == "curve":
        from engine.train.lora import curve_table

        print(curve_table(args.folder))
        return 0
    from engine.train.lora import attach_test

    print(attach_test(args.folder, args.summaries))
    return 0


def gpu_command(args: argparse.Namespace) -> int:
    from engine.train import campaign, gpu_sitting

    try:
        if args.cmd == "gpu-pack":
            meta = gpu_sitting.pack(campaign.campaign_dir(), args.samples, args.out, args.val_records)
            print(f"packed {meta['steps']} steps ({meta['unique_samples']} unique samples, {meta['val_samples']} val) "
                  f"from step {meta['from_step']} in {args.out}")
        elif args.cmd == "gpu-stage":
            from engine import models

            meta = json.loads((args.pack / gpu_sitting.PACK_FILE).read_text(encoding="utf-8"))
            tree = gpu_sitting.tree_bytes(Path.cwd())
            calls = gpu_sitting.stage(args.pack, models.resolve(meta["settings"]["base"]), args.wheel, args.out,
                                      gpu_sitting.CALL_BYTES - tree - args.margin)
            print(f"working tree {tree} bytes; {len(calls)} calls, each carrying {args.out}/pN:")
            for i, (names, command) in enumerate(zip(calls, gpu_sitting.call_commands(calls, str(args.out)), strict=True), 1):
                print(f"  p{i}: {' '.join(names)}\n     run: {command}")
        else:
            state = gpu_sitting.adopt(args.returned, args.pack, campaign.campaign_dir(), args.threads,
                                      log=lambda m: print(m, flush=True))
            print(f"campaign at step {state.step}, {state.samples_seen} samples")
    except (campaign.CampaignError, gpu_sitting.GpuSittingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def campaign_command(args: argparse.Namespace, argv: list[str]) -> int:
    from engine.train import campaign

    if args.cmd == "stop":
        done = campaign.stop_background()
        print("stopped" if done else "still running after the wait; see the log in " + str(campaign.work_dir()))
        return 0 if done else 1
    folder = getattr(args, "folder", None) or campaign.campaign_dir()
    if args.cmd == "revise":
        try:
            state = campaign.revise(folder, campaign.Settings(), args.why,
                                    rescore=lambda settings: campaign.score_kept(folder, settings, args.threads))
        except campaign.CampaignError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        sources = (f"{s.name} ×{s.weight}{' composed' if s.compose else ''}{' varied' if s.vary else ''}"
                   for s in state.settings.sources)
        print(f"revised at step {state.step} ({state.samples_seen} samples): " + ", ".join(sources))
        return 0
    if args.cmd == "campaign":
        state = campaign.read_state(folder)
        print(campaign.curve_table(state))
        print()
        print(campaign.windows_table(state))
        print()
        print("| date | device | threads | precision | samples | train minutes | s / sample |")
        print("|---|---|---|---|---|---|---|")
        for s in state.sittings:
            print(f"| {s['date']} | {s['device']} | {s['threads'] or '–'} | {s.get('precision', '–')} | "
                  f"{s['from_samples']} → {s.get('to_samples')} | "
                  f"{s.get('train_minutes')} | {s.get('seconds_per_sample')} |")
        for r in state.revisions:
            print(f"\nrevised at {r['samples']} samples ({r['date']}): {r['why']}")
            if "best_rescored" in r:
                print("(a new val set: the kept adapter scored {:.1%} ({:.1%} with arguments) on it, against {:.1%} "
                      "({:.1%}) on the old one; later checkpoints are kept against the new score)"
                      .format(*r["best_rescored"], *r["best_replaced"]))
        return 0
    if not args.foreground:
        pid, log = campaign.launch_background([*argv, "--foreground"])
        print(f"training in the background (pid {pid}, nice 19); log: {log}; "
              "python -m engine.train stop ends it with a save")
        return 0
    import signal

    sit = campaign.Sitting(folder, args.minutes, threads=args.threads, save_every=args.save_every,
                           val_every_minutes=args.val_every, max_steps=args.steps,
                           log=lambda m: print(m, file=sys.stderr, flush=True))
    signal.signal(signal.SIGTERM, sit.request_stop)
    try:
        campaign.run_sitting(sit)
    except campaign.CampaignError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
