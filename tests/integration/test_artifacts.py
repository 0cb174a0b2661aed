"""Artifacts end to end with real files, real runs and a real blob store (docs/artifacts.md)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import runyard
from runyard.artifacts.context import reset_contexts
from runyard.artifacts.names import ArtifactNotFoundError
from runyard.errors import RunyardWarning, UsageError
from runyard.log.reader import RunFolder
from runyard.log.records import Kind

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(autouse=True)
def _contexts() -> Iterator[None]:
    yield
    runyard.unset()
    reset_contexts()


def make_dir(base: Path, n: int = 5, size: int = 1000, seed: int = 0) -> Path:
    base.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sub = base / ("sub" if i % 2 else "") / f"f{i}.bin"
        sub.parent.mkdir(parents=True, exist_ok=True)
        sub.write_bytes(hashlib.sha256(f"{seed}-{i}".encode()).digest() * (size // 32 + 1))
    return base


def artifact_records(run_dir: str) -> list[dict]:
    return [r[1] for _, r in RunFolder(Path(run_dir)).records() if r[0] == Kind.ARTIFACT]


def test_log_use_versions_and_aliases(tmp_path: Path, runs_dir: Path) -> None:
    data = make_dir(tmp_path / "data")
    run = runyard.init(project="p")
    a = runyard.Artifact("ds", "dataset", description="first", metadata={"rows": 5})
    a.add_dir(data)
    with a.new_file("notes/readme.txt") as f:
        f.write("hello")
    assert a.name == "ds" and a.state == "PENDING"
    logged = run.log_artifact(a, aliases=["best"])
    assert logged is a
    a.wait()
    assert a.name == "ds:v0" and a.version == "v0" and a.aliases == ["best", "latest"]
    assert a.file_count == 6 and a.size == sum(p.stat().st_size for p in data.rglob("*") if p.is_file()) + 5

    same = runyard.Artifact("ds", "dataset")
    same.add_dir(data)
    with same.new_file("notes/readme.txt") as f:
        f.write("hello")
    run.log_artifact(same).wait()
    assert same.version == "v0"  # unchanged content: the same version

    (data / "f0.bin").write_bytes(b"changed")
    b = runyard.Artifact("ds", "dataset")
    b.add_dir(data)
    run.log_artifact(b).wait()
    assert b.version == "v1" and b.aliases == ["latest"]
    run.finish()

    recs = artifact_records(run.dir)
    assert [(r["action"], r["version"]) for r in recs] == [("logged", 0), ("logged", 0), ("logged", 1)]
    assert recs[0]["aliases"] == ["latest", "best"] and recs[0]["created"] and not recs[1]["created"]

    r2 = runyard.init(project="p")
    best = r2.use_artifact("ds:best")
    assert best.version == "v0" and best.metadata == {"rows": 5} and best.description == "first"
    assert r2.use_artifact("ds").version == "v1"
    assert runyard.use_artifact("p/ds:v0").digest == a.digest
    r2.finish()
    assert [r["action"] for r in artifact_records(r2.dir)] == ["used", "used", "used"]

    api = runyard.Api()
    v0 = api.artifact("p/ds:v0")
    assert v0.logged_by().id == run.id
    assert [r.id for r in v0.used_by()] == [r2.id]
    assert [v.version for v in api.artifacts("dataset", "p/ds")] == ["v0", "v1"]
    assert api.artifact_types("p") == ["dataset"] and api.artifact_collections("p") == ["ds"]
    assert api.artifact("p/ds:latest").version == "v1"
    # each run's versions, from its log: the one logged twice (same content) is listed once
    assert [v.name for v in api.run(f"p/{run.id}").logged_artifacts()] == ["ds:v0", "ds:v1"]
    assert api.run(f"p/{run.id}").used_artifacts() == []
    assert [v.name for v in api.run(f"p/{r2.id}").used_artifacts()] == ["ds:v0", "ds:v1"]


def test_download_verify_checkout_and_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = make_dir(tmp_path / "data", n=4, size=50_000)
    run = runyard.init(project="p")
    a = runyard.Artifact("ds", "dataset")
    a.add_dir(data)
    run.log_artifact(a).wait()
    run.finish()

    art = runyard.Api().artifact("p/ds:v0")
    folder = Path(art.download())
    assert folder == tmp_path / "artifacts" / "ds:v0"
    for p in data.rglob("*"):
        if p.is_file():
            assert (folder / p.relative_to(data)).read_bytes() == p.read_bytes()
    art.verify()
    inode = (folder / "f0.bin").stat().st_ino
    art.download()  # cached: nothing is copied again
    assert (folder / "f0.bin").stat().st_ino == inode

    (folder / "f0.bin").write_bytes(b"tampered")
    (folder / "extra.txt").write_text("x")
    with pytest.raises(ValueError, match=r"different content: f0.bin[\s\S]*not in the artifact: extra.txt"):
        art.verify()
    art.checkout()
    assert not (folder / "extra.txt").exists()
    art.verify()

    entry = art.get_entry("sub/f1.bin")
    assert entry.size == (data / "sub" / "f1.bin").stat().st_size
    other = tmp_path / "elsewhere"
    assert Path(entry.download(other)).read_bytes() == (data / "sub" / "f1.bin").read_bytes()
    with pytest.raises(KeyError, match="nope"):
        art.get_entry("nope")
    with pytest.raises(ValueError, match="one file"):
        art.file()


def test_single_file_models_and_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    weights = tmp_path / "model.pt"
    weights.write_bytes(os.urandom(4096))
    run = runyard.init(project="p")
    m = runyard.log_model(weights, name="net", aliases=["prod"])
    m.wait()
    assert m.type == "model" and m.version == "v0"
    linked = run.link_model(weights, "classifier", aliases=["staging"])
    assert linked.project == "model-registry" and linked.version == "v0" and "staging" in linked.aliases
    path = run.use_model("net:prod")
    assert Path(path).read_bytes() == weights.read_bytes()
    with pytest.raises(ValueError, match="has type 'model', not 'weights'"):
        run.log_artifact(weights, type="weights")  # link_model logged it as run-<id>-model.pt
    other = run.log_artifact(weights, name="w", type="weights")
    other.wait()
    assert other.name == "w:v0" and Path(other.file()).read_bytes() == weights.read_bytes()
    run.finish()
    recs = artifact_records(run.dir)
    assert [r["action"] for r in recs] == ["logged", "logged", "linked", "used", "logged"]
    assert recs[1]["name"] == f"run-{run.id}-model.pt"
    assert recs[2]["source"] == {"project": "p", "name": recs[1]["name"], "version": 0}
    assert recs[2]["project"] == "model-registry" and recs[2]["name"] == "classifier"
    reg = runyard.Api().artifact("model-registry/classifier:staging")
    assert reg.digest == runyard.Api().artifact("p/net:prod").digest


def test_rich_objects_and_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ref_dir = make_dir(tmp_path / "refs", n=3)
    run = runyard.init(project="p")
    a = runyard.Artifact("mixed", "dataset")
    table = runyard.Table(columns=["x", "label"], data=[[1, "a"], [2, "b"]])
    a.add(table, "preds")
    a.add_reference(ref_dir.as_uri(), name="raw")
    a.add_reference((ref_dir / "f0.bin").as_uri())
    run.log_artifact(a).wait()
    run.finish()
    art = runyard.Api().artifact("p/mixed:latest")
    view = art.get("preds")
    assert view.columns == ["x", "label"] and view.data == [[1, "a"], [2, "b"]]
    raw = art.get_entry("raw/f0.bin")
    assert raw.ref == (ref_dir / "f0.bin").resolve().as_uri()
    assert raw.digest == hashlib.sha256((ref_dir / "f0.bin").read_bytes()).hexdigest()
    folder = Path(art.download(tmp_path / "dl"))
    assert (folder / "raw" / "sub" / "f1.bin").read_bytes() == (ref_dir / "sub" / "f1.bin").read_bytes()
    art.verify(folder)
    with pytest.raises(KeyError, match="nothing"):
        art.get("nothing")


def test_partitioned_table_reads_its_parts_in_name_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runyard.types import PartitionedTable

    monkeypatch.chdir(tmp_path)
    run = runyard.init(project="p")
    a = runyard.Artifact("big", "dataset")
    for i in (1, 0, 10):  # added out of order; read back in name order (0000, 0001, 0010)
        a.add(runyard.Table(columns=["i", "sq"], data=[[i, i * i], [i + 100, None]]), f"parts/{i:04d}")
    a.add(runyard.Table(columns=["other"], data=[[1]]), "elsewhere")
    a.add(PartitionedTable("parts"), "all")
    run.log_artifact(a).wait()
    run.finish()
    whole = runyard.Api().artifact("p/big:latest").get("all")
    assert isinstance(whole, PartitionedTable) and whole == PartitionedTable("parts/")
    assert whole != PartitionedTable("other") and whole.columns == ["i", "sq"]
    assert list(whole.iterrows()) == [(0, [0, 0]), (1, [100, None]), (2, [1, 1]), (3, [101, None]),
                                      (4, [10, 100]), (5, [110, None])]
    assert len(whole.parts()) == 3 and list(PartitionedTable("parts").iterrows()) == []
    with pytest.raises(ValueError, match="parts_path"):
        PartitionedTable("")


def test_bad_input_is_named(tmp_path: Path) -> None:
    run = runyard.init(project="p")
    a = runyard.Artifact("ds", "dataset")
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        a.add_file(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError, match="nodir"):
        a.add_dir(tmp_path / "nodir")
    with pytest.raises(FileNotFoundError, match="gone"):
        run.log_artifact(tmp_path / "gone")
    with pytest.raises(ValueError, match="name 'a b/c' is not valid"):
        runyard.Artifact("a b/c", "dataset")
    with pytest.raises(ValueError, match="type"):
        runyard.Artifact("ok", "bad type!")
    f = tmp_path / "x.txt"
    f.write_text("x")
    with pytest.raises(ValueError, match=r"'\.\./x' is not valid"):
        a.add_file(f, name="../x")
    with pytest.raises(ValueError, match="looks like a version"):
        run.log_artifact(tmp_path / "x.txt", name="x", aliases=["v3"])
    with pytest.raises(ValueError, match="holds no files"):
        run.log_artifact(runyard.Artifact("empty", "dataset"))
    a.add_file(f)
    run.log_artifact(a).wait()
    with pytest.raises(UsageError, match="already logged"):
        a.add_file(f, name="y.txt")
    b = runyard.Artifact("ds", "model")
    b.add_file(f)
    with pytest.raises(ValueError, match="has type 'dataset', not 'model'"):
        run.log_artifact(b)
    with pytest.raises(ArtifactNotFoundError, match="no alias 'best'.*aliases: latest"):
        run.use_artifact("ds:best")
    with pytest.raises(ArtifactNotFoundError, match=r"no version v7 \(versions: v0\)"):
        run.use_artifact("ds:v7")
    with pytest.raises(ArtifactNotFoundError, match="no artifact 'nothing'"):
        run.use_artifact("nothing:latest")
    with pytest.raises(ValueError, match="has type 'dataset', not 'model'"):
        run.use_artifact("ds:v0", type="model")
    with pytest.raises(UsageError, match="not logged"):
        runyard.Artifact("z", "t").wait()
    run.finish()


def test_file_changed_after_add_is_stored_as_read_with_a_warning(tmp_path: Path) -> None:
    f = tmp_path / "ckpt.bin"
    f.write_bytes(b"epoch 1")
    run = runyard.init(project="p")
    a = runyard.Artifact("ckpt", "model")
    a.add_file(f)
    f.write_bytes(b"epoch 2, longer")  # changed after add_file, before the upload read it
    run.log_artifact(a)
    with pytest.warns(RunyardWarning, match=r"'ckpt.bin' \(.*ckpt.bin\) changed"):
        a.wait()
    assert a.get_entry("ckpt.bin").digest == hashlib.sha256(b"epoch 2, longer").hexdigest()
    assert Path(a.download(tmp_path / "dl")).joinpath("ckpt.bin").read_bytes() == b"epoch 2, longer"
    run.finish()


def test_mutable_policy_copies_at_add_time(tmp_path: Path) -> None:
    f = tmp_path / "ckpt.bin"
    f.write_bytes(b"epoch 1")
    run = runyard.init(project="p")
    a = runyard.Artifact("ckpt", "model")
    a.add_file(f, policy="mutable")
    f.write_bytes(b"epoch 2")
    run.log_artifact(a).wait()
    assert a.get_entry("ckpt.bin").digest == hashlib.sha256(b"epoch 1").hexdigest()
    run.finish()


KILLED = textwrap.dedent("""
    import os, signal, sys, threading
    sys.path.insert(0, {src!r})
    import runyard
    from runyard.artifacts import context as c
    run = runyard.init(project="p", settings={{"console": "off"}})
    a = runyard.Artifact("big", "dataset")
    a.add_dir({data!r})
    ctx = c.context()
    real = ctx.blobs.put_file
    count = [0]
    lock = threading.Lock()
    def put_file(*args, **kwargs):
        result = real(*args, **kwargs)
        with lock:
            count[0] += 1
            if count[0] == 4:  # killed mid-upload, with four files stored
                os.kill(os.getpid(), signal.SIGKILL)
        return result
    ctx.blobs.put_file = put_file
    run.log_artifact(a)
    a.wait()
    print("not killed")
