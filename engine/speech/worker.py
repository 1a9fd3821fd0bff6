"""The speech worker process: ``python -m engine.speech.worker --model PATH``.

whisper.cpp and llama.cpp each bundle their own ggml, and loading both into one process can clash
on shared symbols, so transcription runs here, in a process of its own that loads the model once.
Protocol: JSON lines. After loading it prints ``{"ready": true, "load_s": …}``; then for each
request ``{"audio": "/path.wav"}`` it answers ``{"text": …, "seconds": …}`` or ``{"error": …}``.
whisper.cpp's own log goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import time
from pathlib import Path

from engine.speech.audio import AudioError, load_wav
from engine.speech.convert import GGML_MAGIC


def _reply(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _not_whisper(path: Path) -> str | None:
    """Why ``path`` is not a ggml Whisper model, checked before whisper.cpp sees it: given
    anything else, whisper.cpp dereferences a null context and the process dies with no message."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        return f"cannot read the speech model {path}: {exc.strerror}"
    if len(head) < 4 or struct.unpack("<I", head)[0] != GGML_MAGIC:
        return (f"{path.name} is not a ggml Whisper model (it lacks the ggml header): choose a ggml-*.bin file, "
                "or leave the voice model at 'default'")
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engine.speech.worker")
    p.add_argument("--model", required=True, type=Path)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--language", default="en")
    args = p.parse_args(argv)
    t0 = time.monotonic()
    if why := _not_whisper(args.model):
        _reply({"ready": False, "error": why})
        return 1
    try:
        from pywhispercpp.model import Model

        model = Model(str(args.model), n_threads=args.threads, print_realtime=False, print_progress=False,
                      print_timestamps=False, language=args.language, redirect_whispercpp_logs_to=None)
    except Exception as exc:  # an import error or a model whisper.cpp refuses: reported, not raised
        _reply({"ready": False, "error": f"cannot load the speech model {args.model.name}: {exc}"})
        return 1
    _reply({"ready": True, "load_s": round(time.monotonic() - t0, 3)})
    for line in sys.stdin:
        if not line.strip():
            continue
        t = time.monotonic()
        try:
            audio = load_wav(Path(json.loads(line)["audio"]))
            if audio.size < 1600:
                _reply({"text": "", "seconds": 0.0})
                continue
            segments = model.transcribe(audio)
            text = " ".join(s.text.strip() for s in segments).strip()
            _reply({"text": text, "seconds": round(time.monotonic() - t, 3)})
        except (AudioError, KeyError, ValueError) as exc:
            _reply({"error": str(exc)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
