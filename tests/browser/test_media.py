"""Media panels in the workspace: images (mask/box/class toggles, score filter, step slider),
audio, video, HTML in a sandboxed frame, logged tables (sort, page), histogram heat maps."""

from __future__ import annotations

import hashlib
from typing import Any

from playwright.sync_api import expect

from conftest import Served, shot, wait_ink


def panel(page: Any, key: str) -> Any:
    """The panel of ``key``, scrolled into view until the page stops moving it: panels load only on
    screen, and the panels above it grow as their media arrive, which can push it out of view again."""
    p = page.locator(f'.panel[data-key="{key}"]')
    for _ in range(20):
        p.scroll_into_view_if_needed()
        before = p.bounding_box()
        page.wait_for_timeout(300)
        if p.bounding_box() == before:
            break
    return p


def canvas_hash(page: Any, selector: str) -> str:
    data = page.eval_on_selector(selector, "c => c.toDataURL()")
    return hashlib.sha256(data.encode()).hexdigest()


def test_images_masks_boxes_and_slider(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/p/vision")
    p = panel(page, "samples")
    expect(p.locator("canvas.img")).to_have_count(3)
    sel = '.panel[data-key="samples"] canvas.img'
    assert wait_ink(page, sel, 1000) > 1000
    page.wait_for_timeout(300)  # masks and boxes are drawn over the image once their files load
    before = canvas_hash(page, sel)
    shot(p, "media-images")
    # a class toggle (each mask and box group has its own classes) changes the pixels, and back
    p.locator('input[data-toggle="class:m:prediction:2"]').uncheck()
    page.wait_for_timeout(300)
    assert canvas_hash(page, sel) != before
    p.locator('input[data-toggle="class:m:prediction:2"]').check()
    page.wait_for_timeout(300)
    assert canvas_hash(page, sel) == before
    # a mask toggle changes the pixels
    p.locator('input[data-toggle="mask:prediction"]').uncheck()
    page.wait_for_timeout(300)
    no_mask = canvas_hash(page, sel)
    assert no_mask != before
    # a box group toggle, then the score filter hides the low-score box
    p.locator('input[data-toggle="boxes:detections"]').uncheck()
    page.wait_for_timeout(300)
    bare = canvas_hash(page, sel)
    assert bare != no_mask
    p.locator('input[data-toggle="boxes:detections"]').check()
    page.wait_for_timeout(300)
    assert canvas_hash(page, sel) == no_mask
    p.locator('input[data-score="conf"]').fill("0.5")
    page.wait_for_timeout(300)
    filtered = canvas_hash(page, sel)
    assert filtered not in (no_mask, bare)
    shot(p, "media-images-filtered")
    # the step slider changes the media
    cell = p.locator(".media-cell").first
    assert cell.get_attribute("data-step") == "40"
    p.get_by_role("button", name="Pin").click()  # keep step 40 below, to compare with others
    expect(p).to_contain_text("Pinned: step 40")
    p.locator('input[type="range"][aria-label="samples step"]').fill("0")
    expect(cell).to_have_attribute("data-step", "0")
    page.wait_for_timeout(300)
    assert canvas_hash(page, sel) != filtered
    expect(p.locator('.media-cell[data-step="40"]')).to_have_count(3)  # the pinned step
    assert console_errors == []


def test_audio_video_html(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/p/vision")
    a = panel(page, "sound")
    audio = a.locator("audio").first
    expect(audio).to_be_attached()
    page.wait_for_function("() => { const a = document.querySelector('.panel[data-key=sound] audio'); return a && a.readyState >= 1 && a.duration > 0.2; }")
    v = panel(page, "clip")
    gif = v.locator("img.vid").first
    page.wait_for_function("() => { const i = document.querySelector('.panel[data-key=clip] img.vid'); return i && i.complete && i.naturalWidth === 32; }")
    expect(gif).to_be_visible()
    shot(v, "media-audio-video")
    hpanel = panel(page, "report")
    frame_el = hpanel.locator("iframe").first
    assert frame_el.get_attribute("sandbox") == "allow-scripts"
    frame = frame_el.content_frame
    expect(frame.locator("h3")).to_contain_text("Report at step 40")
    # sandboxed: the frame cannot reach the UI's document
    assert page.evaluate("() => { try { return !!document.querySelector('.panel[data-key=report] iframe').contentDocument; } catch (e) { return false; } }") is False
    shot(hpanel, "media-html")
    assert console_errors == []


def test_table_sorts_and_pages(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/p/vision")
    t = panel(page, "predictions")
    first_table = t.locator("table.ltable").first
    expect(first_table.locator("tbody tr")).to_have_count(25, timeout=30_000)  # the panel loads once on screen
    t.locator(".pager", has_text="1–25 of 30 rows").first.wait_for()
    first_table.locator("th", has_text="score").click()
    expect(first_table.locator("th.sorted")).to_have_text("score ↑")
    scores = [float(x) for x in first_table.locator("tbody tr td:nth-child(4)").all_inner_texts()]
    assert scores == sorted(scores)
    first_table.locator("th", has_text="score").click()
    expect(first_table.locator("th.sorted")).to_have_text("score ↓")
    page.wait_for_timeout(200)
    scores = [float(x) for x in first_table.locator("tbody tr td:nth-child(4)").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    t.get_by_role("button", name="Next ›").first.click()
    expect(first_table.locator("tbody tr")).to_have_count(5)
    shot(t, "media-table")
    assert console_errors == []


def test_histogram_heat_map(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/p/vision")
    hp = panel(page, "weights")
    expect(hp.locator("canvas.heat")).to_have_count(3)
    assert wait_ink(page, '.panel[data-key="weights"] canvas.heat', 1000) > 1000
    shot(hp, "media-histogram")
    assert console_errors == []


def test_media_slider_follows_a_logged_key(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/p/vision")
    p = panel(page, "samples")
    expect(p.locator(".media-cell").first).to_have_attribute("data-step", "40")
    p.get_by_label("samples slider follows").select_option("epoch")  # images at steps 0, 20, 40 = epochs 0, 2, 4
    expect(p.locator(".step-row .mono").first).to_have_text("epoch 4 (3/3)")
    p.locator('input[type="range"][aria-label="samples step"]').fill("1")
    expect(p.locator(".step-row .mono").first).to_have_text("epoch 2 (2/3)")
    expect(p.locator(".media-cell").first).to_have_attribute("data-step", "20")
    assert console_errors == []
