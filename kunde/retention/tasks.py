"""Background work of retention: plan figures after each analytics refresh, and the care cadences."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from kunde.core.jobs import register_periodic


@task()
def compute_plan_figures(plan_id: int) -> dict[str, Any]:
    """The effect figures of one plan as of the latest refresh (idempotent)."""
    from kunde.retention import figures
    from kunde.retention.models import RetentionPlan

    plan = RetentionPlan.objects.filter(pk=plan_id).select_related("segment").first()
    if plan is None:
        return {"plan": plan_id, "ready": False}
    if not figures.ready(plan):
        figures.compute(plan)
    return {"plan": plan_id, "ready": figures.ready(plan)}


def refresh_plan_figures() -> dict[str, Any]:
    """Compute the figures of active plans that are older than the latest analytics refresh (hourly)."""
    from kunde.retention import figures

    return {"plans": figures.compute_due()}


def run_care_cadences() -> dict[str, Any]:
    """Create the personal-care follow-up tasks that are due (daily, after 04:00 UTC)."""
    from kunde.retention import care

    return {"tasks": care.run_all()}


register_periodic("retention.plan_figures", refresh_plan_figures, every=dt.timedelta(hours=1),
                  offset=dt.timedelta(minutes=20), stale_after=dt.timedelta(hours=2))
register_periodic("retention.care_cadences", run_care_cadences, every=dt.timedelta(days=1),
                  offset=dt.timedelta(hours=4))
