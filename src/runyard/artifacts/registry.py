"""The artifact registry of a root folder: which versions exist and which aliases point where.

Layout (docs/artifacts.md, "On disk"), one folder per artifact collection:

```
<root>/.artifacts/<project>/<name>/
    v0.json, v1.json, ...   one per version: type, digest (= manifest blob), size, files,
                            description, metadata, created_at, logged_by
    aliases.json            {"latest": 1, "best": 0}
    uses.jsonl              one line per use: {"version", "run", "ts"}
    .lock                   held (flock) while a version is numbered or an alias moves
```

A version file is written (to a temporary name, then renamed) only after its manifest and every
file are in the blob store, so a version never appears half stored; numbering happens under the
lock, so runs of several processes logging the same collection get distinct numbers, and the
same content maps to the version that already holds it. The run logs carry the same facts
(``ARTIFACT`` records, docs/run-log.md), from which the index is rebuilt.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .names import ArtifactNotFoundError, check_name, version_number

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process per root
    fcntl = None  # type: ignore[assignment]


def _write_json(path: Path, doc: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, sort_keys=True, indent=1, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Registry:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.base = Path(root) / ".artifacts"

    def folder(self, project: str, name: str) -> Path:
        return self.base / check_name("project", project) / check_name("name", name)

    @contextmanager
    def _locked(self, project: str, name: str) -> Iterator[Path]:
        folder = self.folder(project, name)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "a+b") as lock:
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield folder
            finally:
                if fcntl is not None:
                    fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    # -- reading -----------------------------------------------------------------------------

    def version_docs(self, project: str, name: str) -> list[dict[str, Any]]:
        folder = self.folder(project, name)
        if not folder.is_dir():
            return []
        docs = []
        for f in folder.glob("v*.json"):
            if version_number(f.stem) is not None:
                docs.append(_read_json(f))
        docs.sort(key=lambda d: int(d["version"]))
        aliases = self.aliases(project, name)
        for d in docs:
            d["aliases"] = sorted(a for a, v in aliases.items() if v == d["version"])
        return docs

    def aliases(self, project: str, name: str) -> dict[str, int]:
        path = self.folder(project, name) / "aliases.json"
        return {str(k): int(v) for k, v in _read_json(path).items()} if path.exists() else {}

    def collection_type(self, project: str, name: str) -> str | None:
        path = self.folder(project, name) / "v0.json"
        folder = self.folder(project, name)
        if not path.exists():
            found = next((f for f in folder.glob("v*.json") if version_number(f.stem) is not None), None) \
                if folder.is_dir() else None
            if found is None:
                return None
            path = found
        return str(_read_json(path)["type"])

    def resolve(self, project: str, name: str, alias: str) -> dict[str, Any]:
        """The version doc (with its ``aliases``) that ``alias`` (``latest``, ``v3``, custom) names."""
        folder = self.folder(project, name)
        n = version_number(alias)
        if n is None:
            aliases = self.aliases(project, name)
            if alias not in aliases:
                known = sorted(aliases) if aliases else []
                where = f"project {project!r}"
                if not folder.is_dir() or not any(folder.glob("v*.json")):
                    raise ArtifactNotFoundError(f"no artifact {name!r} in {where}")
                raise ArtifactNotFoundError(
                    f"artifact {name!r} in {where} has no alias {alias!r} (aliases: {', '.join(known)})"
                )
            n = aliases[alias]
        path = folder / f"v{n}.json"
        if not path.exists():
            if not folder.is_dir() or not any(folder.glob("v*.json")):
                raise ArtifactNotFoundError(f"no artifact {name!r} in project {project!r}")
            have = [f"v{d['version']}" for d in self.version_docs(project, name)]
            raise ArtifactNotFoundError(
                f"artifact {name!r} in project {project!r} has no version v{n} (versions: {', '.join(have)})"
            )
        doc: dict[str, Any] = _read_json(path)
        aliases = self.aliases(project, name)
        doc["aliases"] = sorted(a for a, v in aliases.items() if v == n)
        return doc

    def uses(self, project: str, name: str, version: int | None = None) -> list[dict[str, Any]]:
        path = self.folder(project, name) / "uses.jsonl"
        if not path.exists():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                d = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash
            if version is None or d.get("version") == version:
                out.append(d)
        return out

    def projects(self) -> list[str]:
        if not self.base.is_dir():
            return []
        return sorted(p.name for p in self.base.iterdir() if p.is_dir() and not p.name.startswith("."))

    def collections(self, project: str, type: str | None = None) -> list[tuple[str, str]]:
        """``(name, type)`` of every collection of ``project`` with at least one version."""
        folder = self.base / check_name("project", project)
        if not folder.is_dir():
            return []
        out = []
        for sub in sorted(folder.iterdir()):
            if sub.is_dir():
                t = self.collection_type(project, sub.name)
                if t is not None and (type is None or t == type):
                    out.append((sub.name, t))
        return out

    # -- writing -----------------------------------------------------------------------------

    def commit(self, doc: dict[str, Any], aliases: list[str]) -> tuple[dict[str, Any], bool]:
        """Number and record a version whose manifest and files are stored. ``doc`` holds
        ``project, name, type, digest, ...``; the same digest reuses its version (its aliases
        move, nothing else changes). Returns the version doc and whether it is new."""
        project, name = doc["project"], doc["name"]
        with self._locked(project, name) as folder:
            existing = self.version_docs(project, name)
            if existing and existing[0]["type"] != doc["type"]:
                raise ValueError(
                    f"artifact {name!r} in project {project!r} has type {existing[0]['type']!r}, "
                    f"not {doc['type']!r}; use another name for another type"
                )
            same = next((d for d in existing if d["digest"] == doc["digest"]), None)
            created = same is None
            if same is None:  # numbers of deleted versions are not given out again
                n = max([d["version"] + 1 for d in existing[-1:]] + [v + 1 for v in self._deleted(folder)] + [0])
                doc = {**doc, "version": n, "created_at": doc.get("created_at") or time.time()}
                doc.pop("aliases", None)
                _write_json(folder / f"v{n}.json", doc)
            else:
                doc = same
            current = self.aliases(project, name)
            for a in dict.fromkeys(["latest", *aliases]):
                current[a] = int(doc["version"])
            _write_json(folder / "aliases.json", current)
        doc = dict(doc)
        doc["aliases"] = sorted(a for a, v in current.items() if v == doc["version"])
        return doc, created

    @staticmethod
    def _deleted(folder: Path) -> list[int]:
        out = []
        for f in folder.glob(".v*.deleted.json"):
            n = version_number(f.name[1:-len(".deleted.json")])
            if n is not None:
                out.append(n)
        return out

    def update(self, project: str, name: str, version: int, fields: dict[str, Any]) -> None:
        """Change a stored version's description, metadata or ttl (its files never change)."""
        with self._locked(project, name) as folder:
            path = folder / f"v{version}.json"
            if not path.exists():
                raise ArtifactNotFoundError(f"artifact {name!r} in project {project!r} has no version v{version}")
            doc = _read_json(path)
            doc.update({k: v for k, v in fields.items() if k in ("description", "metadata", "ttl")})
            _write_json(path, doc)

    def delete(self, project: str, name: str, version: int) -> None:
        """Delete a version: its file becomes a tombstone (``.vN.deleted.json``, so ``vN`` is never
        given out again), its aliases go, and ``latest`` moves to the newest version left."""
        with self._locked(project, name) as folder:
            path = folder / f"v{version}.json"
            if not path.exists():
                raise ArtifactNotFoundError(f"artifact {name!r} in project {project!r} has no version v{version}")
            os.replace(path, folder / f".v{version}.deleted.json")
            current = {a: v for a, v in self.aliases(project, name).items() if v != version}
            left = [d["version"] for d in self.version_docs(project, name)]
            if left:
                current["latest"] = current.get("latest", max(left))
            _write_json(folder / "aliases.json", current)

    def set_aliases(self, project: str, name: str, version: int, aliases: list[str]) -> None:
        """Make ``aliases`` exactly the custom aliases of ``version`` (``latest`` is kept as is)."""
        with self._locked(project, name) as folder:
            current = self.aliases(project, name)
            for a, v in list(current.items()):
                if v == version and a != "latest" and a not in aliases:
                    del current[a]
            for a in aliases:
                current[a] = version
            _write_json(folder / "aliases.json", current)

    def add_use(self, project: str, name: str, version: int, run: str, ts: float) -> None:
        folder = self.folder(project, name)
        line = json.dumps({"version": version, "run": run, "ts": ts}) + "\n"
        fd = os.open(folder / "uses.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())  # one small O_APPEND write: lines never interleave
        finally:
            os.close(fd)
