"""Speech path. The converter and audio helpers are pure logic; the transcription tests run the
real Whisper base model (converted from its PyPI package) on speech synthesised by espeak-ng."""

import shutil
import struct
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main as cli_main
from engine.speech import SpeechError, Transcriber
from engine.speech.audio import AudioError, load_wav, resample, write_wav
from engine.speech.convert import GGML_MAGIC, ConvertError, convert, mel_filters, vocab_bytes

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")


def say(text: str, path: Path) -> Path:
    subprocess.run([ESPEAK, "-v", "en", "-s", "150", "-g", "5", "-w", str(path), text], check=True)
    return path


def test_mel_filters_have_whispers_shape_and_slaney_norm():
    bank = mel_filters(80)
    assert bank.shape == (80, 201) and bank.dtype == np.float32
    assert (bank >= 0).all() and (bank.sum(axis=1) > 0).all()
    # Slaney norm: each filter's area is 2 / (its width in Hz) times its bin spacing, so low
    # filters (narrow) peak higher than high ones.
    assert bank[0].max() > bank[-1].max()


def test_vocab_bytes_decodes_gpt2_byte_level_tokens():
    assert vocab_bytes("Ġhello\nĊ\n!", 3) == [b" hello", b"\n", b"!"]


def test_convert_rejects_something_that_is_not_a_ct2_model(tmp_path):
    with pytest.raises(ConvertError):
        convert(b"\x00" * 64, "", tmp_path / "x.bin")
    assert not (tmp_path / "x.bin").exists()


def test_wav_round_trip_and_resampling(tmp_path):
    tone = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32) * 0.5
    path = tmp_path / "tone.wav"
    write_wav(path, tone, 22050)
    back = load_wav(path)
    assert back.shape == (16000,) and abs(np.abs(back).max() - 0.5) < 0.01
    assert resample(np.ones(10, np.float32), 16000).shape == (10,)


def test_stereo_and_bad_audio_are_handled(tmp_path):
    stereo = tmp_path / "s.wav"
    with wave.open(str(stereo), "wb") as wf:
        wf.setnchannels(2)
        wf.setsampwidth(2)
        wf.setframerate(16000)
        wf.writeframes(struct.pack("<4h", 1000, 3000, 1000, 3000))
    assert np.allclose(load_wav(stereo), 2000 / 32768)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav")
    with pytest.raises(AudioError, match="not a PCM WAV"):
        load_wav(junk)
    with pytest.raises(AudioError, match="does not exist"):
        load_wav(tmp_path / "missing.wav")


@pytest.fixture(scope="module")
def transcriber():
    with Transcriber() as t:
        yield t


@pytest.mark.model
def test_converted_model_has_the_ggml_header(transcriber):
    from engine.speech.model import resolve_whisper

    with open(resolve_whisper(), "rb") as f:
        magic, n_vocab, *_ = struct.unpack("<12i", f.read(48))
    assert magic == GGML_MAGIC and n_vocab == 51865


@needs_espeak
@pytest.mark.model
def test_transcribes_spoken_commands(transcriber, tmp_path):
    heard = transcriber.transcribe_file(say("create a reminder to buy milk tomorrow", tmp_path / "a.wav")).text.lower()
    assert all(w in heard for w in ("reminder", "milk", "tomorrow")), heard
    heard = transcriber.transcribe_file(say("send an email to Priya about the budget", tmp_path / "b.wav")).text.lower()
    assert all(w in heard for w in ("email", "budget")), heard


@pytest.mark.model
def test_silence_gives_an_empty_transcript_and_junk_a_clear_error(transcriber, tmp_path):
    assert transcriber.transcribe(np.zeros(800, np.float32)).text == ""
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF....")
    with pytest.raises(SpeechError, match="not a PCM WAV"):
        transcriber.transcribe_file(junk)
    with pytest.raises(SpeechError, match="does not exist"):
        transcriber.transcribe_file(tmp_path / "nothing.wav")
    assert transcriber.transcribe(np.zeros(800, np.float32)).text == ""  # the worker survived


@pytest.mark.model
def test_a_broken_speech_model_is_reported(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00" * 100)
    with Transcriber(str(bad)) as t, pytest.raises(SpeechError, match="not a ggml Whisper model"):
        t.transcribe(np.zeros(16000, np.float32))


@needs_espeak
@pytest.mark.model
def test_cli_audio_runs_the_transcript_as_a_query(tmp_path, capsys):
    """The transcript becomes the query and is planned (the plan's quality is the planner's business)."""
    wav = say("remind me to call mom tomorrow", tmp_path / "q.wav")
    rc = cli_main(["--audio", str(wav), "--model", "fast", "--dry-run", "--data-dir", str(tmp_path / "data"),
                   "--now", "2026-11-23 10:00"])
    out, err = capsys.readouterr()
    assert rc in (0, 1) and "heard" in err and "remind me to call" in err.lower() and "tomorrow" in err.lower()
    assert "Plan" in out and "join()" in out


def test_cli_audio_missing_file_is_a_clear_error(tmp_path, capsys):
    assert cli_main(["--audio", str(tmp_path / "none.wav"), "--model", "fast"]) == 2
    assert "does not exist" in capsys.readouterr().err
