"""Demo loyalty: HandelBlitz's jewellery programme over the demo orders, with redemptions and expiries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kunde.commerce.demo import load_demo_catalogue
from kunde.commerce.models import ProductCategory, Quote
from kunde.commerce.quotes import quote_create
from kunde.loyalty.models import EarningRule, LedgerEntry, LoyaltyAccount, Programme
from kunde.loyalty.services import (
    points_backfill,
    points_expire,
    points_redeem,
    programme_create,
    rule_create,
    tier_create,
)

NAME = "HandelBlitz Treueprogramm"
JEWELLERY = ("necklaces", "rings", "earrings")
TIERS = [
    ("Silber", 0, "1 Punkt je Euro auf Schmuck."),
    ("Gold", 500, "Kostenlose Gravur und Versand."),
    ("Platin", 1500, "Persönliche Beratung und Vorab-Zugang zu neuen Kollektionen."),
]
REDEMPTIONS = 3  # demo customers who turn 300 points into a discount on a quote
REDEEM_POINTS = 300


def _setup(actor: Any) -> Programme:
    categories = {category.key: category for category in ProductCategory.objects.filter(key__in=JEWELLERY)}
    programme = programme_create(actor=actor, name=NAME, point_value_eur=Decimal("0.05"), expiry_months=24)
    for key in JEWELLERY:
        if key in categories:
            rule_create(actor=actor, programme=programme, name=f"1 Punkt je Euro: {categories[key].name_de}",
                        kind=EarningRule.Kind.PER_EURO, category=categories[key])
    if "necklaces" in categories:
        rule_create(actor=actor, programme=programme, name="Doppelte Punkte auf Halsketten",
                    kind=EarningRule.Kind.CATEGORY, category=categories["necklaces"], multiplier=Decimal(2))
    year = timezone.localdate().year - 1
    rule_create(actor=actor, programme=programme, name=f"Herbstaktion {year}: 50 Extrapunkte ab 100 €",
                kind=EarningRule.Kind.BONUS, multiplier=Decimal(1), extra_points=50, points_per_euro=Decimal(0),
                starts_on=dt.date(year, 10, 1), ends_on=dt.date(year, 11, 30), minimum_order_eur=Decimal(100))
    for name, threshold, benefits in TIERS:
        tier_create(actor=actor, programme=programme, name=name, threshold=threshold, benefits=benefits)
    return programme


def _redeem_some(actor: Any, programme: Programme) -> None:
    if LedgerEntry.objects.filter(account__programme=programme, kind=LedgerEntry.Kind.REDEEMED).exists():
        return
    ring = next((p for p in load_demo_catalogue()["b2c"] if p.sku == "HB-RI-22"), None)
    accounts = LoyaltyAccount.objects.filter(programme=programme, person__isnull=False,
                                             balance__gte=REDEEM_POINTS).select_related("person").order_by("id")
    for account in accounts[:REDEMPTIONS]:
        quote: Quote = quote_create(actor=None, person=account.person,
                                    lines=[{"product": ring, "quantity": 1}] if ring else [
                                        {"description": "Ring", "unit_price": "249.00", "quantity": 1}])
        points_redeem(actor=None, account=account, points=REDEEM_POINTS, quote=quote,
                      reason=f"{REDEEM_POINTS} Punkte auf Angebot {quote}")


def load_demo_loyalty(*, actor: Any) -> Programme:
    """The HandelBlitz programme (1 point per euro on jewellery, double on necklaces, an autumn bonus, tiers
    Silber/Gold/Platin), accrued over the demo orders, a few redemptions and the expiry of old points.

    Deterministic and idempotent: a second run finds the programme by name, accrues nothing twice,
    redeems nothing again and expires nothing again.
    """
    programme = Programme.objects.filter(name=NAME).first()
    if programme is None:
        if Programme.objects.filter(is_active=True).exists():
            return Programme.objects.get(is_active=True)  # an installation's own programme wins
        programme = _setup(actor)
    if programme.is_active:
        points_backfill(actor=None, history=True, announce_tiers=True)
        _redeem_some(actor, programme)
        points_expire()
    return programme
