"""REST API of service: /tickets with messages and status (staff only, token or session)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kunde.contacts.models import Person
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.etag import etag_docs, with_etag
from kunde.core.api.idempotency import idempotent
from kunde.core.api.pagination import filter_parameters, list_params, page_out, page_schema
from kunde.core.api.schemas import InputSchema
from kunde.core.permissions import Action
from kunde.service import selectors, services
from kunde.service.filters import TicketFilter
from kunde.service.models import Ticket, TicketMessage, TicketStatus


class TicketOut(Schema):
    id: int
    number: str | None
    subject: str
    status: str
    status_category: str
    priority: str
    channel: str
    person: int | None
    organisation: int | None
    team: int | None
    owner: int | None
    language: str
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    solved_at: dt.datetime | None
    sla_breached_at: dt.datetime | None
    csat_score: int | None
    version: int

    @staticmethod
    def resolve_status(obj: Ticket) -> str:
        return obj.status.key

    @staticmethod
    def resolve_status_category(obj: Ticket) -> str:
        return obj.status.category

    @staticmethod
    def resolve_person(obj: Ticket) -> int | None:
        return obj.person_id

    @staticmethod
    def resolve_organisation(obj: Ticket) -> int | None:
        return obj.organisation_id

    @staticmethod
    def resolve_team(obj: Ticket) -> int | None:
        return obj.team_id

    @staticmethod
    def resolve_owner(obj: Ticket) -> int | None:
        return obj.owner_id


TicketPageOut = page_schema(TicketOut, "TicketPage")


class TicketIn(InputSchema):
    subject: str = Field(max_length=300)
    description: str = Field("", max_length=100_000)
    person: int | None = None
    priority: str = "normal"
    channel: str = ""


class TicketMessageOut(Schema):
    id: int
    direction: str
    internal: bool
    body_text: str
    message_id: str
    created_at: dt.datetime
    author_user: int | None
    author_person: int | None

    @staticmethod
    def resolve_author_user(obj: TicketMessage) -> int | None:
        return obj.author_user_id

    @staticmethod
    def resolve_author_person(obj: TicketMessage) -> int | None:
        return obj.author_person_id


class TicketMessageIn(InputSchema):
    text: str = Field(max_length=100_000)
    internal: bool = False


class TicketStatusIn(InputSchema):
    status: str = Field(description="Key of a ticket status.")


router = Router(tags=["tickets"])


@router.get("", response={200: TicketPageOut, **LIST_ERRORS},
            openapi_extra={"parameters": filter_parameters(TicketFilter)},
            description="Tickets the caller may see, filtered and sorted like the queue page.")
def list_tickets(request: HttpRequest) -> dict[str, Any]:
    """List tickets."""
    page, _filters = selectors.ticket_page(actor(request), list_params(request))
    return page_out(page, lambda ticket: ticket)


@router.post("", response={201: TicketOut, **CREATE_ERRORS})
@idempotent
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status:
    """Open a ticket (routing rules and the SLA apply)."""
    user = actor(request)
    person = None
    if payload.person is not None:
        person = Person.objects.for_user(user).filter(pk=payload.person).first()
        if person is None:
            raise ValidationError({"person": [_("Unknown person.")]})
    ticket = services.ticket_create(actor=user, subject=payload.subject, description=payload.description,
                                    person=person, priority=payload.priority, channel=payload.channel,
                                    from_customer=False)
    return Status(201, selectors.ticket_get(user, ticket.pk))


@router.get("/{int:ticket_id}", response={200: TicketOut, **READ_ERRORS}, openapi_extra=etag_docs())
def get_ticket(request: HttpRequest, ticket_id: int, response: HttpResponse) -> Ticket:
    """Get a ticket."""
    ticket = selectors.ticket_get(actor(request), ticket_id)
    with_etag(response, ticket)
    return ticket


@router.get("/{int:ticket_id}/messages", response={200: list[TicketMessageOut], **READ_ERRORS})
def list_messages(request: HttpRequest, ticket_id: int) -> list[TicketMessage]:
    """The ticket's thread, oldest first (internal notes included)."""
    ticket = selectors.ticket_get(actor(request), ticket_id)
    return list(ticket.messages.all())


@router.post("/{int:ticket_id}/messages", response={201: TicketMessageOut, **WRITE_ERRORS})
@idempotent
def add_message(request: HttpRequest, ticket_id: int, payload: TicketMessageIn) -> Status:
    """Reply to the customer (sent by e-mail, threaded) or add an internal note."""
    user = actor(request)
    ticket = selectors.ticket_get(user, ticket_id, Action.VIEW)
    message = services.ticket_reply(actor=user, ticket=ticket, text=payload.text, internal=payload.internal)
    return Status(201, message)


@router.post("/{int:ticket_id}/status", response={200: TicketOut, **WRITE_ERRORS})
@idempotent
def change_status(request: HttpRequest, ticket_id: int, payload: TicketStatusIn) -> Ticket:
    """Move the ticket to another status (waiting on the customer pauses the SLA)."""
    user = actor(request)
    ticket = selectors.ticket_get(user, ticket_id)
    status = TicketStatus.objects.filter(key=payload.status, is_active=True).first()
    if status is None:
        raise ValidationError({"status": [_("Unknown status.")]})
    services.ticket_change_status(actor=user, ticket=ticket, status=status)
    return selectors.ticket_get(user, ticket_id)


routers: list[tuple[str, Router]] = [("/tickets", router)]
