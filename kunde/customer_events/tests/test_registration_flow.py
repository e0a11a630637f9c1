"""End to end: invite a segment with consent, register by the personal link, waiting list,
move-up on cancellation, check-in, closing, and the report with later orders."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from kunde.activities.models import Activity
from kunde.commerce.services import order_create
from kunde.customer_events import selectors, services
from kunde.customer_events.models import Event, Invitation, Registration
from kunde.customer_events.tests.conftest import consenting_person
from kunde.mail.models import OutboundMessage

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s]+/e/([^/\s]+)/")


def _link_token(person) -> str:  # type: ignore[no-untyped-def]
    message = OutboundMessage.objects.get(person=person, dedupe_key__startswith="customer_events.invitation.")
    match = LINK.search(message.text)
    assert match, message.text
    return match.group(1)


def _order(world, person, days_after: int, amount: str, event: Event) -> None:  # type: ignore[no-untyped-def]
    order_create(actor=world.owner, person=person,
                 ordered_on=timezone.localtime(event.starts_at).date() + dt.timedelta(days=days_after),
                 lines=[{"description": "Depotgebühr", "quantity": 1, "unit_price": amount, "vat_rate": 19}])


def test_event_registration_end_to_end(world, webinar, segment):
    """Only consenting people are invited; the link registers; capacity → waiting list; a cancellation
    moves the first waiting up; check-in and closing count attendance; the report shows cost per
    attendee and the attendees' later orders against the invited who did not come."""
    people = [consenting_person(world.owner, f"Kunde{i}") for i in range(1, 5)]
    # Consent for the newsletter is not consent for event invitations.
    no_consent = consenting_person(world.owner, "Kunde5", purpose="newsletter")

    result = services.invite_segment(actor=world.owner, event=webinar, segment_id=segment.pk)

    assert sorted(result.invited) == sorted(p.pk for p in people)
    assert result.without_consent == [no_consent.pk]
    invitations = OutboundMessage.objects.filter(dedupe_key__startswith="customer_events.invitation.")
    assert sorted(m.to[0] for m in invitations) == [f"kunde{i}@example.com" for i in range(1, 5)]
    assert not OutboundMessage.objects.filter(person=no_consent, purpose="customer_events").exists()
    assert Activity.objects.filter(kind="customer_events.invited", person__in=people).count() == 4

    retry = services.invite_segment(actor=world.owner, event=webinar, segment_id=segment.pk)
    assert retry.invited == [] and len(retry.already_invited) == 4
    assert invitations.count() == 4  # nobody is invited twice

    browser = Client()
    first, second, third, fourth = people
    page = browser.get(f"/e/{_link_token(first)}/")
    assert page.status_code == 200 and "Marktausblick Q1" in page.content.decode()
    for person in people:
        response = browser.post(f"/e/{_link_token(person)}/", {"action": "register"})
        assert response.status_code == 302

    registrations = {r.person_id: r for r in Registration.objects.filter(event=webinar)}
    assert [registrations[p.pk].status for p in people] == ["registered", "registered", "waitlisted", "waitlisted"]
    assert [registrations[p.pk].waitlist_position for p in people] == [None, None, 1, 2]
    assert {r.source for r in registrations.values()} == {Registration.Source.INVITATION}
    assert "Platz 2 der Warteliste" in browser.get(f"/e/{_link_token(fourth)}/").content.decode()

    browser.post(f"/e/{_link_token(first)}/", {"action": "cancel"})

    statuses = dict(Registration.objects.filter(event=webinar).values_list("person_id", "status"))
    assert statuses == {first.pk: "cancelled", second.pk: "registered", third.pk: "registered",
                        fourth.pk: "waitlisted"}
    assert Registration.objects.get(event=webinar, person=fourth).waitlist_position == 1
    assert Activity.objects.filter(kind="customer_events.moved_up", person=third).count() == 1
    moved_mail = OutboundMessage.objects.get(person=third, dedupe_key__startswith="customer_events.moved-up.")
    assert "seat" in moved_mail.subject.lower() or "Platz" in moved_mail.subject

    # The event takes place.
    Event.objects.filter(pk=webinar.pk).update(starts_at=timezone.now() - dt.timedelta(hours=2),
                                               ends_at=timezone.now() - dt.timedelta(hours=1))
    webinar.refresh_from_db()
    services.registration_check_in(actor=world.owner, registration=Registration.objects.get(person=second))
    services.event_close(actor=world.owner, event=webinar)

    statuses = dict(Registration.objects.filter(event=webinar).values_list("person_id", "status"))
    assert statuses[second.pk] == "attended" and statuses[third.pk] == "no_show"
    assert Event.objects.get(pk=webinar.pk).status == Event.Status.CLOSED

    _order(world, second, 10, "100.00", webinar)
    _order(world, second, 80, "50.00", webinar)
    _order(world, second, 120, "999.00", webinar)  # outside the 90 days
    _order(world, fourth, 30, "30.00", webinar)
    _order(world, first, -5, "777.00", webinar)  # before the event

    report = selectors.event_report(world.owner, webinar)
    assert (report.invited, report.registered, report.waitlisted, report.cancelled, report.attended,
            report.no_shows) == (4, 2, 1, 1, 1, 1)
    assert report.cost_per_attendee == Decimal("300.00")
    assert report.attendees_orders is not None and report.others_orders is not None
    assert (report.attendees_orders.people, report.attendees_orders.orders, report.attendees_orders.revenue) == (
        1, 2, Decimal("150.00"))
    assert (report.others_orders.people, report.others_orders.orders, report.others_orders.revenue) == (
        3, 1, Decimal("30.00"))
    assert report.others_orders.revenue_per_person == Decimal("10.00")


