"""Background work of customer events: the hourly reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from kunde.core.jobs import register_periodic


def send_reminders() -> dict[str, Any]:
    """Send each registered person's event reminder once, N hours (per event) before the start."""
    from kunde.customer_events.services import reminders_send

    return {"sent": reminders_send()}


@task()
def invite_segment_task(event_id: int, segment_id: int, user_id: int | None = None) -> dict[str, Any]:
    """Invite a big segment to an event in the background (repeatable: nobody is invited twice)."""
    from kunde.accounts.models import User
    from kunde.customer_events.models import Event
    from kunde.customer_events.services import invite_segment

    actor = User.objects.filter(pk=user_id).first() if user_id else None
    event = Event.objects.filter(pk=event_id).first()
    if event is None or (user_id and actor is None):
        return {"event": event_id, "invited": 0, "skipped": "event or user gone"}
    result = invite_segment(actor=actor, event=event, segment_id=segment_id)
    return {"event": event_id, "invited": len(result.invited), "already_invited": len(result.already_invited),
            "without_consent": len(result.without_consent)}


register_periodic("customer_events.reminders", send_reminders, every=dt.timedelta(hours=1))
