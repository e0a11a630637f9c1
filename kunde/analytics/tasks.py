"""Background work of analytics: the nightly refresh and a refresh asked for from the UI or API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from kunde.core.jobs import register_periodic


def nightly_refresh() -> dict[str, Any]:
    """Recompute every score, KPI and model (nightly, after 02:00 UTC)."""
    from kunde.analytics.refresh import run

    record = run(trigger="nightly")
    return {"run": record.pk, "status": record.status, "seconds": record.seconds}


@task()
def refresh_now(user_id: int | None = None) -> dict[str, Any]:
    """A refresh someone asked for; it runs like the nightly one."""
    from kunde.accounts.models import User
    from kunde.analytics.refresh import run

    actor = User.objects.filter(pk=user_id).first() if user_id else None
    record = run(trigger="manual", actor=actor)
    return {"run": record.pk, "status": record.status, "seconds": record.seconds}


@task()
def compute_segment_figures(segment_id: int) -> dict[str, Any]:
    """The dashboard figures of one segment, until the next refresh (idempotent)."""
    from kunde.analytics import segment_figures
    from kunde.audience.models import Segment

    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is not None:
        segment_figures.ensure(segment)
    return {"segment": segment_id, "ready": segment is not None}


register_periodic("analytics.refresh", nightly_refresh, every=dt.timedelta(days=1), offset=dt.timedelta(hours=2),
                  stale_after=dt.timedelta(hours=3))
