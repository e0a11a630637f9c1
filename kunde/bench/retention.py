"""Benchmark of retention: a plan over a large segment, its figures task, its page and effects API.

Builds (or reuses) `customers` people with the bench generator and an order history with the
analytics bench, runs the analytics refresh, then a plan whose segment holds every buyer
(with a 10 % hold-out group and costed instruments). Measures the plan figures task once,
the plan page, the ranked overview and the effects API (p50/p95 over `samples` requests,
server time through Django's whole stack), and the `binding_cause` segment count.

    KUNDE_DATA_DIR=/tmp/kunde-bench-retention python -m kunde.bench.retention --customers 100000
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from typing import Any

TARGET_P95_MS = 1000.0
SEGMENT_NAME = "Bench: alle Kunden"
PLAN_NAME = "Bench: Treue aller Kunden"


def _p(values: list[float]) -> dict[str, float]:
    from kunde.bench.measure import summary

    return summary(values)


def _prepare(customers: int, orders_per_customer: float, seed: int) -> dict[str, Any]:
    from django.core.management import call_command

    from kunde.analytics import refresh
    from kunde.analytics.selectors import latest_run
    from kunde.bench.analytics import generate_orders
    from kunde.bench.generate import generate
    from kunde.contacts.models import Person

    call_command("migrate", verbosity=0)
    info: dict[str, Any] = {}
    if Person.all_objects.count() < customers:
        generated = generate(customers - Person.all_objects.count(), seed, progress=False)
        info["generate_s"] = round(generated.seconds, 1)
    orders = generate_orders(customers, orders_per_customer, seed, progress=False)
    info["orders"] = orders["orders"]
    if latest_run() is None or orders.get("reused") is not True:
        started = time.perf_counter()
        run = refresh.run(trigger="bench")
        info["analytics_refresh_s"] = round(time.perf_counter() - started, 1)
        info["analytics_refresh_status"] = run.status
    return info


def _plan(owner: Any) -> Any:
    """The plan, owned by a member (so both an admin and that member may open it)."""
    from kunde.audience.models import Segment
    from kunde.audience.services import segment_create
    from kunde.retention.models import RetentionPlan
    from kunde.retention.services import plan_create

    segment = Segment.objects.filter(name=SEGMENT_NAME).first() or segment_create(
        actor=None, owner=owner, name=SEGMENT_NAME,
        # Every person with a lifecycle stage (the bench's orders are raw rows without order lines,
        # which the `purchase` condition reads).
        definition={"op": "and", "rules": [{"field": "lifecycle_stage", "operator": "is_set"}]})
    plan = RetentionPlan.objects.filter(name=PLAN_NAME).first()
    return plan or plan_create(
        actor=None, owner=owner, name=PLAN_NAME, segment=segment, status="active", holdout_percent=10,
        causes=[{"cause": "psychological", "weight": 60}, {"cause": "economic", "weight": 40}],
        instruments=[{"kind": "other", "name": "Treuebonus", "monthly_cost": "2500.00", "one_off_cost": "10000.00"},
                     {"kind": "service", "name": "Hotline", "monthly_cost": "1200.00"}])


def _causes(seed: int, share: float = 0.02) -> int:
    """Manual overrides for a share of the people (the rest is derived), so the condition has both."""
    from django.db import transaction

    from kunde.contacts.models import Person
    from kunde.retention.models import CustomerBindingCause

    if CustomerBindingCause.objects.exists():
        return CustomerBindingCause.objects.count()
    rnd = random.Random(seed)
    ids = list(Person.objects.values_list("pk", flat=True))
    chosen = rnd.sample(ids, k=max(1, int(len(ids) * share)))
    with transaction.atomic():
        CustomerBindingCause.objects.bulk_create(
            [CustomerBindingCause(person_id=pk, cause=rnd.choice(["contractual", "economic", "technical",
                                                                  "psychological"]), is_bound=rnd.random() < 0.8)
             for pk in chosen], batch_size=5000)
    return len(chosen)


def _pages(user: Any, plan: Any, samples: int) -> dict[str, Any]:
    from django.test import Client

    from kunde.core.testing.api import ApiClient

    client = Client()
    client.force_login(user)
    api = ApiClient(user)
    result: dict[str, Any] = {}
    for label, call in (("plan_page", lambda: client.get(f"/retention/plans/{plan.pk}/")),
                        ("overview_page", lambda: client.get("/retention/")),
                        ("effects_api", lambda: api.get(f"/retention/plans/{plan.pk}/effects"))):
        call()  # warm caches and templates
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            response = call()
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        result[label] = _p(times)
        result[label]["target_p95_ms"] = TARGET_P95_MS
        result[label]["met"] = result[label]["p95_ms"] <= TARGET_P95_MS
    return result


def measure_retention(customers: int, orders_per_customer: float = 6, samples: int = 20,
                      seed: int = 1) -> dict[str, Any]:
    from kunde.accounts.models import User
    from kunde.audience.segments import segment_count
    from kunde.retention import figures

    result = _prepare(customers, orders_per_customer, seed)
    admin = User.objects.filter(is_superuser=True).first() or User.objects.filter(role__is_admin=True).first()
    member = User.objects.filter(role__key="member", is_active=True).first()
    plan = _plan(member or admin)
    started = time.perf_counter()
    stored = figures.compute(plan)
    result["plan_figures_task_s"] = round(time.perf_counter() - started, 2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if stored is not None:
        result["segment_members"] = stored.members
        result["holdout"] = stored.holdout
    result["manual_cause_rows"] = _causes(seed)
    for name, definition in (
        ("binding_cause_one", {"op": "and", "rules": [
            {"field": "binding_cause", "operator": "eq", "value": "economic"}]}),
        ("binding_cause_all_four", {"op": "and", "rules": [
            {"field": "binding_cause", "operator": "in",
             "value": ["contractual", "economic", "technical", "psychological"]}]})):
        started = time.perf_counter()
        count = segment_count(definition)
        result[f"{name}_count"] = count
        result[f"{name}_ms"] = round((time.perf_counter() - started) * 1000, 1)
    for label, user in (("admin", admin), ("member", member)):
        if user is not None:
            result[label] = _pages(user, plan, samples)
    return result


def main(argv: list[str] | None = None) -> int:
    import json

    parser = argparse.ArgumentParser(prog="python -m kunde.bench.retention")
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--orders-per-customer", type=float, default=6)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    import django

    django.setup()
    print(json.dumps(measure_retention(args.customers, args.orders_per_customer, args.samples), indent=2,
                     default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
