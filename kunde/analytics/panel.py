"""The scores card on the 360° page of a person or organisation."""

from __future__ import annotations

from typing import Any

from kunde.analytics.models import AnalyticsSettings
from kunde.analytics.selectors import customer_score, freshness


def customer_panel_context(user: Any, customer: Any) -> dict[str, Any] | None:
    score = customer_score(user, customer)
    if score is None:
        return None
    return {"score": score, "stale": freshness()["stale"], "days": AnalyticsSettings.load().prediction_days}
