"""REST API of customer events: series, events, registrations, invitations to a segment, reports.

Series and events are scoped by owner/team, registrations through their person (and
their event); a read-only user may read but not write (403), another team sees 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kunde.contacts.models import Person
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.etag import expected_version, with_etag
from kunde.core.api.idempotency import idempotent
from kunde.core.api.schemas import InputSchema, choice_type
from kunde.core.permissions import Action
from kunde.customer_events import selectors, services
from kunde.customer_events.models import Event, EventKind, EventSeries, Registration
from kunde.customer_events.selectors import EventReport

KindType = choice_type(EventKind)
EditableStatus = choice_type(Event.Status)


class SeriesOut(Schema):
    id: int
    name: str
    kind: str
    description: str
    owner: int | None = Field(None, alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    version: int


class SeriesIn(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    kind: KindType = "webinar"  # type: ignore[valid-type]
    description: str = ""


class SeriesPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: KindType | None = None  # type: ignore[valid-type]
    description: str | None = None
    version: int | None = None


class EventOut(Schema):
    id: int
    series: int | None = Field(None, alias="series_id")
    title: str
    kind: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    online_url: str
    capacity: int | None = Field(description="None: no seat limit.")
    cost: Decimal = Field(description="Total cost of the event in EUR.")
    registration_deadline: dt.datetime | None
    language: str
    status: str
    reminder_hours: int
    owner: int | None = Field(None, alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    version: int


class EventIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    series: int | None = Field(None, description="An event series you may see.")
    kind: KindType | None = Field(None, description="Default: the series' kind, else webinar.")  # type: ignore[valid-type]
    description: str = ""
    starts_at: dt.datetime = Field(description="With a time zone.")
    ends_at: dt.datetime
    place: str = Field("", max_length=300)
    online_url: str = Field("", max_length=500)
    capacity: int | None = Field(None, ge=1)
    cost: Decimal = Field(Decimal("0.00"), ge=0, decimal_places=2)
    registration_deadline: dt.datetime | None = None
    language: str = Field("de", pattern="^(de|en)$")
    status: EditableStatus = Field("draft", description="draft or open; close and cancel have their own "  # type: ignore[valid-type]
                                                        "operations.")
    reminder_hours: int = Field(24, ge=1, le=336)


class EventPatch(InputSchema):
    title: str | None = Field(None, min_length=1, max_length=200)
    series: int | None = None
    kind: KindType | None = None  # type: ignore[valid-type]
    description: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    place: str | None = Field(None, max_length=300)
    online_url: str | None = Field(None, max_length=500)
    capacity: int | None = Field(None, ge=1)
    cost: Decimal | None = Field(None, ge=0, decimal_places=2)
    registration_deadline: dt.datetime | None = None
    language: str | None = Field(None, pattern="^(de|en)$")
    status: EditableStatus | None = None  # type: ignore[valid-type]
    reminder_hours: int | None = Field(None, ge=1, le=336)
    version: int | None = None


class EventQuery(Schema):
    status: EditableStatus | None = None  # type: ignore[valid-type]
    series: int | None = None
    upcoming: bool | None = Field(None, description="true: not started yet (soonest first); false: started.")
    limit: int = Field(100, ge=1, le=500)


class RegistrationOut(Schema):
    id: int
    event: int = Field(alias="event_id")
    person: int = Field(alias="person_id")
    status: str
    waitlist_position: int | None
    source: str
    registered_at: dt.datetime
    cancelled_at: dt.datetime | None
    checked_in_at: dt.datetime | None
    reminder_sent_at: dt.datetime | None


class RegistrationIn(InputSchema):
    person: int = Field(description="A person you may change.")


class InviteIn(InputSchema):
    segment_id: int = Field(description="An audience segment you may see.")


class InviteOut(Schema):
    queued: bool = Field(False, description="True: a big segment, invited in the background.")
    invited: list[int] = Field([], description="Person ids invited now.")
    already_invited: list[int] = []
    without_consent: list[int] = Field([], description="Skipped: no valid e-mail consent for “events”, or suppressed.")


class OrdersOut(Schema):
    people: int
    buyers: int
    orders: int
    revenue: Decimal = Field(description="Net EUR of the orders within 90 days after the event.")
    revenue_per_person: Decimal | None
    buyer_rate: float | None


class ReportOut(Schema):
    events: int
    invited: int
    registered: int = Field(description="People holding a seat (registered, attended or no-show).")
    waitlisted: int
    cancelled: int
    attended: int
    no_shows: int
    attendance_rate: float | None
    cost: Decimal
    cost_per_attendee: Decimal | None = Field(description="Cost ÷ attendees, to the cent; None: nobody attended.")
    attendees_orders: OrdersOut
    invited_not_attended_orders: OrdersOut


class SeriesReportOut(ReportOut):
    per_event: list[dict[str, Any]] = Field(description="[{event, title, starts_at, report}] per event.")


def _person(user: Any, pk: int) -> Person:
    person = Person.objects.for_user(user, Action.CHANGE).filter(pk=pk).first()
    if person is None:
        raise ValidationError({"person": [_("Unknown person.")]})
    return person


def _series_ref(user: Any, pk: int | None) -> EventSeries | None:
    if pk is None:
        return None
    series = selectors.series_list(user).filter(pk=pk).first()
    if series is None:
        raise ValidationError({"series": [_("Unknown series.")]})
    return series


# ---------------------------------------------------------------- series

series_router = Router(tags=["customer events"])


@series_router.get("", response={200: list[SeriesOut], **LIST_ERRORS})
def list_series(request: HttpRequest) -> list[EventSeries]:
    """The event series you may see."""
    return list(selectors.series_list(actor(request))[:500])


@series_router.post("", response={201: SeriesOut, **CREATE_ERRORS})
@idempotent
def create_series(request: HttpRequest, payload: SeriesIn, response: HttpResponse) -> Status:
    """Create an event series owned by you and your team."""
    series = services.series_create(actor=actor(request), **payload.model_dump())
    with_etag(response, series)
    return Status(201, series)


@series_router.get("/{int:series_id}", response={200: SeriesOut, **READ_ERRORS})
def get_series(request: HttpRequest, series_id: int, response: HttpResponse) -> EventSeries:
    series = selectors.series_get(actor(request), series_id)
    with_etag(response, series)
    return series


@series_router.patch("/{int:series_id}", response={200: SeriesOut, **WRITE_ERRORS})
def update_series(request: HttpRequest, series_id: int, payload: SeriesPatch, response: HttpResponse) -> EventSeries:
    """Change a series (If-Match or `version` guards against lost updates)."""
    user = actor(request)
    series = selectors.series_get(user, series_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    series = services.series_update(actor=user, series=series, changes=data, expected_version=version)
    with_etag(response, series)
    return series


@series_router.get("/{int:series_id}/report", response={200: SeriesReportOut, **READ_ERRORS})
def series_report(request: HttpRequest, series_id: int) -> dict[str, Any]:
    """Totals over the series' events (cancelled ones left out) and one report per event."""
    user = actor(request)
    total, rows = selectors.series_report(user, selectors.series_get(user, series_id))
    return {**total.as_dict(), "per_event": [
        {"event": event.pk, "title": event.title, "starts_at": event.starts_at, "report": _report(report)}
        for event, report in rows]}


