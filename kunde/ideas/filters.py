"""The filter definition of ideas (staff list page and API)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kunde.commerce.models import Product, ProductCategory
from kunde.core.filters import KundeFilterSet
from kunde.ideas.models import Idea


def _by_text(queryset: QuerySet, name: str, value: str) -> QuerySet:
    return queryset.filter(title__icontains=value.strip()) if value and value.strip() else queryset


def _merged(queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
    if value is None:
        return queryset
    return queryset.filter(merged_into__isnull=not value)


class IdeaFilter(KundeFilterSet):
    """Filters and sort orders of the idea list."""

    q = django_filters.CharFilter(method=_by_text, label=_("Title contains"))
    status = django_filters.ChoiceFilter(choices=Idea.Status.choices, label=_("Status"))
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all(), label=_("Product"))
    category = django_filters.ModelChoiceFilter(field_name="category", to_field_name="key",
                                                queryset=ProductCategory.objects.all(), label=_("Product category"))
    source = django_filters.ChoiceFilter(choices=Idea.Source.choices, label=_("Submitted via"))
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Owner"))
    merged = django_filters.BooleanFilter(method=_merged, label=_("Merged duplicates"))

    sort_orders = {
        "votes": ("vote_count", "id"),
        "-votes": ("-vote_count", "-id"),
        "created": ("created_at", "id"),
        "-created": ("-created_at", "-id"),
    }
    default_sort = "-votes"

    class Meta:
        model = Idea
        fields: list[str] = []
