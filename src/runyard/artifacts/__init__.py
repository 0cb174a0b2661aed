"""Artifacts: versioned datasets and models with lineage (docs/artifacts.md).

``Artifact`` is wandb-shaped; files go by content hash to a blob store (``store/blobs.py``), each
version is a manifest (``manifest.py``) committed in the registry (``registry.py``) once every
file is stored, and the run log records which versions a run logged and used.
"""

from __future__ import annotations

from .artifact import Artifact, ArtifactEntry

__all__ = ["Artifact", "ArtifactEntry"]
