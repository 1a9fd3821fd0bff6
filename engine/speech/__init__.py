"""Speech to text for push-to-talk: whisper.cpp (pywhispercpp) in a worker process.

Public surface: :class:`Transcriber` (``transcribe_file``, ``transcribe``), :class:`Transcript`,
:class:`SpeechError`, and :class:`~engine.speech.audio.Recorder` for the microphone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import TinyAgentError
from engine.models import ModelError
from engine.speech.audio import AudioError, Recorder, write_wav
from engine.speech.model import resolve_whisper

__all__ = ["AudioError", "Recorder", "SpeechError", "Transcriber", "Transcript"]


class SpeechError(TinyAgentError, RuntimeError):
    """Transcription failed; the message says why and what to do."""


@dataclass(frozen=True)
class Transcript:
    text: str
    seconds: float


class Transcriber:
    """Starts the speech worker on first use, keeps it for later requests, and stops it on ``close``.

    Calls block (a second or two for a short command on two cores): call them from a worker thread
    (``asyncio.to_thread``) in a UI.
    """

    def __init__(self, model: str | None = None, threads: int | None = None, language: str = "en") -> None:
        self.model, self.threads, self.language = model, threads or min(4, os.cpu_count() or 1), language
        self._proc: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self._lock = threading.Lock()
        self.load_s: float | None = None

    def _start(self) -> subprocess.Popen[str]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        try:
            path = resolve_whisper(self.model)
        except ModelError as exc:
            raise SpeechError(str(exc)) from None
        self._stderr.seek(0)
        self._stderr.truncate()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "engine.speech.worker", "--model", str(path), "--threads", str(self.threads),
             "--language", self.language],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, encoding="utf-8",
        )
        hello = self._read()
        if not hello.get("ready"):
            self.close()
            raise SpeechError(hello.get("error", "the speech worker did not start"))
        self.load_s = hello.get("load_s")
        return self._proc

    def _read(self) -> dict:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self._stderr.seek(0)
            tail = self._stderr.read()[-800:].strip()
            self._proc = None
            raise SpeechError(f"the speech worker stopped unexpectedly{': ' + tail if tail else ''}")
        return json.loads(line)

    def transcribe_file(self, path: Path) -> Transcript:
        if not Path(path).is_file():
            raise SpeechError(f"audio file {path} does not exist")
        with self._lock:
            proc = self._start()
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({"audio": str(Path(path).resolve())}) + "\n")
            proc.stdin.flush()
            answer = self._read()
        if "error" in answer:
            raise SpeechError(answer["error"])
        return Transcript(answer["text"], answer["seconds"])

    def transcribe(self, samples: np.ndarray, rate: int = 16000) -> Transcript:
        """Transcribe recorded samples (mono float32)."""
        with tempfile.TemporaryDirectory() as tmp:
            return self.transcribe_file(write_wav(Path(tmp) / "speech.wav", samples, rate))

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()

    def __enter__(self) -> Transcriber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
