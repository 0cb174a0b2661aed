"""What an import did: runs and points written, runs skipped, and what could not be mapped.

Nothing is dropped silently: every value an importer cannot map is counted here by kind, and the
command prints the counts at the end.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportReport:
    runs: int = 0
    skipped: int = 0  # runs already imported (same id in the target project)
    points: int = 0  # numeric values written to history
    media: int = 0  # rich values written (images, histograms, audio, tables, ...)
    unmapped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)  # run folders imported or already there

    def skip(self, folder: Path) -> None:
        """A run already imported (same id in the target project): left as it is."""
        self.skipped += 1
        self.folders.append(folder)

    def not_mapped(self, kind: str, count: int = 1) -> None:
        self.unmapped[kind] += count

    def lines(self) -> list[str]:
        out = [f"imported {self.runs} run(s), {self.points:,} points, {self.media:,} media values"]
        if self.skipped:
            out.append(f"skipped {self.skipped} run(s) already imported (pass --force to import them again)")
        if self.unmapped:
            parts = ", ".join(f"{kind}: {n:,}" for kind, n in sorted(self.unmapped.items()))
            out.append(f"not mapped (kept out of runyard): {parts}")
        out.extend(f"error: {e}" for e in self.errors)
        return out
