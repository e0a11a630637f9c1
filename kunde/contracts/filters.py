"""The filter definition of contracts (list page, worklist, API, export)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.contracts.models import LIVE_STATUSES, BillingInterval, Contract, ContractStatus, SubscriptionPlan
from kunde.core.filters import KundeFilterSet

MAX_HORIZON_DAYS = 3660


class ContractFilter(KundeFilterSet):
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices, label=_("Status"))
    plan = django_filters.ModelChoiceFilter(queryset=SubscriptionPlan.objects.all(), label=_("Plan"))
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Owner"))
    person = django_filters.NumberFilter(field_name="person_id", label=_("Person"))
    organisation = django_filters.NumberFilter(field_name="organisation_id", label=_("Organisation"))
    billing_interval = django_filters.ChoiceFilter(choices=BillingInterval.choices, label=_("Billing interval"))
    expiring_within = django_filters.NumberFilter(
        method="filter_expiring", label=_("Term end or notice deadline within (days)"), min_value=0,
        max_value=MAX_HORIZON_DAYS)
    notice_deadline_missed = django_filters.BooleanFilter(label=_("Entered after the notice deadline"))

    sort_orders = {
        "-start": ("-start_date", "-id"),
        "start": ("start_date", "id"),
        "term_end": ("current_term_end", "id"),
        "notice": ("notice_deadline", "id"),
        "number": ("number", "id"),
    }
    default_sort = "-start"

    class Meta:
        model = Contract
        fields: list[str] = []

    def filter_expiring(self, queryset: QuerySet[Contract], name: str, value: Any) -> QuerySet[Contract]:
        """Live contracts whose notice deadline or term end falls between today and today + `value` days."""
        if value is None:
            return queryset
        today = timezone.localdate()
        until = today + dt.timedelta(days=int(value))
        notice = Q(notice_deadline__range=(today, until), status__in=(ContractStatus.ACTIVE, ContractStatus.PAUSED))
        term = Q(current_term_end__range=(today, until))
        return queryset.filter(status__in=LIVE_STATUSES).filter(notice | term)
