"""The filter definition of history entries (list page, API)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from kunde.activities.choices import Channel, Direction
from kunde.activities.models import Activity
from kunde.core.filters import KundeFilterSet


class ActivityFilter(KundeFilterSet):
    """Filters and sort orders of history entries."""

    kind = django_filters.CharFilter(label=_("Kind"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    direction = django_filters.ChoiceFilter(choices=Direction.choices, label=_("Direction"))
    person = django_filters.NumberFilter(field_name="person_id", label=_("Person"))
    organisation = django_filters.NumberFilter(field_name="organisation_id", label=_("Organisation"))
    assignee = django_filters.NumberFilter(field_name="assignee_id", label=_("Assignee"))
    topic = django_filters.CharFilter(label=_("Topic"))
    mood = django_filters.NumberFilter(label=_("Mood"))
    mood_min = django_filters.NumberFilter(field_name="mood", lookup_expr="gte", label=_("Mood at least"))
    mood_max = django_filters.NumberFilter(field_name="mood", lookup_expr="lte", label=_("Mood at most"))
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte", label=_("From"))
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt", label=_("Before"))
    open = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", label=_("Open tasks"))

    sort_orders = {
        "-occurred": ("-occurred_at", "-id"),
        "occurred": ("occurred_at", "id"),
        "due": ("due_at", "id"),
    }
    default_sort = "-occurred"

    class Meta:
        model = Activity
        fields: list[str] = []
