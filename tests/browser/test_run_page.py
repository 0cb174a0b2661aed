"""The run page: overview (config, summary, metadata, state), charts, media, console log, files;
and the rich media kinds (molecule, 3-D point cloud, Plotly, custom chart) with their on-demand
libraries; deleting a run from its page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from conftest import Served, distinct_colors, shot, wait_ink


def test_run_overview_and_tabs(page: Any, served: Served, console_errors: list[str]) -> None:
    run_id = served.ids["vision"][0]
    page.goto(f"{served.url}/p/vision/r/{run_id}")
    expect(page.locator("h1")).to_contain_text("run-sgd-0")
    expect(page.locator(".state").first).to_have_text("finished")
    config = page.locator('[data-card="config"]')
    expect(config).to_contain_text("optimizer")
    expect(config).to_contain_text("sgd")
    expect(config).to_contain_text("model.width")
    expect(page.locator('[data-card="summary"]')).to_contain_text("best_acc")
    expect(page.locator('[data-card="metadata"]')).to_contain_text("python")
    shot(page, "run-overview")
    page.get_by_role("link", name="Charts", exact=True).click()
    expect(page).to_have_url(f"{served.url}/p/vision/r/{run_id}/charts")
    assert wait_ink(page, '.panel[data-key="train/loss"] canvas', 300) > 300
    shot(page, "run-charts")
    page.get_by_role("link", name="Logs", exact=True).click()
    expect(page.locator("pre.console")).to_contain_text("training sgd finished")
    shot(page, "run-logs")
    page.get_by_role("link", name="Files", exact=True).click()
    expect(page.locator(".tree")).to_contain_text("image/")
    shot(page, "run-files")
    page.get_by_role("link", name="Media", exact=True).click()
    expect(page.locator('.panel[data-key="samples"] canvas.img')).to_have_count(1)
    page.reload()  # a URL names its view
    expect(page.locator('.panel[data-key="samples"] canvas.img')).to_have_count(1)
    assert console_errors == []


def test_rich_media_load_their_libraries(page: Any, served: Served, console_errors: list[str]) -> None:
    run_id = served.ids["rich"][0]
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(f"{served.url}/p/rich/r/{run_id}/media")
    for key in ("lidar", "protein", "model_gltf1"):  # model_gltf1: a glTF 1.0 file, upgraded when logged
        holder = page.locator(f'.panel[data-key="{key}"] .viewer3d[data-rendered="1"]')
        holder.scroll_into_view_if_needed()
        expect(holder).to_be_visible(timeout=15_000)
        page.wait_for_timeout(500)
        assert distinct_colors(holder.screenshot()) > 20, f"the {key} viewer looks blank"
        shot(holder, f"rich-{key}")
    fig = page.locator('.panel[data-key="figure"] .js-plotly-plot')
    fig.scroll_into_view_if_needed()
    expect(fig).to_be_visible(timeout=15_000)
    expect(fig.locator("path.js-line")).to_have_count(1)
    shot(fig, "rich-plotly")
    chart = page.locator('.panel[data-key="height_chart"] canvas')
    chart.scroll_into_view_if_needed()
    expect(chart).to_be_visible(timeout=15_000)
    page.wait_for_timeout(300)
    assert distinct_colors(chart.screenshot()) > 5
    shot(page.locator('.panel[data-key="height_chart"]'), "rich-custom-chart")
    names = " ".join(scripts)
    for lib in ("three", "3Dmol", "plotly", "embed"):
        assert f"/assets/{lib}" in names, f"{lib} was not loaded on demand"
    # the summary histogram is a sparkline on the overview
    page.goto(f"{served.url}/p/rich/r/{run_id}")
    assert wait_ink(page, '[data-card="summary"] canvas.sparkline', 50) > 50
    assert console_errors == []


def test_workspace_initial_script_excludes_heavy_libraries(page: Any, served: Served) -> None:
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(served.url + "/p/empty-keys")
    expect(page.locator(".empty").first).to_contain_text("Nothing has been logged yet")
    shot(page, "empty-workspace")
    assert not [s for s in scripts if any(lib in s for lib in ("three", "3Dmol", "plotly", "embed"))]


def test_delete_run_from_its_page(page: Any, tmp_path: Path, console_errors: list[str]) -> None:
    """"Delete run…" asks first; a refusal (the run is still running) is shown on the page; a
    finished run goes, and the project's workspace no longer lists it."""
    import runyard
    from runyard.server import create_app
    from runyard.server.testing import serve_in_thread

    root = tmp_path / "runs"
    runs = []
    for name in ("keep", "drop"):
        run = runyard.init(project="p", name=name, dir=str(root))
        run.log({"loss": 1.0})
        run.finish()
        runs.append(run)
    live = runyard.init(project="p", name="live", dir=str(root))
    live.log({"loss": 1.0})
    with serve_in_thread(create_app(root)) as base:
        page.goto(f"{base}/p/p/r/{live.id}")
        page.once("dialog", lambda d: d.accept())
        page.get_by_role("button", name="Delete run…").click()
        expect(page.locator(".edit-error")).to_contain_text("is still running")
        shot(page.locator(".run-edit"), "run-delete-refused")
        page.goto(f"{base}/p/p/r/{runs[1].id}")
        asked: list[str] = []
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        page.get_by_role("button", name="Delete run…").click()
        expect(page.locator(".run-name")).to_have_text("drop")  # dismissed: nothing happened
        assert "for good" in asked[0] and Path(runs[1].dir).exists()
        page.once("dialog", lambda d: d.accept())
        page.get_by_role("button", name="Delete run…").click()
        expect(page).to_have_url(f"{base}/p/p")
        expect(page.locator(".runs-grid .row")).to_have_count(2)
        expect(page.locator(".runs-grid")).not_to_contain_text("drop")
        shot(page, "run-deleted-workspace")
    live.finish()
    assert not Path(runs[1].dir).exists() and Path(runs[0].dir).exists()
    assert console_errors == [] or all("409" in e for e in console_errors)
