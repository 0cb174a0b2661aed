"""Image, Audio, Video and Html through a real run: init → log → finish → Api read-back."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

import runyard
from runyard.errors import RunyardWarning
from runyard.types import Audio, Histogram, Html, Image, Video
from runyard.types.html import DEFAULT_STYLE
from runyard.types.views import AudioView, HistogramView, HtmlView, ImageView, VideoView


def read_run(root: Path, run_id: str) -> list[dict[str, Any]]:
    api_run = runyard.Api(root=root).run(f"p/{run_id}")
    rows = list(api_run.scan_history())
    assert [r["_step"] for r in api_run.history(pandas=False)] == [r["_step"] for r in rows]
    return rows


def test_every_media_type_round_trips(tmp_path: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    mask = np.zeros((12, 10), dtype=np.uint8)
    mask[:6] = 1
    jpeg = tmp_path / "myimage.jpg"
    PILImage.fromarray(pixels).save(jpeg)
    tone = np.sin(np.linspace(0, 100, 8000))

    run = runyard.init(dir=tmp_path, project="p")
    runyard.log({
        "img": Image(pixels, caption="Label", masks={"pred": {"mask_data": mask, "class_labels": {1: "sky"}}},
                     boxes={"gt": {"box_data": [{"position": {"middle": [5, 6], "width": 4, "height": 4},
                                                 "domain": "pixel", "class_id": 3}]}}),
        "examples": [Image(pixels[..., 0]), Image(str(jpeg))],
    })
    runyard.log({"audio": [Audio(tone, caption="Nice", sample_rate=8000)],
                 "gif": Video(np.zeros((5, 3, 8, 8), dtype=np.uint8) + np.arange(5)[:, None, None, None] * 40),
                 "mp4": Video(np.zeros((4, 3, 16, 16), dtype=np.uint8), fps=8, format="mp4")})
    runyard.log({"page": Html('<a href="https://mysite">Link</a>'),
                 "raw": Html("<p>x</p>", inject=False),
                 "nested": {"hist": Histogram(np.arange(100), num_bins=10)}})
    runyard.finish()

    rows = read_run(tmp_path, run.id)
    assert [r["_step"] for r in rows] == [0, 1, 2]

    img = rows[0]["img"]
    assert isinstance(img, ImageView) and img.caption == "Label"
    assert np.array_equal(img.to_numpy(), pixels)
    assert np.array_equal(img.masks["pred"].to_numpy(), mask)
    assert img.masks["pred"].class_labels == {0: "class_0", 1: "sky"}
    assert img.boxes["gt"]["box_data"][0]["position"] == {"minX": 3.0, "maxX": 7.0, "minY": 4.0, "maxY": 8.0}
    grey, from_jpeg = rows[0]["examples"]
    assert grey.mode == "L" and np.array_equal(grey.to_numpy(), pixels[..., 0])
    assert from_jpeg.format == "jpeg" and from_jpeg.path.read_bytes() == jpeg.read_bytes()

    (audio,) = rows[1]["audio"]
    assert isinstance(audio, AudioView) and (audio.sample_rate, audio.duration, audio.caption) == (8000, 1.0, "Nice")
    with wave.open(str(audio.path)) as w:
        assert (w.getframerate(), w.getnframes(), w.getnchannels()) == (8000, 8000, 1)

    gif, mp4 = rows[1]["gif"], rows[1]["mp4"]
    assert isinstance(gif, VideoView) and (gif.format, gif.frames, gif.fps) == ("gif", 5, 4)
    with PILImage.open(gif.path) as im:
        assert im.n_frames == 5
    assert mp4.format == "mp4" and mp4.path.read_bytes()[4:8] == b"ftyp"

    page, raw = rows[2]["page"], rows[2]["raw"]
    assert isinstance(page, HtmlView) and page.html == DEFAULT_STYLE + '<a href="https://mysite">Link</a>'
    assert raw.html == "<p>x</p>"
    hist = rows[2]["nested"]["hist"]
    assert isinstance(hist, HistogramView) and sum(hist.values) == 100 and len(hist.bins) == 11

    out = img.download(tmp_path / "downloaded")
    assert out.read_bytes() == img.path.read_bytes()


def test_the_caller_may_reuse_its_array_right_away(tmp_path: Path) -> None:
    frame = np.zeros((4, 4), dtype=np.uint8)
    run = runyard.init(dir=tmp_path, project="p")
    for i in range(20):
        frame[:] = i  # the same buffer, overwritten after every log()
        runyard.log({"frame": Image(frame)})
    runyard.finish()
    values = [int(r["frame"].to_numpy()[0, 0]) for r in read_run(tmp_path, run.id)]
    assert values == list(range(20))


def test_the_same_image_twice_is_stored_once(tmp_path: Path) -> None:
    run = runyard.init(dir=tmp_path, project="p")
    arr = np.full((3, 3, 3), 9, dtype=np.uint8)
    runyard.log({"a": Image(arr)})
    runyard.log({"a": Image(arr), "b": Image(arr)})
    runyard.finish()
    rows = read_run(tmp_path, run.id)
    assert rows[0]["a"].path == rows[1]["a"].path == rows[1]["b"].path
    assert len(list(rows[0]["a"].path.parent.iterdir())) == 1


def test_more_than_50_images_in_a_step_warns(tmp_path: Path) -> None:
    run = runyard.init(dir=tmp_path, project="p")
    images = [Image(np.full((2, 2), i, dtype=np.uint8)) for i in range(51)]
    with pytest.warns(RunyardWarning, match="51 images"):
        runyard.log({"many": images})
    runyard.finish()
    (row,) = read_run(tmp_path, run.id)
    assert len(row["many"]) == 51


def test_more_than_100_audio_clips_in_a_step_is_an_error(tmp_path: Path) -> None:
    runyard.init(dir=tmp_path, project="p")
    clips = [Audio(np.zeros(4), sample_rate=4) for _ in range(101)]
    try:
        with pytest.raises(ValueError, match="101 audio clips in one step; at most 100"):
            runyard.log({"clips": clips})
    finally:
        runyard.finish()


# The reference's Html(open("some.html")) never closes its file: that leak is the example's own.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_reference_media_examples_run_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """wandb's documented snippets for Image, Audio, Video, Table and Html with ``import runyard as wandb``."""
    import runyard as wandb

    monkeypatch.chdir(tmp_path)
    (tmp_path / "some.html").write_text("<p>report</p>")
    im = PILImage.fromarray(np.random.default_rng(3).integers(0, 256, (32, 48, 3), dtype=np.uint8))
    rgb_im = im.convert("RGB")
    rgb_im.save("myimage.jpg")
    numpy_array = np.random.default_rng(4).integers(0, 256, (4, 3, 8, 8), dtype=np.uint8)
    wandb.Video(numpy_array, fps=4, format="mp4").to_ref(runyard.types.MediaStore(tmp_path / "mk"))
    mp4 = next((tmp_path / "mk").rglob("*.mp4"))
    mp4.rename(tmp_path / "myvideo.mp4")

    run = wandb.init(dir=tmp_path / "runs", project="p")
    image = np.zeros((32, 48, 3), dtype=np.uint8)
    mask_data = np.ones((32, 48), dtype=np.uint8)
    mask_data[:, 24:] = 2
    class_labels = {1: "tree", 2: "car", 3: "road"}
    mask_img = wandb.Image(image, masks={
        "predictions": {"mask_data": mask_data, "class_labels": class_labels},
        "groud_truth": {"mask_data": mask_data, "class_labels": class_labels},
    })
    class_id_to_label = {1: "car", 2: "road", 3: "building"}
    img = wandb.Image(image, boxes={
        "predictions": {
            "box_data": [{"position": {"minX": 0.1, "maxX": 0.2, "minY": 0.3, "maxY": 0.4},
                          "class_id": 2, "box_caption": "minMax(pixel)", "scores": {"acc": 0.1, "loss": 1.2}}],
            "class_labels": class_id_to_label,
        },
        "ground_truth": {"box_data": [{"position": {"middle": [0.5, 0.5], "width": 0.2, "height": 0.2},
                                       "class_id": 1}]},
    })
    wandb.log({"examples": [wandb.Image(image, caption="Label"), wandb.Image(rgb_im, caption="Label")]})
    wandb.log({"mask": mask_img})
    wandb.log({"driving_scene": img})
    wandb.log({"examples": [wandb.Audio(np.zeros(64), caption="Nice", sample_rate=32)]})
    wandb.log({"video": wandb.Video(numpy_array, fps=4, format="gif")})
    wandb.log({"custom_file": wandb.Html(open("some.html"))})
    wandb.log({"custom_string": wandb.Html('<a href="https://mysite">Link</a>')})
    wandb.log({"custom_file": wandb.Html(open("some.html"), inject=False)})
    wandb.log({"example": wandb.Image("myimage.jpg")})
    wandb.log({"example": wandb.Video("myvideo.mp4")})
    wandb.finish()

    rows = read_run(tmp_path / "runs", run.id)
    assert len(rows) == 10
    assert [v.caption for v in rows[0]["examples"]] == ["Label", "Label"]
    assert set(rows[1]["mask"].masks) == {"predictions", "groud_truth"}
    assert rows[2]["driving_scene"].boxes["ground_truth"]["class_labels"] == {"1": "class_1"}
    assert rows[3]["examples"][0].sample_rate == 32
    assert rows[4]["video"].format == "gif" and rows[4]["video"].frames == 4
    assert rows[5]["custom_file"].html.endswith("<p>report</p>") and rows[7]["custom_file"].html == "<p>report</p>"
    assert rows[8]["example"].format == "jpeg"
    assert rows[9]["example"].format == "mp4" and rows[9]["example"].width == 8
