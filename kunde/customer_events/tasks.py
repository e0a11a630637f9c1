"""Background work of customer events: the hourly reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kunde.core.jobs import register_periodic


def send_reminders() -> dict[str, Any]:
    """Send each registered person's event reminder once, N hours (per event) before the start."""
    from kunde.customer_events.services import reminders_send

    return {"sent": reminders_send()}


register_periodic("customer_events.reminders", send_reminders, every=dt.timedelta(hours=1))
