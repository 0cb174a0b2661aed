"""Rich value types (SPEC §3): each builds on the caller's thread and encodes on the writer's."""

from .audio import Audio
from .base import Media, MediaStore
from .histogram import Histogram
from .html import Html
from .image import Image
from .molecule import Molecule
from .object3d import Object3D
from .plotly import Plotly
from .table import Table
from .video import Video

__all__ = [
    "Audio",
    "Histogram",
    "Html",
    "Image",
    "Media",
    "MediaStore",
    "Molecule",
    "Object3D",
    "Plotly",
    "Table",
    "Video",
]
