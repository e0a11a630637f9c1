"""Periodic jobs of service: SLA warnings and breaches."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.core.jobs import register_periodic
from kunde.service.models import DONE_CATEGORIES, SlaNotification, Ticket

logger = logging.getLogger("kunde.service")


def _notify(ticket: Ticket, kind: str, target: str, due: dt.datetime, now: dt.datetime) -> bool:
    """Create the notice once (the unique row makes a rerun a no-op); tasks for assignee and team lead."""
    from kunde.activities.services import task_create

    try:
        with transaction.atomic():
            SlaNotification.objects.create(ticket=ticket, kind=kind, target=target, at=now)
            if kind == SlaNotification.Kind.BREACH and ticket.sla_breached_at is None:
                Ticket.all_objects.filter(pk=ticket.pk).update(sla_breached_at=now)
            elif kind == SlaNotification.Kind.WARNING:
                Ticket.all_objects.filter(pk=ticket.pk, sla_warned_at__isnull=True).update(sla_warned_at=now)
            if ticket.person_id or ticket.organisation_id:
                label = _("first response") if target == "first_response" else _("resolution")
                if kind == SlaNotification.Kind.BREACH:
                    subject = _("SLA breached (%(target)s): ticket %(number)s") % {
                        "target": label, "number": ticket.number}
                else:
                    subject = _("SLA due soon (%(target)s): ticket %(number)s") % {
                        "target": label, "number": ticket.number}
                people = {u.pk: u for u in (ticket.owner, ticket.team.lead if ticket.team else None) if u}
                for user in people.values():
                    task_create(actor=None, subject=subject, due_at=due, assignee=user, person=ticket.person,
                                organisation=ticket.organisation, related=ticket,
                                data={"ticket_id": ticket.pk, "sla": kind})
    except IntegrityError:
        return False
    return True


def sla_check(now: dt.datetime | None = None) -> int:
    """Warn before and mark breaches of open tickets' SLA targets; returns notices created."""
    now = now or timezone.now()
    created = 0
    open_tickets = (Ticket.objects.exclude(status__category__in=DONE_CATEGORIES).filter(sla_policy__isnull=False)
                    .select_related("sla_policy", "team__lead", "owner"))
    for ticket in open_tickets.iterator(chunk_size=500):
        paused = bool(ticket.sla_pauses) and ticket.sla_pauses[-1][1] is None
        warn = dt.timedelta(minutes=ticket.sla_policy.warn_before_minutes)  # type: ignore[union-attr]
        targets = [("resolution", ticket.resolution_due_at)]
        if ticket.first_response_at is None:
            targets.insert(0, ("first_response", ticket.first_response_due_at))
        for target, due in targets:
            if due is None or paused:
                continue
            if now >= due:
                created += _notify(ticket, SlaNotification.Kind.BREACH, target, due, now)
            elif now >= due - warn:
                created += _notify(ticket, SlaNotification.Kind.WARNING, target, due, now)
    return created


register_periodic("service.sla_check", sla_check, every=dt.timedelta(minutes=5))
