"""Keyset pagination: constant cost per page, no COUNT, no OFFSET.

A cursor encodes the sort values of the row at the page edge; the next page is the rows
strictly after it in the declared order. OFFSET paging and exact counts are what make
other CRMs slow on a million rows.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
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
    if any(value is None for value in values):
        raise FilterError({"cursor": ["This sort order cannot page past rows without a value."]})
    condition = Q(pk__in=[])
    for index, field in enumerate(ordering):
        name = field.lstrip("-")
        descending = field.startswith("-") != reverse
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[index]})
        for previous, value in zip(ordering[:index], values[:index], strict=True):
            step &= Q(**{previous.lstrip("-"): value})
        condition |= step
    # The redundant bound on the leading column lets the database seek into the index;
    # with the OR chain alone SQLite scans from the index start (measured at 1M rows:
    # 460 ms for a deep page without the bound, 1 ms with it).
    leading = ordering[0].lstrip("-")
    descending = ordering[0].startswith("-") != reverse
    return Q(**{f"{leading}__{'lte' if descending else 'gte'}": values[0]}) & condition


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


def _first_rows(ordered: models.QuerySet, branches: Sequence[Q] | None, limit: int) -> list[Any]:
    """The first `limit` rows of `ordered`, read branch by branch when `branches` are given.

    `branches` are conditions whose OR the queryset already applies (a team member's
    "owner is me OR team is mine"). One ordered index walk per branch, then the page from
    the union of their ids, is far cheaper than letting the database sort every row of
    the OR: measured at 1M people, 0.5 ms instead of 115-400 ms.
    """
    if not branches or len(branches) < 2:
        return list(ordered[:limit])
    ids: set[Any] = set()
    for branch in branches:
        ids.update(ordered.filter(branch).values_list("pk", flat=True)[:limit])
    return list(ordered.filter(pk__in=ids)[:limit])


def keyset_page(
    queryset: models.QuerySet,
    *,
    ordering: tuple[str, ...],
    cursor: str | None,
    size: int,
    branches: Sequence[Q] | None = None,
) -> Page:
    """Return one page of `queryset` in `ordering`, starting after `cursor`.

    `branches` (from `core.permissions.scope_branches`) only change how the page is read,
    never which rows are in it: the queryset must already be scoped.
    """
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
    rows = _first_rows(queryset.order_by(*order), branches, size + 1)
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