""")


def test_killed_upload_is_invisible_and_a_rerun_completes_it(tmp_path: Path, runs_dir: Path) -> None:
    data = make_dir(tmp_path / "data", n=12, size=20_000)
    script = tmp_path / "kill.py"
    script.write_text(KILLED.format(src=str(SRC), data=str(data)))
    env = {**os.environ, "RUNYARD_DIR": str(runs_dir)}
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    api = runyard.Api(root=runs_dir)
    with pytest.raises(ArtifactNotFoundError, match="no artifact 'big'"):
        api.artifact("p/big:latest")
    assert api.artifact_collections("p") == []
    stored = list((runs_dir / ".blobs" / "sha256").rglob("*"))
    assert 4 <= len([p for p in stored if p.is_file()]) < 12  # some files made it, no version

    run = runyard.init(project="p")
    a = runyard.Artifact("big", "dataset")
    a.add_dir(data)
    run.log_artifact(a).wait()
    assert a.version == "v0"
    run.finish()
    got = api.artifact("p/big:v0")
    got.verify(got.download(tmp_path / "dl"))


def test_finish_waits_for_uploads(tmp_path: Path) -> None:
    data = make_dir(tmp_path / "data", n=20, size=200_000)
    run = runyard.init(project="p")
    a = runyard.Artifact("ds", "dataset")
    a.add_dir(data)
    run.log_artifact(a)
    run.finish()  # no wait(): finish() waits, and the record lands before END
    kinds = [r[0] for _, r in RunFolder(Path(run.dir)).records()]
    assert Kind.ARTIFACT in kinds and kinds.index(Kind.ARTIFACT) < kinds.index(Kind.END)
    assert a.state == "COMMITTED"


def test_s3_blob_store(tmp_path: Path, s3_server: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from s3_server import S3Server

    assert isinstance(s3_server, S3Server)
    bucket = s3_server.make_bucket()
    for k, v in s3_server.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("RUNYARD_BLOBS", f"s3://{bucket}/artifacts")
    data = make_dir(tmp_path / "data", n=3, size=10_000)
    client = s3_server.client()
    client.put_object(Bucket=bucket, Key="raw/one.txt", Body=b"one")  # type: ignore[attr-defined]
    run = runyard.init(project="p")
    a = runyard.Artifact("ds", "dataset")
    a.add_dir(data)
    a.add_reference(f"s3://{bucket}/raw/one.txt")
    run.log_artifact(a).wait()
    run.finish()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="artifacts/")["Contents"]]  # type: ignore[attr-defined]
    assert len(keys) == 4  # three files and the manifest
    art = runyard.Api().artifact("p/ds:v0")
    folder = Path(art.download(tmp_path / "dl"))
    assert (folder / "one.txt").read_bytes() == b"one"
    art.verify(folder)


def test_known_hash_with_its_blob_gone_is_copied_again_and_verified(
    tmp_path: Path, runs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash cache knows a file's hash but the blob was removed (a cleanup): the file is
    stored again without hashing (a kernel copy), and a file that changed meanwhile is hashed."""
    from runyard.artifacts.context import context
    from runyard.store.blobs import LocalBlobStore

    known: list[object] = []
    real = LocalBlobStore.put_known

    def spy(self: LocalBlobStore, *args: object, **kw: object) -> object:
        known.append(result := real(self, *args, **kw))  # type: ignore[arg-type]
        return result

    monkeypatch.setattr(LocalBlobStore, "put_known", spy)
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "same.bin").write_bytes(b"same bytes" * 1000)
    (folder / "edited.bin").write_bytes(b"first")
    run = runyard.init(project="p")
    first = run.log_artifact(folder, name="d", type="dataset")
    first.wait()
    blobs = context(runs_dir).blobs
    for e in ("same.bin", "edited.bin"):
        blobs.delete(first.get_entry(e).digest)
    (folder / "edited.bin").write_bytes(b"second, longer")
    again = run.log_artifact(folder, name="d", type="dataset")
    again.wait()
    for e, want in (("same.bin", b"same bytes" * 1000), ("edited.bin", b"second, longer")):
        digest = again.get_entry(e).digest
        assert digest == hashlib.sha256(want).hexdigest()
        with blobs.open(digest) as f:
            assert f.read() == want
    assert again.version == "v1"
    assert len(known) == 1 and known[0] is not None  # same.bin: a kernel copy; edited.bin: hashed
    run.finish()


