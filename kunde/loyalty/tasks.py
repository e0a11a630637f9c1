"""Background work of loyalty: the daily catch-up, reversal, expiry and tier run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kunde.core.jobs import register_periodic


def loyalty_daily() -> dict[str, Any]:
    """Accrue missed orders, reverse cancelled ones, expire points past their date, recompute tiers."""
    from kunde.loyalty.services import daily

    return daily()


register_periodic("loyalty.daily", loyalty_daily, every=dt.timedelta(days=1), offset=dt.timedelta(hours=3),
                  stale_after=dt.timedelta(hours=2))
