"""Benchmark of customer events: inviting a segment, registering, the reminder job and the event report.

Bulk-creates people with confirmed "events" consent, then times what staff and customers
do: invite the whole segment (one request today), register people one by one (each under
the event's row lock), send the reminders, and read the event report with later orders.
Run it on a scratch database only, never on real data:

    KUNDE_DATA_DIR=/tmp/kunde-bench-events python -m kunde migrate
    KUNDE_DATA_DIR=/tmp/kunde-bench-events python -m kunde.customer_events.bench --people 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
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


def generate(people: int, tag: str) -> list[int]:
    """`people` people with an address and confirmed e-mail consent for events (bulk, no history)."""
    from django.utils import timezone

    from kunde.audience.models import ConsentRecord
    from kunde.contacts.models import EmailAddress, Person
    from kunde.customer_events.services import ensure_events_purpose

    purpose = ensure_events_purpose()
    now = timezone.now() - dt.timedelta(days=1)
    ids: list[int] = []
    for start in range(0, people, BATCH):
        batch = Person.objects.bulk_create([Person(first_name="Bench", last_name=f"{tag} {n}")
                                            for n in range(start, min(start + BATCH, people))])
        EmailAddress.objects.bulk_create([EmailAddress(person=p, email=f"{tag.lower()}-{p.pk}@bench.example",
                                                       is_primary=True) for p in batch])
        ConsentRecord.objects.bulk_create([
            ConsentRecord(person=p, purpose=purpose, channel="email", action="given", at=now, confirmed_at=now,
                          address=f"{tag.lower()}-{p.pk}@bench.example", source="bench") for p in batch])
        ids += [p.pk for p in batch]
    return ids


def measure(people: int = 2000, samples: int = 30) -> dict[str, Any]:
    """Generate, then time invitation, registration, reminders and the report."""
    from django.utils import timezone

    from kunde.accounts.defaults import ensure_default_roles
    from kunde.accounts.models import Role, User
    from kunde.accounts.services import user_create
    from kunde.audience.services import segment_create
    from kunde.commerce.models import Order
    from kunde.contacts.models import Person
    from kunde.customer_events import selectors, services
    from kunde.customer_events.models import Event

    ensure_default_roles()
    tag = f"B{secrets.token_hex(3)}"
    started = time.perf_counter()
    ids = generate(people, tag)
    result: dict[str, Any] = {"people": people, "generate_s": round(time.perf_counter() - started, 1)}
    staff = User.objects.filter(username="bench-events").first() or user_create(
        actor=None, username="bench-events", password=secrets.token_urlsafe(16), role_key=Role.ADMIN)
    segment = segment_create(actor=staff, name=f"Bench {tag}", definition={"person_ids": ids})
    start = timezone.now() + dt.timedelta(hours=20)
    event = services.event_create(actor=staff, title=f"Bench {tag}", kind="webinar", starts_at=start,
                                  ends_at=start + dt.timedelta(hours=1), online_url="https://bench.example/w",
                                  capacity=people // 2, cost=Decimal("1000.00"), status=Event.Status.OPEN)

    began = time.perf_counter()
    invited = services.invite_segment(actor=staff, event=event, segment_id=segment.pk)
    seconds = time.perf_counter() - began
    result["invite_segment"] = {"invited": len(invited.invited), "seconds": round(seconds, 2),
                                "per_person_ms": round(seconds * 1000 / max(1, len(invited.invited)), 2)}
    began = time.perf_counter()
    services.invite_segment(actor=staff, event=event, segment_id=segment.pk)
    result["invite_segment_retry_s"] = round(time.perf_counter() - began, 2)

    queue = iter(Person.objects.filter(pk__in=ids).order_by("pk"))
    result["registration_create"] = _timed(min(samples * 10, people),
                                           lambda: services.registration_create(actor=None, event=event,
                                                                                person=next(queue),
                                                                                source="public"))
    began = time.perf_counter()
    sent = services.reminders_send()
    result["reminders_send"] = {"sent": sent, "seconds": round(time.perf_counter() - began, 2)}
    for person_id in ids[: people // 4]:
        Order(number=f"{tag}-{person_id}", person_id=person_id, ordered_on=start.date() + dt.timedelta(days=5),
              net_total=Decimal("100.00"), vat_total=Decimal("19.00"), gross_total=Decimal("119.00"),
              net_total_eur=Decimal("100.00"), owner=staff).save()
    result["event_report"] = _timed(samples, lambda: selectors.event_report(staff, event))
    return result


def main(argv: list[str] | None = None) -> int:
    import django

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args(argv)
    django.setup()
    print(measure(args.people, args.samples))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
