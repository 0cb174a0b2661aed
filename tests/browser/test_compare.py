"""Comparing runs in the workspace (docs/ui.md, Comparing runs): parallel coordinates whose brushes
filter the runs, the parameter-importance table, the scatter's default (a learning rate on a log
axis against the main metric), the side-by-side run diff; in-place edits of a run's name, tags and
notes that land in its log; losses (rows not written, a run not fully indexed) shown. Screenshots
at 1400x900 and 1280x800, light and dark."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.request import urlopen

import pytest
from playwright.sync_api import expect

from conftest import Served, log_in_subprocess, serve, shot

SWEEP = """
import math, random, runyard
rnd = random.Random(3)
for i in range(12):
    lr = 10 ** (-5 + 4 * i / 11)
    cfg = {"lr": lr, "seed": rnd.randint(0, 999), "optimizer": ["adam", "sgd"][i % 2], "fixed": 3, "batch": [32, 64, 128][i % 3]}
    run = runyard.init(project="sweep", name=f"sweep-{i:02d}", config=cfg)
    target = (math.log10(lr) + 3) ** 2 + 0.05 * rnd.random()
    for s in range(20):
        run.log({"train/loss": target + 2 * math.exp(-s / 5)})
    run.summary["val/loss"] = target
    run.summary["acc"] = 1 / (1 + target)
    run.finish()
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from runyard.log.records import Kind
    from runyard.store.fixtures import LogWriter

    root = tmp_path_factory.mktemp("compare") / "runs"
    log_in_subprocess(root, SWEEP)
    lossy = LogWriter(root, "losses", "lossy001", name="lost-rows")
    lossy.row({"loss": 1.0})
    lossy.write([Kind.LOSS, lossy.t0 + 1, {"rows": 3, "records": 1, "first_step": 5, "last_step": 7,
                                           "error": "[Errno 28] No space left on device"}])
    lossy.row({"loss": 0.5}, step=8)
    lossy.end()
    bad = LogWriter(root, "losses", "badstep1", name="bad-step")
    bad.write([Kind.ROW, 0, 1.0, 0.1, {"loss": 1.0}], [Kind.ROW, 2**63, 1.0, 0.1, {"loss": 2.0}], [Kind.END, 2.0, 1.0, 0, {}])
    for url in serve(root):
        yield Served(root, {}, url)


def _open_compare(page: Any, sweep: Served) -> None:
    page.goto(sweep.url + "/p/sweep")
    sec = page.locator('details.section[data-section="Compare"]')
    sec.scroll_into_view_if_needed()
    expect(page.locator('.panel[data-kind="parallel"] .pc-axis').first).to_be_visible(timeout=20_000)


def _names(page: Any) -> set[str]:
    return set(page.locator(".runs-grid .row .cell.sticky a").all_inner_texts())


def test_parallel_coordinates_brush_filters_the_runs(page: Any, sweep: Served, console_errors: list[str]) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    _open_compare(page, sweep)
    pc = page.locator('.panel[data-kind="parallel"]')
    axes = pc.locator(".pc-axis")
    ids = axes.evaluate_all("els => els.map(e => e.dataset.axis)")
    # the varying config keys, the main metric last; `fixed` is the same in every run
    assert ids[-1] == "summary.val/loss" and "config.lr" in ids and "config.optimizer" in ids
    assert "config.fixed" not in ids
    expect(pc.locator(".pc-label", has_text="lr").locator(".faint")).to_have_text("config · log")
    expect(pc.locator(".badge")).to_have_text("12 runs")
    # drag along the lr axis from its top to its middle: the runs with the larger half of lr
    # (on the log axis: i / 11 >= 0.5, so i >= 6) stay, the others leave the table and the charts
    lr = pc.locator('.pc-axis[data-axis="config.lr"]')
    box = lr.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 1)
    page.mouse.down()
    page.mouse.move(x, box["y"] + box["height"] * 0.25, steps=4)
    page.mouse.move(x, box["y"] + box["height"] * 0.5, steps=4)
    page.mouse.up()
    expect(pc.locator(".badge")).to_have_text("6 of 12 runs in the brushes")
    expect(page.locator(".runs-grid .row")).to_have_count(6)
    assert _names(page) == {f"sweep-{i:02d}" for i in range(6, 12)}
    expect(page.locator(".runs-pane")).to_contain_text("(6 outside the brushes)")
    # the line charts follow: their legends list only the brushed runs
    loss = page.locator('.panel[data-key="train/loss"]')
    loss.scroll_into_view_if_needed()
    expect(loss.locator(".legend .li")).to_have_count(6)
    assert set(loss.locator(".legend .li").all_inner_texts()) == {f"sweep-{i:02d}" for i in range(6, 12)}
    # a second brush (optimizer = adam: i even) narrows further
    pc.scroll_into_view_if_needed()
    opt = pc.locator('.pc-axis[data-axis="config.optimizer"]').bounding_box()
    ox = opt["x"] + opt["width"] / 2
    page.mouse.move(ox, opt["y"] + opt["height"] - 1)
    page.mouse.down()
    page.mouse.move(ox, opt["y"] + opt["height"] * 0.8, steps=4)
    page.mouse.up()
    expect(page.locator(".runs-grid .row")).to_have_count(3)
    assert _names(page) == {"sweep-06", "sweep-08", "sweep-10"}
    for size, name in (((1400, 900), "compare-1400"), ((1280, 800), "compare-1280")):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        pc.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        shot(page, f"{name}-light-brushed")
    # a click on an axis clears its brush; "Clear brushes" clears them all
    page.locator('.pc-axis[data-axis="config.optimizer"]').click()
    expect(page.locator(".runs-grid .row")).to_have_count(6)
    pc.get_by_role("button", name="Clear brushes").click()
    expect(page.locator(".runs-grid .row")).to_have_count(12)
    assert console_errors == []


