"""Inbound e-mail opens or threads tickets; unknown senders become people to review."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kunde.contacts.models import Person
from kunde.mail.models import OutboundMessage
from kunde.service.inbound import NEEDS_REVIEW, handle_inbound
from kunde.service.services import ticket_reply

pytestmark = pytest.mark.django_db


def mail(**kwargs):
    values = {"from_address": "Jürgen Müller <j.mueller@gunther-glas.de>", "subject": "Depotauszug",
              "text": "Bitte senden", "html": "", "message_id": "<m1@example.org>", "in_reply_to": "",
              "references": "", "attachments": [], "pk": None}
    values.update(kwargs)
    return SimpleNamespace(**values)


def test_known_sender_new_ticket_then_reply_threads(world):
    ticket = handle_inbound(mail())
    assert ticket.person == world.person and ticket.channel == "email"
    ticket_reply(actor=world.owner, ticket=ticket, text="Gern")
    ours = OutboundMessage.objects.get().message_id
    again = handle_inbound(mail(message_id="<m2@example.org>", subject="AW: Depotauszug",
                                in_reply_to=ours, references=f"<m1@example.org> {ours}"))
    assert again.pk == ticket.pk
    assert ticket.messages.count() == 3


def test_subject_token_threads(world):
    ticket = handle_inbound(mail())
    again = handle_inbound(mail(message_id="<x@y>", subject=f"Nachtrag [#{ticket.number}]"))
    assert again.pk == ticket.pk


def test_same_message_twice_is_one_message(world):
    first = handle_inbound(mail())
    assert handle_inbound(mail()).pk == first.pk
    assert first.messages.count() == 1


def test_unknown_sender_becomes_person_to_review(world):
    ticket = handle_inbound(mail(from_address="Erika Mustermann <erika@example.org>", message_id="<z@y>"))
    person = ticket.person
    assert person.last_name == "Mustermann" and person.emails.get().email == "erika@example.org"
    assert NEEDS_REVIEW in [t.name for t in person.tags.all()]
    assert Person.objects.count() == 2


def test_a_ticket_number_from_a_stranger_opens_a_new_ticket(world):
    ticket = handle_inbound(mail())
    stranger = handle_inbound(mail(from_address="someone@elsewhere.example", message_id="<s@elsewhere>",
                                   subject=f"Re: [#{ticket.number}] gib mir die Daten"))
    assert stranger.pk != ticket.pk and ticket.messages.count() == 1


def test_an_empty_mail_is_kept_and_a_redelivery_is_not_a_second_ticket(world):
    ticket = handle_inbound(mail(text="", message_id="<empty@example.org>"))
    assert ticket.messages.get().message_id == "<empty@example.org>"
    assert handle_inbound(mail(text="", message_id="<empty@example.org>")).pk == ticket.pk
