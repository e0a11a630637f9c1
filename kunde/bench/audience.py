"""Benchmark of segments and consent: count a segment, select who may be mailed, per-person checks.

Generates N people (an address each, 2 history entries each, confirmed newsletter consent
for half of them, withdrawals for a tenth, 1 % suppressed addresses) with bulk inserts into
the configured database, then times:

- `segment_count` of a definition with an address rule, a history count (at least 2 in 90
  days), a tag-free `none` rule and a consent rule (one query);
- `people_with_consent(Person.objects.all(), "newsletter")` materialised (the bulk check
  campaigns can use), and `may_contact` per person.

    KUNDE_DATA_DIR=/tmp/kunde-bench-audience python -m kunde.bench.audience --people 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from typing import Any

DEFINITION = {"op": "and", "rules": [
    {"field": "city", "operator": "in", "value": ["Berlin", "Hamburg", "München"]},
    {"field": "activity", "operator": "at_least", "value": {"topic": "rings", "days": 90, "times": 2}},
    {"field": "activity", "operator": "none", "value": {"channel": "phone", "days": 30}},
    {"field": "consent", "operator": "valid", "value": "newsletter"},
]}
CITIES = ["Berlin", "Hamburg", "München", "Köln", "Leipzig", "Dresden", "Bremen", "Kiel"]


def _generate(n: int, seed: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from kunde.activities.models import Activity
    from kunde.audience.defaults import ensure_default_purposes
    from kunde.audience.models import ConsentPurpose, ConsentRecord, Suppression, address_hash
    from kunde.contacts.models import Address, EmailAddress, Person

    rnd = random.Random(seed)
    ensure_default_purposes()
    newsletter = ConsentPurpose.objects.get(key="newsletter")
    now = timezone.now()
    start = Person.all_objects.count()
    batch = 5000
    for offset in range(0, n, batch):
        size = min(batch, n - offset)
        with transaction.atomic():
            people = Person.objects.bulk_create(
                [Person(first_name="Erika", last_name=f"Bench{start + offset + i}") for i in range(size)])
            Address.objects.bulk_create([Address(person=p, street="Weg 1", postal_code="10115",
                                                 city=rnd.choice(CITIES)) for p in people])
            EmailAddress.objects.bulk_create([EmailAddress(person=p, email=f"b{p.pk}@example.org", is_primary=True)
                                              for p in people])
            Activity.objects.bulk_create([
                Activity(person=p, subject="x", kind="contact", channel=rnd.choice(["chat", "phone", "email"]),
                         topic=rnd.choice(["rings", "necklaces", ""]),
                         occurred_at=now - dt.timedelta(days=rnd.randint(0, 200)))
                for p in people for _ in range(2)])
            records = []
            for p in people:
                if rnd.random() < 0.5:
                    at = now - dt.timedelta(days=rnd.randint(1, 400))
                    records.append(ConsentRecord(person=p, purpose=newsletter, channel="email", action="given",
                                                 at=at, confirmed_at=at, address=f"b{p.pk}@example.org",
                                                 source="bench"))
                    if rnd.random() < 0.2:
                        records.append(ConsentRecord(person=p, purpose=newsletter, channel="email",
                                                     action="withdrawn", at=now, source="bench"))
            ConsentRecord.objects.bulk_create(records)
            Suppression.objects.bulk_create(
                [Suppression(address_hash=address_hash(f"b{p.pk}@example.org"), reason="bounced")
                 for p in people if rnd.random() < 0.01], ignore_conflicts=True)


def _timed(function: Any, samples: int) -> dict[str, float]:
    timings = []
    value = None
    for _ in range(samples):
        started = time.perf_counter()
        value = function()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1), "result": value}


def measure_audience(people: int, samples: int, seed: int) -> dict[str, Any]:
    from kunde.audience.consent import may_contact, people_with_consent
    from kunde.audience.segments import segment_count
    from kunde.contacts.models import Person

    if people:
        _generate(people, seed)
    total = Person.objects.count()
    sample = list(Person.objects.order_by("?")[:200])
    return {
        "people": total,
        "segment_count": _timed(lambda: segment_count(DEFINITION), samples),
        "people_with_consent": _timed(
            lambda: len(list(people_with_consent(Person.objects.all(), "newsletter").values_list("pk", flat=True))),
            max(3, samples // 5)),
        "may_contact_200_people": _timed(lambda: sum(may_contact(p, purpose="newsletter") for p in sample),
                                         max(3, samples // 5)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kunde.bench.audience")
    parser.add_argument("--people", type=int, default=100000, help="people to generate first (0: use what is there)")
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    import json

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(measure_audience(args.people, args.samples, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
