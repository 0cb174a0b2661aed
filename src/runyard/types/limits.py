"""Per-step limits on media: over 50 images warns, over 100 audio clips fails (docs/media-refs.md,
``image-file`` and ``audio-file``)."""

from __future__ import annotations

import warnings
from typing import Any

from ..errors import RunyardWarning
from .base import Media

MAX_IMAGES_BEFORE_WARNING = 50
MAX_AUDIO_CLIPS = 100


def _count(value: Any, counts: dict[str, int]) -> None:
    if isinstance(value, Media):
        counts[value._type] = counts.get(value._type, 0) + 1
    elif isinstance(value, list):
        for v in value:
            _count(v, counts)
    elif isinstance(value, dict):
        for v in value.values():
            _count(v, counts)


def check_row(row: dict[str, Any]) -> None:
    """Raise when a row holds more than 100 audio clips; warn when it holds more than 50 images."""
    counts: dict[str, int] = {}
    _count(row, counts)
    audio = counts.get("audio-file", 0)
    if audio > MAX_AUDIO_CLIPS:
        raise ValueError(
            f"log(): {audio} audio clips in one step; at most {MAX_AUDIO_CLIPS} are supported "
            "(log them over several steps or keys)"
        )
    images = counts.get("image-file", 0)
    if images > MAX_IMAGES_BEFORE_WARNING:
        warnings.warn(
            f"log(): {images} images in one step; more than {MAX_IMAGES_BEFORE_WARNING} per step "
            "makes the media panels slow to browse",
            RunyardWarning,
            stacklevel=4,
        )
