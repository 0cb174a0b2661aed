"""Rich value types (SPEC §3): each builds on the caller's thread and encodes on the writer's."""

from .base import Media, MediaStore
from .histogram import Histogram
from .molecule import Molecule
from .object3d import Object3D
from .plotly import Plotly
from .table import Table

__all__ = ["Histogram", "Media", "MediaStore", "Molecule", "Object3D", "Plotly", "Table"]
