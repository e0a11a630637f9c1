"""Benchmark of the loyalty backfill: points for existing orders, set-based (issue 9: 1M orders in <= 60 s).

Creates (once) `orders / 10` bench people and ten orders each with one line (a third of them
necklaces, which earn double), all set-based, then runs `points_backfill` — accounts, ledger
entries with running balances, balances, and the tier recomputation — first over the first
100k orders, then over all of them on an empty ledger. Prints seconds and the process's peak
memory. Runs on the current database (KUNDE_DATA_DIR / DATABASE_URL); use a scratch one: the
bench empties the loyalty tables between its two runs.

    python -m kunde.bench.loyalty --orders 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from decimal import Decimal
from typing import Any

PREFIX = "LOYB-"
ORDERS_PER_PERSON = 10


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _people(count: int) -> list[int]:
    from kunde.contacts.models import Person

    existing = list(Person.all_objects.filter(last_name="Loyalbench").order_by("pk").values_list("pk", flat=True))
    if len(existing) < count:
        Person.all_objects.bulk_create([Person(first_name="Bench", last_name="Loyalbench")
                                        for _index in range(count - len(existing))], batch_size=5000)
        existing = list(Person.all_objects.filter(last_name="Loyalbench").order_by("pk").values_list(
            "pk", flat=True))
    return existing[:count]


def _orders(total: int) -> dict[str, Any]:
    """`total` bench orders (ten per bench person) with one line each, by INSERT … SELECT."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kunde.commerce.models import Order, ProductCategory

    existing = Order.all_objects.filter(number__startswith=PREFIX).count()
    if existing >= total:
        return {"orders": existing, "generated_s": "reused"}
    started = time.perf_counter()
    people = _people(total // ORDERS_PER_PERSON)
    low, high = people[0], people[-1]
    necklaces, _created = ProductCategory.objects.get_or_create(
        key="bench-necklaces", defaults={"name_en": "Necklaces", "name_de": "Halsketten"})
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sqlite = connection.vendor == "sqlite"
    # `%%`: these expressions go into a statement with parameters.
    day = ("date('now', '-' || ((p.id * 7 + n.i * 37) %% 700) || ' days')" if sqlite
           else "CAST(CURRENT_DATE - CAST((p.id * 7 + n.i * 37) %% 700 AS integer) AS date)")
    amount = "CAST(((p.id * 13 + n.i * 101) %% 300) + 20 AS numeric)"
    values = {"number": f"'{PREFIX}' || p.id || '-' || n.i", "person_id": "p.id", "organisation_id": "NULL",
              "ordered_on": day, "status": "'fulfilled'", "currency": "'EUR'", "discount_percent": "0",
              "net_total": amount, "vat_total": f"{amount} * 0.19", "gross_total": f"{amount} * 1.19",
              "net_total_eur": amount, "source": "'bench'", "external_system": "''", "external_id": "''",
              "notes": "''", "owner_id": "p.owner_id", "team_id": "p.team_id", "deleted_at": "NULL",
              "custom_fields": "'{}'", "created_at": "%s", "updated_at": "%s", "version": "1"}
    columns = [str(field.column) for field in Order._meta.concrete_fields if field.column != "id"]
    params = [now if values[column] == "%s" else None for column in columns]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {ORDERS_PER_PERSON - 1}) "  # noqa: S608
            f"INSERT INTO commerce_order ({', '.join(columns)}) SELECT {', '.join(values[c] for c in columns)} "
            f"FROM contacts_person p CROSS JOIN n WHERE p.id BETWEEN {int(low)} AND {int(high)} "
            f"AND p.last_name = 'Loyalbench' AND NOT EXISTS (SELECT 1 FROM commerce_order o2 "
            f"WHERE o2.person_id = p.id AND o2.number LIKE '{PREFIX}%%')",
            [p for p in params if p is not None])
        cursor.execute(
            "INSERT INTO commerce_orderline (order_id, position, description, quantity, unit, unit_price, "  # noqa: S608
            "discount_percent, vat_rate, net_amount, net_amount_eur, person_id, organisation_id, category_id, "
            "ordered_on) SELECT o.id, 1, 'Bench', 1, 'Stk.', o.net_total, 0, 19, o.net_total, o.net_total_eur, "
            f"o.person_id, NULL, CASE WHEN o.id % 3 = 0 THEN {int(necklaces.pk)} ELSE NULL END, o.ordered_on "
            f"FROM commerce_order o WHERE o.number LIKE '{PREFIX}%' "
            "AND NOT EXISTS (SELECT 1 FROM commerce_orderline l WHERE l.order_id = o.id)")
    return {"orders": Order.all_objects.filter(number__startswith=PREFIX).count(),
            "generated_s": round(time.perf_counter() - started, 1)}


def _programme() -> Any:
    from kunde.commerce.models import ProductCategory
    from kunde.loyalty.models import EarningRule, Programme
    from kunde.loyalty.services import programme_create, rule_create, tier_create

    programme = Programme.objects.filter(is_active=True).first()
    if programme is not None:
        return programme
    programme = programme_create(actor=None, name="Bench", point_value_eur=Decimal("0.01"), expiry_months=24)
    rule_create(actor=None, programme=programme, name="1 per euro", kind=EarningRule.Kind.PER_EURO)
    rule_create(actor=None, programme=programme, name="Double on necklaces", kind=EarningRule.Kind.CATEGORY,
                category=ProductCategory.objects.get(key="bench-necklaces"), multiplier=Decimal(2))
    for name, threshold in (("Silber", 0), ("Gold", 1000), ("Platin", 2500)):
        tier_create(actor=None, programme=programme, name=name, threshold=threshold)
    return programme


def _empty_ledger() -> None:
    from django.db import connection

    # A scratch database only: the application itself never deletes ledger entries.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM loyalty_ledgerentry")
        cursor.execute("DELETE FROM loyalty_loyaltyaccount")


def _backfill() -> dict[str, Any]:
    from kunde.loyalty.services import points_backfill

    started = time.perf_counter()
    result = points_backfill(actor=None)
    return {"entries": result.entries, "points": result.points, "seconds": round(time.perf_counter() - started, 1),
            "peak_rss_mb": _peak_mb()}


def measure_loyalty(orders: int) -> dict[str, Any]:
    """Backfill over 100k orders, then over `orders`, each on an empty ledger."""
    from kunde.commerce.models import Order

    result: dict[str, Any] = {}
    small = min(100_000, orders)
    if Order.all_objects.filter(number__startswith=PREFIX).count() <= small:
        result["generate_100k"] = _orders(small)
        _programme()
        _empty_ledger()
        result["backfill_100k"] = _backfill()
    else:  # orders cannot be taken away again: the 100k figure needs a fresh database
        _programme()
        result["backfill_100k"] = "skipped: this database holds more bench orders; use a fresh one"
    if orders > small:
        result["generate_all"] = _orders(orders)
        _empty_ledger()
        result[f"backfill_{orders}"] = _backfill()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kunde.bench.loyalty")
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    import django

    django.setup()
    print(json.dumps(measure_loyalty(args.orders), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