def _report(report: EventReport) -> dict[str, Any]:
    return ReportOut(**report.as_dict()).model_dump(mode="json")


# ---------------------------------------------------------------- events

events_router = Router(tags=["customer events"])


@events_router.get("", response={200: list[EventOut], **LIST_ERRORS})
def list_events(request: HttpRequest, query: Query[EventQuery]) -> list[Event]:
    """The events you may see, newest start first (or soonest first with upcoming=true)."""
    events = selectors.event_list(actor(request), status=query.status, series=query.series, upcoming=query.upcoming)
    return list(events[: query.limit])


@events_router.post("", response={201: EventOut, **CREATE_ERRORS})
@idempotent
def create_event(request: HttpRequest, payload: EventIn, response: HttpResponse) -> Status:
    """Create an event (draft or open)."""
    user = actor(request)
    data = payload.model_dump()
    data["series"] = _series_ref(user, data.pop("series"))
    if data["kind"] is None:
        data.pop("kind")
    event = services.event_create(actor=user, **data)
    with_etag(response, event)
    return Status(201, event)


@events_router.get("/{int:event_id}", response={200: EventOut, **READ_ERRORS})
def get_event(request: HttpRequest, event_id: int, response: HttpResponse) -> Event:
    event = selectors.event_get(actor(request), event_id)
    with_etag(response, event)
    return event


