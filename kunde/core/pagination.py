"""Keyset pagination: constant cost per page, no COUNT, no OFFSET.

A cursor encodes the sort values of the row at the page edge; the next page is the rows
strictly after it in the declared order. OFFSET paging and exact counts are what make
other CRMs slow on a million rows.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

from kunde.core.filters import FilterError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None
    previous_cursor: str | None


def _encode(values: list[Any], direction: str) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, dt.datetime | dt.date):
            return {"d": value.isoformat()}
        return value

    raw = json.dumps({"v": [plain(v) for v in values], "dir": direction}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[list[Any], str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        values = [
            dt.datetime.fromisoformat(v["d"]) if isinstance(v, dict) and "T" in v["d"]
            else dt.date.fromisoformat(v["d"]) if isinstance(v, dict)
            else v
            for v in data["v"]
        ]
        direction = data["dir"]
    except (ValueError, KeyError, TypeError):
        raise FilterError({"cursor": ["Invalid cursor."]}) from None
    if direction not in ("next", "prev"):
        raise FilterError({"cursor": ["Invalid cursor."]})
    return values, direction


def _after(ordering: tuple[str, ...], values: list[Any], reverse: bool) -> Q:
    """Rows strictly after `values` in `ordering` (or before, when `reverse`)."""
    condition = Q(pk__in=[])
    for index, field in enumerate(ordering):
        name = field.lstrip("-")
        descending = field.startswith("-") != reverse
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[index]})
        for previous, value in zip(ordering[:index], values[:index], strict=True):
            step &= Q(**{previous.lstrip("-"): value})
        condition |= step
    return condition


def _flip(ordering: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f[1:] if f.startswith("-") else f"-{f}" for f in ordering)


def page_size(raw: Any) -> int:
    """Parse a requested page size, clamped to [1, MAX_PAGE_SIZE]."""
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise FilterError({"page_size": ["Enter a whole number."]}) from None
    return max(1, min(size, MAX_PAGE_SIZE))


def keyset_page(
    queryset: models.QuerySet, *, ordering: tuple[str, ...], cursor: str | None, size: int
) -> Page:
    """Return one page of `queryset` in `ordering`, starting after `cursor`."""
    fields = [f.lstrip("-") for f in ordering]
    if cursor:
        values, direction = _decode(cursor)
        if len(values) != len(ordering):
            raise FilterError({"cursor": ["The cursor does not fit this sort order."]})
        backwards = direction == "prev"
        queryset = queryset.filter(_after(ordering, values, reverse=backwards))
    else:
        backwards = False
    order = _flip(ordering) if backwards else ordering
    rows = list(queryset.order_by(*order)[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()

    def edge(row: Any) -> list[Any]:
        return [getattr(row, f) for f in fields]

    next_cursor = previous_cursor = None
    if rows:
        if has_more or backwards:
            next_cursor = _encode(edge(rows[-1]), "next")
        if cursor and (not backwards or has_more):
            previous_cursor = _encode(edge(rows[0]), "prev")
    return Page(items=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)
