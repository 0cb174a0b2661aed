"""Video (docs/media-refs.md, video-file): GIFs read back with Pillow, MP4/WEBM/OGG with imageio-ffmpeg; bad inputs."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image as PILImage

from runyard.types.base import MediaStore
from runyard.types.video import Video, tile


def clip(t: int = 6, c: int = 3, h: int = 12, w: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (t, c, h, w), dtype=np.uint8)


def gif_info(path: Path) -> tuple[int, tuple[int, int], int]:
    with PILImage.open(path) as im:
        return int(im.n_frames), im.size, int(im.info["duration"])


def ffmpeg_info(path: Path) -> tuple[int, tuple[int, int], float]:
    """Decode every frame with the bundled ffmpeg: (frame count, (width, height), fps)."""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    head = subprocess.run([exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    match = re.search(r"Video:.*?, (\d+)x(\d+)\b.*?([\d.]+) (?:fps|tbr)", head)
    assert match, head
    w, h, fps = int(match.group(1)), int(match.group(2)), float(match.group(3))
    raw = subprocess.run([exe, "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    assert len(raw) % (w * h * 3) == 0
    return len(raw) // (w * h * 3), (w, h), fps


def test_array_defaults_to_gif_at_4_fps(tmp_path: Path) -> None:
    ref = Video(clip(), caption="c").to_ref(MediaStore(tmp_path))
    assert ref["_type"] == "video-file" and ref["format"] == "gif" and ref["path"].endswith(".gif")
    assert (ref["fps"], ref["frames"], ref["width"], ref["height"], ref["caption"]) == (4, 6, 16, 12, "c")
    assert (tmp_path / ref["path"]).stat().st_size == ref["size"]
    assert gif_info(tmp_path / ref["path"]) == (6, (16, 12), 250)


def test_grey_gif(tmp_path: Path) -> None:
    ref = Video(clip(c=1), fps=10).to_ref(MediaStore(tmp_path))
    assert gif_info(tmp_path / ref["path"]) == (6, (16, 12), 100)


@pytest.mark.parametrize(("fmt", "size"), [("mp4", (16, 12)), ("webm", (16, 12)), ("ogg", (32, 32))])
def test_ffmpeg_formats(tmp_path: Path, fmt: str, size: tuple[int, int]) -> None:
    ref = Video(clip(t=8), fps=8, format=fmt).to_ref(MediaStore(tmp_path))
    assert ref["format"] == fmt and ref["path"].endswith("." + fmt)
    assert (ref["width"], ref["height"], ref["frames"], ref["fps"]) == (*size, 8, 8)
    assert ffmpeg_info(tmp_path / ref["path"]) == (8, size, 8.0)


def test_odd_sizes_are_padded_for_mp4(tmp_path: Path) -> None:
    ref = Video(clip(t=3, h=7, w=9), format="mp4").to_ref(MediaStore(tmp_path))
    frames, size, _ = ffmpeg_info(tmp_path / ref["path"])
    assert (frames, size) == (3, (10, 8)) and (ref["width"], ref["height"]) == (10, 8)


def test_batched_clips_are_tiled(tmp_path: Path) -> None:
    batch = np.stack([np.full((2, 3, 4, 5), 10 * (i + 1), dtype=np.uint8) for i in range(3)])
    grid = tile(batch)
    assert grid.shape == (2, 8, 10, 3)  # 3 clips padded to 4, as a 2×2 grid
    assert grid[0, 0, 0, 0] == 10 and grid[0, 0, 5, 0] == 20 and grid[0, 4, 0, 0] == 30
    assert grid[0, 4, 5, 0] == 0  # the padding clip is black
    ref = Video(batch).to_ref(MediaStore(tmp_path))
    assert (ref["width"], ref["height"]) == (10, 8)
    assert gif_info(tmp_path / ref["path"])[1] == (10, 8)


def test_float_frames_are_clipped(tmp_path: Path) -> None:
    grid = tile(np.array([-5.0, 100.4, 300.0, np.nan]).reshape(1, 1, 1, 1, 4))
    assert grid.ravel().tolist() == [0, 100, 255, 0]


def test_bool_frames_are_black_and_white() -> None:
    assert tile(np.array([True, False]).reshape(1, 1, 1, 1, 2)).ravel().tolist() == [255, 0]


def test_constructor_copies_the_array(tmp_path: Path) -> None:
    arr = np.zeros((2, 1, 4, 4), dtype=np.uint8)
    video = Video(arr)
    arr[:] = 255
    ref = video.to_ref(MediaStore(tmp_path))
    with PILImage.open(tmp_path / ref["path"]) as im:
        assert np.asarray(im.convert("L")).max() == 0


@pytest.mark.parametrize("fmt", ["gif", "mp4"])
def test_path_is_stored_and_probed(tmp_path: Path, fmt: str) -> None:
    made = Video(clip(t=5), fps=5, format=fmt).to_ref(MediaStore(tmp_path / "a"))
    src = tmp_path / f"myvideo.{fmt}"
    src.write_bytes((tmp_path / "a" / made["path"]).read_bytes())
    ref = Video(str(src)).to_ref(MediaStore(tmp_path / "b"))
    assert (tmp_path / "b" / ref["path"]).read_bytes() == src.read_bytes()
    assert (ref["format"], ref["width"], ref["height"], ref["fps"]) == (fmt, 16, 12, 5.0)


def test_bytesio_with_format(tmp_path: Path) -> None:
    made = Video(clip(t=2)).to_ref(MediaStore(tmp_path / "a"))
    buf = io.BytesIO((tmp_path / "a" / made["path"]).read_bytes())
    ref = Video(buf, format="gif").to_ref(MediaStore(tmp_path / "b"))
    assert ref["sha256"] == made["sha256"] and ref["frames"] == 2


def test_binary_file_named_by_extension(tmp_path: Path) -> None:
    made = Video(clip(t=2)).to_ref(MediaStore(tmp_path))
    with open(tmp_path / made["path"], "rb") as f:
        assert Video(f).format == "gif"


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((np.zeros((3, 4, 4)),), {}, ValueError, r"\(time, channel, height, width\).*got shape \(3, 4, 4\)"),
        ((np.zeros((2, 4, 8, 8)),), {}, ValueError, "channel dimension must be 1 or 3, got 4"),
        ((np.zeros((2, 8, 8, 3)),), {}, ValueError, "channel-last.*transpose"),
        ((np.zeros((0, 3, 8, 8)),), {}, ValueError, "no frames"),
        ((np.array([[[["a"]]]]),), {}, TypeError, "dtype must be numeric.*<U1"),
        ((clip(),), {"format": "avi"}, ValueError, "format must be one of gif, mp4, webm, ogg, got 'avi'"),
        ((clip(),), {"fps": 0}, ValueError, "fps must be a positive number, got 0"),
        ((clip(),), {"fps": "4"}, ValueError, "fps must be a positive number"),
        (("/no/such/video.mp4",), {}, FileNotFoundError, "no such video file.*/no/such/video.mp4"),
        (("clip.avi",), {}, ValueError, "'clip.avi' does not have a supported extension.*gif, mp4, webm"),
        ((io.BytesIO(b"GIF89a"),), {}, ValueError, "file object needs format="),
        ((io.BytesIO(b""),), {"format": "gif"}, ValueError, "file object is empty"),
        ((io.StringIO("x"),), {"format": "gif"}, TypeError, "opened in text mode.*'rb'"),
        ((object(),), {}, TypeError, "cannot make a video from object"),
    ],
)
def test_bad_video_inputs(args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception],
                          message: str) -> None:
    with pytest.raises(error, match=message):
        Video(*args, **kwargs)


def test_text_mode_open_file(tmp_path: Path) -> None:
    (tmp_path / "v.gif").write_text("x")
    with open(tmp_path / "v.gif") as f, pytest.raises(TypeError, match="text mode"):
        Video(f)


def test_format_conflicting_with_extension(tmp_path: Path) -> None:
    (tmp_path / "v.gif").write_bytes(b"GIF89a")
    with pytest.raises(ValueError, match="format='mp4' but .*v.gif' is a .gif file"):
        Video(tmp_path / "v.gif", format="mp4")


def test_mp4_without_imageio_ffmpeg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    with pytest.raises(ImportError, match=r"'imageio-ffmpeg'.*pip install 'runyard\[media\]'"):
        Video(clip(), format="mp4")
