"""Audio (docs/media-refs.md, audio-file): WAV files read back with the stdlib ``wave``, and every bad input's message."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runyard.types.audio import MAX_CLIPS_PER_STEP, Audio, check_audio_count
from runyard.types.base import MediaStore


def read_wav(path: Path) -> tuple[int, int, int, np.ndarray]:
    with wave.open(str(path), "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        frames = w.getnframes()
        samples = np.frombuffer(w.readframes(frames), dtype="<i2")
    assert width == 2
    return rate, channels, frames, samples.reshape(frames, channels)


def stored(tmp_path: Path, audio: Audio) -> tuple[dict[str, Any], tuple[int, int, int, np.ndarray]]:
    ref = audio.to_ref(MediaStore(tmp_path))
    path = tmp_path / ref["path"]
    assert path.stat().st_size == ref["size"] and ref["path"] == f"media/audio/{ref['sha256']}.wav"
    return ref, read_wav(path)


def test_mono_float_clip(tmp_path: Path) -> None:
    t = np.arange(16000) / 16000
    clip = Audio(np.sin(2 * np.pi * 440 * t), 16000, "Nice")
    ref, (rate, channels, frames, samples) = stored(tmp_path, clip)
    assert (rate, channels, frames) == (16000, 1, 16000)
    assert ref["_type"] == "audio-file" and ref["caption"] == "Nice"
    assert (ref["sample_rate"], ref["duration"], ref["channels"]) == (16000, 1.0, 1)
    assert samples.max() == 32767 and samples.min() == -32767


def test_reference_example_sample_rate_32(tmp_path: Path) -> None:
    _, (rate, _, frames, _) = stored(tmp_path, Audio(np.zeros(64), caption="Nice", sample_rate=32))
    assert (rate, frames) == (32, 64)


def test_stereo_int16_is_exact(tmp_path: Path) -> None:
    arr = np.array([[1, -1], [100, -100], [32767, -32768]], dtype=np.int16)
    ref, (_, channels, frames, samples) = stored(tmp_path, Audio(arr, sample_rate=8000))
    assert (channels, frames, ref["channels"]) == (2, 3, 2)
    assert np.array_equal(samples, arr)


def test_float_beyond_unit_range_is_clipped_and_nan_is_silence(tmp_path: Path) -> None:
    _, (*_, samples) = stored(tmp_path, Audio(np.array([2.0, -3.0, np.nan, 0.5]), sample_rate=10))
    assert samples[:, 0].tolist() == [32767, -32767, 0, 16384]


def test_int64_within_int16_range_and_channel_column(tmp_path: Path) -> None:
    _, (_, channels, _, samples) = stored(tmp_path, Audio(np.array([[5], [-5]]), sample_rate=10))
    assert channels == 1 and samples[:, 0].tolist() == [5, -5]


def test_constructor_copies_the_array(tmp_path: Path) -> None:
    arr = np.zeros(10)
    audio = Audio(arr, sample_rate=10)
    arr[:] = 1.0
    _, (*_, samples) = stored(tmp_path, audio)
    assert not samples.any()


def test_wav_path_is_kept_byte_for_byte(tmp_path: Path) -> None:
    src = tmp_path / "clip.wav"
    with wave.open(str(src), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(b"\x01\x00\x02\x00" * 11025)
    ref = Audio(str(src), caption="file").to_ref(MediaStore(tmp_path / "run"))
    assert (tmp_path / "run" / ref["path"]).read_bytes() == src.read_bytes()
    assert (ref["sample_rate"], ref["duration"], ref["channels"]) == (22050, 0.5, 2)


def test_flac_file_is_decoded_to_wav(tmp_path: Path) -> None:
    import soundfile

    src = tmp_path / "clip.flac"
    soundfile.write(src, (np.arange(800) % 100 - 50).astype(np.int16), 8000, format="FLAC")
    with open(src, "rb") as f:
        audio = Audio(f)
    ref, (rate, channels, frames, samples) = stored(tmp_path / "run", audio)
    assert (rate, channels, frames) == (8000, 1, 800) and ref["duration"] == 0.1
    assert samples[:3, 0].tolist() == [-50, -49, -48]


def test_float_wav_file_goes_through_soundfile(tmp_path: Path) -> None:
    import soundfile

    src = tmp_path / "float.wav"
    soundfile.write(src, np.zeros(100, dtype=np.float32), 1000, subtype="FLOAT")
    ref, (rate, _, frames, _) = stored(tmp_path / "run", Audio(src))
    assert (rate, frames) == (1000, 100)


def test_check_audio_count() -> None:
    check_audio_count(MAX_CLIPS_PER_STEP)
    with pytest.raises(ValueError, match="101 audio clips in one step; at most 100"):
        check_audio_count(101)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((np.zeros(10),), {}, ValueError, "sample_rate is required for an array"),
        ((np.zeros(10),), {"sample_rate": 0}, ValueError, "sample_rate must be a positive int, got 0"),
        ((np.zeros(10),), {"sample_rate": 1.5}, ValueError, "sample_rate must be a positive int, got 1.5"),
        ((np.zeros(10),), {"sample_rate": "16k"}, TypeError, "sample_rate must be a positive int, got '16k'"),
        ((np.zeros((2, 3, 4)),), {"sample_rate": 8}, ValueError,
         r"shape \(n,\) or \(n, channels\).*\(2, 3, 4\)"),
        ((np.zeros((2, 16000)),), {"sample_rate": 8}, ValueError, "16000 channels.*transpose"),
        ((np.zeros(0),), {"sample_rate": 8}, ValueError, "no samples"),
        ((np.array(["a"]),), {"sample_rate": 8}, TypeError, "float in \\[-1, 1\\] or int16, got dtype <U1"),
        ((np.array([0, 40000]),), {"sample_rate": 8}, ValueError, "int16 range.*0..40000"),
        (("/no/such.wav",), {}, FileNotFoundError, "no such audio file.*/no/such.wav"),
        ((object(),), {}, TypeError, "cannot make audio from builtins.object"),
    ],
)
def test_bad_audio_inputs(args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception],
                          message: str) -> None:
    with pytest.raises(error, match=message):
        Audio(*args, **kwargs)


def test_sample_rate_conflicting_with_file(tmp_path: Path) -> None:
    src = tmp_path / "a.wav"
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(100)
        w.writeframes(b"\x00\x00" * 10)
    src.write_bytes(buf.getvalue())
    with pytest.raises(ValueError, match="sample_rate=200 differs from the file's own rate 100"):
        Audio(src, sample_rate=200)


def test_not_an_audio_file(tmp_path: Path) -> None:
    (tmp_path / "a.mp3").write_bytes(b"garbage" * 10)
    with pytest.raises(ValueError, match="not an audio file soundfile can read"):
        Audio(tmp_path / "a.mp3")


def test_text_mode_file_object(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_text("x")
    with open(tmp_path / "a.wav") as f, pytest.raises(TypeError, match="text mode.*'rb'"):
        Audio(f)


def test_missing_soundfile_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    (tmp_path / "a.flac").write_bytes(b"fLaC....")
    monkeypatch.setitem(sys.modules, "soundfile", None)
    with pytest.raises(ImportError, match=r"soundfile.*pip install 'runyard\[media\]'"):
        Audio(tmp_path / "a.flac")
