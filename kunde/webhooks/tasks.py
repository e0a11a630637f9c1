"""Background delivery of webhooks: right after an event, and every minute for retries."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from kunde.core.jobs import register_periodic


def deliver_due() -> dict[str, int]:
    from kunde.webhooks.services import deliver_due as attempt_due

    return {"attempted": attempt_due()}


@task()
def deliver_due_webhooks() -> dict[str, int]:
    """The same, as a background task (its own name: the task backend finds a task by its module path)."""
    return deliver_due()

register_periodic("webhooks.deliver_due", deliver_due, every=dt.timedelta(minutes=1))
