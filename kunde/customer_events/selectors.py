"""Reads of customer events, each starting from a user-scoped queryset, and the event report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from kunde.contacts.models import Person
from kunde.core.permissions import Action
from kunde.customer_events.models import Event, EventSeries, Invitation, Registration

# Orders this many days after an event count as the event's later orders.
ORDER_WINDOW_DAYS = 90
CENT = Decimal("0.01")


def series_list(user: Any) -> QuerySet[EventSeries]:
    """The series `user` may see."""
    return EventSeries.objects.for_user(user).order_by("name", "id")


def series_get(user: Any, pk: int, action: str = Action.VIEW) -> EventSeries:
    """One series `user` may act on, or 404."""
    series = EventSeries.objects.for_user(user, action).filter(pk=pk).first()
    if series is None:
        raise Http404("No such series.")
    return series


def event_list(user: Any, *, status: str | None = None, series: int | None = None,
               upcoming: bool | None = None) -> QuerySet[Event]:
    """The events `user` may see, newest start first, optionally filtered."""
    events = Event.objects.for_user(user).select_related("series")
    if status:
        events = events.filter(status=status)
    if series is not None:
        events = events.filter(series_id=series)
    if upcoming is True:
        events = events.filter(starts_at__gte=timezone.now()).order_by("starts_at", "id")
    elif upcoming is False:
        events = events.filter(starts_at__lt=timezone.now())
    return events


def event_get(user: Any, pk: int, action: str = Action.VIEW) -> Event:
    """One event `user` may act on, or 404 (missing and forbidden look the same)."""
    event = Event.objects.for_user(user, action).select_related("series").filter(pk=pk).first()
    if event is None:
        raise Http404("No such event.")
    return event


def registration_list(user: Any, event: Event) -> QuerySet[Registration]:
    """The registrations of `event` whose person `user` may see, seats first, then the waiting list."""
    return (Registration.objects.for_user(user).filter(event=event).select_related("person")
            .order_by("status", "waitlist_position", "registered_at", "id"))


def registration_get(user: Any, pk: int) -> Registration:
    """One registration `user` may see (through its person and its event), or 404."""
    registration = (Registration.objects.for_user(user).select_related("event", "person")
                    .filter(pk=pk, event__in=Event.objects.for_user(user)).first())
    if registration is None:
        raise Http404("No such registration.")
    return registration


def person_events(user: Any, person: Person) -> dict[str, list[Any]]:
    """A person's invitations and registrations, newest event first, as far as `user` may see the events."""
    events = Event.objects.for_user(user)
    registrations = list(Registration.objects.for_user(user).filter(person=person, event__in=events)
                         .select_related("event").order_by("-event__starts_at")[:20])
    registered = {r.event_id for r in registrations}
    invitations = [i for i in Invitation.objects.for_user(user).filter(person=person, event__in=events)
                   .select_related("event").order_by("-event__starts_at")[:20] if i.event_id not in registered]
    return {"registrations": registrations, "invitations": invitations}


# ---------------------------------------------------------------- the report

@dataclass
class OrderFigures:
    """Later orders of a group of people: how many people, orders and how much net revenue (EUR)."""

    people: int = 0
    buyers: int = 0
    orders: int = 0
    revenue: Decimal = Decimal("0.00")

    @property
    def revenue_per_person(self) -> Decimal | None:
        return (self.revenue / self.people).quantize(CENT, ROUND_HALF_UP) if self.people else None

    @property
    def buyer_rate(self) -> float | None:
        return self.buyers / self.people if self.people else None

    def add(self, other: OrderFigures) -> None:
        self.people += other.people
        self.buyers += other.buyers
        self.orders += other.orders
        self.revenue += other.revenue

    def as_dict(self) -> dict[str, Any]:
        return {"people": self.people, "buyers": self.buyers, "orders": self.orders, "revenue": self.revenue,
                "revenue_per_person": self.revenue_per_person, "buyer_rate": self.buyer_rate}


