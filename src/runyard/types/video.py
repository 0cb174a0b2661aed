"""``Video`` (docs/media-refs.md, ``video-file``): a numpy clip (encoded on the writer thread), a video file
or a BytesIO.

Arrays are (time, channel, height, width), or batched (batch, time, channel, height, width),
which is tiled into one grid per frame (the batch padded with black clips to a power of two, as
the reference does). Channels are 1 (grey) or 3 (RGB); uint8 is used as it is, bools become 0/255,
other dtypes are clipped to 0..255. GIF (the default) is written with Pillow; mp4 (H.264), webm (VP9) and ogg
(Theora) with the ffmpeg that ``imageio-ffmpeg`` bundles, so no system ffmpeg is needed.
H.264/VP9 need even sides and ffmpeg's Theora decoder sides that are multiples of 16 and at least
32, so frames are padded with black on the bottom/right where needed (the ref gives the stored
size).
Pillow merges identical consecutive GIF frames into one longer frame; the ref's ``frames``
counts the frames given.

Reference: ``{"_type": "video-file", "path", "sha256", "size", "format", "fps", "frames"?,
"width", "height", "caption"?}``; for a stored file, ``fps``/``width``/``height``/``frames`` are
what probing the file found (omitted when it could not be probed).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ._optional import import_optional, is_array_like, to_numpy
from .base import Media, MediaStore, read_binary

FORMATS = ("gif", "mp4", "webm", "ogg")
# codec, extra ffmpeg output options (quality / speed) per container
_FFMPEG = {
    "mp4": ("libx264", ["-preset", "veryfast", "-crf", "23", "-movflags", "+faststart"]),
    "webm": ("libvpx-vp9", ["-b:v", "0", "-crf", "33", "-deadline", "realtime", "-cpu-used", "8"]),
    "ogg": ("libtheora", ["-q:v", "7"]),
}


def _describe(value: Any) -> str:
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _format_of_name(name: str) -> str | None:
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    return ext if ext in FORMATS else None


def _is_text_stream(data: Any) -> bool:
    if isinstance(data, io.TextIOBase):
        return True
    mode = getattr(data, "mode", None)
    return isinstance(mode, str) and "b" not in mode


def tile(video: np.ndarray) -> np.ndarray:
    """(batch, time, channel, height, width) → (time, rows·height, cols·width, channel) uint8."""
    b, t, c, h, w = video.shape
    if video.dtype.kind == "b":
        video = video.astype(np.uint8) * np.uint8(255)
    elif video.dtype != np.uint8:
        if video.dtype.kind == "f":
            video = np.rint(np.clip(np.nan_to_num(video, nan=0.0, posinf=255.0, neginf=0.0), 0, 255))
        video = np.clip(video, 0, 255).astype(np.uint8)
    padded = 1 << (b - 1).bit_length()  # next power of two
    if padded != b:
        video = np.concatenate([video, np.zeros((padded - b, t, c, h, w), dtype=np.uint8)])
    rows = 1 << ((padded.bit_length() - 1) // 2)
    cols = padded // rows
    grid = video.reshape(rows, cols, t, c, h, w).transpose(2, 0, 4, 1, 5, 3)
    return np.ascontiguousarray(grid.reshape(t, rows * h, cols * w, c))


def encode_gif(frames: np.ndarray, fps: float) -> bytes:
    pil = import_optional("PIL.Image", "Video (writing GIF)")
    if frames.shape[-1] == 1:
        images = [pil.fromarray(f) for f in frames[..., 0]]
    else:
        # Each frame gets its own 256-colour palette by fast octree quantisation: ~8× faster than
        # Pillow's default (median cut) on a GIF of noisy frames, and as good on smooth ones.
        fast, none = pil.Quantize.FASTOCTREE, pil.Dither.NONE
        images = [pil.fromarray(f).quantize(256, method=fast, dither=none) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:],
                   duration=max(int(round(1000 / fps)), 10), loop=0)
    return buf.getvalue()


def encode_ffmpeg(frames: np.ndarray, fps: float, fmt: str) -> tuple[bytes, int, int]:
    """``(file bytes, width, height)``: the size grows when the frames had to be padded."""
    ffmpeg = import_optional("imageio_ffmpeg", f"Video (writing {fmt})")
    t, h, w, c = frames.shape
    # yuv420p needs even sides, and ffmpeg's Theora decoder rejects sides that are not multiples
    # of 16 or are under 32: pad with black on the bottom/right.
    block, least = (16, 32) if fmt == "ogg" else (2, 2)
    pad_h, pad_w = max(-h % block, least - h), max(-w % block, least - w)
    if pad_h or pad_w:
        frames = np.pad(frames, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)))
        h, w = h + pad_h, w + pad_w
    codec, params = _FFMPEG[fmt]
    with tempfile.TemporaryDirectory(prefix="runyard-video-") as tmp:
        target = os.path.join(tmp, f"video.{fmt}")
        writer = ffmpeg.write_frames(
            target, (w, h), fps=fps, codec=codec, pix_fmt_in="gray" if c == 1 else "rgb24",
            pix_fmt_out="yuv420p", macro_block_size=1, ffmpeg_log_level="error", output_params=params,
        )
        writer.send(None)
        try:
            for frame in frames:
                writer.send(np.ascontiguousarray(frame).tobytes())
        finally:
            writer.close()
        return Path(target).read_bytes(), w, h


_STREAM = re.compile(r"Stream #[^\n]*Video:[^\n]*?, (\d{1,5})x(\d{1,5})\b[^\n]*")
_FPS = re.compile(r"([\d.]+) (?:fps|tbr)")


def probe(path: Path, fmt: str) -> dict[str, Any]:
    """``width``/``height``/``fps`` (``frames`` for GIF) of a stored video file, as far as found."""
    try:
        if fmt == "gif":
            pil = import_optional("PIL.Image", "Video")
            with pil.open(path) as im:
                info: dict[str, Any] = {"width": im.size[0], "height": im.size[1],
                                        "frames": int(getattr(im, "n_frames", 1))}
                duration = im.info.get("duration")
                if duration:
                    info["fps"] = 1000 / float(duration)
                return info
        import subprocess  # lazily: it costs ~5 ms at import and only file probing needs it

        exe = import_optional("imageio_ffmpeg", "Video").get_ffmpeg_exe()
        # "ffmpeg -i file" prints the streams and exits non-zero (no output named): that is expected.
        out = subprocess.run([exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL).stderr
        match = _STREAM.search(out)
        if match is None:
            return {}
        info = {"width": int(match.group(1)), "height": int(match.group(2))}
        fps = _FPS.search(match.group(0))
        if fps:
            info["fps"] = float(fps.group(1))
        return info
    except Exception:  # a file we cannot probe is still stored; its ref just lacks the details
        return {}


class Video(Media):
    """A video to log: ``Video(array_or_path_or_bytesio, caption=None, fps=4, format=None)``."""

    _type = "video-file"

    def __init__(
        self, data_or_path: Any, caption: Any = None, fps: float = 4, format: str | None = None
    ) -> None:
        self.caption = None if caption is None else str(caption)
        if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)) or not fps > 0:
            raise ValueError(f"Video: fps must be a positive number, got {fps!r}")
        self.fps = float(fps) if not float(fps).is_integer() else int(fps)
        fmt: str | None = None
        if format is not None:
            fmt = str(format).lower().lstrip(".")
            if fmt not in FORMATS:
                raise ValueError(f"Video: format must be one of {', '.join(FORMATS)}, got {format!r}")
        self._frames: np.ndarray | None = None
        self._bytes: bytes | None = None

        if isinstance(data_or_path, (str, os.PathLike)):
            path = os.fspath(data_or_path)
            ext = _format_of_name(path)
            if ext is None:
                raise ValueError(
                    f"Video: {str(path)!r} does not have a supported extension; supported formats are "
                    f"{', '.join(FORMATS)}"
                )
            if not os.path.isfile(path):
                raise FileNotFoundError(f"Video: no such video file: {str(path)!r}")
            if fmt is not None and fmt != ext:
                raise ValueError(f"Video: format={fmt!r} but {str(path)!r} is a .{ext} file")
            with open(path, "rb") as f:
                self._bytes = f.read()
            self.format = ext
        elif hasattr(data_or_path, "read"):
            name = getattr(data_or_path, "name", None)
            if _is_text_stream(data_or_path):
                raise TypeError("Video: the file object was opened in text mode; open it with mode 'rb' "
                                "(or pass an io.BytesIO)")
            if fmt is None:
                fmt = _format_of_name(name) if isinstance(name, str) else None
                if fmt is None:
                    raise ValueError(f"Video: a file object needs format= (one of {', '.join(FORMATS)})")
            self._bytes = read_binary(data_or_path, "Video")
            if not self._bytes:
                raise ValueError("Video: the file object is empty (was it read already? seek(0) first)")
            self.format = fmt
        elif is_array_like(data_or_path) or isinstance(data_or_path, (list, tuple)):
            self._set_array(to_numpy(data_or_path))
            self.format = fmt or "gif"
        else:
            raise TypeError(
                f"Video: cannot make a video from {_describe(data_or_path)}; pass a numpy array "
                "(time, channel, height, width), a path to a gif/mp4/webm/ogg file, or a BytesIO with format="
            )
        if self._frames is not None and self.format != "gif":
            import_optional("imageio_ffmpeg", f"Video (writing {self.format})")  # fail now, not later

    def _set_array(self, a: np.ndarray) -> None:
        if a.dtype.kind not in "biuf":
            raise TypeError(f"Video: the array's dtype must be numeric (uint8 preferred), got {a.dtype}")
        if a.ndim not in (4, 5):
            raise ValueError(
                f"Video: an array must be (time, channel, height, width) or (batch, time, channel, height, "
                f"width), got shape {a.shape}"
            )
        if a.ndim == 4:
            a = a[None]
        b, t, c, h, w = a.shape
        if c not in (1, 3):
            hint = (" — it looks channel-last; use arr.transpose(0, 3, 1, 2) for (time, height, width, "
                    "channel)") if a.shape[-1] in (1, 3) else ""
            raise ValueError(f"Video: the channel dimension must be 1 or 3, got {c} in shape {a.shape}{hint}")
        if min(b, t, h, w) == 0:
            raise ValueError(f"Video: the array of shape {a.shape} has no frames or no pixels")
        self._frames = a
        padded = 1 << (b - 1).bit_length()
        rows = 1 << ((padded.bit_length() - 1) // 2)
        self.frames = int(t)
        self.height, self.width = int(h * rows), int(w * (padded // rows))

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        ref: dict[str, Any] = {"_type": "video-file"}
        if self._frames is not None:
            frames = tile(self._frames)
            width, height = self.width, self.height
            if self.format == "gif":
                data = encode_gif(frames, self.fps)
            else:
                data, width, height = encode_ffmpeg(frames, self.fps, self.format)
            ref.update(store.put_bytes("video", data, self.format))
            ref.update(format=self.format, fps=self.fps, frames=self.frames, width=width, height=height)
        else:
            assert self._bytes is not None
            ref.update(store.put_bytes("video", self._bytes, self.format))
            ref["format"] = self.format
            ref.update(probe(store.run_dir / ref["path"], self.format))
        if self.caption is not None:
            ref["caption"] = self.caption
        return ref

    def __repr__(self) -> str:
        return f"<runyard.Video {self.format}>"
