"""The filter definitions of people and organisations (list pages, API, exports)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kunde.analytics.filters import ScoreFilters
from kunde.contacts import choices
from kunde.contacts.models import CustomerGroup, LifecycleStage, Organisation, Person
from kunde.core.filters import KundeFilterSet


def _by_city(queryset: QuerySet, name: str, value: str) -> QuerySet:
    return queryset.filter(addresses__city__iexact=value.strip()).distinct() if value else queryset


def _by_email_domain(queryset: QuerySet, name: str, value: str) -> QuerySet:
    if not value:
        return queryset
    return queryset.filter(emails__email__iendswith="@" + value.strip().lstrip("@")).distinct()


class PersonFilter(KundeFilterSet, ScoreFilters):
    """Filters and sort orders of the people list."""

    tag = django_filters.CharFilter(field_name="tags__name", label=_("Tag"))
    lifecycle_stage = django_filters.ModelChoiceFilter(
        field_name="lifecycle_stage", to_field_name="key", queryset=LifecycleStage.objects.all(),
        label=_("Lifecycle stage"),
    )
    customer_group = django_filters.ModelChoiceFilter(
        field_name="customer_group", to_field_name="key", queryset=CustomerGroup.objects.all(),
        label=_("Customer group"),
    )
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Owner"))
    team = django_filters.NumberFilter(field_name="team_id", label=_("Team"))
    organisation = django_filters.NumberFilter(field_name="employments__organisation_id", label=_("Organisation"))
    has_organisation = django_filters.BooleanFilter(
        field_name="employments", lookup_expr="isnull", exclude=True, label=_("Works at an organisation"),
    )
    preferred_language = django_filters.ChoiceFilter(choices=choices.Language.choices, label=_("Preferred language"))
    preferred_channel = django_filters.ChoiceFilter(choices=choices.Channel.choices, label=_("Preferred channel"))
    city = django_filters.CharFilter(method=_by_city, label=_("City"))
    email_domain = django_filters.CharFilter(method=_by_email_domain, label=_("E-mail domain"))
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Created from")
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("Created before")
    )
    birthday_month = django_filters.NumberFilter(field_name="birthday", lookup_expr="month", label=_("Birthday month"))

    sort_orders = {
        "name": ("last_name", "first_name", "id"),
        "-name": ("-last_name", "-first_name", "-id"),
        "created": ("created_at", "id"),
        "-created": ("-created_at", "-id"),
        "updated": ("updated_at", "id"),
        "-updated": ("-updated_at", "-id"),
    }
    default_sort = "name"
    custom_field_type = "contacts.person"

    class Meta:
        model = Person
        fields: list[str] = []


class OrganisationFilter(KundeFilterSet, ScoreFilters):
    """Filters and sort orders of the organisation list."""

    tag = django_filters.CharFilter(field_name="tags__name", label=_("Tag"))
    lifecycle_stage = django_filters.ModelChoiceFilter(
        field_name="lifecycle_stage", to_field_name="key", queryset=LifecycleStage.objects.all(),
        label=_("Lifecycle stage"),
    )
    customer_group = django_filters.ModelChoiceFilter(
        field_name="customer_group", to_field_name="key", queryset=CustomerGroup.objects.all(),
        label=_("Customer group"),
    )
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Owner"))
    team = django_filters.NumberFilter(field_name="team_id", label=_("Team"))
    industry = django_filters.CharFilter(field_name="industry", lookup_expr="iexact", label=_("Industry"))
    size = django_filters.ChoiceFilter(choices=choices.CompanySize.choices, label=_("Size"))
    legal_form = django_filters.ChoiceFilter(choices=choices.LegalForm.choices, label=_("Legal form"))
    parent = django_filters.NumberFilter(field_name="parent_id", label=_("Parent organisation"))
    city = django_filters.CharFilter(method=_by_city, label=_("City"))
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Created from")
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("Created before")
    )

    sort_orders = {
        "name": ("name", "id"),
        "-name": ("-name", "-id"),
        "created": ("created_at", "id"),
        "-created": ("-created_at", "-id"),
        "updated": ("updated_at", "id"),
        "-updated": ("-updated_at", "-id"),
    }
    default_sort = "name"
    custom_field_type = "contacts.organisation"

    class Meta:
        model = Organisation
        fields: list[str] = []
