"""The projects page, the workspace (runs table, panels, line charts) and the run page, drawn in
chromium from runs logged through the SDK."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from conftest import Served, log_in_subprocess, shot, wait_ink


def test_projects_page_lists_projects(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/")
    expect(page.get_by_role("link", name="vision")).to_be_visible()
    expect(page.get_by_role("link", name="empty-keys")).to_be_visible()
    shot(page, "projects")
    page.get_by_role("link", name="vision").click()
    expect(page).to_have_url(served.url + "/p/vision")
    expect(page.locator(".runs-grid .row")).to_have_count(3)
    assert console_errors == []


def test_workspace_draws_line_charts(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/p/vision")
    expect(page.locator(".runs-grid .row")).to_have_count(3)
    for name in ("Charts", "train", "val"):
        expect(page.locator(f'details.section[data-section="{name}"]')).to_be_visible()
    page.locator('.panel[data-key="train/loss"]').scroll_into_view_if_needed()
    chart = page.locator('.panel[data-key="train/loss"] canvas').first
    expect(chart).to_be_visible()
    assert wait_ink(page, '.panel[data-key="train/loss"] canvas', 500) > 500
    shot(page, "workspace")
    assert console_errors == []


def test_compare_scatter_and_shortcuts(page: Any, served: Served, console_errors: list[str]) -> None:
    page.goto(served.url + "/p/vision")
    cmp = page.locator('.panel[data-kind="compare"]')
    cmp.scroll_into_view_if_needed()
    cmp.get_by_label("compare x (config)").select_option("lr")
    cmp.get_by_label("compare y (summary)").select_option("best_acc")
    assert wait_ink(page, '.panel[data-kind="compare"] canvas', 200) > 200
    shot(cmp, "compare-scatter")
    page.locator("body").press("?")
    expect(page.get_by_role("dialog", name="keyboard shortcuts")).to_contain_text("search runs")
    page.locator("body").press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.locator("body").press("/")
    expect(page.get_by_label("search runs")).to_be_focused()
    assert console_errors == []


def test_projects_page_shows_a_new_project_live(page: Any, served: Served, console_errors: list[str]) -> None:

    page.goto(served.url + "/")
    expect(page.get_by_role("link", name="vision")).to_be_visible()
    log_in_subprocess(served.root, "import os, runyard; r = runyard.init(dir=os.environ['RUNYARD_DIR'], project='fresh'); "
                                   "r.log({'a': 1}); r.finish()")
    expect(page.get_by_role("link", name="fresh")).to_be_visible(timeout=10_000)
    assert console_errors == []
