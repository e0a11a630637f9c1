"""Benchmark of the analytics refresh: RFM, BG/NBD + Gamma-Gamma, churn, KPIs, scores written back.

Gives the first `customers` people an order history drawn from the BG/NBD process (raw
batched inserts, about `orders_per_customer` orders each over three years), then runs the
full refresh and reports each phase, the BG/NBD fit alone, the process's peak memory, the
dashboard's p95 after the refresh, and — when the `lifetimes` package is installed — the
same BG/NBD fit in `lifetimes` as the reference implementation.

    python -m kunde.bench.analytics --customers 100000 --orders-per-customer 10   # current database
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import sys
import time
from typing import Any

import numpy as np

BATCH = 50_000
YEARS = 3


def _order_columns() -> list[str]:
    from kunde.commerce.models import Order

    return [str(field.column) for field in Order._meta.concrete_fields if field.column != "id"]


def generate_orders(customers: int, orders_per_customer: float, seed: int = 1,
                    progress: bool = True, prefix: str = "BENCH-") -> dict[str, Any]:
    """Orders for the first `customers` people (skipped when they already have orders numbered `prefix`…)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kunde.commerce.models import Order
    from kunde.contacts.models import Person

    existing = Order.all_objects.filter(number__startswith=prefix).count()
    if existing:
        return {"orders": existing, "reused": True}
    started = time.perf_counter()
    people = np.array(list(Person.all_objects.order_by("pk").values_list("pk", "owner_id", "team_id")[:customers]),
                      dtype=object)
    rng = np.random.default_rng(seed)
    n = len(people)
    today = timezone.localdate()
    span = 365 * YEARS
    # BG/NBD generative process (in days): purchase rate ~ Gamma, drop-out after each purchase ~ Beta.
    rate = rng.gamma(0.8, orders_per_customer / span / 0.8 * 2.0, size=n)
    dropout = rng.beta(1.0, 19.0, size=n)
    first = rng.integers(0, span, size=n)
    columns = _order_columns()
    now = timezone.now()
    total = 0
    rows: list[tuple[Any, ...]] = []
    sql = (f"INSERT INTO commerce_order ({', '.join(columns)}) "  # noqa: S608 - model column names
           f"VALUES ({', '.join(['%s'] * len(columns))})")

    def flush() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        rows.clear()

    start_day = today - dt.timedelta(days=span)
    for index in range(n):
        person, owner, team = people[index]
        day = int(first[index])
        while day < span:
            amount = round(float(rng.lognormal(4.0, 0.7)), 2)
            values = {"number": f"{prefix}{total}", "person_id": person, "organisation_id": None,
                      "ordered_on": start_day + dt.timedelta(days=day), "status": "fulfilled", "currency": "EUR",
                      "discount_percent": 0, "net_total": amount, "vat_total": round(amount * 0.19, 2),
                      "gross_total": round(amount * 1.19, 2), "net_total_eur": amount, "source": "bench",
                      "external_system": "", "external_id": "", "notes": "", "owner_id": owner, "team_id": team,
                      "deleted_at": None, "custom_fields": "{}", "created_at": now, "updated_at": now, "version": 1}
            rows.append(tuple(values[column] for column in columns))
            total += 1
            if rng.random() < dropout[index]:
                break
            day += max(1, int(rng.exponential(1.0 / max(rate[index], 1e-6))))
        if len(rows) >= BATCH:
            flush()
            if progress:
                print(f"  {total:,} orders for {index + 1:,} customers", file=sys.stderr, flush=True)
    if rows:
        flush()
    return {"orders": total, "customers": n, "seconds": round(time.perf_counter() - started, 1)}


def _reference_fit(summary: Any) -> dict[str, Any] | None:
    """The same BG/NBD fit in `lifetimes` (the reference implementation), if installed."""
    try:
        from lifetimes import BetaGeoFitter
    except Exception:  # absent, or broken against this pandas: then simply not reported
        return None
    keep = summary.has_purchase
    started = time.perf_counter()
    fitted = BetaGeoFitter().fit(summary.frequency[keep], summary.recency[keep], summary.T[keep])
    return {"seconds": round(time.perf_counter() - started, 2),
            "params": {k: round(float(v), 4) for k, v in fitted.params_.items()}}


def _dashboard_p95(samples: int) -> dict[str, Any]:
    from django.test import Client

    from kunde.accounts.models import User

    timings: dict[str, Any] = {}
    for label, user in (("admin", User.objects.filter(is_superuser=True).first()
                         or User.objects.filter(role__is_admin=True).first()),
                        ("member", User.objects.filter(role__key="member").first())):
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        client.get("/analytics/")
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            response = client.get("/analytics/", {"kind": "month"})
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        timings[label] = {"p50_ms": round(statistics.median(times), 1),
                          "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1)}
    return timings


def measure_analytics(customers: int, orders_per_customer: float = 10, samples: int = 20,
                      seed: int = 1) -> dict[str, Any]:
    from django.utils import timezone

    from kunde.analytics import clv, refresh

    generated = generate_orders(customers, orders_per_customer, seed)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    run = refresh.run(trigger="bench")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result: dict[str, Any] = {
        "orders": generated["orders"], "orders_generation_s": generated.get("seconds", "reused"),
        "refresh_status": run.status, "refresh_s": round(seconds, 1),
        "scored_customers": run.customers,
        **{f"{name}_s": round(value, 2) for name, value in run.diagnostics.get("timings", {}).items()},
        "peak_rss_mb": round(peak), "peak_rss_before_refresh_mb": round(before),
        **{f"peak_rss_after_{phase}_mb": value for phase, value in run.diagnostics.get("peak_rss_mb", {}).items()},
        "insufficient": "; ".join(f"{k}: {v}" for k, v in run.diagnostics.get("insufficient", {}).items()) or "-",
    }
    if run.error:
        result["error"] = run.error[:300]
    # The BG/NBD fit alone, on the same purchase days.
    data = refresh.load(timezone.localdate())
    purchases = data.orders.filter(data.orders["amount"] > 0)
    summary = clv.summarise(purchases["idx"].to_numpy(), purchases["day"].to_numpy(),
                            purchases["amount"].to_numpy(), n_customers=data.n, observation_end=data.today,
                            unit_days=7.0)
    keep = summary.has_purchase
    fit_started = time.perf_counter()
    fitted = clv.fit_bgnbd(summary.frequency[keep], summary.recency[keep], summary.T[keep])
    result["bgnbd_fit_s"] = round(time.perf_counter() - fit_started, 2)
    result["bgnbd_params"] = f"r={fitted.r:.3f} alpha={fitted.alpha:.3f} a={fitted.a:.3f} b={fitted.b:.3f}"
    reference = _reference_fit(summary)
    if reference:
        result["reference_lifetimes_fit_s"] = reference["seconds"]
        result["reference_lifetimes_params"] = " ".join(f"{k}={v}" for k, v in reference["params"].items())
    for role, figures in _dashboard_p95(samples).items():
        result[f"dashboard_{role}"] = figures
    return result


def main(argv: list[str] | None = None) -> int:
    import json
    import os

    parser = argparse.ArgumentParser(prog="python -m kunde.bench.analytics")
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--orders-per-customer", type=float, default=10)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    import django

    django.setup()
    print(json.dumps(measure_analytics(args.customers, args.orders_per_customer, args.samples), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
