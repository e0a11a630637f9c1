"""REST API of the search box: one query over every record type the user may see."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from kunde.core import search as search_index
from kunde.core.api.auth import actor
from kunde.core.api.errors import AUTH_ERRORS, ErrorOut


class SearchHitOut(Schema):
    """One record found, ready to show in a result list."""

    type: str = Field(description="app_label.model, e.g. contacts.person.")
    id: int
    title: str
    subtitle: str
    url: str = Field(description="Path of the record's page in the web UI.")


class SearchOut(Schema):
    """The best hits, best first."""

    items: list[SearchHitOut]


def _hit(hit: Any) -> dict[str, Any]:
    """The answer row of one hit of `core.search.search` (a SearchHit, or a mapping alike)."""
    fields = ("type", "id", "title", "subtitle", "url")
    if isinstance(hit, Mapping):
        return {name: hit.get(name) for name in fields}
    return {name: getattr(hit, name, None) for name in fields}


search = Router(tags=["search"])


@search.get("", response={200: SearchOut, **AUTH_ERRORS, 422: ErrorOut})
def search_records(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=200, description="Names, e-mail, phone in any format, city, …"),
    limit: int = Query(20, ge=1, le=50),
) -> dict[str, Any]:
    """Find people and organisations (and later apps' records) you may see."""
    hits = search_index.search(actor(request), q, limit=limit)
    return {"items": [_hit(hit) for hit in hits]}
