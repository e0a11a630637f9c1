"""The filter definition of orders (list page, API, export)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from kunde.commerce.models import Order
from kunde.core.filters import KundeFilterSet


class OrderFilter(KundeFilterSet):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices, label=_("Status"))
    person = django_filters.NumberFilter(field_name="person_id", label=_("Person"))
    organisation = django_filters.NumberFilter(field_name="organisation_id", label=_("Organisation"))
    ordered_after = django_filters.DateFilter(field_name="ordered_on", lookup_expr="gte", label=_("From"))
    ordered_before = django_filters.DateFilter(field_name="ordered_on", lookup_expr="lt", label=_("Before"))
    external_id = django_filters.CharFilter(label=_("External id"))

    sort_orders = {
        "-ordered": ("-ordered_on", "-id"),
        "ordered": ("ordered_on", "id"),
    }
    default_sort = "-ordered"

    class Meta:
        model = Order
        fields: list[str] = []
