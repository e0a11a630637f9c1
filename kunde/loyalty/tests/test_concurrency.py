"""Two redemptions of the same points at the same moment, on two real PostgreSQL connections."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from kunde.commerce.quotes import quote_create
from kunde.commerce.services import order_create
from kunde.loyalty.models import LedgerEntry, LoyaltyAccount
from kunde.loyalty.services import order_points_accrue, points_redeem

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer; the race needs PostgreSQL"),
]


def test_of_two_concurrent_redemptions_of_the_same_points_exactly_one_succeeds(world, programme):
    order = order_create(actor=world.owner, person=world.person, lines=[{"sku": "RI-01", "quantity": 2}])
    order_points_accrue(order=order)  # 100 points
    quotes = [quote_create(actor=world.owner, person=world.person, lines=[{"sku": "KE-01", "quantity": 1}])
              for _index in range(2)]
    account = LoyaltyAccount.objects.get(person=world.person)
    assert account.balance == 100
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def redeem(quote_index: int) -> None:
        try:
            barrier.wait()
            points_redeem(actor=world.owner, account=LoyaltyAccount.objects.get(pk=account.pk), points=80,
                          quote=quotes[quote_index])
            outcomes.append("redeemed")
        except ValidationError as error:
            outcomes.append(error.message_dict["points"][0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["Only 20 points are available; 80 asked for.", "redeemed"]
    account.refresh_from_db()
    assert account.balance == 20
    assert list(LedgerEntry.objects.filter(kind="redeemed").values_list("points", "balance_after")) == [(-80, 20)]
    totals = sorted(q.gross_total for q in type(quotes[0]).objects.filter(pk__in=[q.pk for q in quotes]))
    assert totals == [Decimal("111.00"), Decimal("119.00")]
