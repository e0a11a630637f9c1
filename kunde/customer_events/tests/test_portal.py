"""The customer portal card: the signed-in person's upcoming events with their personal links.

Rendered the way the portal's start page renders a section (`section.context`); the card is
not registered on the start page yet (see apps.py).
"""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from kunde.customer_events import services
from kunde.customer_events.models import Invitation
from kunde.customer_events.panel import portal_card_context
from kunde.customer_events.tests.conftest import consenting_person

pytestmark = pytest.mark.django_db


def _card(person) -> str:  # type: ignore[no-untyped-def]
    context = portal_card_context(person)
    if context is None:
        return ""
    return render_to_string("customer_events/_portal_card.html", {"section": {"context": context}})


def test_portal_card_lists_own_registrations_and_invitations_only(world, webinar):
    registered = consenting_person(world.owner, "Kunde1")
    services.registration_create(actor=world.owner, event=webinar, person=registered)
    invited = consenting_person(world.owner, "Kunde2")
    Invitation.objects.create(event=webinar, person=invited, sent_at=webinar.created_at)
    stranger = consenting_person(world.owner, "Kunde3")

    card = _card(registered)
    assert "Marktausblick Q1" in card and "Registered" in card
    assert "/e/" in card
    invited_card = _card(invited)
    assert "Marktausblick Q1" in invited_card and "Invited" in invited_card
    assert _card(stranger) == ""
