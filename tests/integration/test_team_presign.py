"""Presigned uploads (docs/team-server.md, "Logging to it"): a team server on an S3 store hands
out presigned PUT URLs that carry each blob's sha256, so clients send media straight to the
bucket and the store itself refuses bytes that do not match; on real PostgreSQL and SeaweedFS."""

from __future__ import annotations

import base64
import hashlib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import runyard
from runyard.server import team as team_module
from runyard.server.app import create_app
from runyard.server.auth import create_user
from runyard.server.testing import InProcessClient, serve_in_thread
from runyard.store.blobs_s3 import S3BlobStore
from runyard.store.fixtures import postgres_url, unique_schema
from s3_server import S3Server

pytestmark = pytest.mark.postgres


def s3_team_app(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Any:
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (database 'test')")
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    blobs = S3BlobStore(f"s3://{s3_server.make_bucket()}/team", endpoint=s3_server.endpoint)
    return create_app(None, url, schema=unique_schema(), blobs=blobs), blobs


def put(upload: dict[str, Any], data: bytes) -> int:
    req = urllib.request.Request(upload["url"], data=data, method="PUT", headers=upload["headers"])
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_presigned_urls_refuse_bytes_of_another_hash(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    app, blobs = s3_team_app(s3_server, monkeypatch)
    store = app.state.store
    key = create_user(store, "alice")
    data = b"a media file" * 100
    digest = hashlib.sha256(data).hexdigest()
    try:
        with InProcessClient(app) as client:
            ask = client.post("/api/blobs/missing", json={"hashes": [digest]}, headers={"X-Api-Key": key}).json()
            assert ask["missing"] == [digest]
            upload = ask["uploads"][digest]
            assert upload["headers"]["x-amz-checksum-sha256"] == base64.b64encode(bytes.fromhex(digest)).decode()
            assert put(upload, b"other bytes" * 100) == 400  # the store checks the hash itself
            assert blobs.missing([digest]) == [digest]
            assert put(upload, data) == 200
            assert blobs.missing([digest]) == [] and blobs.read_bytes(digest) == data
            again = client.post("/api/blobs/missing", json={"hashes": [digest]}, headers={"X-Api-Key": key}).json()
            assert again == {"missing": [], "uploads": {}}
    finally:
        store.drop_schema()


def test_an_online_run_sends_its_media_straight_to_the_bucket(s3_server: S3Server, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Uploads through the server are switched off (any body is too large): the run's image still
    arrives, through its presigned URL."""
    import numpy as np

    app, blobs = s3_team_app(s3_server, monkeypatch)
    store = app.state.store
    key = create_user(store, "alice")
    monkeypatch.setattr(team_module, "MAX_BLOB_BYTES", 0)
    try:
        with serve_in_thread(app) as base:
            monkeypatch.setenv("RUNYARD_BASE_URL", base)
            monkeypatch.setenv("RUNYARD_API_KEY", key)
            monkeypatch.setenv("RUNYARD_FSYNC_INTERVAL", "0.1")
            run = runyard.init(project="vision", mode="online")
            pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
            for i in range(20):
                run.log({"loss": 1.0 / (i + 1), **({"img": runyard.Image(pixels)} if i == 5 else {})})
            run.finish()
            local = next((Path(run.dir) / "media").rglob("*.png")).read_bytes()
            assert blobs.missing([hashlib.sha256(local).hexdigest()]) == []
            remote = runyard.Api(base_url=base, api_key=key).run(f"vision/{run.id}")
            image = [f["path"] for f in remote.files() if f["path"].endswith(".png")]
            assert len(image) == 1 and remote.download(image[0]) == local
            assert remote.state == "finished"
    finally:
        store.drop_schema()
