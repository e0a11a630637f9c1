"""Background work of contracts: the daily renewals, endings and reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kunde.core.jobs import register_periodic


def daily_contracts() -> dict[str, Any]:
    """Renew or end contracts at their term end and create renewal and notice-deadline reminders (daily)."""
    from kunde.contracts.reminders import run_daily

    result = run_daily()
    return {"renewed_or_ended": result.renewed_or_ended, "notice_reminders": result.notice_reminders,
            "renewal_reminders": result.renewal_reminders, "failed": result.failed}


register_periodic("contracts.daily", daily_contracts, every=dt.timedelta(days=1), offset=dt.timedelta(hours=1),
                  stale_after=dt.timedelta(hours=3))
