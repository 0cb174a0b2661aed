"""Exact lines: a 1,000,000-point series with spikes both ways, drawn from the index's buckets
(downsampled) and from every point, gives the same canvas at three zoom levels."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS, Served, log_in_subprocess, serve, shot, wait_ink


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("m4") / "runs"
    out = log_in_subprocess(root, f"import data; from pathlib import Path; print(data.make_spiky(Path({str(root)!r})))")
    run_id = out.strip().splitlines()[-1]
    for url in serve(root):
        yield Served(root, {"million": [run_id]}, url)


def pixels(page: Any, sel: str) -> Any:
    import base64

    import numpy as np
    from PIL import Image

    url = page.eval_on_selector(sel, "c => c.toDataURL('image/png')")
    img = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA")
    return np.asarray(img)


def drag(page: Any, over: Any, a: float, b: float) -> None:
    box = over.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * a, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * b, y, steps=4)
    page.mouse.up()


ZOOMS = [(0.30, 0.70), (0.35, 0.65)]  # the second inside the first: ~120k points, the -6 spike in both


def test_million_points_downsampled_equals_every_point(page: Any, million: Served, console_errors: list[str]) -> None:
    import numpy as np

    page.set_viewport_size({"width": 1400, "height": 900})
    answers: list[Any] = []
    page.on("response", lambda r: answers.append(r) if "/series?" in r.url and "key=y" in r.url else None)
    page.goto(million.url + "/p/million")
    panel = page.locator('.panel[data-key="y"]')
    expect(panel.locator(".badge")).to_contain_text("1M pts, downsampled")
    sel = '.panel[data-key="y"] canvas'
    wait_ink(page, sel, 500)
    page.wait_for_timeout(200)
    first = answers[0].json()["series"][0]
    assert first["full_resolution"] is False and len(first["x"]) <= 4000
    # the User Timing entry benchmarks/chart_draw.py reads: what was drawn, once the data was read
    draws = page.evaluate("() => performance.getEntriesByName('runyard:chart-draw')"
                          ".map(e => ({duration: e.duration, ...e.detail})).filter(d => d.key === 'y')")
    assert len(draws) == 1 and draws[0]["duration"] >= 0
    assert (draws[0]["lines"], draws[0]["buckets"], draws[0]["points"]) == (1, len(first["x"]), 1_000_000)
    over = panel.locator(".u-over")
    down = [pixels(page, sel)]
    shot(panel, "m4-downsampled-0")
    for i, (a, b) in enumerate(ZOOMS):
        with page.expect_response(lambda r: "/series?" in r.url and "x_min=" in r.url) as resp:
            drag(page, over, a, b)
        assert resp.value.json()["series"][0]["full_resolution"] is False  # still buckets
        page.wait_for_timeout(400)
        down.append(pixels(page, sel))
        shot(panel, f"m4-downsampled-{i + 1}")
    over.dblclick()
    # the same chart from every logged point (raw float64 from the points endpoint)
    panel.get_by_role("button", name="⚙").click()
    with page.expect_response(lambda r: "/points?" in r.url) as raw:
        panel.get_by_text("every point").click()
    assert raw.value.headers["x-points"] == "1000000"
    expect(panel.locator(".badge")).to_contain_text("every point")
    panel.get_by_role("button", name="⚙").click()  # the controls close: the chart is where it was
    page.wait_for_timeout(400)
    full = [pixels(page, sel)]
    shot(panel, "m4-every-point-0")
    for i, (a, b) in enumerate(ZOOMS):
        drag(page, over, a, b)
        page.wait_for_timeout(400)
        full.append(pixels(page, sel))
        shot(panel, f"m4-every-point-{i + 1}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for level, (d, f) in enumerate(zip(down, full, strict=True)):
        assert d.shape == f.shape
        same = float(np.mean(np.all(d == f, axis=2)))
        ink = float(np.mean(np.any(f != f[0, 0], axis=2)))
        print(f"zoom level {level}: {same:.5f} of the pixels identical ({ink:.3f} of the canvas drawn)")
        assert ink > 0.02, "the chart is drawn"
        assert same >= 0.995, f"zoom level {level}: only {same:.4%} of the pixels match"
    assert console_errors == []
