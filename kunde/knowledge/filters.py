"""The filter definition of articles (staff list page and API)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kunde.core.filters import KundeFilterSet
from kunde.knowledge.models import Article, ArticleCategory, Language


def _by_text(queryset: QuerySet, name: str, value: str) -> QuerySet:
    return queryset.filter(title__icontains=value.strip()) if value and value.strip() else queryset


class ArticleFilter(KundeFilterSet):
    """Filters and sort orders of the article list."""

    q = django_filters.CharFilter(method=_by_text, label=_("Title contains"))
    status = django_filters.ChoiceFilter(choices=Article.Status.choices, label=_("Status"))
    language = django_filters.ChoiceFilter(choices=Language.choices, label=_("Language"))
    category = django_filters.ModelChoiceFilter(
        field_name="category", to_field_name="key", queryset=ArticleCategory.objects.all(), label=_("Category"),
    )
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Owner"))

    sort_orders = {
        "title": ("title", "id"),
        "-title": ("-title", "-id"),
        "updated": ("updated_at", "id"),
        "-updated": ("-updated_at", "-id"),
    }
    default_sort = "-updated"

    class Meta:
        model = Article
        fields: list[str] = []
