"""Rich value types (SPEC §3): each builds on the caller's thread and encodes on the writer's."""

from .base import Media, MediaStore
from .histogram import Histogram

__all__ = ["Histogram", "Media", "MediaStore"]
