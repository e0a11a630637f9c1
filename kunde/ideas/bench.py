"""Benchmark of ideas: the portal list, an idea page, a vote round trip, the staff list and the API list.

Bulk-creates ideas on a few products with votes from many people (the vote count is set
from the rows, as the services keep it), then times what customers and staff do most.
Run it on a scratch database only, never on real data:

    KUNDE_DATA_DIR=/tmp/kunde-bench-ideas python -m kunde migrate
    KUNDE_DATA_DIR=/tmp/kunde-bench-ideas python -m kunde.ideas.bench --ideas 10000 --people 20000
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

BATCH = 2000


def _timed(samples: int, call: Callable[[], Any]) -> dict[str, float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2)}


def generate(ideas: int, people: int, votes_per_person: int, seed: int = 1) -> dict[str, Any]:
    """Add people, products and ideas until there are `ideas`, each person voting for up to `votes_per_person`."""
    from decimal import Decimal

    from django.db import transaction
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from kunde.commerce.models import Product
    from kunde.contacts.models import Person
    from kunde.ideas.models import Idea, Vote

    started = time.perf_counter()
    rnd = random.Random(seed)
    products = [Product.objects.get_or_create(sku=f"BENCH-{n}", defaults={"name": f"Produkt {n}",
                                                                           "net_price": Decimal("10.00")})[0]
                for n in range(20)]
    existing_people = Person.objects.count()
    for start in range(existing_people, people, BATCH):
        Person.objects.bulk_create([Person(first_name="Bench", last_name=f"Kunde {n}")
                                    for n in range(start, min(start + BATCH, people))])
    person_ids = list(Person.objects.values_list("pk", flat=True)[:people])
    existing = Idea.objects.count()
    for start in range(existing, ideas, BATCH):
        with transaction.atomic():
            Idea.objects.bulk_create([
                Idea(title=f"Idee {n}: {rnd.choice(['Zubehör', 'Farbe', 'Größe', 'Lieferung', 'App'])}",
                     description="Beschreibung " * 20, product=rnd.choice(products), source=Idea.Source.PORTAL,
                     submitted_by_id=rnd.choice(person_ids), status=rnd.choice(Idea.Status.values))
                for n in range(start, min(start + BATCH, ideas))])
    idea_ids = list(Idea.objects.values_list("pk", flat=True))
    if not Vote.objects.exists():
        rows = [Vote(idea_id=idea_id, person_id=person_id) for person_id in person_ids
                for idea_id in set(rnd.choices(idea_ids, k=votes_per_person))]
        for start in range(0, len(rows), BATCH * 5):
            Vote.objects.bulk_create(rows[start:start + BATCH * 5], ignore_conflicts=True)
        counts = Vote.objects.filter(idea=OuterRef("pk")).values("idea").annotate(n=Count("*")).values("n")
        Idea.objects.update(vote_count=Coalesce(Subquery(counts), 0))
    return {"ideas": len(idea_ids), "people": len(person_ids), "votes": Vote.objects.count(),
            "seconds": round(time.perf_counter() - started, 1)}


def measure(ideas: int = 10000, people: int = 20000, votes_per_person: int = 3, samples: int = 40,
            seed: int = 1) -> dict[str, Any]:
    """Generate, then time the pages and endpoints."""
    from django.test import Client

    from kunde.accounts.defaults import ensure_default_roles
    from kunde.accounts.models import Role, User
    from kunde.accounts.services import api_token_create, user_create
    from kunde.contacts.models import Person
    from kunde.ideas.models import Idea
    from kunde.ideas.services import idea_unvote, idea_vote
    from kunde.service.portal import SESSION_KEY

    result: dict[str, Any] = {"generate": generate(ideas, people, votes_per_person, seed)}
    rnd = random.Random(seed)
    person = Person.objects.order_by("pk").first()
    assert person is not None
    portal = Client()
    session = portal.session
    session[SESSION_KEY] = person.pk
    session.save()
    top = list(Idea.objects.order_by("-vote_count", "-id").values_list("pk", flat=True)[:200])
    result["portal_list_by_votes"] = _timed(samples, lambda: portal.get("/portal/ideas/"))
    product = str(Idea.objects.values_list("product_id", flat=True)[0])
    result["portal_list_newest_by_product"] = _timed(samples, lambda: portal.get(
        "/portal/ideas/", {"sort": "newest", "product": product}))
    result["portal_idea_page"] = _timed(samples, lambda: portal.get(f"/portal/ideas/{rnd.choice(top)}/"))

    open_ideas = list(Idea.objects.exclude(status__in=[Idea.Status.DONE, Idea.Status.DECLINED])
                      .order_by("-vote_count", "-id").values_list("pk", flat=True)[:200])

    def vote_round_trip() -> None:
        idea = Idea.objects.get(pk=rnd.choice(open_ideas))
        if not idea_vote(actor=None, idea=idea, person=person):
            idea_unvote(actor=None, idea=idea, person=person)

    result["vote_or_unvote_service"] = _timed(samples, vote_round_trip)
    ensure_default_roles()
    manager = User.objects.filter(username="bench-ideas").first() or user_create(
        actor=None, username="bench-ideas", password=secrets.token_urlsafe(16), role_key=Role.MANAGER)
    staff = Client()
    staff.force_login(manager)
    result["staff_list_page"] = _timed(samples, lambda: staff.get("/ideas/"))
    _token, secret = api_token_create(user=manager, name="bench", scope="read")
    result["api_list"] = _timed(samples, lambda: staff.get("/api/v1/ideas", headers={
        "Authorization": f"Bearer {secret}"}))
    return result


def main(argv: list[str] | None = None) -> int:
    import django

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ideas", type=int, default=10000)
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--votes-per-person", type=int, default=3)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    django.setup()
    print(measure(args.ideas, args.people, args.votes_per_person, args.samples, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
