"""The SLA job warns before and marks breaches once, notifying assignee and team lead."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from kunde.activities.models import Activity
from kunde.service.models import SlaNotification, SlaPolicy, TicketStatus
from kunde.service.selectors import csat_figures, sla_figures_by_team
from kunde.service.services import default_calendar, ticket_change_status, ticket_create, ticket_reply
from kunde.service.tasks import sla_check

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def test_warning_then_breach_once(world):
    world.team_a.lead = world.manager
    world.team_a.save()
    SlaPolicy.objects.create(name="S", calendar=default_calendar(), first_response_minutes=60,
                             resolution_minutes=600, warn_before_minutes=15)
    with time_machine.travel(dt.datetime(2026, 11, 24, 9, tzinfo=BERLIN), tick=False) as clock:
        ticket = ticket_create(actor=None, subject="Frage", person=world.person, team=world.team_a,
                               owner=world.teammate)
        assert sla_check() == 0
        clock.move_to(dt.datetime(2026, 11, 24, 9, 50, tzinfo=BERLIN))
        assert sla_check() == 1
        assert sla_check() == 0
        clock.move_to(dt.datetime(2026, 11, 24, 10, 5, tzinfo=BERLIN))
        assert sla_check() == 1
        assert sla_check() == 0
        ticket.refresh_from_db()
        assert ticket.sla_breached_at is not None
        tasks = Activity.objects.filter(kind="task", subject__contains="SLA")
        assert {t.assignee for t in tasks} == {world.teammate, world.manager}
        assert tasks.count() == 4
        assert SlaNotification.objects.count() == 2


def test_paused_ticket_is_not_warned(world):
    SlaPolicy.objects.create(name="S", calendar=default_calendar(), first_response_minutes=60,
                             resolution_minutes=120)
    with time_machine.travel(dt.datetime(2026, 11, 24, 9, tzinfo=BERLIN), tick=False) as clock:
        ticket = ticket_create(actor=world.owner, subject="Frage", person=world.person)
        ticket_reply(actor=world.owner, ticket=ticket, text="Welche Depotnummer?")
        ticket_change_status(actor=world.owner, ticket=ticket, status=TicketStatus.objects.get(key="waiting_customer"))
        clock.move_to(dt.datetime(2026, 11, 25, 16, tzinfo=BERLIN))
        assert sla_check() == 0


def test_figures(world):
    SlaPolicy.objects.create(name="S", calendar=default_calendar(), first_response_minutes=60,
                             resolution_minutes=600)
    ticket = ticket_create(actor=world.owner, subject="Frage", person=world.person)
    ticket_reply(actor=world.owner, ticket=ticket, text="Antwort")
    now = timezone.now()
    rows = sla_figures_by_team(world.admin, now - dt.timedelta(days=1), now + dt.timedelta(days=1))
    assert rows[0]["count"] == 1 and rows[0]["met_percent"] == 100.0
    assert rows[0]["median_first_response_hours"] is not None
    assert csat_figures(world.admin, now - dt.timedelta(days=1), now + dt.timedelta(days=1)) == []
