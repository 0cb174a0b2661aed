"""The team server's project list in the browser (docs/team-server.md, "Projects and entities"):
a user who sees projects of several entities gets them under each entity's name, each shown by
its name (two entities each have a project "mnist"), the header names a key `lab:mnist` as
`lab / mnist`, and it says who is signed in, with a way to sign out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

import runyard
from conftest import shot
from team_cluster import team_app_on_postgres

pytestmark = pytest.mark.postgres


def _run_log(folder: Path, name: str) -> tuple[str, bytes]:
    run = runyard.init(project="mnist", name=name, dir=str(folder), mode="offline", settings={"console": "off"})
    for i in range(30):
        run.log({"loss": 1.0 / (i + 1)})
    run.finish()
    return run.id, (Path(run.dir) / "run.rylog").read_bytes()


@pytest.fixture
def team_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A team server on PostgreSQL with alice and bob, their team lab, and a project "mnist" of
    each of the three; yields its URL and the users' keys."""
    from runyard.server.auth import create_team, create_user
    from runyard.server.testing import serve_in_thread

    with team_app_on_postgres(tmp_path / "blobs") as app:
        store = app.state.store
        keys = {name: create_user(store, name) for name in ("alice", "bob")}
        create_team(store, "lab", ["alice", "bob"])
        with serve_in_thread(app) as base:
            for user, entity in (("alice", "alice"), ("bob", "bob"), ("alice", "lab")):
                run_id, log = _run_log(tmp_path / f"{user}-{entity}", f"{entity}-run")
                r = httpx.post(f"{base}/api/ingest/mnist/{run_id}?entity={entity}", content=log, timeout=30,
                               headers={"X-Api-Key": keys[user], "X-Runyard-Offset": "0",
                                        "X-Runyard-Head": log[:16].hex()})
                assert r.status_code == 200, r.text
            yield base, keys


def test_projects_of_several_entities_are_listed_under_each(team_server: tuple[str, dict[str, str]], page: Any) -> None:
    base, keys = team_server
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/signin"))
    page.get_by_label("API key").fill(keys["bob"])
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    # bob sees his own "mnist" and lab's, each under its entity and by its name; not alice's
    expect(page.locator("h2.entity")).to_have_text(["bob", "lab"])
    for entity in ("bob", "lab"):
        link = page.locator(f'table.list[data-entity="{entity}"] a')
        expect(link).to_have_text("mnist")
        assert link.get_attribute("href") == f"/p/{entity}%3Amnist"
    shot(page, "team-projects-by-entity")
    page.locator('table.list[data-entity="lab"] a').click()
    expect(page.locator(".runs-grid .row")).to_have_count(1)
    expect(page.locator(".runs-grid .row")).to_contain_text("lab-run")
    # its user: alice, whose key streamed it (not the OS login of the machine that ran it)
    user = page.locator(".runs-grid .row .cell").nth(2)
    expect(user).to_have_text("alice")
    shot(page, "team-run-user-column")
    expect(page.locator("header .crumbs")).to_contain_text("lab/mnist")
    # the header says who is signed in, and signs out
    expect(page.locator("header .who")).to_contain_text("bob")
    page.locator("header .who").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin"))
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/signin"))  # the session is gone
    # alice's own "mnist" (the first on the server: its key is the bare name) shows no entity
    page.get_by_label("API key").fill(keys["alice"])
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.locator("h2.entity")).to_have_text(["alice", "lab"])
    assert page.locator('table.list[data-entity="alice"] a').get_attribute("href") == "/p/mnist"
