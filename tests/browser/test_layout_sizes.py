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


def _drag_corner(page: Any, panel: Any, dx: int, dy: int) -> None:
    panel.scroll_into_view_if_needed()
    panel.hover()
    grip = panel.locator(".panel-resize").bounding_box()
    page.mouse.move(grip["x"] + 7, grip["y"] + 7)
    page.mouse.down()
    page.mouse.move(grip["x"] + 7 + dx // 2, grip["y"] + 7 + dy // 2, steps=4)
    page.mouse.move(grip["x"] + 7 + dx, grip["y"] + 7 + dy, steps=4)
    page.mouse.up()


def _drag_column_edge(page: Any, cell: Any, dx: int) -> None:
    """Drag a runs-table header cell's right edge ``dx`` pixels."""
    grip = cell.locator(".col-resize").bounding_box()
    page.mouse.move(grip["x"] + 3, grip["y"] + 5)
    page.mouse.down()
    page.mouse.move(grip["x"] + 3 + dx // 2, grip["y"] + 5, steps=3)
    page.mouse.move(grip["x"] + 3 + dx, grip["y"] + 5, steps=3)
    page.mouse.up()


def test_media_columns_hidden_widths_and_order_remembered(page: Any, served: Served, console_errors: list[str]) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(served.url + "/p/rich")
    page.locator(".runs-grid .row").first.wait_for()
    page.locator('.workspace[data-summaries="loaded"]').wait_for()  # the summaries follow the first screen
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
    _drag_column_edge(page, state, 130)
    assert abs(state.bounding_box()["width"] - (w0 + 130)) <= 2
    # drag the loss column onto the state column: it takes that place
    page.locator('.runs-grid .head .cell[data-col="summary.loss"]').drag_to(state)
    cols = _cols(page)
    assert cols[:3] == ["name", "summary.loss", "state"], cols
    shot(page, "runs-columns-1400-light")
    # remembered for this project (a new visit, no URL state)
    page.goto(served.url + "/p/rich")
    page.locator('.workspace[data-summaries="loaded"] .runs-grid .row').first.wait_for()
    assert _cols(page)[:3] == ["name", "summary.loss", "state"]
    assert abs(page.locator('.runs-grid .head .cell[data-col="state"]').bounding_box()["width"] - (w0 + 130)) <= 2
    assert "summary.final_figure" not in _cols(page)  # shown media columns live in the URL, not here
    # another project keeps its own arrangement
    page.goto(served.url + "/p/vision")
    page.locator(".runs-grid .row").first.wait_for()
    assert _cols(page)[1] == "state"
    assert console_errors == []


def _wait_chart_fills_body(page: Any, panel: str, min_body: float) -> None:
    """Wait until the panel's body is at least ``min_body`` px tall and its chart fills it."""
    js = f"""() => {{
        const b = document.querySelector('{panel} .body'), u = b && b.querySelector('.uplot');
        return {{ body: b ? b.clientHeight : null, chart: u ? u.getBoundingClientRect().height : null }};
    }}"""
    try:
        page.wait_for_function(f"() => {{ const m = ({js})(); return m.chart !== null && m.body >= {min_body} "
                               f"&& Math.abs(m.chart - m.body) <= 2; }}", timeout=15000)
    except Exception as e:  # say what was on screen, not only that the wait ran out
        raise AssertionError(f"the chart did not take its panel's size: {page.evaluate(js)}, body wanted >= {min_body}") from e


def test_panels_resize_freely_and_keep_their_size_in_a_view(page: Any, served: Served, console_errors: list[str]) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(served.url + "/p/vision")
    wait_ink(page, f"{LOSS} canvas", 500)
    panel = page.locator(LOSS)
    before = panel.bounding_box()
    body_h = page.locator(f"{LOSS} .body").evaluate("b => b.clientHeight")
    _drag_corner(page, panel, 137, 111)
    after = panel.bounding_box()
    assert abs(after["width"] - (before["width"] + 137)) <= 2, (before, after)  # not a whole column: free
    assert abs(after["height"] - (before["height"] + 111)) <= 2
    expect(page.locator(".view-bar")).to_contain_text("unsaved changes")
    # the chart takes the grown body's height (measured on the body: the legend below it may
    # still be changing when the drag starts)
    _wait_chart_fills_body(page, LOSS, body_h + 100)
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


def _settled(page: Any, panel: Any) -> Any:
    """The panel's box once its content has loaded (its height unchanged for half a second)."""
    box = panel.bounding_box()
    for _ in range(60):
        page.wait_for_timeout(500)
        now = panel.bounding_box()
        if abs(now["height"] - box["height"]) < 0.5:
            return now
        box = now
    raise AssertionError(f"the panel kept changing its size: {box}")


def _save_view(page: Any, name: str) -> None:
    page.once("dialog", lambda d: d.accept(name))
    page.get_by_role("button", name="Save as…").click()
    expect(page.locator(".view-note")).to_contain_text(f'Saved "{name}"')


def test_compare_and_summary_panels_resize_and_keep_their_size_in_a_view(page: Any, served: Served,
                                                                          console_errors: list[str]) -> None:
    """The panels outside the layout (the compare section, summary bars, summary media) have the
    same corner grip as the layout's panels, and a view keeps their sizes."""
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(served.url + "/p/vision")
    wait_ink(page, f"{LOSS} canvas", 500)
    bars = page.locator('details.section[data-section="Summary"]')
    bars.locator("summary").click()  # closed by default
    targets = {
        "compare": ('.panel[data-kind="compare"]', 120, 90),
        "parallel": ('.panel[data-kind="parallel"]', -260, 70),
        "bar": ('.panel[data-kind="bar"] >> nth=0', 150, 60),
    }
    sizes = {}
    for name, (sel, dx, dy) in targets.items():
        panel = page.locator(sel)
        panel.scroll_into_view_if_needed()
        before = _settled(page, panel)
        _drag_corner(page, panel, dx, dy)
        after = panel.bounding_box()
        assert abs(after["width"] - (before["width"] + dx)) <= 3, (name, before, after)
        assert abs(after["height"] - (before["height"] + dy)) <= 3, (name, before, after)
        sizes[name] = after
    expect(page.locator(".view-bar")).to_contain_text("unsaved changes")
    page.locator('.panel[data-kind="parallel"]').scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    shot(page, "compare-panels-resized-1400-light")
    _save_view(page, "extras")
    page.goto(served.url + "/p/vision?view=extras")
    wait_ink(page, f"{LOSS} canvas", 500)
    page.locator('details.section[data-section="Summary"] summary').click()
    for name, (sel, _, _) in targets.items():
        panel = page.locator(sel)
        panel.scroll_into_view_if_needed()
        again = panel.bounding_box()
        assert abs(again["width"] - sizes[name]["width"]) <= 3 and abs(again["height"] - sizes[name]["height"]) <= 3, \
            (name, sizes[name], again)
    page.locator('.panel[data-kind="bar"]').first.scroll_into_view_if_needed()
    shot(page, "summary-bars-resized-1400-light")
    # summary media (a figure logged only to the summary)
    page.goto(served.url + "/p/rich")
    media = page.locator('.panel[data-kind="summary-media"]').first
    media.scroll_into_view_if_needed()
    before = _settled(page, media)
    _drag_corner(page, media, -400, 120)
    after = media.bounding_box()
    assert abs(after["width"] - (before["width"] - 400)) <= 3 and abs(after["height"] - (before["height"] + 120)) <= 3
    _save_view(page, "media-sized")
    page.goto(served.url + "/p/rich?view=media-sized")
    media = page.locator('.panel[data-kind="summary-media"]').first
    media.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    again = media.bounding_box()
    assert abs(again["width"] - after["width"]) <= 3 and abs(again["height"] - after["height"]) <= 3, (after, again)
    shot(page, "summary-media-resized-1400-light")
    assert console_errors == []


def test_column_widths_and_order_saved_in_a_view_are_restored(page: Any, served: Served,
                                                               console_errors: list[str]) -> None:
    """A named view carries the runs table's column widths and order: opening it restores them,
    over what this browser remembers for the project."""
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(served.url + "/p/vision")
    page.locator(".runs-grid .row").first.wait_for()
    page.evaluate("() => document.querySelector('.workspace').classList.add('runs-full')")
    runtime = page.locator('.runs-grid .head .cell[data-col="runtime"]')
    page.locator('.workspace[data-summaries="loaded"]').wait_for()  # the summaries follow the first screen
    w0 = runtime.bounding_box()["width"]
    _drag_column_edge(page, runtime, 90)
    assert abs(runtime.bounding_box()["width"] - (w0 + 90)) <= 2
    page.locator('.runs-grid .head .cell[data-col="config.lr"]').drag_to(page.locator('.runs-grid .head .cell[data-col="state"]'))
    saved_cols = _cols(page)
    assert saved_cols[:3] == ["name", "config.lr", "state"], saved_cols
    page.evaluate("() => document.querySelector('.workspace').classList.remove('runs-full')")
    _save_view(page, "columns")
    # this browser forgets its own arrangement; a visit without the view has the default order
    page.evaluate("() => { for (const k of Object.keys(localStorage)) if (k.startsWith('runyard.columns.')) localStorage.removeItem(k); }")
    # the whole-page table as the app itself opens it (runs=full): a class added from here could
    # land before the page settles and miss the table it measures
    page.goto(served.url + "/p/vision?runs=full")
    page.locator(".runs-grid .row").first.wait_for()
    page.locator('.workspace.runs-full[data-summaries="loaded"]').wait_for()
    assert _cols(page)[:3] != ["name", "config.lr", "state"]
    assert abs(page.locator('.runs-grid .head .cell[data-col="runtime"]').bounding_box()["width"] - w0) <= 2
    # opening the view restores both
    page.goto(served.url + "/p/vision?view=columns&runs=full")
    page.locator(".runs-grid .row").first.wait_for()
    page.locator(".workspace.runs-full").wait_for()
    expect(page.locator(".view-bar select")).to_have_value("columns")
    page.wait_for_function("() => document.querySelector('.runs-grid .head .cell:nth-child(2)')?.dataset.col === 'config.lr'")
    assert _cols(page)[:3] == ["name", "config.lr", "state"]
    assert abs(page.locator('.runs-grid .head .cell[data-col="runtime"]').bounding_box()["width"] - (w0 + 90)) <= 2
    page.locator('.workspace[data-summaries="loaded"]').wait_for(timeout=3000)  # the whole-page table wants them at once
    assert _cols(page)[:3] == ["name", "config.lr", "state"] and any(c.startswith("summary.") for c in _cols(page))
    shot(page, "runs-columns-from-view-1400-light")
    page.evaluate("() => localStorage.clear()")
    assert console_errors == []
