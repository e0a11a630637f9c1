"""Benchmark of the service desk: the first page of a team's ticket queue at large N.

Generates tickets in bulk (spread over the bench teams or a few teams of its own, 85 %
solved/closed, the rest open), then times the queue page `/tickets/?team=<id>&state=open`
and the unfiltered team queue for a team member and an administrator (p50/p95).

    python -m kunde.bench.service --tickets 100000      # on the current (scratch) database
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from typing import Any


def generate_tickets(count: int, seed: int = 1) -> dict[str, Any]:
    """Add tickets until there are `count`."""
    from django.db import transaction
    from django.utils import timezone

    from kunde.accounts.models import Team
    from kunde.service.models import Ticket, TicketStatus
    from kunde.service.services import ensure_default_statuses

    existing = Ticket.all_objects.count()
    if existing >= count:
        return {"tickets": existing, "made": 0, "seconds": 0.0}
    ensure_default_statuses()
    statuses = {s.category: s for s in TicketStatus.objects.all()}
    teams = list(Team.objects.order_by("id")[:8]) or [Team.objects.create(name=f"Service {i}") for i in range(4)]
    rnd = random.Random(seed)
    started = time.perf_counter()
    now = timezone.now()
    batch = 5000
    for start in range(existing, count, batch):
        rows = []
        for index in range(start, min(start + batch, count)):
            roll = rnd.random()
            category = "closed" if roll < 0.6 else "solved" if roll < 0.85 else rnd.choice(
                ["new", "open", "waiting_customer"])
            created = now - timezone.timedelta(minutes=(count - index) * 3)
            rows.append(Ticket(
                number=f"T-B{index}", subject=f"Anfrage {index}: Depotauszug und Gebühren", channel="email",
                priority=rnd.choice(["low", "normal", "normal", "high"]), status=statuses[category],
                team=teams[index % len(teams)], created_at=created,
                solved_at=created if category in ("solved", "closed") else None,
            ))
        with transaction.atomic():
            Ticket.objects.bulk_create(rows)
    return {"tickets": Ticket.all_objects.count(), "made": count - existing,
            "seconds": round(time.perf_counter() - started, 1)}


def measure_service(tickets: int = 20000, samples: int = 30, seed: int = 1) -> dict[str, Any]:
    """Generate up to `tickets` tickets, then time a team queue's first page (p50/p95)."""
    from kunde.accounts.models import Role, Team, User
    from kunde.bench.measure import _logged_in_client, _query_count, _timed, summary
    from kunde.core.db import refresh_statistics
    from kunde.service.models import Ticket

    generated = generate_tickets(tickets, seed)
    refresh_statistics()
    team = Team.objects.order_by("id").first()
    assert team is not None
    member = (User.objects.filter(teams=team, role__key="member", is_active=True).first()
              or _bench_user("bench-service-member", Role.MEMBER, team))
    admin = User.objects.filter(is_superuser=True).first() or _bench_user("bench-service-admin", Role.ADMIN, team)
    result: dict[str, Any] = {"generation": generated, "tickets_total": Ticket.all_objects.count(),
                              "team_tickets": Ticket.objects.filter(team=team).count()}
    for label, user in (("member", member), ("admin", admin)):
        client = _logged_in_client(user)
        for name, path in (("queue_open", f"/tickets/?team={team.pk}&state=open"),
                           ("queue_all", f"/tickets/?team={team.pk}")):
            for _warm in range(2):
                client.get(path)

            def get(path: str = path, client: Any = client) -> None:
                response = client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")

            timings = [_timed(get)[0] for _ in range(samples)]
            result[f"{name}_{label}"] = {**summary(timings), "queries": _query_count(get), "path": path}
    return result


def _bench_user(username: str, role_key: str, team: Any) -> Any:
    from kunde.accounts.models import Role, User

    user = User.objects.create(username=username, role=Role.objects.get(key=role_key))
    user.teams.add(team)
    return user


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kunde.bench.service")
    parser.add_argument("--tickets", type=int, default=100000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    import json

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(measure_service(args.tickets, args.samples, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