def test_importance_scatter_default_and_diff(page: Any, sweep: Served, console_errors: list[str]) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    _open_compare(page, sweep)
    imp = page.locator('.panel[data-kind="importance"]')
    imp.scroll_into_view_if_needed()
    expect(imp.locator("select")).to_have_value("val/loss")  # the main metric
    expect(imp.locator(".badge")).to_have_text("12 runs · random forest")
    rows = imp.locator("tbody tr")
    expect(rows.first).to_have_attribute("data-key", "lr")  # val/loss depends on lr only
    assert set(rows.evaluate_all("els => els.map(e => e.dataset.key)")) == {"lr", "seed", "optimizer", "batch"}
    # the scatter starts on lr, on a log axis, against the main metric
    sc = page.locator('.panel[data-kind="compare"] canvas')
    sc.scroll_into_view_if_needed()
    expect(sc).to_have_attribute("data-x", "lr")
    expect(sc).to_have_attribute("data-y", "val/loss")
    expect(sc).to_have_attribute("data-log", re.compile("^x"))  # lr spans four decades
    # picking a row of the importance table plots that key
    rows.filter(has=page.locator("td", has_text="batch")).click()
    expect(sc).to_have_attribute("data-x", "batch")
    expect(sc).not_to_have_attribute("data-log", re.compile("x"))  # 32, 64, 128: linear
    # the diff: the first runs side by side, only what differs; equal values on request
    diff = page.locator('.panel[data-kind="diff"]')
    diff.scroll_into_view_if_needed()
    expect(diff.locator("thead th")).to_have_count(9)  # the key column and 8 runs
    expect(diff.locator('tr[data-key="config.lr"]')).to_have_count(1)
    expect(diff.locator('tr[data-key="config.fixed"]')).to_have_count(0)
    expect(diff.locator('tr[data-key="summary.val/loss"]')).to_have_count(1)
    diff.get_by_label("show equal values").check()
    expect(diff.locator('tr.same[data-key="config.fixed"]')).to_have_count(1)
    # hiding runs in the table chooses which are compared
    page.locator(".runs-pane").get_by_role("button", name="Hide all").click()
    for name in ("sweep-00", "sweep-11"):
        page.locator(".runs-grid .row", has_text=name).locator("button.eye").click()
    expect(diff.locator("thead th")).to_have_count(3)
    assert sorted(diff.locator("thead th a").all_inner_texts()) == ["sweep-00", "sweep-11"]
    assert len(set(diff.locator('tr[data-key="config.lr"] td').all_inner_texts())) == 2
    page.locator(".runs-pane").get_by_role("button", name="Show all").click()
    for size, name in (((1400, 900), "compare-1400"), ((1280, 800), "compare-1280")):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        imp.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        shot(page, f"{name}-light-importance")
    assert console_errors == []


