"""A user's tasks and meetings as an iCalendar feed (RFC 5545) that calendar apps subscribe to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from icalendar import Calendar, Event, Todo

from kunde.activities.choices import Kind
from kunde.activities.models import Activity

PAST = dt.timedelta(days=30)
MEETING_CHANNELS = ("meeting", "video", "event")
DEFAULT_MEETING = dt.timedelta(minutes=60)


def _uid(entry: Activity) -> str:
    host = getattr(settings, "KUNDE_MAIL_DOMAIN", "") or "kunde.local"
    return f"kunde-activity-{entry.pk}@{host}"


def _customer(entry: Activity) -> str:
    return entry.person.full_name if entry.person_id and entry.person else (
        str(entry.organisation) if entry.organisation_id else "")


def feed_entries(user: Any) -> list[Activity]:
    """Open tasks assigned to `user`, and meetings `user` logged or takes part in, from 30 days ago on."""
    since = timezone.now() - PAST
    visible = Activity.objects.for_user(user).select_related("person", "organisation")
    tasks = visible.filter(kind=Kind.TASK, assignee=user, due_at__gte=since)
    meetings = visible.filter(kind=Kind.CONTACT, channel__in=MEETING_CHANNELS, occurred_at__gte=since).filter(
        Q(created_by=user) | Q(participant_users=user)
    )
    return list((tasks | meetings).distinct().order_by("id")[:2000])


def calendar_for(user: Any, *, base_url: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Kunde CRM//Tasks and meetings//DE")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Kunde – {user.get_full_name() or user.username}")
    for entry in feed_entries(user):
        customer = _customer(entry)
        summary = f"{entry.subject} – {customer}" if customer else entry.subject
        url = base_url + (entry.person.get_absolute_url() if entry.person_id and entry.person else
                          entry.organisation.get_absolute_url() if entry.organisation_id and entry.organisation else "")
        if entry.kind == Kind.TASK:
            component: Any = Todo()
            component.add("due", entry.due_at)
            component.add("status", "COMPLETED" if entry.done_at else "NEEDS-ACTION")
            if entry.done_at:
                component.add("completed", entry.done_at)
        else:
            component = Event()
            component.add("dtstart", entry.occurred_at)
            component.add("dtend", entry.occurred_at + (dt.timedelta(minutes=entry.duration_minutes)
                                                        if entry.duration_minutes else DEFAULT_MEETING))
        component.add("uid", _uid(entry))
        component.add("dtstamp", entry.updated_at)
        component.add("summary", summary)
        if entry.notes:
            component.add("description", entry.notes)
        component.add("url", url)
        calendar.add_component(component)
    return bytes(calendar.to_ical())
