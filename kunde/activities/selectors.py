"""Reads of the customer history: timeline pages, key figures, mood trend, task lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from kunde.accounts.models import User
from kunde.activities.choices import Kind
from kunde.activities.filters import ActivityFilter
from kunde.activities.models import Activity
from kunde.contacts.models import Organisation, Person
from kunde.core.pagination import Page, keyset_page, page_size
from kunde.core.permissions import Action

TIMELINE_ORDER = ("-occurred_at", "-id")


def activity_queryset(user: User, action: Action | str = Action.VIEW) -> QuerySet[Activity]:
    """All history entries `user` may act on with `action`."""
    return Activity.objects.for_user(user, action)


def _on(customer: Person | Organisation) -> Q:
    return Q(person=customer) if isinstance(customer, Person) else Q(organisation=customer)


def timeline_page(user: User, customer: Person | Organisation, *, cursor: str | None = None,
                  size: int = 20, kind: str | None = None) -> Page:
    """One page of `customer`'s timeline, newest first (the customer is already checked)."""
    queryset = (
        activity_queryset(user)
        .filter(_on(customer))
        .select_related("created_by", "assignee", "person", "organisation", "related_type")
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    return keyset_page(queryset, ordering=TIMELINE_ORDER, cursor=cursor, size=size)


def activity_page(user: User, params: Mapping[str, Any]) -> tuple[Page, ActivityFilter]:
    """One keyset page of history entries across customers, filtered by `params`."""
    filterset = ActivityFilter(params, queryset=activity_queryset(user))
    queryset = filterset.filtered().select_related("person", "organisation", "assignee", "created_by")
    page = keyset_page(queryset, ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")))
    return page, filterset


def activity_get(user: User, pk: Any, action: Action | str = Action.VIEW) -> Activity:
    """The history entry `pk` if `user` may act on it; otherwise 404."""
    try:
        return (
            activity_queryset(user, action)
            .select_related("person", "organisation", "assignee", "created_by")
            .prefetch_related("participant_people", "participant_users")
            .get(pk=pk)
        )
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise Http404("No such history entry.") from None


@dataclass
class KeyFigures:
    first_contact: dt.datetime | None = None
    last_contact: dt.datetime | None = None
    contact_count: int = 0
    average_mood: float | None = None
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    open_tasks: int = 0
    overdue_tasks: int = 0


def key_figures(user: User, customer: Person | Organisation) -> KeyFigures:
    """First and last contact, contacts per channel, average mood and open tasks."""
    entries = activity_queryset(user).filter(_on(customer))
    contacts = entries.filter(kind=Kind.CONTACT)
    totals = contacts.aggregate(first=Min("occurred_at"), last=Max("occurred_at"), n=Count("id"),
                                mood=Avg("mood"))
    by_channel = list(
        contacts.values_list("channel").annotate(n=Count("id")).order_by("-n", "channel")
    )
    now = timezone.now()
    tasks = entries.filter(kind=Kind.TASK, done_at__isnull=True).aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now))
    )
    return KeyFigures(
        first_contact=totals["first"], last_contact=totals["last"], contact_count=totals["n"],
        average_mood=round(totals["mood"], 2) if totals["mood"] is not None else None,
        by_channel=[(channel, n) for channel, n in by_channel],
        open_tasks=tasks["open"], overdue_tasks=tasks["overdue"],
    )


@dataclass(frozen=True)
class MoodPoint:
    month: dt.date
    average: float
    count: int


def mood_trend(user: User, customer: Person | Organisation, *, months: int = 12) -> list[MoodPoint]:
    """Average mood per month over the last `months` months (months without a rated contact are left out)."""
    since = (timezone.localdate().replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    rows = (
        activity_queryset(user)
        .filter(_on(customer), mood__isnull=False, occurred_at__date__gte=since)
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(average=Avg("mood"), count=Count("id"))
        .order_by("month")
    )
    return [
        MoodPoint(
            month=row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"],
            average=round(float(row["average"]), 2), count=row["count"],
        )
        for row in rows
    ]


def task_list(user: User, *, assignee: User | None = None, open_only: bool = True) -> QuerySet[Activity]:
    """Tasks `user` may see, oldest due first; only `assignee`'s when given."""
    queryset = activity_queryset(user).filter(kind=Kind.TASK)
    if assignee is not None:
        queryset = queryset.filter(assignee=assignee)
    if open_only:
        queryset = queryset.filter(done_at__isnull=True)
    return queryset.select_related("person", "organisation", "assignee").order_by("due_at", "id")
