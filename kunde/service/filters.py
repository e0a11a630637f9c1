"""The filter definition of tickets (queue pages and API)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kunde.core.filters import KundeFilterSet
from kunde.service.models import Priority, StatusCategory, Ticket, TicketCategory


def _by_text(queryset: QuerySet, name: str, value: str) -> QuerySet:
    value = (value or "").strip()
    if not value:
        return queryset
    return queryset.filter(Q(number__iexact=value) | Q(subject__icontains=value))


def _open(queryset: QuerySet, name: str, value: str) -> QuerySet:
    if value == "open":
        return queryset.exclude(status__category__in=[StatusCategory.SOLVED, StatusCategory.CLOSED])
    if value == "done":
        return queryset.filter(status__category__in=[StatusCategory.SOLVED, StatusCategory.CLOSED])
    return queryset


class TicketFilter(KundeFilterSet):
    q = django_filters.CharFilter(method=_by_text, label=_("Number or subject"))
    state = django_filters.ChoiceFilter(method=_open, label=_("State"),
                                        choices=[("open", _("Open")), ("done", _("Solved or closed"))])
    status = django_filters.ChoiceFilter(field_name="status__category", choices=StatusCategory.choices,
                                         label=_("Status"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"))
    category = django_filters.ModelChoiceFilter(field_name="category", to_field_name="key",
                                                queryset=TicketCategory.objects.all(), label=_("Category"))
    team = django_filters.NumberFilter(field_name="team_id", label=_("Team"))
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Assignee"))
    person = django_filters.NumberFilter(field_name="person_id", label=_("Person"))

    sort_orders = {
        "created": ("created_at", "id"),
        "-created": ("-created_at", "-id"),
        "due": ("resolution_due_at", "id"),
    }
    default_sort = "-created"

    class Meta:
        model = Ticket
        fields: list[str] = []
