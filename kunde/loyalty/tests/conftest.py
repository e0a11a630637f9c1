"""A jewellery programme (1 point per euro, double on necklaces, Silber/Gold/Platin) and its customer's orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kunde.commerce.models import Order, ProductCategory
from kunde.commerce.services import order_create, product_create
from kunde.loyalty.models import EarningRule, Programme
from kunde.loyalty.services import programme_create, rule_create, tier_create


@pytest.fixture
def programme(world) -> Programme:
    necklaces = ProductCategory.objects.create(key="necklaces", name_en="Necklaces", name_de="Ketten")
    product_create(actor=world.admin, sku="KE-01", name="Kette Aurora", net_price="100.00", category=necklaces)
    product_create(actor=world.admin, sku="RI-01", name="Ring Luna", net_price="50.00")
    programme = programme_create(actor=world.admin, name="HandelBlitz Treue", point_value_eur=Decimal("0.10"),
                                 expiry_months=24)
    rule_create(actor=world.admin, programme=programme, name="1 Punkt je Euro", kind=EarningRule.Kind.PER_EURO)
    rule_create(actor=world.admin, programme=programme, name="Doppelte Punkte auf Ketten",
                kind=EarningRule.Kind.CATEGORY, category=necklaces, multiplier=Decimal(2))
    tier_create(actor=world.admin, programme=programme, name="Silber", threshold=0)
    tier_create(actor=world.admin, programme=programme, name="Gold", threshold=500)
    tier_create(actor=world.admin, programme=programme, name="Platin", threshold=2000)
    return programme


@pytest.fixture
def buy(world, django_capture_on_commit_callbacks):
    """Place an order for the world's person as its owner, delivering `commerce.order_created` like a commit."""

    def place(*lines: tuple[str, int], on: dt.date | None = None, person: Any = None, **fields: Any) -> Order:
        with django_capture_on_commit_callbacks(execute=True):
            return order_create(actor=world.owner, person=person or world.person, ordered_on=on,
                                lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines], **fields)

    return place