def test_save_edits_delete_drafts_and_ttl(tmp_path: Path, runs_dir: Path) -> None:
    """wandb's save() of a stored version, delete(), new_draft() and ttl, in the registry and in
    the index the UI reads (rebuilt from the run logs)."""
    from datetime import timedelta

    from click.testing import CliRunner

    from runyard.artifacts.cli import artifact_group
    from runyard.server.app import create_app
    from runyard.server.testing import InProcessClient

    folder = make_dir(tmp_path / "d", n=3)
    run = runyard.init(project="p")
    a = runyard.Artifact("d", "dataset", description="first", metadata={"rows": 1})
    a.add_dir(folder)
    a.ttl = timedelta(days=30)
    run.log_artifact(a, aliases=["raw"]).wait()
    assert a.ttl == timedelta(days=30)
    with pytest.raises(TypeError, match="timedelta"):
        a.ttl = 30  # type: ignore[assignment]
    # save(): description, metadata, aliases of the stored version
    a.description, a.metadata, a.aliases = "checked", {"rows": 2}, ["clean"]
    a.save()
    got = runyard.Api(root=runs_dir).artifact("p/d:clean")
    assert (got.version, got.description, got.metadata, sorted(got.aliases)) == ("v0", "checked", {"rows": 2},
                                                                                ["clean", "latest"])
    with pytest.raises(ArtifactNotFoundError, match="raw"):
        runyard.Api(root=runs_dir).artifact("p/d:raw")
    # new_draft(): the same files by hash, one changed, one added: a new version, no file copied twice
    draft = got.new_draft()
    draft.remove("f0.bin")
    (tmp_path / "new.txt").write_text("new")
    draft.add_file(tmp_path / "new.txt")
    run.log_artifact(draft).wait()
    assert draft.version == "v1" and sorted(e.path for e in draft.files()) == sorted(
        ["sub/f1.bin", "f2.bin", "new.txt"])
    assert draft.get_entry("f2.bin").digest == got.get_entry("f2.bin").digest
    assert draft.ttl == timedelta(days=30)  # kept from the version it was drafted from
    # incremental=True: logged on top of the latest version
    inc = runyard.Artifact("d", "dataset", incremental=True)
    (tmp_path / "more.txt").write_text("more")
    inc.add_file(tmp_path / "more.txt")
    run.log_artifact(inc).wait()
    assert inc.version == "v2" and sorted(e.path for e in inc.files()) == sorted(
        ["sub/f1.bin", "f2.bin", "new.txt", "more.txt"])
    inc.delete(delete_aliases=True)
    # delete(): refused with aliases unless asked; the number is never given out again
    with pytest.raises(UsageError, match="aliases"):
        draft.delete()
    draft.delete(delete_aliases=True)
    with pytest.raises(UsageError, match="deleted"):
        draft.download(tmp_path / "x")
    assert runyard.Api(root=runs_dir).artifact("p/d:latest").version == "v0"  # latest moved back
    (tmp_path / "other.txt").write_text("other")
    assert run.log_artifact(tmp_path / "other.txt", name="d", type="dataset").wait().version == "v3"
    run.finish()
    # the index, built from the logs, agrees
    with InProcessClient(create_app(runs_dir, follow=False)) as client:
        r = client.get("/api/projects/p/artifacts/d/versions")
        assert r.status_code == 200, r.text
        versions = r.json()["versions"]
        assert [(v["version"], v["description"], sorted(v["aliases"])) for v in versions] == [
            (0, "checked", ["clean"]), (3, None, ["latest"])]
        assert versions[0]["metadata"] == {"rows": 2}
    # ttl: a version past its ttl is deleted by the cleanup (a short auto run records it)
    runyard.unset()
    from runyard.artifacts.context import context
    from runyard.artifacts.edits import expire

    v0 = runyard.Api(root=runs_dir).artifact("p/d:v0")
    assert expire(context(runs_dir), now=v0.created_at + 29 * 86400) == []
    assert expire(context(runs_dir), now=v0.created_at + 31 * 86400, dry_run=True) == ["p/d:v0"]
    short = runyard.Artifact("scratch", "tmp")
    (tmp_path / "s.txt").write_text("scratch")
    short.add_file(tmp_path / "s.txt")
    short.ttl = timedelta(milliseconds=1)
    short.save(project="p")  # no run: logged by a short auto run
    assert short.version == "v0"
    out = CliRunner().invoke(artifact_group, ["cache", "cleanup", "--dir", str(runs_dir), "--older-than", "0"])
    assert out.exit_code == 0 and "past their TTL: p/scratch:v0" in out.output, out.output
    with pytest.raises(ArtifactNotFoundError):
        runyard.Api(root=runs_dir).artifact("p/scratch:v0")
    assert not context(runs_dir).blobs.has(hashlib.sha256(b"scratch").hexdigest())  # its file went too
    with InProcessClient(create_app(runs_dir, follow=False)) as client:
        assert client.get("/api/projects/p/artifacts/scratch/versions").status_code == 404
        assert [v["version"] for v in client.get("/api/projects/p/artifacts/d/versions").json()["versions"]] == [0, 3]
