"""The filter definition of history entries (list page, API)."""

from __future__ import annotations

import django_filters

from kunde.activities.choices import Channel, Direction
from kunde.activities.models import Activity
from kunde.core.filters import KundeFilterSet


class ActivityFilter(KundeFilterSet):
    """Filters and sort orders of history entries."""

    kind = django_filters.CharFilter()
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    person = django_filters.NumberFilter(field_name="person_id")
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    mood = django_filters.NumberFilter()
    mood_min = django_filters.NumberFilter(field_name="mood", lookup_expr="gte")
    mood_max = django_filters.NumberFilter(field_name="mood", lookup_expr="lte")
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    open = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", label="Open tasks")

    sort_orders = {
        "-occurred": ("-occurred_at", "-id"),
        "occurred": ("occurred_at", "id"),
        "due": ("due_at", "id"),
    }
    default_sort = "-occurred"

    class Meta:
        model = Activity
        fields: list[str] = []
