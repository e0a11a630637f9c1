"""The demo series: idempotent, deterministic, with attendance and costs."""

from __future__ import annotations

import pytest

from kunde.activities.models import Activity
from kunde.core.testing.factories import make_person
from kunde.customer_events import selectors
from kunde.customer_events.demo import load_demo_events
from kunde.customer_events.models import Event, Registration

pytestmark = pytest.mark.django_db


def test_demo_series_has_four_past_webinars_and_one_upcoming_and_runs_once(world):
    for index in range(11):
        make_person(world.owner, last_name=f"Anleger{index}")
    series = load_demo_events(actor=world.owner)
    events = list(Event.objects.filter(series=series).order_by("starts_at"))
    assert len(events) == 5
    assert [e.status for e in events] == ["closed"] * 4 + ["open"]
    total, rows = selectors.series_report(world.owner, series)
    assert total.attended > 0 and total.no_shows > 0 and total.invited == 4 * 12 + 12
    for event, report in rows[:4]:
        assert report.cost_per_attendee == (event.cost / report.attended).quantize(selectors.CENT)
    counts = (Registration.objects.count(), Activity.objects.filter(kind__startswith="customer_events.").count())

    assert load_demo_events(actor=world.owner) == series
    assert (Registration.objects.count(),
            Activity.objects.filter(kind__startswith="customer_events.").count()) == counts
    # History entries carry the event's own time, not the time the demo ran.
    attended = Activity.objects.filter(kind="customer_events.attended").order_by("occurred_at").first()
    assert attended is not None and attended.occurred_at.date() == events[0].starts_at.date()
