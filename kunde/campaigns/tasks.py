"""Background work of campaigns and automation: sending campaigns, scheduled and delayed rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from kunde.core.jobs import register_periodic


@task()
def send_campaign(campaign_id: int) -> dict[str, Any]:
    """Send a started campaign's pending recipients, batch after batch, at the configured rate."""
    from kunde.campaigns.dispatch import campaign_send_all

    return {"campaign": campaign_id, "handled": campaign_send_all(campaign_id, time_budget=300)}


def send_due_campaigns() -> dict[str, Any]:
    """Start scheduled campaigns that are due and send what is pending (resumes after a crash)."""
    from kunde.campaigns.dispatch import run_due_campaigns

    return {"handled": run_due_campaigns()}


def run_rules() -> dict[str, Any]:
    """Automation rules: perform delayed runs that are due, then the quarterly/monthly schedules."""
    from kunde.campaigns.rules import run_due_rule_runs, run_scheduled_rules

    return {"due": run_due_rule_runs(), "scheduled": run_scheduled_rules()}


register_periodic("campaigns.send_due", send_due_campaigns, every=dt.timedelta(minutes=1),
                  stale_after=dt.timedelta(minutes=10))
register_periodic("campaigns.rules", run_rules, every=dt.timedelta(minutes=15))