@events_router.patch("/{int:event_id}", response={200: EventOut, **WRITE_ERRORS})
def update_event(request: HttpRequest, event_id: int, payload: EventPatch, response: HttpResponse) -> Event:
    """Change an event; more capacity moves the waiting list up, less than the seats taken is refused."""
    user = actor(request)
    event = selectors.event_get(user, event_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    if "series" in data:
        data["series"] = _series_ref(user, data["series"])
    event = services.event_update(actor=user, event=event, changes=data, expected_version=version)
    with_etag(response, event)
    return event


@events_router.post("/{int:event_id}/close", response={200: EventOut, **WRITE_ERRORS})
@idempotent
def close_event(request: HttpRequest, event_id: int) -> Event:
    """Close a started event: who was registered but not checked in becomes a no-show."""
    user = actor(request)
    return services.event_close(actor=user, event=selectors.event_get(user, event_id))


@events_router.post("/{int:event_id}/cancel", response={200: EventOut, **WRITE_ERRORS})
@idempotent
def cancel_event(request: HttpRequest, event_id: int) -> Event:
    """Cancel an event; everyone registered or waiting is told by e-mail."""
    user = actor(request)
    return services.event_cancel(actor=user, event=selectors.event_get(user, event_id))


@events_router.post("/{int:event_id}/invitations", response={200: InviteOut, 202: InviteOut, **WRITE_ERRORS})
@idempotent
def invite_segment_to_event(request: HttpRequest, event_id: int, payload: InviteIn) -> Status:
    """Invite a segment's people with valid e-mail consent for events; a retry invites nobody twice.

    Up to 200 people are invited at once (200, with the lists); a bigger segment is invited
    in the background (202, `queued`: true, empty lists).
    """
    user = actor(request)
    result = services.invite_segment_or_queue(actor=user, event=selectors.event_get(user, event_id),
                                              segment_id=payload.segment_id)
    if result is None:
        return Status(202, {"queued": True})
    return Status(200, {"invited": result.invited, "already_invited": result.already_invited,
                        "without_consent": result.without_consent})


@events_router.get("/{int:event_id}/registrations", response={200: list[RegistrationOut], **READ_ERRORS})
def list_registrations(request: HttpRequest, event_id: int) -> list[Registration]:
    """The event's registrations whose person you may see: seats first, then the waiting list in order."""
    user = actor(request)
    return list(selectors.registration_list(user, selectors.event_get(user, event_id))[:2000])


@events_router.post("/{int:event_id}/registrations", response={201: RegistrationOut, **WRITE_ERRORS})
@idempotent
def create_registration(request: HttpRequest, event_id: int, payload: RegistrationIn) -> Status:
    """Register a person: a seat while there is one, else the waiting list (status says which)."""
    user = actor(request)
    event = selectors.event_get(user, event_id)
    registration = services.registration_create(actor=user, event=event, person=_person(user, payload.person))
    return Status(201, registration)


@events_router.get("/{int:event_id}/report", response={200: ReportOut, **READ_ERRORS})
def event_report(request: HttpRequest, event_id: int) -> dict[str, Any]:
    """Invited, registered, attended, no-shows, cost per attendee and the attendees' orders in the 90 days after."""
    user = actor(request)
    return selectors.event_report(user, selectors.event_get(user, event_id)).as_dict()


# ---------------------------------------------------------------- registrations

registrations_router = Router(tags=["customer events"])


@registrations_router.get("/{int:registration_id}", response={200: RegistrationOut, **READ_ERRORS})
def get_registration(request: HttpRequest, registration_id: int) -> Registration:
    return selectors.registration_get(actor(request), registration_id)


@registrations_router.post("/{int:registration_id}/cancel", response={200: RegistrationOut, **WRITE_ERRORS})
@idempotent
def cancel_registration(request: HttpRequest, registration_id: int) -> Registration:
    """Cancel a registration; a freed seat goes to the first on the waiting list."""
    user = actor(request)
    return services.registration_cancel(actor=user, registration=selectors.registration_get(user, registration_id))


@registrations_router.post("/{int:registration_id}/check-in", response={200: RegistrationOut, **WRITE_ERRORS})
@idempotent
def check_in_registration(request: HttpRequest, registration_id: int) -> Registration:
    """Mark the person as attended."""
    user = actor(request)
    return services.registration_check_in(actor=user, registration=selectors.registration_get(user, registration_id))


routers: list[tuple[str, Router]] = [("/event-series", series_router), ("/events", events_router),
                                     ("/event-registrations", registrations_router)]
