"""Both blob stores against real storage: a local directory and a real SeaweedFS S3 server."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from runyard.store.blobs import (
    BlobNotFoundError,
    BlobStore,
    LocalBlobStore,
    blob_key,
    check_digest,
    open_blob_store,
)
from s3_server import S3Server


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        s: BlobStore = open_blob_store(tmp_path / "blobs")
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        bucket = server.make_bucket()
        for k, v in server.env().items():
            request.getfixturevalue("monkeypatch").setenv(k, v)
        # a small part size so a 12 MB file takes the multipart path
        s = open_blob_store(f"s3://{bucket}/team/blobs", endpoint=server.endpoint, part_size=5 << 20)
    yield s
    s.close()


def test_put_bytes_has_missing_size_open(store: BlobStore) -> None:
    data = b"hello blobs\n"
    r = store.put_bytes(data)
    assert r.digest == sha(data) and r.size == len(data) and r.created
    assert store.put_bytes(data).created is False  # stored once
    other = sha(b"not stored")
    assert store.has(r.digest) and not store.has(other)
    assert store.missing([other, r.digest, other]) == [other]
    assert store.size(r.digest) == len(data)
    with store.open(r.digest) as f:
        assert f.read() == data
    assert store.read_bytes(r.digest) == data
    assert list(store.iter_digests()) == [r.digest]


def test_put_file_streams_and_dedups(store: BlobStore, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    chunk = os.urandom(1 << 20)
    with open(big, "wb") as f:
        for i in range(12):
            f.write(bytes([i]) + chunk[1:])
    data = big.read_bytes()
    seen: list[int] = []
    r = store.put_file(big, progress=seen.append)
    assert r.digest == sha(data) and r.size == len(data) and r.created
    assert sum(seen) == len(data)
    again = store.put_file(big, digest=r.digest)
    assert again.created is False and again.digest == r.digest
    copy = tmp_path / "copy" / "big.bin"
    assert store.get_file(r.digest, copy) == copy
    assert copy.read_bytes() == data
    assert not [p for p in copy.parent.iterdir() if p.name != "big.bin"]  # no temp files left


def test_put_file_stores_the_bytes_it_hashed(store: BlobStore, tmp_path: Path) -> None:
    """A digest given by the caller that no longer matches the file: the blob gets its real hash."""
    f = tmp_path / "f.txt"
    f.write_bytes(b"version one")
    stale = sha(b"version one")
    f.write_bytes(b"version two, changed after hashing")
    r = store.put_file(f, digest=stale)
    assert r.digest == sha(b"version two, changed after hashing")
    assert store.missing([stale]) == [stale]
    assert store.read_bytes(r.digest) == f.read_bytes()


def test_missing_blob_errors(store: BlobStore, tmp_path: Path) -> None:
    absent = sha(b"absent")
    with pytest.raises(BlobNotFoundError, match=absent):
        store.size(absent)
    with pytest.raises(BlobNotFoundError, match=absent):
        store.open(absent)
    with pytest.raises(BlobNotFoundError):
        store.get_file(absent, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="sha256"):
        store.has("../../etc/passwd")
    with pytest.raises(FileNotFoundError):
        store.put_file(tmp_path / "nope")


def test_delete(store: BlobStore) -> None:
    r = store.put_bytes(b"to delete")
    store.delete(r.digest)
    assert not store.has(r.digest)
    store.delete(r.digest)  # no error when absent


def test_local_layout_and_concurrent_writers(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "b")
    data = os.urandom(3 << 20)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    results = []

    def put() -> None:
        results.append(store.put_file(src))

    threads = [threading.Thread(target=put) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    digest = sha(data)
    assert {r.digest for r in results} == {digest}
    assert (tmp_path / "b" / blob_key(digest)).read_bytes() == data
    assert list((tmp_path / "b" / "tmp").iterdir()) == []
    assert store.local_path(digest) == tmp_path / "b" / "sha256" / digest[:2] / digest


def test_local_tmp_cleanup(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "b")
    stray = tmp_path / "b" / "tmp" / ".blob-killed"
    stray.write_bytes(b"half a blob")
    os.utime(stray, (1, 1))
    assert store.cleanup_tmp() == 1 and not stray.exists()
    assert list(store.iter_digests()) == []


def test_open_blob_store_urls(tmp_path: Path) -> None:
    s = open_blob_store((tmp_path / "x").as_uri())
    assert isinstance(s, LocalBlobStore) and s.root == (tmp_path / "x").resolve()
    with pytest.raises(ValueError, match="expected s3://"):
        open_blob_store("gs://bucket/x")
    with pytest.raises(ValueError, match="s3://bucket"):
        open_blob_store("s3:///nobucket")
    with pytest.raises(ValueError, match="64 characters"):
        check_digest("ABC")


def test_s3_killed_multipart_upload_leaves_nothing_visible(s3_server: S3Server, tmp_path: Path) -> None:
    """An upload that never completes (the client died) is not a blob."""
    from runyard.store.blobs_s3 import S3BlobStore

    bucket = s3_server.make_bucket()
    store = S3BlobStore(f"s3://{bucket}", endpoint=s3_server.endpoint, part_size=5 << 20,
                        client=s3_server.client())
    data = os.urandom(6 << 20)
    digest = sha(data)
    key = blob_key(digest)
    up = store.client.create_multipart_upload(Bucket=bucket, Key=key)
    store.client.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=1, Body=data[: 5 << 20])
    assert store.missing([digest]) == [digest]
    assert list(store.iter_digests()) == []
    f = tmp_path / "d.bin"
    f.write_bytes(data)
    assert store.put_file(f).digest == digest  # a rerun completes it
    assert store.read_bytes(digest) == data


def test_local_put_known_copies_in_the_kernel_only_while_the_file_is_unchanged(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "b")
    src = tmp_path / "src.bin"
    data = os.urandom(5 << 20)
    src.write_bytes(data)
    st = src.stat()
    got = store.put_known(src, sha(data), st)
    assert got is not None and got.created and got.digest == sha(data) and got.size == len(data)
    assert (tmp_path / "b" / blob_key(sha(data))).read_bytes() == data
    assert store.put_known(src, sha(data), st) == type(got)(sha(data), len(data), False)  # already there
    # the file changed since its hash was known: nothing stored under the stale hash
    src.write_bytes(b"other bytes")
    assert store.put_known(src, sha(b"x"), st) is None
    assert not store.has(sha(b"x"))
    assert list((tmp_path / "b" / "tmp").iterdir()) == []
