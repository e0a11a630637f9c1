"""The base of every list filter: one definition per model, used by the UI and the API.

Built on django-filter. What it adds: unknown parameters are an error (never silently
ignored), sorting is limited to declared, indexed orders, and custom fields filter as
`cf_<key>=value` checked against their definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db import models

from kunde.core.custom_fields import definitions_for, parse_filter_value


class FilterError(Exception):
    """Bad filter or sort input; `errors` maps each parameter to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


# Parameters that belong to the list machinery, not to a filter.
RESERVED = frozenset({"sort", "cursor", "page_size", "view", "format", "q", "page"})


class KundeFilterSet(django_filters.FilterSet):
    """A strict FilterSet with declared sort orders and custom-field filters.

    Subclasses set `sort_orders` (public name → order_by fields ending in a unique
    field, so keyset paging is stable), `default_sort`, and `custom_field_type` (the
    `app.model` label whose custom fields may be filtered) when they have any.
    """

    sort_orders: dict[str, tuple[str, ...]] = {"id": ("id",)}
    default_sort: str = "id"
    custom_field_type: str | None = None

    def __init__(self, data: Mapping[str, Any] | None = None, queryset: models.QuerySet | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data=data, queryset=queryset, **kwargs)
        self._custom_values: dict[str, Any] = {}
        self._check_parameters()

    @classmethod
    def public_parameters(cls) -> list[str]:
        """The filter names a client may send (for docs and the API schema)."""
        return sorted(cls.base_filters)

    def _check_parameters(self) -> None:
        errors: dict[str, list[str]] = {}
        custom = {d.key: d for d in definitions_for(self.custom_field_type)} if self.custom_field_type else {}
        for key in self.data.keys() if self.data is not None else ():
            if key in RESERVED or key in self.filters:
                continue
            if key.startswith("cf_") and key[3:] in custom:
                value = self.data.get(key)
                if value in (None, ""):
                    continue
                try:
                    self._custom_values[key[3:]] = parse_filter_value(custom[key[3:]], value)
                except ValidationError as exc:
                    errors.update(exc.message_dict)
                continue
            errors[key] = ["Unknown filter."]
        sort = (self.data or {}).get("sort") or self.default_sort
        if sort not in self.sort_orders:
            errors["sort"] = [f"Unknown sort; use one of: {', '.join(sorted(self.sort_orders))}."]
        if errors:
            raise FilterError(errors)

    @property
    def sort_key(self) -> str:
        return (self.data or {}).get("sort") or self.default_sort

    @property
    def ordering(self) -> tuple[str, ...]:
        return self.sort_orders[self.sort_key]

    def filtered(self) -> models.QuerySet:
        """Return the filtered, ordered queryset, or raise FilterError on invalid values."""
        if not self.is_valid():
            raise FilterError({k: [str(m) for m in v] for k, v in self.errors.items()})
        queryset = self.qs
        for key, value in self._custom_values.items():
            queryset = queryset.filter(**{f"custom_fields__{key}": value})
        return queryset.order_by(*self.ordering)
