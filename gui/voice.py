"""Push-to-talk: record while the button (or shortcut) is held, transcribe locally, hand the text on.

Only glue: recording and transcription live in ``engine.speech``; this object turns them into
Qt signals and keeps the blocking work off the GUI thread.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engine.speech import AudioError, Recorder, SpeechError, Transcriber


class VoiceInput(QObject):
    transcribed = Signal(str)
    failed = Signal(str)
    state = Signal(str)  # "idle", "recording", "transcribing"

    def __init__(self, model: str | None = None, threads: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.recorder = Recorder()
        self.transcriber = Transcriber(model, threads)
        self._job: asyncio.Task[None] | None = None

    def configure(self, model: str | None, threads: int | None) -> None:
        if (model, threads) != (self.transcriber.model, self.transcriber.threads):
            self.transcriber.close()
            self.transcriber = Transcriber(model, threads)

    @property
    def busy(self) -> bool:
        return self.recorder.recording or (self._job is not None and not self._job.done())

    def press(self) -> None:
        if self.busy:
            return
        try:
            self.recorder.start()
        except AudioError as exc:
            self.failed.emit(f"Voice input is unavailable: {exc}")
            return
        self.state.emit("recording")

    def release(self) -> None:
        if not self.recorder.recording:
            return
        samples = self.recorder.stop()
        if samples.size < 8000:  # under half a second: a tap, not speech
            self.state.emit("idle")
            self.failed.emit("Hold the talk button while you speak.")
            return
        self._job = asyncio.ensure_future(self._transcribe(lambda: self.transcriber.transcribe(samples)))

    def transcribe_file(self, path: Path) -> None:
        """The same path for a recorded file (used by tests and by ``--audio``-style use)."""
        if not self.busy:
            self._job = asyncio.ensure_future(self._transcribe(lambda: self.transcriber.transcribe_file(path)))

    async def _transcribe(self, work) -> None:  # type: ignore[no-untyped-def]
        self.state.emit("transcribing")
        try:
            heard = await asyncio.to_thread(work)
        except SpeechError as exc:
            self.failed.emit(f"Could not transcribe: {exc}")
        else:
            if heard.text:
                self.transcribed.emit(heard.text)
            else:
                self.failed.emit("No speech was heard.")
        finally:
            self.state.emit("idle")

    def close(self) -> None:
        if self.recorder.recording:
            self.recorder.stop()
        self.transcriber.close()
