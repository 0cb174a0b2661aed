"""The Artifacts page: collections by type, versions with aliases, the file browser with
previews, a version diff, the lineage graph; and the run page's Artifacts tab."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import Served, distinct_colors, log_in_subprocess, serve, shot


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("artifacts-ui")
    root = base / "runs"
    out = log_in_subprocess(root, "import json, artifact_data; from pathlib import Path; "
                                  f"print(json.dumps(artifact_data.make_artifacts(Path({str(root)!r}), Path({str(base)!r}))))")
    import json

    ids = json.loads(out.strip().splitlines()[-1])
    for url in serve(root):
        yield Served(root, ids, url)


def test_collections_versions_files_and_previews(page: Any, lab: Served, console_errors: list[str]) -> None:
    page.goto(f"{lab.url}/p/lab")
    page.locator('[data-nav="artifacts"]').click()
    expect(page).to_have_url(f"{lab.url}/p/lab/artifacts")
    side = page.locator("nav.art-side")
    expect(side).to_contain_text("dataset")
    expect(side).to_contain_text("model")
    side.locator('[data-collection="raw"]').click()
    expect(page.locator("h2.art-title")).to_contain_text("raw:v0")
    expect(page.locator('.art-versions tr[data-version="v0"]')).to_contain_text("first")
    expect(page.locator('.art-versions tr[data-version="v0"]')).to_contain_text("ingest")
    expect(page.locator('.art-versions tr[data-version="v0"]')).to_contain_text("prep")  # used by
    expect(page.locator('[data-card="metadata"]')).to_contain_text("camera")
    expect(page.locator('[data-card="version"]')).to_contain_text("camera dump")
    page.locator('.art-files tr[data-path="README.txt"] a').click()
    expect(page.locator("pre.art-text")).to_contain_text("Two images and their labels.")
    page.locator('.art-files tr[data-path="images/img1.png"] a').click()
    img = page.locator("img.art-img")
    expect(img).to_be_visible()
    page.wait_for_function("() => { const i = document.querySelector('img.art-img'); return i && i.complete && i.naturalWidth === 64; }")
    assert distinct_colors(img.screenshot()) > 50  # the noise image, not a blank box
    shot(page, "artifacts-files")
    page.locator('.art-files tr[data-path="labels.table.json"] a').click()
    expect(page.locator("table.art-table")).to_contain_text("dog")
    shot(page, "artifacts-table-preview")
    assert console_errors == []


def test_diff_and_lineage(page: Any, lab: Served, console_errors: list[str]) -> None:
    page.goto(f"{lab.url}/p/lab/artifacts/clean")
    expect(page.locator("h2.art-title")).to_contain_text("clean:v1")
    expect(page.locator("h2.art-title")).to_contain_text("best")
    page.get_by_role("link", name="Diff", exact=True).click()
    expect(page.locator('[data-diff="added"]')).to_contain_text("stats.json")
    expect(page.locator('[data-diff="changed"]')).to_contain_text("rows.csv")
    expect(page.locator('[data-diff="removed"]')).to_contain_text("none")
    shot(page, "artifacts-diff")
    page.get_by_role("link", name="Lineage", exact=True).click()
    graph = page.locator("svg.lineage")
    expect(graph).to_be_visible()
    for node in ("artifact:lab/raw:v0", "artifact:lab/clean:v1", "artifact:lab/net:v0",
                 f"run:lab/{lab.ids['prep']}", f"run:lab/{lab.ids['train']}", f"run:lab/{lab.ids['eval']}"):
        expect(graph.locator(f'[data-node="{node}"]')).to_have_count(1)
    assert graph.locator("path.edge").count() >= 5
    expect(graph.locator("rect.focus")).to_have_count(1)
    shot(page, "artifacts-lineage")
    graph.locator(f'[data-node="run:lab/{lab.ids["train"]}"]').click()
    expect(page).to_have_url(f"{lab.url}/p/lab/r/{lab.ids['train']}")
    assert console_errors == []


def test_run_page_lists_logged_and_used(page: Any, lab: Served, console_errors: list[str]) -> None:
    page.goto(f"{lab.url}/p/lab/r/{lab.ids['train']}/artifacts")
    expect(page.locator('[data-card="artifacts-logged"]')).to_contain_text("net:v0")
    expect(page.locator('[data-card="artifacts-used"]')).to_contain_text("clean:v1")
    shot(page, "run-artifacts-tab")
    page.locator('[data-card="artifacts-used"] a').first.click()
    expect(page).to_have_url(f"{lab.url}/p/lab/artifacts/clean/v1")
    expect(page.locator("h2.art-title")).to_contain_text("clean:v1")
    assert console_errors == []
