"""Run ids (8 lower-case alphanumerics) and generated two-word run names."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits
_ADJECTIVES = (
    "amber autumn bold brave bright brisk calm clever cosmic crimson dainty dapper dark dawn "
    "eager easy fancy fast fiery fluent frosty gentle giddy glad golden grand hardy hazy honest "
    "icy jolly keen kind lively lucky lunar mellow misty noble olive pale patient polar proud "
    "quiet rapid royal rosy rustic silent silver sleek smooth snowy solar spry stellar stoic "
    "sunny swift tidy tranquil vital vivid warm wild wise witty young zesty"
).split()
_NOUNS = (
    "aurora bay bird breeze brook canyon cedar cloud comet cosmos creek dawn deer dream dune "
    "eagle ember fern field firefly flower forest fox frost galaxy glade grove harbor hill "
    "horizon island lake leaf meadow moon morning mountain nebula night oak ocean orbit owl "
    "paper pine planet pond rain river sea shadow sky smoke snow sound star stone storm sun "
    "thunder tree valley vortex water wave wind wood"
).split()


def new_run_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


def new_run_name(number: int) -> str:
    """A generated name such as ``brisk-meadow-3`` (the number counts runs in the project)."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{number}"
