"""Benchmark of sales: the kanban board (first 50 cards per stage) and the sales dashboard at scale.

Deals are generated in bulk on the bench database's organisations and people (owners and
teams of the bench users; 70 % open, 15 % won, 15 % lost, created over 18 months, with
stage visits for the time-per-stage figure and a third as many leads). Then the pages
are timed through django.test.Client as the bench member (team scope) and the admin.

    python -m kunde.bench.sales --deals 30000      # on the current (bench) database
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from typing import Any


def generate_deals(count: int, seed: int = 1) -> dict[str, Any]:
    """Add deals until there are `count`; returns how many were made and how long it took."""
    from django.db import transaction
    from django.utils import timezone

    from kunde.accounts.models import User
    from kunde.contacts.models import Organisation
    from kunde.sales.defaults import ensure_sales_defaults
    from kunde.sales.models import Deal, DealStatus, Lead, LostReason, Pipeline, StageKind, StageVisit

    ensure_sales_defaults()
    existing = Deal.all_objects.count()
    if existing >= count:
        return {"deals": existing, "made": 0, "seconds": 0.0}
    rnd = random.Random(seed)
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("position"))
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    won_stage = next(s for s in stages if s.kind == StageKind.WON)
    lost_stage = next(s for s in stages if s.kind == StageKind.LOST)
    reasons = list(LostReason.objects.all())
    owners = [(u.pk, u.primary_team.pk if u.primary_team else None)
              for u in User.objects.filter(username__startswith="bench-").prefetch_related("teams")]
    if not owners:
        owners = [(None, None)]
    org_ids = list(Organisation.objects.values_list("pk", flat=True)[:200000])
    if not org_ids:
        raise SystemExit("no organisations: run on a bench database (kunde bench --keep --dir …)")
    now = timezone.now()
    started = time.perf_counter()
    made = 0
    batch = 2000
    while existing + made < count:
        size = min(batch, count - existing - made)
        deals = []
        for index in range(size):
            owner, team = rnd.choice(owners)
            created = now - dt.timedelta(days=rnd.uniform(0, 540))
            roll = rnd.random()
            amount = Decimal(rnd.choice([500, 1200, 4800, 9500, 25000, 60000])) + Decimal(rnd.randint(0, 999))
            deal = Deal(
                title=f"Deal {existing + made + index + 1}", organisation_id=rnd.choice(org_ids), amount=amount,
                amount_eur=amount, currency="EUR", pipeline=pipeline, owner_id=owner, team_id=team,
                created_at=created, stage_entered_at=created + dt.timedelta(days=rnd.uniform(0, 20)),
                position=rnd.random() * 1000, source=rnd.choice(["web_form", "referral", "event", "manual"]),
                expected_close_date=(created + dt.timedelta(days=rnd.uniform(10, 200))).date(),
            )
            if roll < 0.7:
                deal.stage = rnd.choice(open_stages)
                deal.status = DealStatus.OPEN
            elif roll < 0.85:
                deal.stage, deal.status = won_stage, DealStatus.WON
                deal.won_at = min(created + dt.timedelta(days=rnd.uniform(5, 120)), now)
            else:
                deal.stage, deal.status = lost_stage, DealStatus.LOST
                deal.lost_at = min(created + dt.timedelta(days=rnd.uniform(5, 120)), now)
                deal.lost_reason = rnd.choice(reasons)
            deal.probability = deal.stage.probability
            deals.append(deal)
        with transaction.atomic():
            Deal.objects.bulk_create(deals)
            visits = []
            for deal in deals:
                entered = deal.created_at
                for stage in open_stages[: rnd.randint(1, len(open_stages))]:
                    seconds = int(rnd.uniform(1, 30) * 86400)
                    left = min(entered + dt.timedelta(seconds=seconds), now)
                    visits.append(StageVisit(deal=deal, stage=stage, entered_at=entered, left_at=left,
                                             seconds=max(int((left - entered).total_seconds()), 0)))
                    entered = left
            StageVisit.objects.bulk_create(visits)
            Lead.objects.bulk_create([
                Lead(name=f"Lead {existing + made + i}", email=f"lead{existing + made + i}@example.com",
                     owner_id=owners[i % len(owners)][0], team_id=owners[i % len(owners)][1],
                     source="web_form", status=rnd.choice(["new", "qualified", "converted", "disqualified"]),
                     created_at=now - dt.timedelta(days=rnd.uniform(0, 540)))
                for i in range(size // 3)
            ])
        made += size
    return {"deals": existing + made, "made": made, "seconds": round(time.perf_counter() - started, 1)}


def measure_sales(deals: int = 30000, samples: int = 30, seed: int = 1) -> dict[str, Any]:
    """Generate up to `deals` deals, then time the board and the dashboard (p50/p95)."""
    from kunde.accounts.models import User
    from kunde.bench.measure import _logged_in_client, _query_count, _timed, summary
    from kunde.core.db import refresh_statistics
    from kunde.sales.models import Deal, Pipeline

    generated = generate_deals(deals, seed)
    refresh_statistics()
    pipeline = Pipeline.objects.get(is_default=True)
    member = User.objects.filter(username="bench-1-1").first() or User.objects.filter(is_superuser=True).first()
    admin = User.objects.filter(username="bench-admin").first() or member
    result: dict[str, Any] = {"generation": generated, "deals_total": Deal.objects.count(),
                              "open_deals": Deal.objects.filter(status="open").count()}
    for label, user in (("member", member), ("admin", admin)):
        client = _logged_in_client(user)
        for name, path in (("board", f"/pipelines/{pipeline.pk}/board/"),
                           ("dashboard", "/sales/dashboard/?period=year"),
                           ("dashboard_last12", "/sales/dashboard/?period=last12")):
            for _warm in range(2):
                client.get(path)

            def get(path: str = path, client: Any = client) -> None:
                response = client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")

            timings = [_timed(get)[0] for _ in range(samples)]
            result[f"{name}_{label}"] = {**summary(timings), "queries": _query_count(get), "path": path}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kunde.bench.sales")
    parser.add_argument("--deals", type=int, default=30000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    import json

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(measure_sales(args.deals, args.samples, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
