"""Tickets: create, route, reply with threading headers, notes, status changes, SLA, CSAT."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from kunde.activities.models import Activity
from kunde.contacts.models import CustomerGroup
from kunde.core.exceptions import PermissionDenied
from kunde.core.links import LinkError, make_token
from kunde.mail.models import OutboundMessage
from kunde.service.csat import csat_answer, csat_ticket
from kunde.service.models import RoutingLog, RoutingRule, SlaPolicy, Ticket, TicketCategory, TicketStatus
from kunde.service.services import (
    default_calendar,
    ticket_assign,
    ticket_change_status,
    ticket_create,
    ticket_receive,
    ticket_reply,
    ticket_update,
)

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def _status(key):
    return TicketStatus.objects.get(key=key)


def test_create_numbers_the_ticket_and_writes_history(world):
    ticket = ticket_create(actor=world.owner, subject="Depotauszug fehlt", description="Bitte senden",
                           person=world.person, channel="email", team=world.team_a)
    assert ticket.number == f"T-{ticket.pk}"
    assert ticket.organisation == world.organisation
    assert ticket.status.key == "new"
    assert ticket.messages.get().direction == "in"
    entry = Activity.objects.get(kind="service.ticket_created")
    assert entry.person == world.person and entry.channel == "email"


def test_reply_goes_to_outbox_with_threading_headers(world):
    ticket = ticket_create(actor=world.owner, subject="Frage", description="Hallo", person=world.person,
                           channel="email", message_id="<abc@kunde.example>")
    message = ticket_reply(actor=world.owner, ticket=ticket, text="Guten Tag, Herr Müller")
    outbound = OutboundMessage.objects.get()
    assert outbound.to == ["j.mueller@gunther-glas.de"]
    assert outbound.in_reply_to == "<abc@kunde.example>"
    assert "<abc@kunde.example>" in outbound.references
    assert ticket.token in outbound.subject
    assert message.message_id == outbound.message_id
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None and ticket.status.key == "open"
    # The automatic new → open is a status change like any other: history, audit, a new version.
    assert Activity.objects.filter(kind="service.status_changed").count() == 1
    assert ticket.version == 2
    second = ticket_reply(actor=world.owner, ticket=ticket, text="Nachtrag")
    assert second.in_reply_to == message.message_id
    assert Activity.objects.filter(kind="service.reply_sent").count() == 2


def test_internal_note_sends_no_mail(world):
    ticket = ticket_create(actor=world.owner, subject="Frage", person=world.person)
    ticket_reply(actor=world.owner, ticket=ticket, text="intern", internal=True)
    assert not OutboundMessage.objects.exists()
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert Activity.objects.filter(kind="service.note_added").exists()


def test_other_team_may_not_reply(world):
    ticket = ticket_create(actor=world.owner, subject="Frage", person=world.person, team=world.team_a,
                           owner=world.owner)
    with pytest.raises(PermissionDenied):
        ticket_reply(actor=world.other_team, ticket=ticket, text="x")


def test_status_change_history_and_solved(world):
    ticket = ticket_create(actor=world.owner, subject="Frage", person=world.person)
    ticket = ticket_change_status(actor=world.owner, ticket=ticket, status=_status("solved"))
    assert ticket.solved_at is not None
    assert Activity.objects.filter(kind="service.status_changed").count() == 1
    ticket = ticket_change_status(actor=world.owner, ticket=ticket, status=_status("open"))
    assert ticket.solved_at is None


def test_assign(world):
    ticket = ticket_create(actor=world.owner, subject="Frage", person=world.person)
    ticket = ticket_assign(actor=world.owner, ticket=ticket, owner=world.teammate, team=world.team_a)
    assert ticket.owner == world.teammate and ticket.team == world.team_a


def test_routing_rules_apply_in_order_and_are_logged(world):
    category = TicketCategory.objects.create(key="depot", label_en="Depot", label_de="Depot")
    RoutingRule.objects.create(name="Depot", position=1, keywords="depot, auszug", set_team=world.team_b,
                               set_category=category, set_tags="Depot")
    RoutingRule.objects.create(name="Glas", position=2, sender_domain="gunther-glas.de", set_priority="high")
    RoutingRule.objects.create(name="Englisch", position=3, language="en", set_priority="low")
    ticket = ticket_create(actor=None, subject="Depotauszug", person=world.person, channel="email",
                           sender="j.mueller@gunther-glas.de")
    assert ticket.team == world.team_b and ticket.category == category and ticket.priority == "high"
    assert [t.name for t in ticket.tags.all()] == ["Depot"]
    assert list(RoutingLog.objects.filter(ticket=ticket).values_list("rule_name", flat=True)) == ["Depot", "Glas"]


def test_routing_by_customer_group_and_channel(world):
    group = CustomerGroup.objects.first()
    world.person.customer_group = group
    world.person.save()
    RoutingRule.objects.create(name="VIP", customer_group=group, channel="phone", set_priority="urgent")
    assert ticket_create(actor=None, subject="a", person=world.person, channel="phone").priority == "urgent"
    assert ticket_create(actor=None, subject="b", person=world.person, channel="email").priority == "normal"


def test_sla_due_times_and_pause_while_waiting_on_customer(world):
    SlaPolicy.objects.create(name="Standard", calendar=default_calendar(), first_response_minutes=60,
                             resolution_minutes=8 * 60)
    with time_machine.travel(dt.datetime(2026, 11, 24, 9, tzinfo=BERLIN), tick=False) as clock:
        ticket = ticket_create(actor=world.owner, subject="Frage", person=world.person)
        assert ticket.first_response_due_at == dt.datetime(2026, 11, 24, 10, tzinfo=BERLIN)
        assert ticket.resolution_due_at == dt.datetime(2026, 11, 24, 17, tzinfo=BERLIN)
        clock.move_to(dt.datetime(2026, 11, 24, 10, tzinfo=BERLIN))
        ticket = ticket_change_status(actor=world.owner, ticket=ticket, status=_status("waiting_customer"))
        clock.move_to(dt.datetime(2026, 11, 24, 13, tzinfo=BERLIN))
        ticket_receive(ticket=ticket, text="Hier die Unterlagen", person=world.person)
        ticket = Ticket.objects.get(pk=ticket.pk)
        assert ticket.status.key == "open"
        assert ticket.resolution_due_at == dt.datetime(2026, 11, 25, 11, tzinfo=BERLIN)


def test_sla_policy_by_priority_and_customer_group(world):
    group = CustomerGroup.objects.first()
    calendar = default_calendar()
    SlaPolicy.objects.create(name="VIP urgent", priority="urgent", customer_group=group, calendar=calendar,
                             first_response_minutes=15, resolution_minutes=60, position=0)
    SlaPolicy.objects.create(name="Default", calendar=calendar, first_response_minutes=60,
                             resolution_minutes=600, position=1)
    assert ticket_create(actor=None, subject="a", person=world.person, priority="urgent").sla_policy.name == "Default"
    world.person.customer_group = group
    world.person.save()
    vip = ticket_create(actor=None, subject="a", person=world.person, priority="urgent")
    assert vip.sla_policy.name == "VIP urgent"


def test_solving_asks_for_satisfaction_once_and_the_answer_lands_on_the_ticket(world):
    ticket = ticket_create(actor=world.owner, subject="Frage", person=world.person)
    ticket = ticket_change_status(actor=world.owner, ticket=ticket, status=_status("solved"))
    ticket = ticket_change_status(actor=world.owner, ticket=ticket, status=_status("open"))
    ticket = ticket_change_status(actor=world.owner, ticket=ticket, status=_status("solved"))
    question = OutboundMessage.objects.get(purpose="service.csat")
    assert "/satisfaction/" in question.text
    token = make_token("service.csat", ticket.pk)
    csat_answer(token, 4, "Schnell und freundlich")
    ticket.refresh_from_db()
    assert ticket.csat_score == 4 and ticket.csat_comment == "Schnell und freundlich"
    assert Activity.objects.filter(kind="service.csat_answered").exists()
    with pytest.raises(LinkError):
        csat_ticket(token)


def test_one_answer_per_ticket_whichever_of_the_links_is_used(world):
    import time_machine

    ticket = ticket_create(actor=world.owner, subject="Frage", person=world.person)
    with time_machine.travel("2026-11-24 09:00:00 +0000"):
        first = make_token("service.csat", ticket.pk)
    with time_machine.travel("2026-11-24 09:00:05 +0000"):
        second = make_token("service.csat", ticket.pk)  # the next link in the mail, a few seconds later
    assert first != second
    csat_answer(first, 2)
    with pytest.raises(LinkError):
        csat_answer(second, 5)
    ticket.refresh_from_db()
    assert ticket.csat_score == 2


def test_csat_page_reused_and_forged_links_are_clear(client, world):
    ticket = ticket_create(actor=world.owner, subject="Frage", person=world.person)
    token = make_token("service.csat", ticket.pk)
    page = client.get(f"/satisfaction/{token}/?score=5")
    assert page.status_code == 200 and b'value="5" checked' in page.content
    assert client.post(f"/satisfaction/{token}/", {"score": "5", "comment": "gut"}).status_code == 200
    again = client.get(f"/satisfaction/{token}/?score=1")
    assert again.status_code == 410 and b"already been used" in again.content
    assert client.get("/satisfaction/forged/").status_code == 410


def test_update_priority_recomputes_the_sla(world):
    SlaPolicy.objects.create(name="Urgent", priority="urgent", calendar=default_calendar(),
                             first_response_minutes=15, resolution_minutes=60)
    ticket = ticket_create(actor=world.owner, subject="Frage", person=world.person)
    assert ticket.sla_policy is None
    ticket = ticket_update(actor=world.owner, ticket=ticket, changes={"priority": "urgent", "deal": None})
    assert ticket.sla_policy.name == "Urgent" and ticket.resolution_due_at is not None
    with pytest.raises(ValidationError):
        ticket_update(actor=world.owner, ticket=ticket, changes={"number": "X"})
