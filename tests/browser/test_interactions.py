"""Runs table (sort, filter, search, hide, columns, colours), line chart controls (hover, smoothing,
log scale, x-axis, zoom that re-reads full resolution), and live updates of a running run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from typing import Any
from urllib.request import urlopen

from data import LIVE_SCRIPT
from playwright.sync_api import expect

from conftest import Served, shot, wait_ink


def reveal_column(page: Any, col: str) -> Any:
    """The runs table draws only the columns in view: scroll it sideways until `col` is drawn."""
    cell = page.locator(f'.runs-grid .head .cell[data-col="{col}"]')
    width = page.locator(".runs-grid").evaluate("g => g.scrollWidth")
    for x in range(0, width + 200, 150):
        if cell.count():
            break
        page.locator(".runs-grid").evaluate(f"g => {{ g.scrollLeft = {x}; g.dispatchEvent(new Event('scroll')); }}")
        page.wait_for_timeout(50)
    return cell


def names(page: Any) -> list[str]:
    return [n.strip() for n in page.locator(".runs-grid .row .cell.sticky a").all_inner_texts()]


def test_runs_table_sort_filter_hide(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/p/vision")
    expect(page.locator(".runs-grid .row")).to_have_count(3)
    reveal_column(page, "config.lr").click()
    expect(page.locator('.runs-grid .head .cell.sorted')).to_contain_text("lr ↑")
    assert names(page) == ["run-adam-2", "run-adam-1", "run-sgd-0"]
    page.locator('.runs-grid .head .cell[data-col="config.lr"]').click()
    assert names(page) == ["run-sgd-0", "run-adam-1", "run-adam-2"]
    expect(page).to_have_url(re.compile(r"sort=config\.lr.*desc=1"))  # the view is in the URL
    # filter and search
    page.get_by_label("filter runs").fill("optimizer = adam and lr < 0.005")
    expect(page.locator(".runs-grid .row")).to_have_count(1)
    page.get_by_label("filter runs").fill("lr >")
    expect(page.locator(".runs-pane .error")).to_contain_text("cannot read")
    page.get_by_label("filter runs").fill("")
    page.get_by_label("search runs").fill("sgd")
    expect(page.locator(".runs-grid .row")).to_have_count(1)
    page.get_by_label("search runs").fill("")
    expect(page.locator(".runs-grid .row")).to_have_count(3)
    # the same colour for a run in the table and in the chart tooltip
    swatch = page.locator('.runs-grid .row[data-run] .swatch').first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert swatch.startswith("rgb")
    # hiding a run removes its line
    wait_ink(page, '.panel[data-key="train/loss"] canvas', 500)
    legend = page.locator('.panel[data-key="train/loss"] .legend .li')
    expect(legend).to_have_count(3)
    before = page.eval_on_selector('.panel[data-key="train/loss"] canvas', "c => c.toDataURL()")
    page.locator(".runs-grid .row").first.get_by_role("button", name="hide run").click()
    expect(page.locator(".runs-grid .row.hidden-run")).to_have_count(1)
    expect(legend).to_have_count(2)
    assert "run-sgd-0" not in legend.all_inner_texts()
    page.wait_for_timeout(300)
    assert page.eval_on_selector('.panel[data-key="train/loss"] canvas', "c => c.toDataURL()") != before
    # the view survives a reload
    page.reload()
    expect(page.locator(".runs-grid .row.hidden-run")).to_have_count(1)
    assert names(page)[0] == "run-sgd-0"
    shot(page, "workspace-sorted-hidden")
    assert console_errors == []


def test_line_chart_hover_smoothing_log_xaxis(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/p/vision")
    sel = '.panel[data-key="train/loss"] canvas'
    wait_ink(page, sel, 500)
    panel = page.locator('.panel[data-key="train/loss"]')
    over = panel.locator(".u-over")
    box = over.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    tip = panel.locator(".tooltip")
    expect(tip).to_be_visible()
    expect(tip.locator(".r")).to_have_count(3)  # every run's value
    shot(panel, "chart-hover")
    raw = page.eval_on_selector(sel, "c => c.toDataURL()")
    panel.get_by_role("button", name="⚙").click()
    panel.get_by_label("smoothing").fill("0.9")
    page.wait_for_timeout(300)
    smoothed = page.eval_on_selector(sel, "c => c.toDataURL()")
    assert smoothed != raw
    panel.get_by_text("log y").click()
    page.wait_for_timeout(300)
    assert page.eval_on_selector(sel, "c => c.toDataURL()") != smoothed
    shot(panel, "chart-smoothed-log")
    with page.expect_request(lambda r: "x_axis=epoch" in r.url):
        panel.get_by_label("x-axis").select_option("epoch")
    wait_ink(page, sel, 300)
    assert console_errors == []


def test_zoom_rereads_full_resolution(page: Any, served: Served, console_errors: list[str]) -> None:
    answers: list[Any] = []
    page.on("response", lambda r: answers.append(r) if "/series?" in r.url and "key=metric" in r.url else None)
    page.goto(served.url + "/p/long")
    panel = page.locator('.panel[data-key="metric"]')
    expect(panel.locator(".badge")).to_contain_text("downsampled")
    sel = '.panel[data-key="metric"] canvas'
    wait_ink(page, sel, 500)
    # the spike at step 4321 survives downsampling (the envelope's max is drawn)
    first = answers[0].json()["series"][0]
    assert first["full_resolution"] is False and len(first["x"]) <= 4000 and max(v for v in first["max"] if v is not None) == 100
    shot(panel, "chart-long")
    box = panel.locator(".u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    with page.expect_request(lambda r: "x_min=" in r.url and "key=metric" in r.url) as req:
        page.mouse.move(box["x"] + box["width"] * 0.70, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.74, y, steps=5)
        page.mouse.up()
    resp = req.value.response()
    assert resp is not None and resp.json()["series"][0]["full_resolution"] is True
    page.wait_for_timeout(300)
    wait_ink(page, sel, 200)
    shot(panel, "chart-long-zoomed")
    panel.locator(".u-over").dblclick()
    page.wait_for_timeout(300)
    assert console_errors == []


def test_live_run_updates_without_reload(page: Any, served: Served, console_errors: list[str]) -> None:
    proc = subprocess.Popen([sys.executable, "-c", LIVE_SCRIPT, str(served.root), "60", "0.1"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the run's first rows are indexed
            with urlopen(served.url + "/api/projects") as r:
                if any(p["name"] == "live" for p in json.load(r)["projects"]):
                    break
            time.sleep(0.1)
        page.goto(served.url + "/p/live")
        expect(page.locator(".runs-grid .row .state")).to_have_text("running")
        panel = page.locator('.panel[data-key="live/loss"]')
        expect(panel.locator(".badge")).to_contain_text("pts", timeout=10_000)
        first = int(panel.locator(".badge").inner_text().split()[0])
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url) if "/series" in r.url else None)
        expect(page.locator(".runs-grid .row .state")).to_have_text("finished", timeout=20_000)
        expect(panel.locator(".badge")).to_have_text("60 pts", timeout=5000)  # live updates are coalesced (~1.5 s)
        assert first < 60
        assert requests and all("x_min=" in u for u in requests), "live updates fetch only what is new"
        shot(page, "live-finished")
        page.goto(f"{served.url}/p/live/r/{run_id}")
        expect(page.locator(".state").first).to_have_text("finished")
    finally:
        proc.wait(30)
        if proc.stdout is not None:
            proc.stdout.close()
    assert console_errors == []


def test_group_by_config_value_in_dark_theme(browser: Any, served: Served) -> None:
    context = browser.new_context(color_scheme="dark", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(served.url + "/p/vision?group=optimizer")
        bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert bg == "rgb(21, 24, 27)", bg  # the dark theme follows the system setting
        panel = page.locator('.panel[data-key="train/loss"]')
        wait_ink(page, '.panel[data-key="train/loss"] canvas', 300)
        box = panel.locator(".u-over").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        tip = panel.locator(".tooltip")
        expect(tip.locator(".r")).to_have_count(2)  # one line per optimizer, not per run
        expect(tip).to_contain_text("optimizer = adam (2 runs)")
        shot(page, "workspace-dark-grouped")
        before = page.eval_on_selector('.panel[data-key="train/loss"] canvas', "c => c.toDataURL()")
        page.get_by_label("group band").select_option("std")
        page.wait_for_timeout(400)
        assert page.eval_on_selector('.panel[data-key="train/loss"] canvas', "c => c.toDataURL()") != before
        assert "band=std" in page.url
        page.get_by_label("group runs by").select_option("")
        page.wait_for_timeout(500)
        page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        expect(tip.locator(".r")).to_have_count(3)
        assert errors == []
    finally:
        context.close()


def test_workspace_media_step_drives_every_media_panel(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/p/vision")
    samples = page.locator('.panel[data-key="samples"]')
    samples.scroll_into_view_if_needed()
    expect(samples.locator(".media-cell").first).to_have_attribute("data-step", "40")
    page.get_by_label("media step for every panel").fill("25")
    samples.scroll_into_view_if_needed()  # panels scrolled far away are released, and drawn again here
    expect(samples.locator(".media-cell").first).to_have_attribute("data-step", "20")  # nearest earlier step
    report = page.locator('.panel[data-key="report"]')
    report.scroll_into_view_if_needed()
    expect(report.locator(".media-cell").first).to_have_attribute("data-step", "20")
    assert console_errors == []


def test_runs_table_is_virtualised(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/p/many")
    expect(page.locator(".runs-pane")).to_contain_text("300 shown · 300 runs")
    rows = page.locator(".runs-grid .row").count()
    assert 10 < rows < 60, rows  # only the rows in view (and a few more) exist
    expect(page.locator(".ws-tools")).to_contain_text("charts show the first 100 of 300 shown runs")
    loss = page.locator('.panel[data-key="loss"]')
    expect(loss.locator(".badge")).to_have_text("100 pts")  # every drawn run, one point each
    # a series of one point is drawn as a dot: coloured pixels, beside the grey axes and grid
    page.wait_for_function("""sel => { const c = document.querySelector(sel); if (!c) return false;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.max(d[i], d[i+1], d[i+2]) - Math.min(d[i], d[i+1], d[i+2]) > 60) n++;
        return n >= 20; }""", arg='.panel[data-key="loss"] canvas', timeout=10_000)
    page.get_by_label("runs drawn per chart").select_option("1000")
    expect(loss.locator(".badge")).to_have_text("300 pts", timeout=30_000)  # after the keys of 300 runs arrive
    expect(page.locator(".ws-tools")).not_to_contain_text("charts show the first")
    assert "maxruns=1000" in page.url
    page.locator('.workspace[data-summaries="loaded"]').wait_for()  # the summary columns have joined the table
    reveal_column(page, "config.i").click()
    page.locator('.runs-grid .head .cell[data-col="config.i"]').click()
    expect(page.locator(".runs-grid .row .cell.sticky a").first).to_have_text("r299")
    page.locator(".runs-grid").evaluate("g => { g.scrollTop = g.scrollHeight; }")
    expect(page.get_by_role("link", name="r000", exact=True)).to_be_visible()
    assert page.locator(".runs-grid .row").count() < 60
    shot(page, "workspace-many")
    assert console_errors == []
