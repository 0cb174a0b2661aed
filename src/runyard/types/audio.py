"""``Audio`` (docs/media-refs.md, ``audio-file``): a numpy clip with a sample rate, or an audio file; stored as WAV.

Arrays are written as 16-bit PCM WAV with the standard library's ``wave`` module, so logging
arrays needs no extra package. A WAV file is stored as it is; other formats (flac, ogg, mp3, ...)
are decoded with ``soundfile`` (the ``runyard[media]`` extra) and re-encoded as WAV.

Reference: ``{"_type": "audio-file", "path", "sha256", "size", "sample_rate", "duration",
"channels", "caption"?}`` (duration in seconds).
"""

from __future__ import annotations

import io
import os
import wave
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._optional import import_optional, is_array_like, read_file, to_numpy
from .base import Media, MediaStore, read_binary

MAX_CLIPS_PER_STEP = 100
MAX_CHANNELS = 32  # more "channels" than this is almost surely a (channels, samples) array


def check_audio_count(n: int) -> None:
    """Raise ValueError when one step holds more than 100 audio clips (docs/media-refs.md, ``audio-file``)."""
    if n > MAX_CLIPS_PER_STEP:
        raise ValueError(
            f"{n} audio clips in one step; at most {MAX_CLIPS_PER_STEP} are supported "
            "(log them over several steps or keys)"
        )


def _to_int16(a: np.ndarray) -> np.ndarray:
    """Samples as int16: floats in [-1, 1] scale by 32767 (values beyond are clipped)."""
    if a.dtype == np.int16:
        return a
    if a.dtype.kind == "f":
        a = np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=-1.0)
        out: np.ndarray = np.rint(np.clip(a, -1.0, 1.0) * 32767.0).astype(np.int16)
        return out
    return a.astype(np.int16)


