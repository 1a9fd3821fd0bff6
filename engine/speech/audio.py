"""Audio in the form whisper.cpp wants: mono float32 at 16 kHz, from a WAV file or the microphone."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from engine.errors import TinyAgentError

SAMPLE_RATE = 16000


class AudioError(TinyAgentError, RuntimeError):
    """The audio cannot be read or recorded; the message says why."""


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Linear-interpolation resampling. Speech recognition is insensitive to its mild aliasing, and
    it keeps scipy out of the app."""
    if rate == target or samples.size == 0:
        return samples.astype(np.float32)
    n = int(round(samples.size * target / rate))
    x = np.linspace(0, samples.size - 1, n)
    return np.interp(x, np.arange(samples.size), samples).astype(np.float32)


def load_wav(path: Path) -> np.ndarray:
    """A PCM WAV file (8/16/32-bit, any rate, mono or stereo) as 16 kHz mono float32 in [-1, 1]."""
    try:
        with wave.open(str(path), "rb") as wf:
            channels, width, rate = wf.getnchannels(), wf.getsampwidth(), wf.getframerate()
            raw = wf.readframes(wf.getnframes())
    except FileNotFoundError:
        raise AudioError(f"audio file {path} does not exist") from None
    except (wave.Error, EOFError) as exc:
        raise AudioError(f"{path} is not a PCM WAV file ({exc}); convert it, e.g. ffmpeg -i IN -ar 16000 -ac 1 OUT.wav") from None
    if width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    elif width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.float32) / 32768
    elif width == 4:
        data = np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648
    else:
        raise AudioError(f"{path}: {8 * width}-bit samples are not supported; use 16-bit PCM")
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return resample(data, rate)


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(rate)
        wf.writeframes(pcm.tobytes())
    return path


class Recorder:
    """Microphone capture for push-to-talk: ``start()`` on press, ``stop()`` on release.

    Uses ``sounddevice`` (PortAudio). It is optional: without it, or without an input device,
    ``start()`` raises :class:`AudioError` with what to do, and the rest of the app keeps working.
    """

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []
        self._stream = None

    def start(self) -> None:
        try:
            import sounddevice as sd
        except (ImportError, OSError) as exc:
            raise AudioError(f"no microphone support ({exc}); pip install sounddevice (and libportaudio2 on Linux)") from None
        self._chunks = []
        try:
            self._stream = sd.InputStream(samplerate=SAMPLE_RATE, channels=1, dtype="float32",
                                          callback=lambda data, *_: self._chunks.append(data[:, 0].copy()))
            self._stream.start()
        except Exception as exc:  # PortAudioError and friends: no device, permission denied
            self._stream = None
            raise AudioError(f"cannot open the microphone: {exc}. Check that one is connected and that "
                             "this app may use it (macOS: System Settings → Privacy → Microphone).") from None

    @property
    def recording(self) -> bool:
        return self._stream is not None

    def stop(self) -> np.ndarray:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)
