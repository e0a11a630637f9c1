"""GET /changes: the incremental changes feed (see core.changes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from kunde.core.api.auth import actor
from kunde.core.api.errors import LIST_ERRORS
from kunde.core.changes import MAX_LIMIT, changes_since
from kunde.core.filters import FilterError


class ChangeOut(Schema):
    cursor: int
    at: dt.datetime
    object_type: str = Field(description="e.g. contacts.person")
    object_id: int
    action: str = Field(description="create, update, delete or restore.")
    fields: list[str] = Field(description="Names of the changed fields (values: read the record).")


class ChangePageOut(Schema):
    items: list[ChangeOut]
    next_cursor: int = Field(description="Send as `since` next time (store it after processing the items).")
    has_more: bool = Field(description="True when the next request may return more right away.")


changes = Router(tags=["changes"])


TYPE_PARAMETER = {"name": "type", "in": "query", "required": False, "explode": True,
                  "description": "Only these object types (repeatable), e.g. contacts.person.",
                  "schema": {"type": "array", "items": {"type": "string"}}}


@changes.get("", response={200: ChangePageOut, **LIST_ERRORS}, openapi_extra={"parameters": [TYPE_PARAMETER]})
def list_changes(request: HttpRequest,
                 since: int = Query(0, ge=0, description="The cursor of the last change you processed; 0 at first."),
                 limit: int = Query(500, ge=1, le=MAX_LIMIT)) -> dict[str, Any]:
    """Changes to records you may see, oldest first, after `since`."""
    try:
        items, cursor, more = changes_since(actor(request), since=since, types=request.GET.getlist("type"),
                                            limit=limit)
    except ValueError as error:
        raise FilterError({"type": [str(error)]}) from error
    return {"items": items, "next_cursor": cursor, "has_more": more}
