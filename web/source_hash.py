#!/usr/bin/env python3
"""The fingerprint of the web UI's sources, so a stale build can be told from a current one
without comparing file times (a fresh git clone gives every file the same time).

    python3 web/source_hash.py            print the hash of the sources
    python3 web/source_hash.py --write    store it beside the build (npm run build does this)
    python3 web/source_hash.py --check    exit 0 if the build matches the sources, else 1
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

WEB = Path(__file__).resolve().parent
STAMP = WEB.parent / "src" / "runyard" / "server" / "ui_dist" / "source-hash.txt"
INPUTS = ["index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", "src", "public"]
PRESETS = WEB.parent / "src" / "runyard" / "plot" / "presets"  # bundled into the custom-chart chunk


def source_hash() -> str:
    h = hashlib.sha256()
    files: list[Path] = []
    for name in INPUTS:
        p = WEB / name
        files.extend(sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p] if p.is_file() else [])
    files.extend(sorted(PRESETS.glob("*.json")))
    for f in files:
        if f.name.endswith(".test.ts"):
            continue  # tests do not change the build
        h.update(f.relative_to(WEB.parent).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def main() -> int:
    digest = source_hash()
    if "--write" in sys.argv:
        STAMP.write_text(digest + "\n")
    elif "--check" in sys.argv:
        built = STAMP.read_text().strip() if STAMP.is_file() else ""
        if built != digest:
            print("the web UI build is missing or older than web/: cd web && npm ci && npm run build", file=sys.stderr)
            return 1
    else:
        print(digest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
