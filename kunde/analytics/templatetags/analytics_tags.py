"""Labels of RFM segments and churn factors for templates."""

from __future__ import annotations

from typing import Any

from django import template

from kunde.analytics import churn, rfm

register = template.Library()


@register.filter
def segment_label(key: str) -> Any:
    return rfm.segment_label(key)


@register.filter
def segment_description(key: str) -> Any:
    segment = rfm.SEGMENTS.get(key or "")
    return segment.description if segment else ""


@register.filter
def factor_label(name: str) -> Any:
    feature = churn.FEATURES.get(name)
    return feature.label if feature else name
