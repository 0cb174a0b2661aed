"""Checking a run edit from the UI (name, tags, notes) before it becomes an UPDATE record of the
run's log (``log/records.py``; the route is in ``app.py``). The record, not the index, holds the
edit, so a reindex keeps it (docs/ui.md, "Comparing runs")."""

from __future__ import annotations

from typing import Any

from .errors import ApiError

MAX_NAME = 200
MAX_TAG = 64  # wandb's limit for a tag
MAX_TAGS = 100
MAX_NOTES = 100_000


def run_fields(body: Any) -> dict[str, Any]:
    """The fields of an edit body ``{"name"?, "tags"?, "notes"?}``, checked; raises ``ApiError``
    (400) naming what is wrong, and nothing is written then."""
    if not isinstance(body, dict) or not body:
        raise ApiError(400, 'body must be an object with any of "name", "tags", "notes"')
    unknown = sorted(set(body) - {"name", "tags", "notes"})
    if unknown:
        raise ApiError(400, f"cannot edit {', '.join(map(repr, unknown))}: only name, tags and notes are editable here "
                            "(the summary: PATCH .../summary)")
    fields: dict[str, Any] = {}
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or "\n" in name:
            raise ApiError(400, f"name must be a non-empty line of at most {MAX_NAME} characters, got {name!r:.80}")
        fields["name"] = name.strip()
    if "tags" in body:
        tags = body["tags"]
        if not isinstance(tags, list) or len(tags) > MAX_TAGS:
            raise ApiError(400, f"tags must be a list of at most {MAX_TAGS} strings")
        clean: list[str] = []
        for t in tags:
            if not isinstance(t, str) or not t.strip() or len(t) > MAX_TAG:
                raise ApiError(400, f"tag {t!r:.80} is not allowed: a non-empty string of at most {MAX_TAG} characters")
            if t.strip() not in clean:
                clean.append(t.strip())
        fields["tags"] = clean
    if "notes" in body:
        notes = body["notes"]
        if notes is not None and (not isinstance(notes, str) or len(notes) > MAX_NOTES):
            raise ApiError(400, f"notes must be text of at most {MAX_NOTES:,} characters (or null)")
        fields["notes"] = notes or None
    return fields
