"""List endpoints: keyset pages and filter parameters taken from the UI's filter classes.

The query string goes to the same FilterSet the list page uses (unknown filters, bad
values and unknown sorts are a 400); the OpenAPI parameters are generated from that
FilterSet so the documentation cannot drift from what is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import django_filters
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import create_model

from kunde.core.filters import RESERVED, FilterError, KundeFilterSet
from kunde.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page

# The list machinery's own parameters that the API accepts next to the filters.
PAGING = ("sort", "cursor", "page_size")


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """A `{items, next_cursor, previous_cursor}` schema named `name` for `item` rows."""
    model: type[Schema] = create_model(  # type: ignore[call-overload]
        name,
        __base__=Schema,
        __doc__=f"One page of {item.__name__} rows; follow next_cursor / previous_cursor for more.",
        items=(list[item], ...),  # type: ignore[valid-type]
        next_cursor=(str | None, None),
        previous_cursor=(str | None, None),
    )
    return model


def page_out(page: Page, serialize: Callable[[Any], Any]) -> dict[str, Any]:
    """The response body of one page, each row passed through `serialize`."""
    return {
        "items": [serialize(row) for row in page.items],
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
    }


def list_params(request: HttpRequest, *, fixed: Mapping[str, str] | None = None,
                defaults: Mapping[str, str] | None = None, refused: tuple[str, ...] = ()) -> QueryDict:
    """The query string for a filter class: list-page-only parameters are refused (400).

    `fixed` values are imposed by the endpoint (e.g. `kind=task`), `defaults` apply when
    the client sends nothing, `refused` names filters this endpoint does not offer.
    """
    params = request.GET.copy()
    unknown = sorted(key for key in params if (key in RESERVED and key not in PAGING) or key in refused)
    if unknown:
        raise FilterError({key: [_("Unknown filter.")] for key in unknown})
    for key, value in (defaults or {}).items():
        params.setdefault(key, value)
    for key, value in (fixed or {}).items():
        params[key] = value
    return params


def _filter_schema(item: django_filters.Filter) -> dict[str, Any]:
    if isinstance(item, django_filters.BooleanFilter):
        return {"type": "boolean"}
    if isinstance(item, django_filters.IsoDateTimeFilter):
        return {"type": "string", "format": "date-time"}
    if isinstance(item, django_filters.DateFilter):
        return {"type": "string", "format": "date"}
    if isinstance(item, django_filters.NumberFilter):
        return {"type": "integer"}
    if isinstance(item, django_filters.ModelChoiceFilter):
        # The choices are rows (e.g. lifecycle stage keys), configurable at run time.
        return {"type": "string"}
    if isinstance(item, django_filters.ChoiceFilter):
        return {"type": "string", "enum": [str(value) for value, _label in item.extra["choices"] if value != ""]}
    return {"type": "string"}


def filter_parameters(filterset: type[KundeFilterSet], *, exclude: tuple[str, ...] = (),
                      default_sort: str | None = None) -> list[dict[str, Any]]:
    """OpenAPI query parameters for `filterset`'s filters, its sort orders and paging."""
    parameters: list[dict[str, Any]] = []
    for name, item in sorted(filterset.base_filters.items()):
        if name in exclude:
            continue
        label = item.label or name.replace("_", " ")
        parameters.append({"in": "query", "name": name, "required": False, "description": str(label),
                           "schema": _filter_schema(item)})
    parameters.append({
        "in": "query", "name": "sort", "required": False, "description": "Sort order.",
        "schema": {"type": "string", "enum": sorted(filterset.sort_orders),
                   "default": default_sort or filterset.default_sort},
    })
    parameters.append({"in": "query", "name": "cursor", "required": False,
                       "description": "next_cursor or previous_cursor of the page before.",
                       "schema": {"type": "string"}})
    parameters.append({"in": "query", "name": "page_size", "required": False, "description": "Rows per page.",
                       "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                                  "default": DEFAULT_PAGE_SIZE}})
    return parameters


CUSTOM_FIELD_FILTERS = (
    "\n\nCustom fields filter as `cf_<key>=<value>` (exact match, the value checked against the field's type). "
    "Unknown parameters, bad values and unknown sort orders answer 400."
)
