"""Saved workspace views: versions, the later save wins and says what it replaced, validation
errors in the API's one error shape, names checked, views survive a reindex."""

from __future__ import annotations

from pathlib import Path

from runyard.server import create_app
from runyard.server.testing import InProcessClient
from runyard.store.fixtures import LogWriter

LAYOUT = {"sections": [{"name": "train", "collapsed": False, "panels": [
    {"id": "p1", "kind": "line", "keys": ["train/loss", "val/loss"], "title": "Losses", "x_axis": "epoch",
     "smoothing": 0.6, "y_min": 0, "max_runs": 50, "width": 2}]}], "settings": {"group": "optimizer"}}


def test_views_save_read_conflict_and_errors(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "proj", "run00001")
    w.row({"train/loss": 1.0})
    w.end()
    with InProcessClient(create_app(root, follow=False)) as c:
        assert c.get("/api/projects/proj/views").json() == {"views": []}
        first = c.request("PUT", "/api/projects/proj/views/mine", json={"layout": LAYOUT}).json()
        assert first["version"] == 1 and first["replaced"] is None
        got = c.get("/api/projects/proj/views/mine").json()
        assert got["layout"]["sections"][0]["panels"][0]["keys"] == ["train/loss", "val/loss"]
        assert got["layout"]["settings"] == {"group": "optimizer"}
        # two editors start from version 1; B saves, then A: A's save wins and says it replaced B's
        b = c.request("PUT", "/api/projects/proj/views/mine", json={"layout": {"sections": []}, "base_version": 1}).json()
        assert b["version"] == 2 and b["replaced"] is None
        a = c.request("PUT", "/api/projects/proj/views/mine", json={"layout": LAYOUT, "base_version": 1}).json()
        assert a["version"] == 3 and a["replaced"]["version"] == 2
        assert c.get("/api/projects/proj/views/mine").json()["version"] == 3  # B sees the newer version
        assert [v["name"] for v in c.get("/api/projects/proj/views").json()["views"]] == ["mine"]
        # a layout that fails validation is refused with the one error shape; nothing is saved
        bad = c.request("PUT", "/api/projects/proj/views/mine", json={"layout": {"sections": [{"name": "x", "panels": [{"id": "p", "kind": "line", "width": 7}]}]}})
        assert bad.status_code == 400 and bad.json()["ok"] is False and "width" in bad.json()["error"]
        extra = c.request("PUT", "/api/projects/proj/views/mine", json={"layout": {"sectionz": []}})
        assert extra.status_code == 400 and "sectionz" in extra.json()["error"]
        assert c.get("/api/projects/proj/views/mine").json()["version"] == 3
        assert c.request("PUT", "/api/projects/proj/views/.hidden", json={"layout": {}}).status_code == 400
        assert c.get("/api/projects/proj/views/none").status_code == 404
    # views are user data, not index data: a fresh index (reindex) still has them
    (root / ".runyard" / "index.sqlite3").unlink()
    with InProcessClient(create_app(root, follow=False)) as c:
        assert c.get("/api/projects/proj/views/mine").json()["version"] == 3
        assert c.request("DELETE", "/api/projects/proj/views/mine").json() == {"ok": True}
        assert c.get("/api/projects/proj/views/mine").status_code == 404
