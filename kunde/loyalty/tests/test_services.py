"""Accrual, idempotence, reversal, expiry, tiers and redemption through the services, on real orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from kunde.activities.models import Activity
from kunde.commerce.models import Order, Quote
from kunde.commerce.quotes import quote_create, quote_totals
from kunde.core.exceptions import PermissionDenied
from kunde.loyalty.models import LedgerEntry, LedgerError, LoyaltyAccount
from kunde.loyalty.services import (
    cancelled_orders_reverse,
    daily,
    order_points_accrue,
    points_backfill,
    points_expire,
    points_redeem,
)

pytestmark = pytest.mark.django_db


def account(world) -> LoyaltyAccount:
    return LoyaltyAccount.objects.get(person=world.person)


def test_an_order_earns_points_per_euro_and_double_on_the_category(world, programme, buy):
    """1 x necklace 100 € + 1 x ring 50 € = 150 base points + 100 extra for the necklace."""
    order = buy(("KE-01", 1), ("RI-01", 1))
    entries = LedgerEntry.objects.filter(order=order).order_by("id")
    assert [(e.kind, e.points) for e in entries] == [("earned", 150), ("earned", 100)]
    assert entries[1].balance_after == 250
    assert entries[0].expires_on == order.ordered_on.replace(year=order.ordered_on.year + 2)
    assert account(world).balance == 250
    history = Activity.objects.filter(person=world.person, kind="loyalty.points_earned")
    assert [a.subject for a in history] == [f"250 loyalty points earned on order {order.number}"]


def test_reprocessing_an_order_never_doubles_its_points(world, programme, buy):
    order = buy(("KE-01", 2))
    assert order_points_accrue(order=order) == []
    points_backfill(actor=world.admin)
    assert account(world).balance == 400
    assert LedgerEntry.objects.filter(order=order).count() == 2
    assert Activity.objects.filter(kind="loyalty.points_earned").count() == 1


def test_backfill_accrues_existing_orders_set_based(world, programme, django_assert_max_num_queries):
    from kunde.commerce.services import order_create

    for _index in range(30):  # orders recorded before the programme listened: no events delivered
        order_create(actor=world.owner, person=world.person, lines=[{"sku": "RI-01", "quantity": 1}])
    other = order_create(actor=world.owner, organisation=world.organisation, lines=[{"sku": "RI-01", "quantity": 2}])
    Order.objects.filter(pk=other.pk).update(person=None)
    # A fixed number of statements, whatever the number of orders (two accounts reach Silber on top).
    with django_assert_max_num_queries(40):
        result = points_backfill(actor=world.admin)
    assert (result.entries, result.points) == (31, 30 * 50 + 100)
    assert account(world).balance == 1500
    assert LoyaltyAccount.objects.get(organisation=world.organisation).balance == 100
    balances = list(account(world).entries.order_by("id").values_list("balance_after", flat=True))
    assert balances == list(range(50, 1501, 50))


def test_cancelled_orders_earn_nothing_and_lose_what_they_earned(world, programme, buy):
    assert buy(("RI-01", 1), status=Order.Status.CANCELLED) is not None
    assert not LoyaltyAccount.objects.filter(person=world.person, balance__gt=0).exists()
    order = buy(("RI-01", 4))
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)  # cancelled in the ERP
    assert cancelled_orders_reverse() == 1
    assert cancelled_orders_reverse() == 0
    assert account(world).balance == 0
    entry = LedgerEntry.objects.get(kind="adjusted")
    assert (entry.points, entry.order_id) == (-200, order.pk)
    assert Activity.objects.filter(kind="loyalty.points_reversed").count() == 1


def test_points_expire_first_in_first_out_once(world, programme, buy):
    """200 points of 2024 and 100 of 2025; 150 redeemed in 2025 use the 2024 points first."""
    buy(("RI-01", 4), on=dt.date(2024, 3, 1))
    buy(("RI-01", 2), on=dt.date(2025, 3, 1))
    quote = quote_create(actor=world.owner, person=world.person, lines=[{"sku": "RI-01", "quantity": 1}])
    points_redeem(actor=world.owner, account=account(world), points=150, quote=quote)
    assert points_expire(today=dt.date(2026, 3, 1)) == 1  # 50 of 2024 left unused
    assert points_expire(today=dt.date(2026, 3, 1)) == 0
    assert account(world).balance == 100
    assert points_expire(today=dt.date(2027, 3, 1)) == 1
    assert account(world).balance == 0
    expired = list(LedgerEntry.objects.filter(kind="expired").values_list("points", "balance_after"))
    assert expired == [(-50, 100), (-100, 0)]
    assert Activity.objects.filter(kind="loyalty.points_expired").count() == 2


def test_reaching_a_tier_is_on_the_history_and_an_event(world, programme, buy, django_capture_on_commit_callbacks):
    from kunde.core import events

    seen = []
    events.subscribe("loyalty.tier_changed", lambda kind, payload: seen.append(payload))
    buy(("RI-01", 1))
    assert account(world).tier.name == "Silber"
    buy(("KE-01", 2))  # 200 + 200 + the 50 before = 450: still Silber
    assert account(world).tier.name == "Silber"
    buy(("RI-01", 1))  # 500
    assert (account(world).tier.name, account(world).qualifying_points) == ("Gold", 500)
    subjects = list(Activity.objects.filter(kind="loyalty.tier_changed").order_by("id").values_list("subject",
                                                                                                     flat=True))
    assert subjects == ["Reached loyalty tier Silber", "Reached loyalty tier Gold"]
    assert [p["tier_id"] for p in seen][-1] == account(world).tier_id


def test_tiers_count_the_last_twelve_months_only(world, programme, buy):
    with time_machine.travel(dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)):
        buy(("RI-01", 10), on=dt.date(2025, 6, 1))
        assert account(world).tier.name == "Gold"
    with time_machine.travel(dt.datetime(2026, 6, 2, 12, tzinfo=dt.UTC)):
        daily()
        assert (account(world).tier.name, account(world).qualifying_points) == ("Silber", 0)
    assert Activity.objects.filter(kind="loyalty.tier_changed").order_by("id").last().subject == (
        "Loyalty tier now Silber (was Gold)")


def test_redeeming_on_a_quote_takes_the_value_off_its_total(world, programme, buy):
    buy(("KE-01", 1))  # 200 points = 20.00 EUR
    quote = quote_create(actor=world.owner, person=world.person, lines=[{"sku": "RI-01", "quantity": 1}])
    assert quote.gross_total == Decimal("59.50")
    entry = points_redeem(actor=world.owner, account=account(world), points=150, quote=quote)
    quote.refresh_from_db()
    assert (entry.points, entry.amount_eur, entry.balance_after) == (-150, Decimal("15.00"), 50)
    assert quote.gross_total == Decimal("44.50")
    assert (quote.net_total, quote.vat_total) == (Decimal("37.39"), Decimal("7.11"))
    assert quote_totals(quote).deductions[0].label == "150 loyalty points redeemed"
    assert account(world).balance == 50
    assert Activity.objects.get(kind="loyalty.points_redeemed").subject == (
        f"150 loyalty points redeemed on {quote}: 15.00 EUR off")


def test_an_accepted_quote_keeps_the_points_discount_on_its_order(world, programme, buy):
    from kunde.commerce.quotes import acceptance_url, quote_answer, quote_send

    buy(("KE-01", 1))
    quote = quote_create(actor=world.owner, person=world.person, lines=[{"sku": "RI-01", "quantity": 1}])
    points_redeem(actor=world.owner, account=account(world), amount_eur="10", quote=quote)
    quote = quote_send(actor=world.owner, quote=quote)
    token = acceptance_url(quote).rstrip("/").rsplit("/", 1)[-1]
    quote = quote_answer(token=token, accept=True)
    assert quote.order.gross_total == Decimal("49.50")
    assert quote.order.net_total == Decimal("41.60")


def test_redeeming_more_than_the_balance_is_refused_and_changes_nothing(world, programme, buy):
    buy(("RI-01", 1))
    quote = quote_create(actor=world.owner, person=world.person, lines=[{"sku": "KE-01", "quantity": 1}])
    with pytest.raises(ValidationError) as error:
        points_redeem(actor=world.owner, account=account(world), points=51, quote=quote)
    assert error.value.message_dict["points"] == ["Only 50 points are available; 51 asked for."]
    quote.refresh_from_db()
    assert (account(world).balance, quote.gross_total) == (50, Decimal("119.00"))
    assert not LedgerEntry.objects.filter(kind="redeemed").exists()


def test_a_read_only_user_or_another_team_cannot_redeem(world, programme, buy):
    buy(("RI-01", 1))
    quote = quote_create(actor=world.owner, person=world.person, lines=[{"sku": "RI-01", "quantity": 1}])
    for user in (world.read_only, world.other_team):
        with pytest.raises(PermissionDenied):
            points_redeem(actor=user, account=account(world), points=10, quote=quote)
    assert account(world).balance == 50


def test_a_quote_of_another_customer_or_accepted_is_refused(world, programme, buy):
    from kunde.core.testing.factories import make_person

    buy(("RI-01", 1))
    stranger = make_person(world.owner)
    quote = quote_create(actor=world.owner, person=stranger, lines=[{"sku": "RI-01", "quantity": 1}])
    with pytest.raises(ValidationError) as error:
        points_redeem(actor=world.owner, account=account(world), points=10, quote=quote)
    assert error.value.message_dict["quote"] == ["The quote or order belongs to another customer."]
    Quote.objects.filter(pk=quote.pk).update(person=world.person, status=Quote.Status.ACCEPTED)
    quote.refresh_from_db()
    with pytest.raises(ValidationError):
        points_redeem(actor=world.owner, account=account(world), points=10, quote=quote)


def test_the_ledger_is_append_only(world, programme, buy):
    buy(("RI-01", 1))
    entry = LedgerEntry.objects.get()
    entry.points = 5000
    with pytest.raises(LedgerError):
        entry.save()
    with pytest.raises(LedgerError):
        entry.delete()
    with pytest.raises(LedgerError):
        LedgerEntry.objects.filter(pk=entry.pk).update(points=1)


def test_the_database_refuses_a_negative_balance(world, programme, buy):
    from django.db import IntegrityError, transaction

    buy(("RI-01", 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        LoyaltyAccount.objects.filter(person=world.person).update(balance=-1)


def test_the_demo_programme_is_deterministic_and_idempotent(world):
    """Necklaces earn double, old points expire, 300 points are redeemed on a quote; a rerun changes nothing."""
    from kunde.commerce.demo import load_demo_catalogue
    from kunde.commerce.services import order_create
    from kunde.loyalty.demo import load_demo_loyalty

    catalogue = {p.sku: p for p in load_demo_catalogue()["b2c"]}
    for day in (dt.date(2023, 1, 10), dt.date.today() - dt.timedelta(days=30)):
        order_create(actor=world.owner, person=world.person, ordered_on=day,
                     lines=[{"product": catalogue["HB-KE-12"], "quantity": 2}, {"product": catalogue["HB-RI-21"]}])
    first = load_demo_loyalty(actor=world.admin)
    snapshot = list(LedgerEntry.objects.order_by("id").values_list("kind", "points", "balance_after"))
    assert load_demo_loyalty(actor=world.admin) == first
    assert list(LedgerEntry.objects.order_by("id").values_list("kind", "points", "balance_after")) == snapshot
    kinds = {kind for kind, _points, _balance in snapshot}
    assert {"earned", "redeemed", "expired"} <= kinds
    assert account(world).tier.name == "Gold"  # 2 x 129 x 2 + 59 = 575 earned in the last 12 months