def encode_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV bytes of an (n,) or (n, channels) array."""
    pcm = _to_int16(samples)
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(np.ascontiguousarray(pcm, dtype="<i2").tobytes())
    return buf.getvalue()


def _wav_info(data: bytes) -> tuple[int, int, int] | None:
    """``(sample_rate, frames, channels)`` of a WAV the stdlib can read (PCM), else None."""
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            return w.getframerate(), w.getnframes(), w.getnchannels()
    except (wave.Error, EOFError):
        return None


class Audio(Media):
    """A clip to log: ``Audio(array, sample_rate=16000, caption=None)`` or ``Audio("clip.wav")``.

    Arrays are mono ``(n,)`` or ``(n, channels)``, float in [-1, 1] (beyond is clipped, NaN is
    silence) or integers in the int16 range; ``sample_rate`` is required for arrays.
    """

    _type = "audio-file"

    def __init__(self, data_or_path: Any, sample_rate: int | None = None, caption: Any = None) -> None:
        self.caption = None if caption is None else str(caption)
        self._samples: np.ndarray | None = None
        self._wav: bytes | None = None  # a WAV file stored as it is
        self._encoded: bytes | None = None  # another format, decoded by soundfile in to_ref
        if sample_rate is not None:
            if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer, float)):
                raise TypeError(f"Audio: sample_rate must be a positive int, got {sample_rate!r}")
            if sample_rate <= 0 or int(sample_rate) != sample_rate:
                raise ValueError(f"Audio: sample_rate must be a positive int, got {sample_rate!r}")
            sample_rate = int(sample_rate)

        if isinstance(data_or_path, (str, os.PathLike)):
            self._set_file(*read_file(data_or_path, "Audio", "audio"), sample_rate)
        elif hasattr(data_or_path, "read"):
            self._set_file(read_binary(data_or_path, "Audio"), "Audio(file object)", sample_rate)
        elif is_array_like(data_or_path) or isinstance(data_or_path, (list, tuple)):
            if sample_rate is None:
                raise ValueError(
                    "Audio: sample_rate is required for an array, e.g. Audio(x, sample_rate=16000)"
                )
            self._set_array(to_numpy(data_or_path), sample_rate)
        else:
            t = type(data_or_path)
            raise TypeError(
                f"Audio: cannot make audio from {t.__module__}.{t.__qualname__}; pass a numpy array of "
                "samples with sample_rate=, or a path or binary file of an audio file"
            )

    def _set_array(self, a: np.ndarray, sample_rate: int) -> None:
        if a.dtype.kind not in "iuf":
            raise TypeError(f"Audio: samples must be float in [-1, 1] or int16, got dtype {a.dtype}")
        if a.ndim == 2 and a.shape[1] == 1:
            a = a[:, 0]
        if a.ndim not in (1, 2):
            raise ValueError(f"Audio: samples must have shape (n,) or (n, channels), got {a.shape}")
        if a.shape[0] == 0:
            raise ValueError(f"Audio: the clip has no samples (shape {a.shape})")
        if a.ndim == 2 and a.shape[1] > MAX_CHANNELS:
            raise ValueError(
                f"Audio: shape {a.shape} means {a.shape[1]} channels; samples go first, (n, channels) — "
                "transpose the array (x.T) if it is (channels, n)"
            )
        if a.dtype.kind in "iu" and a.dtype != np.int16:
            lo, hi = int(a.min()), int(a.max())
            if lo < -32768 or hi > 32767:
                raise ValueError(
                    f"Audio: integer samples must be in the int16 range -32768..32767, got {lo}..{hi} "
                    f"(dtype {a.dtype}); scale them or pass floats in [-1, 1]"
                )
        self._samples = a
        self.sample_rate = sample_rate
        self.channels = 1 if a.ndim == 1 else int(a.shape[1])
        self.frames = int(a.shape[0])

    def _set_file(self, data: bytes, what: str, sample_rate: int | None) -> None:
        info = _wav_info(data)
        if info is not None:
            self._wav = data
            rate, self.frames, self.channels = info
        else:
            sf = import_optional("soundfile", f"{what}: reading an audio file other than PCM WAV")
            try:
                meta = sf.info(io.BytesIO(data))
            except Exception as e:  # soundfile raises its own LibsndfileError / RuntimeError
                raise ValueError(f"{what}: not an audio file soundfile can read ({e})") from e
            self._encoded = data
            rate, self.frames, self.channels = int(meta.samplerate), int(meta.frames), int(meta.channels)
        if sample_rate is not None and sample_rate != rate:
            raise ValueError(
                f"{what}: sample_rate={sample_rate} differs from the file's own rate {rate}; "
                "omit sample_rate for files"
            )
        self.sample_rate = rate

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        if self._wav is not None:
            data = self._wav
        elif self._samples is not None:
            data = encode_wav(self._samples, self.sample_rate)
        else:
            assert self._encoded is not None
            sf = import_optional("soundfile", "Audio")
            samples, rate = sf.read(io.BytesIO(self._encoded), dtype="int16", always_2d=False)
            data = encode_wav(samples, int(rate))
            self.frames = int(samples.shape[0])
        ref: dict[str, Any] = {"_type": "audio-file", **store.put_bytes("audio", data, "wav")}
        ref["sample_rate"] = self.sample_rate
        ref["duration"] = self.frames / self.sample_rate
        ref["channels"] = self.channels
        if self.caption is not None:
            ref["caption"] = self.caption
        return ref

    @property
    def duration(self) -> float:
        """Length of the clip in seconds."""
        return float(self.frames / self.sample_rate)

    @classmethod
    def durations(cls, audio_list: Sequence[Audio]) -> list[float]:
        """wandb's helper: the duration of each clip."""
        return [a.duration for a in audio_list]

    @classmethod
    def sample_rates(cls, audio_list: Sequence[Audio]) -> list[int]:
        """wandb's helper: the sample rate of each clip."""
        return [int(a.sample_rate) for a in audio_list]

    @classmethod
    def captions(cls, audio_list: Sequence[Audio]) -> list[str] | bool:
        """wandb's helper: the captions, or False when no clip has one."""
        captions = [a.caption for a in audio_list]
        return False if all(c is None for c in captions) else [c or "" for c in captions]

    @staticmethod
    def path_is_reference(path: Any) -> bool:
        """Whether ``path`` is a URL (``s3://``, ``https://``...) rather than a local file."""
        return isinstance(path, str) and "://" in path

    def __repr__(self) -> str:
        return f"<runyard.Audio {self.frames / self.sample_rate:.3f}s {self.sample_rate} Hz ×{self.channels}>"
