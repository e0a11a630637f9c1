"""Full-text search behind one interface (SQLite FTS5 / PostgreSQL full-text + trigram).

PLACEHOLDER: the index is implemented by the search work package; until then
`reindex`/`remove` do nothing and `search` returns no hits.
"""

from __future__ import annotations

from typing import Any

from django.db import models


def reindex(instance: models.Model) -> None:
    """(Re)write the search document of `instance` in the current transaction."""


def remove(instance: models.Model) -> None:
    """Drop `instance` from the index (soft delete, erasure)."""


def search(user: Any, query: str, *, limit: int = 20) -> list[Any]:
    """Return the best hits for `query` among the records `user` may see."""
    return []