def test_every_step_is_on_the_customers_history(world, webinar):
    """Registered, waitlisted, moved up, cancelled, attended and no-show each write one history entry."""
    a, b, c = (consenting_person(world.owner, f"Kunde{i}") for i in range(3))
    Event.objects.filter(pk=webinar.pk).update(capacity=1)
    webinar.refresh_from_db()
    ra = services.registration_create(actor=world.owner, event=webinar, person=a)
    services.registration_create(actor=world.owner, event=webinar, person=b)
    services.registration_create(actor=world.owner, event=webinar, person=c)
    services.registration_cancel(actor=world.owner, registration=ra)

    kinds = list(Activity.objects.filter(kind__startswith="customer_events.").order_by("id")
                 .values_list("person_id", "kind"))
    assert kinds == [(a.pk, "customer_events.registered"), (b.pk, "customer_events.waitlisted"),
                     (c.pk, "customer_events.waitlisted"), (a.pk, "customer_events.cancelled"),
                     (b.pk, "customer_events.moved_up")]
    assert Registration.objects.get(person=c).waitlist_position == 1
    entry = Activity.objects.get(person=b, kind="customer_events.moved_up")
    assert entry.subject == "Moved up from the waiting list: Marktausblick Q1"
    assert entry.data["event_id"] == webinar.pk and entry.channel == "event"


def test_registering_twice_changes_nothing_and_a_cancelled_person_may_register_again(world, webinar):
    person = consenting_person(world.owner, "Kunde1")
    first = services.registration_create(actor=world.owner, event=webinar, person=person)
    again = services.registration_create(actor=world.owner, event=webinar, person=person)
    assert again.pk == first.pk and Registration.objects.count() == 1
    services.registration_cancel(actor=world.owner, registration=first)
    renewed = services.registration_create(actor=world.owner, event=webinar, person=person)
    assert renewed.pk == first.pk and renewed.status == "registered"


def test_more_capacity_moves_the_waiting_list_up(world, webinar):
    people = [consenting_person(world.owner, f"Kunde{i}") for i in range(4)]
    for person in people:
        services.registration_create(actor=world.owner, event=webinar, person=person)
    services.event_update(actor=world.owner, event=webinar, changes={"capacity": 3})
    statuses = list(Registration.objects.filter(event=webinar).order_by("person_id").values_list("status", flat=True))
    assert statuses == ["registered", "registered", "registered", "waitlisted"]


def test_capacity_below_the_seats_taken_is_refused_and_nothing_changes(world, webinar):
    from django.core.exceptions import ValidationError

    for person in [consenting_person(world.owner, f"Kunde{i}") for i in range(2)]:
        services.registration_create(actor=world.owner, event=webinar, person=person)
    with pytest.raises(ValidationError) as error:
        services.event_update(actor=world.owner, event=webinar, changes={"capacity": 1})
    assert "capacity" in error.value.message_dict
    assert Event.objects.get(pk=webinar.pk).capacity == 2


def test_registration_after_the_deadline_is_refused(world, webinar):
    from django.core.exceptions import ValidationError

    Event.objects.filter(pk=webinar.pk).update(registration_deadline=timezone.now() - dt.timedelta(minutes=1))
    webinar.refresh_from_db()
    with pytest.raises(ValidationError, match="closed"):
        services.registration_create(actor=world.owner, event=webinar, person=consenting_person(world.owner, "K"))
    assert not Registration.objects.exists()


def test_an_event_cannot_be_closed_before_it_starts(world, webinar):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.event_close(actor=world.owner, event=webinar)
    assert Event.objects.get(pk=webinar.pk).status == Event.Status.OPEN


def test_cancelling_the_event_tells_everyone_registered(world, webinar):
    people = [consenting_person(world.owner, f"Kunde{i}") for i in range(3)]
    for person in people:
        services.registration_create(actor=world.owner, event=webinar, person=person)
    services.event_cancel(actor=world.owner, event=webinar)
    assert set(Registration.objects.values_list("status", flat=True)) == {"cancelled"}
    assert OutboundMessage.objects.filter(dedupe_key__startswith="customer_events.event-cancelled.").count() == 3


def test_a_tampered_link_is_refused(world, webinar):
    """A forged or altered personal link opens nothing and registers nobody."""
    person = consenting_person(world.owner, "Kunde1")
    token = services.link_token(webinar, person)
    other_person_token = token.replace(f"{webinar.pk}.{person.pk}", f"{webinar.pk}.{world.person.pk}")
    browser = Client()
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), other_person_token, "nonsense"):
        assert browser.get(f"/e/{bad}/").status_code == 404
        assert browser.post(f"/e/{bad}/", {"action": "register"}).status_code == 404
    assert not Registration.objects.exists()
    # A survey token for the same id does not open an event either (tokens are salted per purpose).
    from kunde.core import links

    assert browser.get(f"/e/{links.make_token('survey', f'{webinar.pk}.{person.pk}')}/").status_code == 404


def test_invitations_are_refused_for_a_draft_event(world, webinar, segment):
    from django.core.exceptions import ValidationError

    Event.objects.filter(pk=webinar.pk).update(status=Event.Status.DRAFT)
    webinar.refresh_from_db()
    with pytest.raises(ValidationError):
        services.invite_segment(actor=world.owner, event=webinar, segment_id=segment.pk)
    assert not Invitation.objects.exists()
