"""The filter definition of the user list (administration area)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kunde.accounts.models import Role, Team, User
from kunde.core.filters import KundeFilterSet


def _by_text(queryset: QuerySet, name: str, value: str) -> QuerySet:
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(Q(username__icontains=value) | Q(first_name__icontains=value)
                           | Q(last_name__icontains=value) | Q(email__icontains=value))


class UserFilter(KundeFilterSet):
    """Filters and sort orders of the user list."""

    text = django_filters.CharFilter(method=_by_text, label=_("Name, username or e-mail"))
    role = django_filters.ModelChoiceFilter(queryset=Role.objects.all(), label=_("Role"))
    team = django_filters.ModelChoiceFilter(field_name="teams", queryset=Team.objects.all(), label=_("Team"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    sort_orders = {
        "username": ("username", "id"),
        "-username": ("-username", "-id"),
        "name": ("last_name", "first_name", "id"),
        "-name": ("-last_name", "-first_name", "-id"),
        "joined": ("date_joined", "id"),
        "-joined": ("-date_joined", "-id"),
    }
    default_sort = "username"

    class Meta:
        model = User
        fields: list[str] = []