def test_compare_in_dark(browser: Any, sweep: Served) -> None:
    for size in ((1400, 900), (1280, 800)):
        context = browser.new_context(color_scheme="dark", viewport={"width": size[0], "height": size[1]})
        page = context.new_page()
        try:
            _open_compare(page, sweep)
            page.locator('.panel[data-kind="importance"] tbody tr').first.wait_for()
            page.locator('.panel[data-kind="parallel"]').scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            shot(page, f"compare-{size[0]}-dark")
            page.locator('.panel[data-kind="diff"]').scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            shot(page, f"compare-{size[0]}-dark-diff")
            page.goto(sweep.url + "/p/losses/r/lossy001")
            expect(page.locator(".run-head .loss-flag")).to_be_visible()
            shot(page, f"run-edit-and-losses-{size[0]}-dark")
        finally:
            context.close()


def test_name_tags_and_notes_edited_in_place(page: Any, sweep: Served, console_errors: list[str]) -> None:
    from runyard.log.reader import RunFolder

    with urlopen(sweep.url + "/api/projects/sweep/runs?search=sweep-03") as r:
        run = json.load(r)["runs"][0]
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{sweep.url}/p/sweep/r/{run['id']}")
    page.get_by_role("button", name="rename run").click()
    name = page.get_by_label("run name")
    name.fill("lr 1e-3.9 baseline")
    name.press("Enter")
    expect(page.locator(".run-name")).to_have_text("lr 1e-3.9 baseline")
    expect(page.locator("header .run-crumb")).to_have_text("lr 1e-3.9 baseline")
    tag = page.get_by_label("add tag")
    tag.fill("baseline")
    tag.press("Enter")
    page.get_by_label("add tag").fill("keep")
    page.get_by_label("add tag").press("Enter")
    tags = page.locator(".run-tags .tag")
    expect(tags).to_have_count(2)
    assert tags.evaluate_all("els => els.map(e => e.dataset.tag)") == ["baseline", "keep"]
    page.get_by_label("remove tag baseline").click()
    expect(tags).to_have_count(1)
    assert tags.evaluate_all("els => els.map(e => e.dataset.tag)") == ["keep"]
    page.get_by_role("button", name="edit notes").click()
    page.get_by_label("run notes").fill("lr too small;\nsee sweep-06")
    page.get_by_role("button", name="Save notes").click()
    expect(page.locator(".notes-text")).to_have_text("lr too small;\nsee sweep-06")
    for size in ((1400, 900), (1280, 800)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        shot(page, f"run-edit-{size[0]}-light")
    # a too-long tag is refused with the server's reason, nothing written
    page.get_by_label("add tag").fill("x" * 64 + "y")
    page.get_by_label("add tag").evaluate("e => { e.removeAttribute('maxlength'); e.value = 'x'.repeat(65); }")
    page.get_by_label("add tag").press("Enter")
    expect(page.locator(".edit-error")).to_contain_text("at most 64 characters")
    console_errors.clear()  # the refused PATCH answered 400, as it should
    # the edits are in the run's log (a reindex keeps them) and the workspace shows them
    state, _ = RunFolder(sweep.root / "sweep" / run["id"]).load_state()
    assert (state.name, state.tags, state.notes) == ("lr 1e-3.9 baseline", ["keep"], "lr too small;\nsee sweep-06")
    page.reload()
    expect(page.locator(".run-name")).to_have_text("lr 1e-3.9 baseline")
    page.goto(sweep.url + "/p/sweep")
    expect(page.locator(".runs-grid .row", has_text="lr 1e-3.9 baseline").locator(".tag")).to_have_text("keep")
    assert console_errors == []


def test_losses_are_shown(page: Any, sweep: Served) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(sweep.url + "/p/losses")
    flags = page.locator(".runs-grid .row .loss-flag")
    expect(flags).to_have_count(2)
    assert "3 rows were not written" in page.locator(".runs-grid .row", has_text="lost-rows").locator(".loss-flag").get_attribute("title")
    assert "not fully indexed" in page.locator(".runs-grid .row", has_text="bad-step").locator(".loss-flag").get_attribute("title")
    page.goto(sweep.url + "/p/losses/r/lossy001")
    expect(page.locator(".run-head .loss-flag")).to_have_text("⚠ 3 rows were not written (steps 5–7), 1 other record")
    expect(page.locator(".run-head .loss-flag")).to_have_attribute("title", "The run could not write everything it logged: [Errno 28] No space left on device. Everything logged before and after is kept.")
    for size in ((1400, 900), (1280, 800)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        shot(page, f"run-lost-rows-{size[0]}-light")
    page.goto(sweep.url + "/p/losses/r/badstep1")
    expect(page.locator(".run-head .loss-flag")).to_contain_text("not fully indexed")
