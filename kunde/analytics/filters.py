"""Score filters for the people and organisation lists (and their API), through `<customer>.score`."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from kunde.analytics.rfm import SEGMENTS


class ScoreFilters(django_filters.FilterSet):
    """Mixed into a customer filterset: RFM segment, minimum churn risk, minimum predicted CLV."""

    rfm_segment = django_filters.ChoiceFilter(field_name="score__rfm_segment", label=_("RFM segment"),
                                              choices=[(key, segment.label) for key, segment in SEGMENTS.items()])
    churn_risk_min = django_filters.NumberFilter(field_name="score__churn_risk", lookup_expr="gte",
                                                 label=_("Churn risk at least (0–1)"))
    predicted_clv_min = django_filters.NumberFilter(field_name="score__predicted_clv", lookup_expr="gte",
                                                    label=_("Predicted CLV at least (EUR)"))


def score_of(customer: object) -> object | None:
    """The customer's scores if the list selected them (`select_related("score")`), else None."""
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return customer.score  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None
