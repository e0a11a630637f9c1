"""The loyalty API: programme settings for administrators, accounts and ledgers scoped, redeem with 422 and replay."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kunde.commerce.quotes import quote_create
from kunde.core.testing.api import client_for
from kunde.loyalty.models import LedgerEntry, LoyaltyAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(world, programme, buy) -> LoyaltyAccount:
    buy(("KE-01", 1))  # 200 points
    return LoyaltyAccount.objects.get(person=world.person)


def test_the_account_of_a_person_shows_balance_tier_and_the_way_to_the_next_tier(world, account):
    response = client_for(world, "owner").get(f"/loyalty/people/{world.person.pk}/account")
    assert response.status_code == 200
    body = response.json()
    assert (body["balance"], body["balance_value_eur"], body["tier"]["name"]) == (200, "20.00", "Silber")
    assert (body["next_tier"]["name"], body["points_to_next_tier"]) == ("Gold", 300)
    assert [e["points"] for e in body["recent_entries"]] == [100, 100]


@pytest.mark.parametrize("who", ["other_team"])
def test_another_team_sees_no_account_and_cannot_redeem(world, account, who):
    client = client_for(world, who)
    assert client.get(f"/loyalty/people/{world.person.pk}/account").status_code == 404
    assert client.get(f"/loyalty/accounts/{account.pk}/ledger").status_code == 404
    assert client.post(f"/loyalty/accounts/{account.pk}/redeem", {"points": 10}).status_code == 404


def test_a_read_only_user_may_read_but_not_redeem(world, account):
    quote = quote_create(actor=world.owner, person=world.person, lines=[{"sku": "RI-01", "quantity": 1}])
    client = client_for(world, "read_only")
    assert client.get(f"/loyalty/accounts/{account.pk}/ledger").status_code == 200
    response = client.post(f"/loyalty/accounts/{account.pk}/redeem", {"points": 10, "quote": quote.pk})
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.balance == 200


def test_redeeming_over_the_balance_is_a_422_naming_the_balance(world, account):
    quote = quote_create(actor=world.owner, person=world.person, lines=[{"sku": "KE-01", "quantity": 3}])
    response = client_for(world, "owner").post(f"/loyalty/accounts/{account.pk}/redeem",
                                               {"points": 201, "quote": quote.pk})
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Only 200 points are available; 201 asked for."
    account.refresh_from_db()
    assert account.balance == 200


def test_a_redeem_retried_with_its_idempotency_key_redeems_once(world, account):
    quote = quote_create(actor=world.owner, person=world.person, lines=[{"sku": "KE-01", "quantity": 1}])
    client = client_for(world, "owner")
    headers = {"Idempotency-Key": "redeem-1"}
    first = client.post(f"/loyalty/accounts/{account.pk}/redeem", {"amount_eur": "5.00", "quote": quote.pk},
                        headers=headers)
    again = client.post(f"/loyalty/accounts/{account.pk}/redeem", {"amount_eur": "5.00", "quote": quote.pk},
                        headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert (first.json()["points"], first.json()["amount_eur"]) == (-50, "5.00")
    assert LedgerEntry.objects.filter(kind="redeemed").count() == 1
    quote.refresh_from_db()
    assert quote.gross_total == Decimal("114.00")


def test_only_administrators_change_the_programme(world, programme):
    assert client_for(world, "owner").post("/loyalty/programme/tiers", {"name": "Diamant",
                                                                       "threshold": 9000}).status_code == 403
    admin = client_for(world, "admin")
    assert admin.post("/loyalty/programme/tiers", {"name": "Diamant", "threshold": 9000}).status_code == 201
    response = admin.post("/loyalty/programme/rules", {"name": "Kategorie", "kind": "category"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "A category rule needs a product category."
    body = client_for(world, "owner").get("/loyalty/programme").json()
    assert [t["name"] for t in body["tiers"]] == ["Silber", "Gold", "Platin", "Diamant"]
    assert [r["kind"] for r in body["rules"]] == ["category", "per_euro"]
