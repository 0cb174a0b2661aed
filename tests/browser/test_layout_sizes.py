"""The runs table's columns and the panels' sizes as a person arranges them (docs/ui.md,
Workspace): media columns hidden until shown, column widths and order remembered, panels resized
freely (any width, any height) and saved with a view, and panels that keep their place while the
ones above them load."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from conftest import Served, shot, wait_ink

LOSS = '.panel[data-key="train/loss"]'


def _cols(page: Any) -> list[str]:
    return page.locator(".runs-grid .head .cell").evaluate_all("els => els.map(e => e.dataset.col)")


def test_media_columns_hidden_widths_and_order_remembered(page: Any, served: Served, console_errors: list[str]) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(served.url + "/p/rich")
    page.locator(".runs-grid .row").first.wait_for()
    page.locator(".ws-tools").get_by_role("button", name="Runs ⇆").wait_for()
    page.evaluate("() => document.querySelector('.workspace').classList.add('runs-full')")  # every column in view
    cols = _cols(page)
    # summary media (a figure, a custom chart, a histogram, logged media) are not columns by default
    assert "summary.final_figure" not in cols and "summary.final_curve" not in cols and "summary.protein" not in cols
    assert "summary.loss" in cols and "config.kind" in cols
    page.get_by_role("button", name="Columns").click()
    media = page.locator(".columns-menu label", has_text="(media)")
    assert media.count() >= 4
    page.locator(".columns-menu label", has_text="summary.final_figure").locator("input").check()
    assert "summary.final_figure" in _cols(page)
    page.get_by_role("button", name="Columns").click()
    # drag the state column's right edge 130 px wider (any width, not steps)
    state = page.locator('.runs-grid .head .cell[data-col="state"]')
    w0 = state.bounding_box()["width"]
    grip = state.locator(".col-resize").bounding_box()
    page.mouse.move(grip["x"] + 3, grip["y"] + 5)
    page.mouse.down()
    page.mouse.move(grip["x"] + 70, grip["y"] + 5, steps=3)
    page.mouse.move(grip["x"] + 133, grip["y"] + 5, steps=3)
    page.mouse.up()
    assert abs(state.bounding_box()["width"] - (w0 + 130)) <= 2
    # drag the loss column onto the state column: it takes that place
    page.locator('.runs-grid .head .cell[data-col="summary.loss"]').drag_to(state)
    cols = _cols(page)
    assert cols[:3] == ["name", "summary.loss", "state"], cols
    shot(page, "runs-columns-1400-light")
    # remembered for this project (a new visit, no URL state)
    page.goto(served.url + "/p/rich")
    page.locator(".runs-grid .row").first.wait_for()
    assert _cols(page)[:3] == ["name", "summary.loss", "state"]
    assert abs(page.locator('.runs-grid .head .cell[data-col="state"]').bounding_box()["width"] - (w0 + 130)) <= 2
    assert "summary.final_figure" not in _cols(page)  # shown media columns live in the URL, not here
    # another project keeps its own arrangement
    page.goto(served.url + "/p/vision")
    page.locator(".runs-grid .row").first.wait_for()
    assert _cols(page)[1] == "state"
    assert console_errors == []


def test_panels_resize_freely_and_keep_their_size_in_a_view(page: Any, served: Served, console_errors: list[str]) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(served.url + "/p/vision")
    wait_ink(page, f"{LOSS} canvas", 500)
    panel = page.locator(LOSS)
    before = panel.bounding_box()
    canvas_h = page.locator(f"{LOSS} canvas").first.bounding_box()["height"]
    panel.hover()
    grip = panel.locator(".panel-resize").bounding_box()
    page.mouse.move(grip["x"] + 7, grip["y"] + 7)
    page.mouse.down()
    page.mouse.move(grip["x"] + 80, grip["y"] + 60, steps=4)
    page.mouse.move(grip["x"] + 7 + 137, grip["y"] + 7 + 111, steps=4)
    page.mouse.up()
    after = panel.bounding_box()
    assert abs(after["width"] - (before["width"] + 137)) <= 2, (before, after)  # not a whole column: free
    assert abs(after["height"] - (before["height"] + 111)) <= 2
    expect(page.locator(".view-bar")).to_contain_text("unsaved changes")
    page.wait_for_function(f"h => document.querySelector('{LOSS} canvas').getBoundingClientRect().height > h + 100", arg=canvas_h)
    page.once("dialog", lambda d: d.accept("sized"))
    page.get_by_role("button", name="Save as…").click()
    expect(page.locator(".view-note")).to_contain_text('Saved "sized"')
    page.goto(served.url + "/p/vision?view=sized")
    wait_ink(page, f"{LOSS} canvas", 500)
    again = page.locator(LOSS).bounding_box()
    assert abs(again["width"] - after["width"]) <= 2 and abs(again["height"] - after["height"]) <= 2, (after, again)
    shot(page, "panel-resized-1400-light")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_timeout(300)
    shot(page, "panel-resized-1280-light")
    assert console_errors == []


def test_a_lower_panel_keeps_its_place_while_the_ones_above_load(page: Any, served: Served) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(served.url + "/p/rich")
    sec = page.locator('details.section[data-section="Media"]')
    sec.wait_for()
    tops_js = "() => [...document.querySelectorAll('.panel[data-panel]')].map(p => [p.dataset.panel, Math.round(p.getBoundingClientRect().top + document.querySelector('.panels-pane').scrollTop)])"
    first = dict(page.evaluate(tops_js))
    # scroll through everything so every panel loads its media, then come back
    for _ in range(12):
        page.locator(".panels-pane").evaluate("e => e.scrollBy(0, 700)")
        page.wait_for_timeout(250)
    page.locator(".panels-pane").evaluate("e => e.scrollTo(0, 0)")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)
    last = dict(page.evaluate(tops_js))
    moved = {k: (first[k], last[k]) for k in first if abs(first[k] - last[k]) > 1}
    assert len(first) >= 5 and not moved, moved
