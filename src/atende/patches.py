"""PATCH bodies of the native API: what a partial update asks to change."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from atende.errors import Problem


def requested_changes(body: BaseModel) -> dict[str, Any]:
    """The fields the client sent, null ones included (null may clear a field; one left out is
    kept). An empty PATCH is refused, not answered as if it had saved something."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise Problem(422, "Nothing to change", "give at least one field")
    return changes
