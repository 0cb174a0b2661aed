"""``Artifact``: a versioned set of files, shaped like wandb's (docs/artifacts.md).

A new artifact collects entries (files, folders, references, rich objects) and is logged by a
run; its files are hashed and stored in the background (``upload.py``) and it becomes version
``vN`` once every file and its manifest are stored. An artifact read back (``use_artifact``,
``Api().artifact``) is that version: its manifest, aliases and metadata, and ``download`` /
``file`` / ``checkout`` / ``verify`` / ``get`` to reach its files.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import RunyardWarning, UsageError
from .manifest import Manifest, ManifestEntry
from .names import ArtifactNotFoundError, check_entry_path, check_name

PENDING, UPLOADING, COMMITTED, DELETED = "PENDING", "UPLOADING", "COMMITTED", "DELETED"


@dataclass(slots=True)
class Pending:
    """An entry added to a new artifact, stored when the artifact is logged."""

    path: str
    source: str | None = None  # a local file whose bytes go to the blob store
    ref: str | None = None  # a reference URI (file://, s3://): bytes stay where they are
    stat: os.stat_result | None = None  # the source's stat when it was added
    digest: str | None = None
    size: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class ArtifactEntry:
    """One file of an artifact version (``artifact.get_entry(path)``)."""

    def __init__(self, artifact: Artifact, entry: ManifestEntry) -> None:
        self._artifact = artifact
        self.path = entry.path
        self.digest = entry.digest
        self.size = entry.size
        self.ref = entry.ref
        self.extra = entry.extra

    def download(self, root: str | os.PathLike[str] | None = None) -> str:
        """Download this file (under ``root``, default the artifact's folder); returns its path."""
        folder = self._artifact.download(root, path_prefix=self.path, _exact=True)
        return str(Path(folder) / self.path)

    def ref_target(self) -> str:
        if self.ref is None:
            raise ValueError(f"{self.path!r} is a stored file, not a reference")
        return self.ref

    def __repr__(self) -> str:
        return f"<ArtifactEntry {self.path} ({self.size} bytes)>"


class Artifact:
    """``Artifact(name, type, description=None, metadata=None, incremental=False)``: files to log as
    one version; an incremental one is logged as the collection's latest version plus (or with
    replaced) these files."""

    def __init__(self, name: str, type: str, description: str | None = None,
                 metadata: dict[str, Any] | None = None, incremental: bool = False,
                 use_as: str | None = None) -> None:
        self._name = check_name("name", name)
        self._type = check_name("type", type)
        self.description = description
        if metadata is not None and not isinstance(metadata, dict):
            raise TypeError(f"Artifact metadata must be a dict, got {type(metadata).__name__}")
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._pending: dict[str, Pending] = {}
        self._manifest: Manifest | None = None
        self._doc: dict[str, Any] | None = None
        self._ctx: Any = None
        self._staging: Path | None = None
        self._state = PENDING
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._warnings: list[str] = []
        self._server_version: int | None = None  # online: the team server's number for this version
        self._ttl: float | None = None  # seconds (the ttl property takes a timedelta)
        self._pull: Any = None  # a version read from the team server: pulls entries' blobs into the local store
        self._requested_aliases: list[str] = []
        self._project: str | None = None
        self._entity: str | None = None
        self._progress: Any = None  # called with bytes moved, from worker threads (CLI progress bars)
        self._deferred_dirs: list[Path] = []  # folders of log_artifact(path), walked by the uploader
        self._incremental = bool(incremental)  # logged on top of the collection's latest version

    # -- identity ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """``name`` before logging, ``name:vN`` once it is a version (as wandb)."""
        return f"{self._name}:{self.version}" if self._doc is not None else self._name

    source_name = name

    @property
    def collection_name(self) -> str:
        return self._name

    @property
    def type(self) -> str:
        return self._type

    @property
    def state(self) -> str:
        return self._state

    @property
    def version(self) -> str:
        if self._doc is None:
            raise self._not_stored("version")
        if self._server_version is not None:  # online mode: the number the team server gave it
            return f"v{self._server_version}"
        return f"v{self._doc['version']}"

    @property
    def project(self) -> str | None:
        return self._project

    @property
    def entity(self) -> str | None:
        return self._entity

    @property
    def qualified_name(self) -> str:
        return f"{self._entity or 'local'}/{self._project}/{self.name}"

    @property
    def id(self) -> str | None:
        return self.digest if self._doc is not None else None

    @property
    def digest(self) -> str:
        """The SHA-256 of the version's manifest: equal digests, equal contents."""
        return self._stored_manifest("digest").digest

    @property
    def manifest(self) -> Manifest:
        return self._stored_manifest("manifest")

    def _stored_manifest(self, what: str) -> Manifest:
        """The manifest of the logged version, for a property ``what`` that has no value before."""
        if self._manifest is None:
            raise self._not_stored(what)
        return self._manifest

    def _not_stored(self, what: str) -> UsageError:
        return UsageError(f"artifact {self._name!r} has no {what} until it is logged and stored (call wait())")

    @property
    def size(self) -> int:
        if self._manifest is not None:
            return self._manifest.size
        return sum(p.size for p in self._pending.values())

    @property
    def file_count(self) -> int:
        return len(self._manifest) if self._manifest is not None else len(self._pending)

    @property
    def aliases(self) -> list[str]:
        if self._doc is not None:
            return list(self._doc.get("aliases", []))
        return list(self._requested_aliases)

    @aliases.setter
    def aliases(self, value: list[str]) -> None:
        from .names import check_alias

        self._requested_aliases = [check_alias(a) for a in value if a != "latest"]

    @property
    def created_at(self) -> float | None:
        return None if self._doc is None else float(self._doc["created_at"])

    def __repr__(self) -> str:
        return f"<Artifact {self.name} ({self._type}, {self._state})>"

    # -- adding (before logging) -------------------------------------------------------------

    def _check_mutable(self) -> None:
        if self._state != PENDING:
            raise UsageError(
                f"artifact {self.name!r} was already logged and cannot change; make a new "
                "Artifact (an unchanged one logged again is the same version)"
            )

    def _stage_dir(self) -> Path:
        if self._staging is None:
            self._staging = Path(tempfile.mkdtemp(prefix="runyard-artifact-"))
        return self._staging

    def _add_pending(self, p: Pending, overwrite: bool) -> None:
        if p.path in self._pending and not overwrite:
            raise ValueError(
                f"artifact {self._name!r} already has a file {p.path!r}; pass overwrite=True to replace it"
            )
        self._pending[p.path] = p

    def add_file(self, local_path: str | os.PathLike[str], name: str | None = None,
                 is_tmp: bool = False, skip_cache: bool = False, policy: str = "immutable",
                 overwrite: bool = False) -> ArtifactEntry | None:
        """Add one file as ``name`` (default: its file name). With ``policy="mutable"`` it is
        copied now, so the caller may change it at once; by default its bytes are read when the
        artifact is stored (a change meanwhile is stored too, with a warning naming the file)."""
        self._check_mutable()
        path = Path(local_path)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise FileNotFoundError(f"add_file(): no file {os.fspath(local_path)!r}") from None
        if not path.is_file():
            raise IsADirectoryError(f"add_file(): {os.fspath(local_path)!r} is not a file (use add_dir for folders)")
        entry_name = check_entry_path(name if name is not None else path.name)
        if policy not in ("mutable", "immutable"):
            raise ValueError(f"add_file(): policy must be 'mutable' or 'immutable', got {policy!r}")
        source = str(path.resolve())
        if policy == "mutable":
            copy = self._stage_dir() / "files" / entry_name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy)
            source, st = str(copy), copy.stat()
        self._add_pending(Pending(entry_name, source=source, stat=st, size=st.st_size), overwrite)
        return None

    def add_dir(self, local_path: str | os.PathLike[str], name: str | None = None,
                skip_cache: bool = False, policy: str = "immutable", merge: bool = False) -> None:
        """Add every file under a folder, as ``name/<relative path>`` (or at the top)."""
        self._check_mutable()
        root = Path(local_path)
        if not root.exists():
            raise FileNotFoundError(f"add_dir(): no folder {os.fspath(local_path)!r}")
        if not root.is_dir():
            raise NotADirectoryError(f"add_dir(): {os.fspath(local_path)!r} is not a folder (use add_file)")
        prefix = check_entry_path(name) + "/" if name else ""
        if policy == "mutable":
            for full, rel in _walk(root.resolve()):
                self.add_file(full, prefix + rel, policy="mutable", overwrite=merge)
            return
        self._add_walked(root.resolve(), prefix, merge)

    def _add_walked(self, root: Path, prefix: str, overwrite: bool) -> None:
        for full, rel in _walk(root):
            try:
                st = os.stat(full)
            except FileNotFoundError:
                continue  # removed while the folder was walked
            entry = check_entry_path(prefix + rel)
            self._add_pending(Pending(entry, source=full, stat=st, size=st.st_size), overwrite)

    def _expand_deferred(self) -> None:
        """Walk the folders given to ``log_artifact(path)`` (done by the uploader, so the call
        returns at once whatever the folder's size)."""
        while self._deferred_dirs:
            self._add_walked(self._deferred_dirs.pop(0), "", False)

    def add_reference(self, uri: str | os.PathLike[str], name: str | None = None, checksum: bool = True,
                      max_objects: int | None = None) -> list[ArtifactEntry]:
        """Add a reference: ``file://`` (a file or a folder) or ``s3://bucket/key`` (an object or a
        prefix). The bytes stay where they are; they are checksummed when runyard can read them."""
        self._check_mutable()
        from .references import expand_reference

        for p in expand_reference(os.fspath(uri), name, checksum, max_objects or 10_000):
            self._add_pending(p, overwrite=False)
        return []

    def add(self, obj: Any, name: str, overwrite: bool = False) -> ArtifactEntry | None:
        """Add a rich object (``Table``, ``Image``, ...) as ``name``; ``get(name)`` reads it back."""
        self._check_mutable()
        from ..types.base import Media, MediaStore

        if not isinstance(obj, Media):
            raise TypeError(
                f"add(): expected a runyard rich type (Table, Image, ...), got {type(obj).__name__}; "
                "use add_file for files"
            )
        check_entry_path(name)
        folder = self._stage_dir() / "objects"
        store = MediaStore(folder)
        ref = obj.to_ref(store)
        # the object's files (a table's file and its media cells' files) are content-addressed
        # under media/, so objects sharing files share entries
        for full in sorted((folder / "media").rglob("*")):
            if full.is_file() and not full.name.startswith("."):
                rel = full.relative_to(folder).as_posix()
                st = full.stat()
                self._pending.setdefault(rel, Pending(rel, source=str(full), stat=st, size=st.st_size))
        kind = str(ref["_type"]).removesuffix("-file")
        meta_path = self._stage_dir() / "objects" / f"{name}.{kind}.json"
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        meta_path.write_text(json.dumps(ref, sort_keys=True), encoding="utf-8")
        st = meta_path.stat()
        self._add_pending(Pending(f"{name}.{kind}.json", source=str(meta_path), stat=st, size=st.st_size), overwrite)
        return None

    @contextmanager
    def new_file(self, name: str, mode: str = "x", encoding: str | None = None) -> Iterator[IO[Any]]:
        """Write a new file into the artifact: ``with artifact.new_file("a.txt") as f: f.write(...)``."""
        self._check_mutable()
        entry = check_entry_path(name)
        if entry in self._pending:
            raise ValueError(f"artifact {self._name!r} already has a file {entry!r}")
        path = self._stage_dir() / "new" / entry
        path.parent.mkdir(parents=True, exist_ok=True)
        if "b" not in mode and encoding is None:
            encoding = "utf-8"
        with open(path, mode.replace("x", "w"), encoding=encoding) as f:
            yield f
        st = path.stat()
        self._add_pending(Pending(entry, source=str(path), stat=st, size=st.st_size), overwrite=False)

    def remove(self, item: str | ArtifactEntry) -> None:
        """Remove a file (or every file under a folder name) added before logging."""
        self._check_mutable()
        path = item.path if isinstance(item, ArtifactEntry) else check_entry_path(item)
        gone = [p for p in self._pending if p == path or p.startswith(path + "/")]
        if not gone:
            raise FileNotFoundError(f"artifact {self._name!r} has no file {path!r}")
        for p in gone:
            del self._pending[p]

    # -- reading (a stored version) ----------------------------------------------------------

    def _require_committed(self, what: str) -> Manifest:
        if self._state != COMMITTED:
            if self._state == UPLOADING:
                self.wait()
            elif self._state == DELETED:
                raise UsageError(f"{what}: artifact {self.name!r} was deleted")
            else:
                raise UsageError(f"{what}: artifact {self._name!r} is not logged yet; log it (and wait()) first")
        assert self._manifest is not None
        return self._manifest

    def get_entry(self, name: str) -> ArtifactEntry:
        manifest = self._require_committed("get_entry()")
        path = check_entry_path(name)
        entry = manifest.entries.get(path)
        if entry is None:
            raise KeyError(f"artifact {self.name!r} has no file {path!r}")
        return ArtifactEntry(self, entry)

    def files(self) -> list[ArtifactEntry]:
        manifest = self._require_committed("files()")
        return [ArtifactEntry(self, e) for e in manifest]

    def get(self, name: str) -> Any:
        """The rich object added with ``add(obj, name)`` (a view: ``TableView``, ``ImageView``, ...)."""
        manifest = self._require_committed("get()")
        meta = next((p for p in manifest.entries if p.startswith(name + ".") and p.endswith(".json")
                     and p.count(".") == name.count(".") + 2), None)
        if meta is None:
            raise KeyError(f"artifact {self.name!r} has no object {name!r} (added with add(obj, name))")
        from .transfer import read_entry_bytes

        if self._pull is not None:
            self._pull([manifest.entries[meta]])
        ref = json.loads(read_entry_bytes(self, manifest.entries[meta]))
        if ref.get("_type") == "partitioned-table":
            from ..types.partitioned_table import PartitionedTable

            prefix = str(ref["parts_path"]) + "/"
            names = sorted(p.removesuffix(".table.json") for p in manifest.entries
                           if p.startswith(prefix) and p.endswith(".table.json"))
            return PartitionedTable._from_artifact(ref["parts_path"], lambda: [self.get(n) for n in names])
        folder = Path(self.download(path_prefix="media/"))
        from ..types.views import convert_refs

        return convert_refs(ref, folder)

    def download(self, root: str | os.PathLike[str] | None = None, allow_missing_references: bool = False,
                 skip_cache: bool | None = None, path_prefix: str | None = None,
                 _exact: bool = False) -> str:
        """Download the version's files under ``root`` (default ``./artifacts/<name>:<version>``);
        files already there with the right hash are not copied again. Returns the folder."""
        from .transfer import download

        manifest = self._require_committed("download()")
        if self._pull is not None:
            self._pull([e for e in manifest if path_prefix is None or e.path.startswith(path_prefix)])
        return str(download(self, manifest, root, path_prefix, _exact, allow_missing_references, self._progress))

    def file(self, root: str | os.PathLike[str] | None = None) -> str:
        """The path of the one file of a single-file artifact, downloaded."""
        manifest = self._require_committed("file()")
        if len(manifest) != 1:
            raise ValueError(
                f"file() is for artifacts of one file; {self.name!r} has {len(manifest)} (use download())"
            )
        entry = next(iter(manifest))
        return str(Path(self.download(root)) / entry.path)

    def checkout(self, root: str | os.PathLike[str] | None = None) -> str:
        """Make ``root`` hold exactly this version's files (others are deleted)."""
        folder = Path(self.download(root))
        manifest = self._require_committed("checkout()")
        for dirpath, dirs, files in os.walk(folder, topdown=False):
            for f in files:
                rel = os.path.relpath(os.path.join(dirpath, f), folder).replace(os.sep, "/")
                if rel not in manifest.entries:
                    os.unlink(os.path.join(dirpath, f))
            for d in dirs:
                try:
                    os.rmdir(os.path.join(dirpath, d))
                except OSError:
                    pass  # not empty
        return str(folder)

    def verify(self, root: str | os.PathLike[str] | None = None) -> None:
        """Check that ``root`` holds exactly this version's files with their hashes; raises
        ``ValueError`` naming every file that is missing, extra or different."""
        from .transfer import verify

        verify(self, self._require_committed("verify()"), root)

    def default_root(self) -> Path:
        sep = ":" if os.name != "nt" else "-"
        return Path.cwd() / "artifacts" / f"{self._name}{sep}{self.version}"

    # -- logging -----------------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> Artifact:
        """Block until the logged artifact is stored and numbered; raises what went wrong."""
        if self._state == PENDING:
            raise UsageError(f"wait(): artifact {self._name!r} was not logged (run.log_artifact(artifact))")
        if not self._done.wait(timeout):
            raise TimeoutError(f"artifact {self._name!r} is still being stored after {timeout} s")
        self._flush_warnings()
        if self._error is not None:
            raise self._error
        return self

    def is_draft(self) -> bool:
        return self._state == PENDING

    def _flush_warnings(self) -> None:
        while self._warnings:
            warnings.warn(self._warnings.pop(0), RunyardWarning, stacklevel=3)

    def logged_by(self) -> Any:
        """The run that logged this version (an ``Api`` run), or None."""
        self._require_committed("logged_by()")
        from .api import run_for

        assert self._doc is not None
        by = self._doc.get("logged_by")
        return run_for(self, by) if by else None

    def used_by(self) -> list[Any]:
        """The runs that used this version (``Api`` runs)."""
        self._require_committed("used_by()")
        from .api import run_for

        assert self._doc is not None and self._ctx is not None and self._project is not None
        seen: dict[str, Any] = {}
        for use in self._ctx.registry.uses(self._project, self._name, int(self._doc["version"])):
            if use["run"] not in seen:
                seen[use["run"]] = run_for(self, use["run"])
        return [r for r in seen.values() if r is not None]

    def save(self, project: str | None = None, settings: Any = None) -> None:
        """A new artifact: log it (by the current run, else a short ``auto`` run of ``project``).
        A stored version: save edits to its description, metadata, aliases and ttl."""
        from .edits import save

        save(self, project)

    def delete(self, delete_aliases: bool = False) -> None:
        """Delete this version (its files go with ``runyard artifact cache cleanup`` when no other
        version holds them); with aliases only when ``delete_aliases``."""
        from .edits import delete

        delete(self, delete_aliases)

    def new_draft(self) -> Artifact:
        """A new artifact with this version's files, to change and log as a new version."""
        from .edits import new_draft

        return new_draft(self)

    @property
    def ttl(self) -> Any:
        """How long the version is kept after it was logged (a ``timedelta``), or None: forever.
        Set it before logging, or on a stored version and ``save()``."""
        from datetime import timedelta

        return None if self._ttl is None else timedelta(seconds=self._ttl)

    @ttl.setter
    def ttl(self, value: Any) -> None:
        from .edits import ttl_seconds

        self._ttl = ttl_seconds(value)

    @classmethod
    def _from_doc(cls, ctx: Any, doc: dict[str, Any], manifest: Manifest) -> Artifact:
        a = cls(doc["name"], doc["type"], doc.get("description"), doc.get("metadata") or {})
        a._bind(ctx, doc, manifest)
        return a

    def _bind(self, ctx: Any, doc: dict[str, Any], manifest: Manifest) -> None:
        self._ctx, self._doc, self._manifest = ctx, doc, manifest
        self._project, self._entity = doc["project"], doc.get("entity") or "local"
        self._requested_aliases = [a for a in doc.get("aliases", []) if a != "latest"]
        self._ttl = float(doc["ttl"]) if doc.get("ttl") is not None else None
        self._state = COMMITTED
        self._done.set()


def _walk(root: Path) -> Iterator[tuple[str, str]]:
    """``(full path, relative /-separated path)`` of every file under ``root``."""
    for dirpath, _dirs, files in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for fname in files:
            rel = fname if rel_dir == "." else f"{rel_dir}/{fname}"
            yield os.path.join(dirpath, fname), rel.replace(os.sep, "/")


def not_found(what: str) -> ArtifactNotFoundError:
    return ArtifactNotFoundError(what)
