"""The filter definitions of deals and leads (list pages, API)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from kunde.core.filters import KundeFilterSet
from kunde.sales.models import Deal, DealStatus, Lead, LeadSource, LeadStatus, Pipeline, Stage


class DealFilter(KundeFilterSet):
    """Filters and sort orders of the deal list."""

    status = django_filters.ChoiceFilter(choices=DealStatus.choices, label=_("Status"))
    pipeline = django_filters.ModelChoiceFilter(queryset=Pipeline.objects.all(), label=_("Pipeline"))
    stage = django_filters.ModelChoiceFilter(queryset=Stage.objects.all(), label=_("Stage"))
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Owner"))
    team = django_filters.NumberFilter(field_name="team_id", label=_("Team"))
    organisation = django_filters.NumberFilter(field_name="organisation_id", label=_("Organisation"))
    person = django_filters.NumberFilter(field_name="person_id", label=_("Person"))
    source = django_filters.ChoiceFilter(choices=LeadSource.choices, label=_("Source"))
    campaign = django_filters.CharFilter(field_name="campaign", label=_("Campaign"))
    close_after = django_filters.DateFilter(field_name="expected_close_date", lookup_expr="gte",
                                            label=_("Expected close from"))
    close_before = django_filters.DateFilter(field_name="expected_close_date", lookup_expr="lt",
                                             label=_("Expected close before"))

    sort_orders = {
        "-updated": ("-updated_at", "-id"),
        "updated": ("updated_at", "id"),
        "-created": ("-created_at", "-id"),
        "created": ("created_at", "id"),
        "title": ("title", "id"),
        "-amount": ("-amount_eur", "-id"),
        "close": ("expected_close_date", "id"),
    }
    default_sort = "-updated"

    class Meta:
        model = Deal
        fields: list[str] = []


class LeadFilter(KundeFilterSet):
    """Filters and sort orders of the lead list."""

    status = django_filters.ChoiceFilter(choices=LeadStatus.choices, label=_("Status"))
    source = django_filters.ChoiceFilter(choices=LeadSource.choices, label=_("Source"))
    campaign = django_filters.CharFilter(field_name="campaign", label=_("Campaign"))
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Owner"))
    team = django_filters.NumberFilter(field_name="team_id", label=_("Team"))
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                                     label=_("Created from"))
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt",
                                                      label=_("Created before"))

    sort_orders = {
        "-created": ("-created_at", "-id"),
        "created": ("created_at", "id"),
        "-updated": ("-updated_at", "-id"),
        "name": ("name", "id"),
        "-score": ("-score", "-id"),
    }
    default_sort = "-created"

    class Meta:
        model = Lead
        fields: list[str] = []
