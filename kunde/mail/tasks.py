"""The worker sends the outbox right after a message is queued, and every minute for retries."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from kunde.core.jobs import register_periodic


def send_outbox() -> dict[str, int]:
    from kunde.mail.services import outbox_send_due

    total = 0
    while sent := outbox_send_due():
        total += sent
    return {"sent": total}


@task()
def send_outbox_task() -> dict[str, int]:
    """The same, as a background task (its own name: the task backend finds a task by its module path)."""
    return send_outbox()

def poll_mailboxes() -> dict[str, int]:
    from kunde.mail.inbound import poll_all

    return poll_all()


register_periodic("mail.send_outbox", send_outbox, every=dt.timedelta(minutes=1))
register_periodic("mail.poll_mailboxes", poll_mailboxes, every=dt.timedelta(minutes=1),
                  stale_after=dt.timedelta(minutes=30))
