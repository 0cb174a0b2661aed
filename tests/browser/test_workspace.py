"""The workspace a wandb user expects: legends that isolate and highlight, a crosshair shared by
the charts, distinct run colours, section order, define_metric x-axes, aggregate columns, summary
media, light/dark remembered, local API docs, run names in the breadcrumb; screenshots at
1400x900 and 1280x800 in both themes."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from conftest import Served, shot, wait_ink

LOSS = '.panel[data-key="train/loss"]'


def test_legend_highlight_crosshair_and_colours(page: Any, served: Served, console_errors: list[str]) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(served.url + "/p/vision")
    wait_ink(page, f"{LOSS} canvas", 500)
    legend = page.locator(f"{LOSS} .legend .li")
    expect(legend).to_have_count(3)
    colours = legend.locator(".swatch").evaluate_all("els => els.map(e => getComputedStyle(e).backgroundColor)")
    assert len(set(colours)) == 3, colours  # three runs, three colours
    # hovering a legend entry marks the run's row in the runs table
    name = legend.nth(0).inner_text()
    legend.nth(0).hover()
    expect(page.locator(".runs-grid .row.hl")).to_have_count(1)
    assert page.locator(".runs-grid .row.hl .cell.sticky a").inner_text() == name
    # clicking one isolates it (the others fade in the legend); again shows all
    before = page.eval_on_selector(f"{LOSS} canvas", "c => c.toDataURL()")
    legend.nth(1).click()
    expect(page.locator(f"{LOSS} .legend .li.off")).to_have_count(2)
    assert page.eval_on_selector(f"{LOSS} canvas", "c => c.toDataURL()") != before
    legend.nth(1).click()
    expect(page.locator(f"{LOSS} .legend .li.off")).to_have_count(0)
    # the crosshair: hovering one chart moves the cursor line of another to the same x
    over = page.locator(f"{LOSS} .u-over")
    box = over.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.4)
    tip = page.locator(f"{LOSS} .tooltip")
    expect(tip).to_be_visible()
    assert "." not in tip.locator(".x").inner_text().replace("Step ", "").replace(",", "")  # whole steps
    acc_cursor = page.locator('.panel[data-key="train/acc"] .u-cursor-x')
    left = acc_cursor.evaluate("e => e.getBoundingClientRect().left")
    mine = page.locator(f"{LOSS} .u-cursor-x").evaluate("e => e.getBoundingClientRect().left")
    acc_box = page.locator('.panel[data-key="train/acc"] .u-over').bounding_box()
    # the same x: the same fraction of each plot's width (their y-axis labels differ in width)
    assert abs((left - acc_box["x"]) / acc_box["width"] - (mine - box["x"]) / box["width"]) < 0.01, (left, mine, box, acc_box)
    expect(page.locator('.panel[data-key="train/acc"] .tooltip')).to_be_hidden()  # only the hovered chart reads out
    # a user's colour for a run
    page.locator(".runs-grid .row").first.locator("input[type=color]").evaluate(
        "e => { e.value = '#ff00ff'; e.dispatchEvent(new Event('change', {bubbles: true})); }")
    expect(page.locator(f"{LOSS} .legend .li .swatch").first).to_have_css("background-color", "rgb(255, 0, 255)")
    page.reload()
    expect(page.locator(".runs-grid .row .swatch").first).to_have_css("background-color", "rgb(255, 0, 255)")
    page.locator(".runs-grid .row .swatch").first.click(button="right")  # back to automatic
    expect(page.locator(".runs-grid .row .swatch").first).not_to_have_css("background-color", "rgb(255, 0, 255)")
    assert console_errors == []


def test_sections_axes_aggregates_and_layout(page: Any, served: Served, console_errors: list[str]) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/series?" in r.url else None)
    page.goto(served.url + "/p/vision")
    expect(page.locator('details.section[data-section="train"]')).to_be_visible()
    names = page.locator("details.section").evaluate_all("els => els.map(e => e.dataset.section)")
    assert names[:2] == ["train", "val"], names  # scalar sections first, train and val on top
    assert names.index("Charts") < names.index("Media")
    # val/* declared step_metric="epoch": its charts default to epoch
    page.locator('.panel[data-key="val/loss"]').scroll_into_view_if_needed()
    expect(page.locator('.panel[data-key="val/loss"] .legend .li')).to_have_count(3)
    val_requests = [u for u in requests if "key=val%2Floss" in u]
    assert val_requests and all("x_axis=epoch" in u for u in val_requests), val_requests
    page.locator(LOSS).scroll_into_view_if_needed()
    # three panels a row at 1400 px
    tops = page.locator('details.section[data-section="train"] .panel').evaluate_all("els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    assert len(tops) == 2 and tops[0] == tops[1]
    per_row = page.locator('details.section[data-section="Media"] .panel:not(.wide)').evaluate_all(
        "els => { const t = els.map(e => Math.round(e.getBoundingClientRect().top)); return t.filter(v => v === t[0]).length; }")
    assert per_row == 3, per_row
    shot(page, "workspace-1400-light")
    # a define_metric summary of min and last: one column per aggregate, and a bar each
    from test_interactions import reveal_column

    page.locator('.workspace[data-summaries="loaded"]').wait_for()  # the summaries follow the first screen
    expect(reveal_column(page, "summary.train/loss.min")).to_have_count(1)
    expect(reveal_column(page, "summary.train/loss.last")).to_have_count(1)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_timeout(300)
    per_row = page.locator('details.section[data-section="Media"] .panel:not(.wide)').evaluate_all(
        "els => { const t = els.map(e => Math.round(e.getBoundingClientRect().top)); return t.filter(v => v === t[0]).length; }")
    assert per_row == 2, per_row
    shot(page, "workspace-1280-light")
    # the runs table: resized by its handle (remembered), and as a table view of the whole page
    handle = page.locator(".pane-handle")
    hb = handle.bounding_box()
    page.mouse.move(hb["x"] + 3, hb["y"] + 200)
    page.mouse.down()
    page.mouse.move(hb["x"] + 203, hb["y"] + 200, steps=4)
    page.mouse.up()
    width = page.locator(".runs-pane").evaluate("e => e.getBoundingClientRect().width")
    assert 480 < width < 520, width
    page.reload()
    assert abs(page.locator(".runs-pane").evaluate("e => e.getBoundingClientRect().width") - width) < 2
    page.get_by_label("table view").click()
    expect(page.locator(".panels-pane")).to_be_hidden()
    assert page.locator(".runs-pane").evaluate("e => e.getBoundingClientRect().width") > 1200
    page.get_by_label("table view").click()
    page.evaluate("() => localStorage.clear()")
    assert console_errors == []


def test_summary_media_and_run_page(page: Any, served: Served, console_errors: list[str]) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    rid = served.ids["rich"][0]
    page.goto(f"{served.url}/p/rich/r/{rid}")
    expect(page.locator("header .crumbs .run-crumb")).to_have_text("rich-media")  # the name, not the id
    card = page.locator('[data-card="summary-media"]')
    expect(card.locator('[data-key="final_curve"] canvas, [data-key="final_curve"] svg').first).to_be_visible(timeout=15_000)
    expect(card.locator('[data-key="final_figure"] .plot-container')).to_be_visible(timeout=40_000)
    shot(page, "run-overview-summary-media-1400")
    page.goto(f"{served.url}/p/rich")
    sec = page.locator('details.section[data-section="Summary media"]')
    sec.scroll_into_view_if_needed()
    expect(sec.locator(".panel")).to_have_count(2)
    # the multi-aggregate summary reads "min … · last …" on the overview
    vid = served.ids["vision"][0]
    page.goto(f"{served.url}/p/vision/r/{vid}")
    expect(page.locator('[data-card="summary"]')).to_contain_text("min ")
    expect(page.locator('[data-card="summary"]')).to_contain_text(" · last ")
    assert console_errors == []


def test_theme_is_remembered_and_api_docs_are_local(page: Any, served: Served, console_errors: list[str]) -> None:
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(served.url) and not r.url.startswith("data:") else None)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(served.url + "/p/vision")
    expect(page.locator("#live-status")).to_have_count(1)  # the live indicator keeps its id
    page.get_by_label("switch theme").click()  # auto -> dark
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(21, 24, 27)"
    wait_ink(page, f"{LOSS} canvas", 500)
    shot(page, "workspace-1280-dark")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.wait_for_timeout(300)
    shot(page, "workspace-1400-dark")
    vid = served.ids["vision"][0]
    page.goto(f"{served.url}/p/vision/r/{vid}")
    shot(page, "run-page-1400-dark")
    page.get_by_label("switch theme").click()  # dark -> light
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    shot(page, "run-page-1400-light")
    page.get_by_label("switch theme").click()  # light -> auto
    page.get_by_role("link", name="API").click()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("runyard", timeout=20_000)
    expect(page.locator(".swagger-ui")).to_contain_text("/api/runs/{project}/{run_id}/points")
    shot(page, "api-docs")
    assert outside == [], outside
    page.goto(served.url + "/p/vision/r/nope")
    expect(page.locator(".empty.error")).to_contain_text("unknown run")
    expect(page.get_by_role("link", name="Back to project vision")).to_be_visible()
    console_errors[:] = [e for e in console_errors if "/api/runs/vision/nope" not in e and "404" not in e]
    assert console_errors == []


def test_saved_view_drag_and_gone_keys(page: Any, served: Served, console_errors: list[str]) -> None:
    import json
    from urllib.request import Request, urlopen

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(served.url + "/p/vision")
    expect(page.locator('details.section[data-section="train"] .panel')).to_have_count(2)
    # drag train/acc into the val section
    page.locator('.panel[data-key="train/acc"] .grip').drag_to(page.locator('.panel[data-key="val/loss"]'))
    expect(page.locator('details.section[data-section="val"] .panel[data-key="train/acc"]')).to_have_count(1)
    expect(page.locator(".view-bar")).to_contain_text("unsaved changes")
    page.once("dialog", lambda d: d.accept("mine"))
    page.get_by_role("button", name="Save as…").click()
    expect(page.locator(".view-note")).to_contain_text('Saved "mine" (version 1)')
    assert "view=mine" in page.url
    # a view that names a key nothing logs any more: it opens, marks it, and offers to drop it
    layout = json.loads(urlopen(served.url + "/api/projects/vision/views/mine").read())["layout"]
    layout["sections"][0]["panels"].append({"id": "old", "kind": "line", "keys": ["train/old_metric"]})
    req = Request(served.url + "/api/projects/vision/views/mine", method="PUT", headers={"Content-Type": "application/json"},
                  data=json.dumps({"layout": layout, "base_version": 1}).encode())
    assert json.loads(urlopen(req).read())["version"] == 2
    page.goto(served.url + "/p/vision?view=mine")
    expect(page.locator('details.section[data-section="val"] .panel[data-key="train/acc"]')).to_have_count(1)
    expect(page.locator(".missing-note")).to_contain_text("train/old_metric")
    expect(page.locator(".panel.gone")).to_have_count(1)
    shot(page, "workspace-view-gone-key")
    page.locator(".missing-note").get_by_role("button", name="Drop them").click()
    expect(page.locator(".panel.gone")).to_have_count(0)
    page.get_by_role("button", name="Reset to automatic").click()
    expect(page.locator('details.section[data-section="train"] .panel[data-key="train/acc"]')).to_have_count(1)
    assert console_errors == []
