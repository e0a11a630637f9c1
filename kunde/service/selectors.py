"""Readers of service: queues, ticket detail, SLA and CSAT figures."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from kunde.core.permissions import Action
from kunde.service.models import DONE_CATEGORIES, Ticket


def ticket_queryset(user: Any, action: Action | str = Action.VIEW) -> QuerySet[Ticket]:
    return Ticket.objects.for_user(user, action).select_related("status", "person", "organisation", "owner", "team")


def open_tickets_for(user: Any, customer: Any) -> QuerySet[Ticket]:
    """Open tickets of a person or organisation (the 360° panel).

    Whoever may see the customer sees that they have open tickets (number, subject,
    status), also those of the service team's queue; opening one follows the ticket's scope.
    """
    from kunde.contacts.models import Organisation, Person

    field = "person" if customer._meta.model_name == "person" else "organisation"
    model: Any = Person if field == "person" else Organisation
    if not model.objects.for_user(user).filter(pk=customer.pk).exists():
        return Ticket.objects.none()
    return (Ticket.objects.filter(**{field: customer}).exclude(status__category__in=DONE_CATEGORIES)
            .select_related("status"))


def sla_figures(tickets: QuerySet[Ticket], start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """SLA met %, median first response and resolution (hours, wall clock) of tickets created in [start, end)."""
    rows = list(tickets.filter(created_at__gte=start, created_at__lt=end).values(
        "created_at", "first_response_at", "solved_at", "sla_breached_at", "sla_policy_id"))
    with_sla = [r for r in rows if r["sla_policy_id"]]
    met = [r for r in with_sla if r["sla_breached_at"] is None]
    first = [(r["first_response_at"] - r["created_at"]).total_seconds() / 3600 for r in rows if r["first_response_at"]]
    solved = [(r["solved_at"] - r["created_at"]).total_seconds() / 3600 for r in rows if r["solved_at"]]
    return {
        "count": len(rows),
        "met_percent": round(100 * len(met) / len(with_sla), 1) if with_sla else None,
        "median_first_response_hours": round(statistics.median(first), 2) if first else None,
        "median_resolution_hours": round(statistics.median(solved), 2) if solved else None,
    }


def sla_figures_by_team(user: Any, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    base = ticket_queryset(user)
    teams = base.filter(created_at__gte=start, created_at__lt=end).values_list("team_id", "team__name").distinct()
    return [{"team_id": team_id, "team": name or "—", **sla_figures(base.filter(team_id=team_id), start, end)}
            for team_id, name in sorted(set(teams), key=lambda t: t[1] or "")]


def csat_figures(user: Any, start: dt.datetime, end: dt.datetime, by: str = "team") -> list[dict[str, Any]]:
    field = "team__name" if by == "team" else "owner__username"
    rows = (ticket_queryset(user).filter(csat_answered_at__gte=start, csat_answered_at__lt=end)
            .values(field).annotate(answers=Count("id"), average=Avg("csat_score"),
                                    satisfied=Count("id", filter=Q(csat_score__gte=4))).order_by(field))
    return [{"name": r[field] or "—", "answers": r["answers"], "average": round(r["average"] or 0, 2),
             "satisfied_percent": round(100 * r["satisfied"] / r["answers"], 1)} for r in rows]


def ticket_list(user: Any, params: Any) -> QuerySet[Ticket]:
    from kunde.service.filters import TicketFilter

    return TicketFilter(params, queryset=ticket_queryset(user)).filtered()


def ticket_page(user: Any, params: Any) -> tuple[Any, Any]:
    """One keyset page of a queue."""
    from kunde.core.pagination import keyset_page, page_size
    from kunde.service.filters import TicketFilter

    filterset = TicketFilter(params, queryset=ticket_queryset(user))
    page = keyset_page(filterset.filtered(), ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")))
    return page, filterset


def ticket_get(user: Any, pk: Any, action: Action | str = Action.VIEW) -> Ticket:
    from django.http import Http404

    ticket = ticket_queryset(user, action).filter(pk=pk).first()
    if ticket is None:
        raise Http404("ticket")
    return ticket


def ticket_attachment(ticket: Ticket, attachment_id: int) -> Any:
    """A stored file the ticket's thread names; quarantined and refused files are never handed out."""
    from django.http import Http404

    from kunde.mail.models import InboundAttachment

    named = {item.get("id") for attachments in ticket.messages.values_list("attachments", flat=True)
             for item in attachments or () if isinstance(item, dict)}
    if attachment_id not in named:
        raise Http404("attachment")
    attachment = InboundAttachment.objects.filter(pk=attachment_id, quarantined=False, refused=False).first()
    if attachment is None:
        raise Http404("attachment")
    return attachment