@dataclass
class EventReport:
    """Invited, registered, attended, no-shows, cost per attendee and attendees' later orders."""

    invited: int = 0
    registered: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    attended: int = 0
    no_shows: int = 0
    cost: Decimal = Decimal("0.00")
    attendees_orders: OrderFigures | None = None
    others_orders: OrderFigures | None = None
    events: int = 1

    @property
    def cost_per_attendee(self) -> Decimal | None:
        """Cost ÷ attendees to the cent; None when nobody attended."""
        return (self.cost / self.attended).quantize(CENT, ROUND_HALF_UP) if self.attended else None

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.registered if self.registered else None

    def add(self, other: EventReport) -> None:
        for name in ("invited", "registered", "waitlisted", "cancelled", "attended", "no_shows", "events"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.cost += other.cost
        assert self.attendees_orders is not None and self.others_orders is not None
        self.attendees_orders.add(other.attendees_orders or OrderFigures())
        self.others_orders.add(other.others_orders or OrderFigures())

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events, "invited": self.invited, "registered": self.registered,
            "waitlisted": self.waitlisted, "cancelled": self.cancelled, "attended": self.attended,
            "no_shows": self.no_shows, "attendance_rate": self.attendance_rate, "cost": self.cost,
            "cost_per_attendee": self.cost_per_attendee,
            "attendees_orders": (self.attendees_orders or OrderFigures()).as_dict(),
            "invited_not_attended_orders": (self.others_orders or OrderFigures()).as_dict(),
        }


def _later_orders(user: Any, person_ids: set[int], start: dt.date) -> OrderFigures:
    from kunde.commerce.models import Order

    figures = OrderFigures(people=len(person_ids))
    if not person_ids:
        return figures
    orders = (Order.objects.for_user(user).filter(person_id__in=person_ids, ordered_on__gt=start,
                                                  ordered_on__lte=start + dt.timedelta(days=ORDER_WINDOW_DAYS))
              .exclude(status=Order.Status.CANCELLED))
    totals = orders.aggregate(orders=Count("id"), revenue=Sum("net_total_eur"), buyers=Count("person", distinct=True))
    figures.orders = totals["orders"] or 0
    figures.buyers = totals["buyers"] or 0
    figures.revenue = (totals["revenue"] or Decimal("0")).quantize(CENT)
    return figures


def event_report(user: Any, event: Event) -> EventReport:
    """The figures of one event over the people `user` may see (cost is the event's total).

    Later orders are the orders (not cancelled) within 90 days after the event's start
    date, of the attendees and, for comparison, of the invited who did not attend.
    """
    registrations = Registration.objects.for_user(user).filter(event=event)
    counts = registrations.aggregate(
        registered=Count("id", filter=Q(status__in=Registration.SEATED)),
        waitlisted=Count("id", filter=Q(status=Registration.Status.WAITLISTED)),
        cancelled=Count("id", filter=Q(status=Registration.Status.CANCELLED)),
        attended=Count("id", filter=Q(status=Registration.Status.ATTENDED)),
        no_shows=Count("id", filter=Q(status=Registration.Status.NO_SHOW)),
    )
    attendees = set(registrations.filter(status=Registration.Status.ATTENDED).values_list("person_id", flat=True))
    invited = set(Invitation.objects.for_user(user).filter(event=event, sent_at__isnull=False)
                  .values_list("person_id", flat=True))
    start = timezone.localtime(event.starts_at).date()
    return EventReport(
        invited=len(invited), cost=event.cost, **{k: v or 0 for k, v in counts.items()},
        attendees_orders=_later_orders(user, attendees, start),
        others_orders=_later_orders(user, invited - attendees, start),
    )


def series_report(user: Any, series: EventSeries) -> tuple[EventReport, list[tuple[Event, EventReport]]]:
    """The series' totals and one report per event `user` may see (cancelled events left out)."""
    total = EventReport(events=0, attendees_orders=OrderFigures(), others_orders=OrderFigures())
    rows = []
    for event in event_list(user, series=series.pk).exclude(status=Event.Status.CANCELLED).order_by("starts_at"):
        report = event_report(user, event)
        rows.append((event, report))
        total.add(report)
    return total, rows
