"""The 360° panel, the ledger page, the redeem form, the settings page, the portal card and the binding cause."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from kunde.commerce.quotes import quote_create
from kunde.core.testing.factories import make_person
from kunde.loyalty.models import LoyaltyAccount

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_end_to_end_points_redeemed_on_a_quote_from_the_360_page(world, programme, buy):
    """Order → points on the panel → redeem on a quote → the discount is on the quote's total and in the history."""
    buy(("KE-01", 1))
    quote = quote_create(actor=world.owner, person=world.person, lines=[{"sku": "RI-01", "quantity": 1}])
    client = signed_in(world.owner)
    page = client.get(world.person.get_absolute_url()).content.decode()
    assert 'data-loyalty="balance">200 (20,00 €)' in page or 'data-loyalty="balance">200 (20.00 €)' in page
    assert 'id="loyalty-redeem"' in page
    account = LoyaltyAccount.objects.get(person=world.person)
    response = client.post(f"/loyalty/accounts/{account.pk}/redeem/", {"points": "100", "target": f"quote:{quote.pk}"})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.gross_total == Decimal("49.50")
    detail = client.get(quote.get_absolute_url()).content.decode()
    assert "100 loyalty points redeemed" in detail
    ledger = client.get(f"/loyalty/accounts/{account.pk}/").content.decode()
    assert "Redeemed on" in ledger and "-100" in ledger
    history = client.get(world.person.get_absolute_url()).content.decode()
    assert "100 loyalty points redeemed on" in history


def test_a_read_only_user_sees_the_panel_without_the_redeem_form_and_cannot_post(world, programme, buy):
    buy(("KE-01", 1))
    quote = quote_create(actor=world.owner, person=world.person, lines=[{"sku": "RI-01", "quantity": 1}])
    client = signed_in(world.read_only)
    page = client.get(world.person.get_absolute_url()).content.decode()
    assert 'id="customer-loyalty"' in page and 'id="loyalty-redeem"' not in page
    account = LoyaltyAccount.objects.get(person=world.person)
    response = client.post(f"/loyalty/accounts/{account.pk}/redeem/", {"points": "100", "target": f"quote:{quote.pk}"})
    assert response.status_code == 403
    assert LoyaltyAccount.objects.get(pk=account.pk).balance == 200


def test_another_team_gets_404_for_the_ledger(world, programme, buy):
    buy(("KE-01", 1))
    account = LoyaltyAccount.objects.get(person=world.person)
    client = signed_in(world.other_team)
    assert client.get(f"/loyalty/accounts/{account.pk}/").status_code == 404
    assert client.post(f"/loyalty/accounts/{account.pk}/redeem/", {"points": "1"}).status_code == 404


def test_settings_are_for_administrators_and_explain_bad_input(world, programme):
    assert signed_in(world.owner).get("/loyalty/settings/").status_code == 403
    admin = signed_in(world.admin)
    page = admin.get("/loyalty/settings/").content.decode()
    assert "Doppelte Punkte auf Ketten" in page and "Platin" in page
    response = admin.post("/loyalty/settings/", {"form": "tier", "name": "Zweites Gold", "threshold": "500"})
    assert response.status_code == 422
    assert "Another tier has this threshold." in response.content.decode()
    assert programme.tiers.count() == 3


def _portal(person) -> Client:
    client = Client()
    session = client.session
    session["service_portal_person"] = person.pk
    session.save()
    return client


def test_the_portal_card_shows_only_the_signed_in_persons_points(world, programme, buy):
    from kunde.service.portal import SESSION_KEY

    assert SESSION_KEY == "service_portal_person"
    anna = make_person(world.owner, first_name="Anna", emails=[{"email": "anna@example.org"}])
    buy(("KE-01", 1))  # Jürgen: 200
    buy(("RI-01", 1), person=anna)  # Anna: 50
    page = _portal(anna).get("/portal/").content.decode()  # the portal's start page with its cards
    assert 'data-loyalty="balance">50<' in page and ">200<" not in page
    points = _portal(anna).get("/portal/points/").content.decode()
    assert "50" in points and "KE-01" not in points
    assert Client().get("/portal/points/").status_code == 302


def test_a_tier_above_the_base_tier_is_a_psychological_binding_cause(world, programme, buy):
    from kunde.retention.causes import cause_sources

    source = next(s for s in cause_sources() if s.key == "loyalty.tier")
    buy(("KE-01", 1))
    assert list(source.people()) == []  # Silber is the base tier
    buy(("KE-01", 1), ("RI-01", 2))
    assert [row["person_id"] for row in source.people()] == [world.person.pk]
