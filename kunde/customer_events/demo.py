"""Demo events: the Fidelis "Quarterly market outlook webinar" series with four past webinars and one upcoming.

Idempotent and deterministic: a second run finds the series by name and changes nothing;
the people are the first demo people by id (those with a valid e-mail consent first), and
who registers and who attends follows a fixed pattern. Invitations are recorded without
sending mail (demo data must not fill the outbox); every other step goes through the
services, on the clock of the event it belongs to.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.db import transaction
from django.utils import timezone

from kunde.activities.services import activity_record
from kunde.contacts.models import Person
from kunde.customer_events import services
from kunde.customer_events.models import Event, EventKind, EventSeries, Invitation

SERIES_NAME = "Quarterly market outlook webinar"
PEOPLE = 24
PAST_COSTS = (Decimal("450.00"), Decimal("480.00"), Decimal("520.00"), Decimal("500.00"))
UPCOMING_COST = Decimal("500.00")
BERLIN = ZoneInfo("Europe/Berlin")


def _people() -> list[Person]:
    """The demo people to invite: consenting ones first, then the rest, by id."""
    from kunde.audience.consent import people_with_consent

    consenting: list[Person] = []
    for purpose in (services.EVENTS_PURPOSE, "newsletter", "offers"):
        consenting += [p for p in people_with_consent(Person.objects.order_by("pk"), purpose)[:PEOPLE]
                       if p not in consenting]
    others = list(Person.objects.exclude(pk__in=[p.pk for p in consenting]).order_by("pk")[:PEOPLE])
    return (consenting + others)[:PEOPLE]


def _quarter_dates(now: dt.datetime) -> list[dt.datetime]:
    """Five webinar starts, 17:00 Berlin time on the 15th of a quarter's middle month: four past, one upcoming."""
    local = now.astimezone(BERLIN)
    quarter_index = local.year * 4 + (local.month - 1) // 3
    starts = []
    for offset in range(-4, 1):
        index = quarter_index + offset
        year, quarter = divmod(index, 4)
        starts.append(dt.datetime(year, quarter * 3 + 2, 15, 17, 0, tzinfo=BERLIN))
    if starts[-1] <= now:  # this quarter's date has passed: the upcoming one is next quarter's
        year, quarter = divmod(quarter_index + 1, 4)
        starts = [*starts[1:], dt.datetime(year, quarter * 3 + 2, 15, 17, 0, tzinfo=BERLIN)]
    return starts


def _invite_without_mail(actor: Any, event: Event, person: Person) -> None:
    invitation, created = Invitation.objects.get_or_create(event=event, person=person,
                                                           defaults={"sent_at": timezone.now()})
    if created:
        activity_record(actor=actor, kind=services.HistoryKind.INVITED, subject=f"Invitation: {event.title}",
                        person=person, channel="email", direction="out", related=invitation,
                        data={"event_id": event.pk, "invitation_id": invitation.pk, "demo": True})


def _play_event(actor: Any, event: Event, people: list[Person], number: int, *, past: bool) -> None:
    now = timezone.now()  # the upcoming webinar's invitations may be due sooner than 14 days ahead: never later
    with time_machine.travel(min(event.starts_at - dt.timedelta(days=14), now), tick=False):
        for person in people:
            _invite_without_mail(actor, event, person)
    with time_machine.travel(min(event.starts_at - dt.timedelta(days=5), now), tick=False):
        for index, person in enumerate(people):
            if (index + number) % 3 != 0:  # two in three register
                services.registration_create(actor=actor, event=event, person=person,
                                             source="invitation", ignore_deadline=True)
    if not past:
        return
    with time_machine.travel(event.starts_at + dt.timedelta(minutes=5), tick=False):
        for registration in event.registrations.filter(status="registered").order_by("person_id"):
            if (registration.person_id * 7 + number) % 4 != 0:  # three in four of them attend
                services.registration_check_in(actor=actor, registration=registration)
    with time_machine.travel(event.ends_at + dt.timedelta(hours=1), tick=False):
        services.event_close(actor=actor, event=event)


@transaction.atomic
def load_demo_events(*, actor: Any) -> EventSeries:
    """Create (once) the Fidelis webinar series with its five webinars, registrations and attendance."""
    existing = EventSeries.objects.filter(name=SERIES_NAME).order_by("pk").first()
    if existing is not None:
        return existing
    services.ensure_events_purpose()
    now = timezone.now()
    starts = _quarter_dates(now)
    with time_machine.travel(starts[0] - dt.timedelta(days=30), tick=False):
        series = services.series_create(
            actor=actor, name=SERIES_NAME, kind=EventKind.WEBINAR,
            description="Fidelis Invest: every quarter our advisors discuss markets, rates and the outlook "
                        "for your depot. 60 minutes, with questions.")
    people = _people()
    for number, start in enumerate(starts, start=1):
        past = start < now
        cost = PAST_COSTS[number - 1] if past and number <= len(PAST_COSTS) else UPCOMING_COST
        local = start.astimezone(BERLIN)
        with time_machine.travel(min(start - dt.timedelta(days=21), now), tick=False):
            event = services.event_create(
                actor=actor, series=series, title=f"Marktausblick Q{(local.month - 1) // 3 + 1}/{local.year}",
                kind=EventKind.WEBINAR, starts_at=start, ends_at=start + dt.timedelta(hours=1),
                online_url=f"https://webinar.fidelis-invest.example/marktausblick-{local.year}-{local.month:02d}",
                capacity=None if past else 20, cost=cost, language="de", status=Event.Status.OPEN,
                registration_deadline=start - dt.timedelta(hours=2),
                description="Zinsen, Aktien, Anleihen: was das nächste Quartal bringen kann.")
        _play_event(actor, event, people, number, past=past)
    return series
