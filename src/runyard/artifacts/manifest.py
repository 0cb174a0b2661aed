"""A version's manifest: every file's path, hash and size (docs/artifacts.md, "Manifest").

The manifest is canonical JSON (keys sorted, no spaces, UTF-8), stored in the blob store like any
file; its SHA-256 is the version's digest, so the same files under the same paths always make the
same digest, which is how a relogged artifact with unchanged content finds its version again.

```
{"format": 1,
 "entries": {"<path>": {"digest": "<sha256 hex>", "size": 123},
             "<path>": {"digest": "<sha256 hex or etag>", "size": 9, "ref": "s3://b/k"}}}
```

An entry with ``ref`` is a reference: its bytes stay where the URI points and are not in the
blob store; ``digest`` is their SHA-256 when runyard could read them, else the store's ETag.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

FORMAT = 1


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    path: str
    digest: str
    size: int
    ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"digest": self.digest, "size": self.size}
        if self.ref is not None:
            d["ref"] = self.ref
        if self.extra:
            d["extra"] = self.extra
        return d

    @classmethod
    def from_json(cls, path: str, d: dict[str, Any]) -> ManifestEntry:
        return cls(path, str(d["digest"]), int(d["size"]), d.get("ref"), dict(d.get("extra") or {}))


class Manifest:
    def __init__(self, entries: dict[str, ManifestEntry] | None = None) -> None:
        self.entries: dict[str, ManifestEntry] = dict(sorted((entries or {}).items()))

    def to_bytes(self) -> bytes:
        doc = {"format": FORMAT, "entries": {p: e.to_json() for p, e in sorted(self.entries.items())}}
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError("not a runyard artifact manifest (format 1)")
        return cls({p: ManifestEntry.from_json(p, e) for p, e in doc["entries"].items()})

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries.values())

    def __iter__(self) -> Iterator[ManifestEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def stored_digests(self) -> list[str]:
        """Digests of the entries whose bytes are in the blob store (not references)."""
        return [e.digest for e in self.entries.values() if e.ref is None]


def diff(old: Manifest, new: Manifest) -> dict[str, list[str]]:
    """Paths added, removed and changed from ``old`` to ``new``."""
    a, b = old.entries, new.entries
    return {
        "added": sorted(set(b) - set(a)),
        "removed": sorted(set(a) - set(b)),
        "changed": sorted(p for p in set(a) & set(b) if a[p].digest != b[p].digest),
    }
