"""Writers of service: tickets, replies, status changes, assignment, SLA, routing, CSAT."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import Team, User
from kunde.activities.services import activity_record
from kunde.contacts.models import EmailAddress, Organisation, Person
from kunde.core.events import emit_on_commit
from kunde.core.exceptions import PermissionDenied
from kunde.core.models import Tag
from kunde.core.permissions import Action, can_create, team_ids, user_can
from kunde.core.services import lock, record_create, record_update
from kunde.service import sla
from kunde.service.models import (
    DONE_CATEGORIES,
    PAUSING_CATEGORIES,
    BusinessCalendar,
    Direction,
    Priority,
    RoutingLog,
    RoutingRule,
    SlaPolicy,
    StatusCategory,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
)


class TicketEvent:
    CREATED = "service.ticket_created"
    UPDATED = "service.ticket_updated"
    STATUS_CHANGED = "service.ticket_status_changed"
    SOLVED = "service.ticket_solved"
    MESSAGE = "service.ticket_message"


DEFAULT_STATUSES = [
    ("new", "New", "Neu", StatusCategory.NEW),
    ("open", "Open", "Offen", StatusCategory.OPEN),
    ("waiting_customer", "Waiting for customer", "Wartet auf Kunde", StatusCategory.WAITING_CUSTOMER),
    ("waiting_third_party", "Waiting for third party", "Wartet auf Dritte", StatusCategory.WAITING_THIRD_PARTY),
    ("solved", "Solved", "Gelöst", StatusCategory.SOLVED),
    ("closed", "Closed", "Geschlossen", StatusCategory.CLOSED),
]


def ensure_default_statuses() -> None:
    for position, (key, en, de, category) in enumerate(DEFAULT_STATUSES):
        TicketStatus.objects.get_or_create(
            key=key, defaults={"label_en": en, "label_de": de, "category": category, "position": position})


def status_for(category: str) -> TicketStatus:
    """The first active status of `category` (the defaults are created when missing)."""
    status = TicketStatus.objects.filter(category=category, is_active=True).order_by("position", "id").first()
    if status is None:
        ensure_default_statuses()
        status = TicketStatus.objects.filter(category=category).order_by("position", "id").first()
    assert status is not None
    return status


def _history(actor: User | None, ticket: Ticket, kind: str, subject: str, *, channel: str = "",
             direction: str = "", notes: str = "", data: dict[str, Any] | None = None) -> None:
    """One history entry on the ticket's customer (skipped for a ticket without one)."""
    if ticket.person is None and ticket.organisation is None:
        return
    writer = actor
    if actor is not None and not any(
            r is not None and user_can(actor, Action.CHANGE, r) for r in (ticket.person, ticket.organisation)):
        writer = None  # the agent may work the ticket without owning the customer record
    activity_record(
        actor=writer, kind=kind, subject=subject, person=ticket.person, organisation=ticket.organisation,
        channel=channel, direction=direction, notes=notes[:5000], related=ticket,
        data={"ticket_id": ticket.pk, **(data or {})},
    )


def can_work(user: User | None, ticket: Ticket) -> bool:
    """Agents work the tickets of their teams' queues as well as the ones they may change anyway."""
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if ticket.team_id is not None and can_create(user) and ticket.team_id in team_ids(user):
        return True
    return user_can(user, Action.CHANGE, ticket)


def require_work(user: User | None, ticket: Ticket) -> None:
    if not can_work(user, ticket):
        raise PermissionDenied(f"may not work ticket #{ticket.pk}")


# --- SLA ---------------------------------------------------------------------------------

def _customer_group_id(ticket: Ticket) -> int | None:
    for record in (ticket.person, ticket.organisation):
        if record is not None and record.customer_group_id:
            return record.customer_group_id
    return None


def sla_policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy matching the ticket's priority and customer group (blank = any)."""
    group = _customer_group_id(ticket)
    for policy in SlaPolicy.objects.filter(is_active=True).select_related("calendar"):
        if policy.priority and policy.priority != ticket.priority:
            continue
        if policy.customer_group_id and policy.customer_group_id != group:
            continue
        return policy
    return None


def _calendar(policy: SlaPolicy) -> sla.Calendar:
    return sla.Calendar.from_model(policy.calendar)


def sla_recompute(ticket: Ticket) -> None:
    """Set the due times from the policy, the creation time and the pauses (no save)."""
    policy = ticket.sla_policy
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    calendar = _calendar(policy)
    pauses = sla.pauses_from_json(ticket.sla_pauses)
    try:
        ticket.first_response_due_at = sla.sla_due(calendar, ticket.created_at, policy.first_response_minutes, pauses)
        ticket.resolution_due_at = sla.sla_due(calendar, ticket.created_at, policy.resolution_minutes, pauses)
    except (ValueError, TypeError, LookupError):  # a calendar without working time: no due times
        ticket.first_response_due_at = ticket.resolution_due_at = None


def _sla_pause_change(ticket: Ticket, old: TicketStatus | None, new: TicketStatus, now: dt.datetime) -> None:
    pauses = list(ticket.sla_pauses)
    was = old is not None and old.category in PAUSING_CATEGORIES
    becomes = new.category in PAUSING_CATEGORIES
    if becomes and not was:
        pauses.append([now.isoformat(), None])
    elif was and not becomes and pauses and pauses[-1][1] is None:
        pauses[-1] = [pauses[-1][0], now.isoformat()]
    ticket.sla_pauses = pauses


# --- routing -------------------------------------------------------------------------------

def _matches(rule: RoutingRule, ticket: Ticket, sender: str, text: str) -> bool:
    if rule.channel and rule.channel != ticket.channel:
        return False
    if rule.sender_domain:
        domain = sender.rsplit("@", 1)[-1].lower() if "@" in sender else ""
        wanted = rule.sender_domain.lower().lstrip("@")
        if not (domain == wanted or domain.endswith("." + wanted)):
            return False
    if rule.keywords:
        words = [w.strip().lower() for w in rule.keywords.split(",") if w.strip()]
        haystack = text.lower()
        if words and not any(w in haystack for w in words):
            return False
    if rule.customer_group_id and rule.customer_group_id != _customer_group_id(ticket):
        return False
    return not (rule.language and rule.language != ticket.language)


def routing_apply(ticket: Ticket, *, sender: str = "") -> list[RoutingLog]:
    """Apply the active rules in order to the new (saved) ticket; log each application."""
    text = f"{ticket.subject}\n{ticket.description}"
    logs = []
    for rule in RoutingRule.objects.filter(is_active=True).order_by("position", "id"):
        if not _matches(rule, ticket, sender, text):
            continue
        changes: dict[str, Any] = {}
        if rule.set_team_id:
            ticket.team_id = rule.set_team_id
            changes["team"] = rule.set_team_id
        if rule.set_priority:
            ticket.priority = rule.set_priority
            changes["priority"] = rule.set_priority
        if rule.set_category_id:
            ticket.category_id = rule.set_category_id
            changes["category"] = rule.set_category_id
        tags = [t.strip() for t in rule.set_tags.split(",") if t.strip()]
        if tags:
            ticket.tags.add(*[Tag.objects.get_or_create(name=t)[0] for t in tags])
            changes["tags"] = tags
        logs.append(RoutingLog.objects.create(ticket=ticket, rule=rule, rule_name=rule.name, changes=changes))
        if rule.stop:
            break
    return logs


# --- tickets -------------------------------------------------------------------------------

def _customer_email(ticket: Ticket) -> str:
    if ticket.person_id:
        address = EmailAddress.objects.filter(person_id=ticket.person_id).order_by("-is_primary", "id").first()
        if address:
            return address.email
    if ticket.organisation_id:
        address = EmailAddress.objects.filter(organisation_id=ticket.organisation_id).order_by(
            "-is_primary", "id").first()
        if address:
            return address.email
    return ""


@transaction.atomic
def ticket_create(
    *,
    actor: User | None,
    subject: str,
    description: str = "",
    person: Person | None = None,
    organisation: Organisation | None = None,
    channel: str = "",
    priority: str = Priority.NORMAL,
    category: TicketCategory | None = None,
    team: Team | None = None,
    owner: User | None = None,
    language: str = "",
    due_date: dt.date | None = None,
    sender: str = "",
    from_customer: bool = True,
    message_id: str = "",
    body_html: str = "",
    inbound_id: int | None = None,
    attachments: Iterable[dict[str, Any]] = (),
    created_at: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket; routing rules apply, the SLA clock starts, the first message is stored."""
    if not subject.strip():
        raise ValidationError({"subject": [_("Enter a subject.")]})
    if organisation is None and person is not None:
        from kunde.activities.services import _primary_organisation
        organisation = _primary_organisation(person)
    if not language and person is not None:
        language = person.preferred_language
    ticket = Ticket(
        subject=subject.strip()[:300], description=description, person=person, organisation=organisation,
        channel=channel, priority=priority or Priority.NORMAL, category=category, team=team,
        owner=owner, language=language, due_date=due_date, status=status_for(StatusCategory.NEW),
        created_at=created_at or timezone.now(),
    )
    if ticket.team_id is None and actor is not None:
        ticket.team = actor.teams.order_by("id").first()  # the agent's queue until routing says otherwise
    record_create(actor=actor, instance=ticket, event=TicketEvent.CREATED)
    ticket.number = f"T-{ticket.pk}"
    routing_apply(ticket, sender=sender)
    if ticket.team_id is None:  # no rule matched: the customer's own team looks after it
        ticket.team_id = (person.team_id if person else None) or (organisation.team_id if organisation else None)
    ticket.sla_policy = sla_policy_for(ticket)
    sla_recompute(ticket)
    ticket.save()
    attachments = list(attachments)
    if description or body_html or message_id or attachments:  # an empty mail still keeps its id and files
        TicketMessage.objects.create(
            ticket=ticket, direction=Direction.IN if from_customer else Direction.OUT, internal=False,
            author_person=person if from_customer else None, author_user=None if from_customer else actor,
            body_text=description, body_html=body_html, message_id=message_id, inbound_id=inbound_id,
            attachments=list(attachments), created_at=ticket.created_at,
        )
    _history(actor, ticket, "service.ticket_created", _("Ticket %(number)s: %(subject)s") % {
        "number": ticket.number, "subject": ticket.subject}, channel=channel,
        direction="in" if from_customer else "", notes=description)
    return ticket


UPDATABLE = {"subject", "description", "priority", "category", "due_date", "language", "channel",
             "person", "organisation", "deal", "order"}


@transaction.atomic
def ticket_update(*, actor: User | None, ticket: Ticket, changes: dict[str, Any],
                  expected_version: int | None = None) -> Ticket:
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    require_work(actor, ticket)
    updated = record_update(actor=actor, instance=ticket, changes=changes, expected_version=expected_version,
                            event=TicketEvent.UPDATED, check_permission=False)
    if "priority" in changes:
        updated.sla_policy = sla_policy_for(updated)
        sla_recompute(updated)
        updated.save(update_fields=["sla_policy", "first_response_due_at", "resolution_due_at"])
    return updated


@transaction.atomic
def ticket_assign(*, actor: User | None, ticket: Ticket, owner: User | None, team: Team | None = None,
                  expected_version: int | None = None) -> Ticket:
    changes: dict[str, Any] = {"owner": owner}
    if team is not None:
        changes["team"] = team
    require_work(actor, ticket)
    updated = record_update(actor=actor, instance=ticket, changes=changes, expected_version=expected_version,
                            event=TicketEvent.UPDATED, check_permission=False)
    _history(actor, updated, "service.ticket_assigned", _("Ticket %(number)s assigned to %(name)s") % {
        "number": updated.number, "name": (owner.get_full_name() or owner.username) if owner else "—"},
        data={"owner_id": owner.pk if owner else None})
    return updated


@transaction.atomic
def ticket_change_status(*, actor: User | None, ticket: Ticket, status: TicketStatus,
                         expected_version: int | None = None, now: dt.datetime | None = None) -> Ticket:
    require_work(actor, ticket)
    now = now or timezone.now()
    current = lock(ticket)
    old = current.status
    if old.pk == status.pk:
        return current
    _sla_pause_change(current, old, status, now)
    changes: dict[str, Any] = {"status": status, "sla_pauses": current.sla_pauses}
    if status.category in DONE_CATEGORIES and current.solved_at is None:
        changes["solved_at"] = now
    elif status.category not in DONE_CATEGORIES:
        changes["solved_at"] = None
    updated = record_update(actor=actor, instance=current, changes=changes, expected_version=expected_version,
                            event=TicketEvent.STATUS_CHANGED, check_permission=False)
    sla_recompute(updated)
    updated.save(update_fields=["first_response_due_at", "resolution_due_at"])
    _history(actor, updated, "service.status_changed", _("Ticket %(number)s: %(old)s → %(new)s") % {
        "number": updated.number, "old": old, "new": status},
        data={"from": old.key, "to": status.key})
    if status.category == StatusCategory.SOLVED and old.category not in DONE_CATEGORIES:
        emit_on_commit(TicketEvent.SOLVED, id=updated.pk)
        from kunde.service.csat import csat_request
        csat_request(updated)
    return updated


def _thread_ids(ticket: Ticket) -> list[str]:
    return [m for m in ticket.messages.exclude(message_id="").order_by("created_at", "id")
            .values_list("message_id", flat=True)]


SUBJECT_PREFIX = re.compile(r"^\s*((re|aw|fwd?|wg)\s*:\s*)+", re.IGNORECASE)


def reply_subject(ticket: Ticket) -> str:
    base = SUBJECT_PREFIX.sub("", ticket.subject)
    return f"Re: {base} {ticket.token}"


@transaction.atomic
def ticket_reply(*, actor: User | None, ticket: Ticket, text: str, internal: bool = False, html: str = "",
                 now: dt.datetime | None = None) -> TicketMessage:
    """Answer the customer (sent through the outbox, threaded) or add an internal note (no mail)."""
    require_work(actor, ticket)
    if not text.strip():
        raise ValidationError({"text": [_("Write a message.")]})
    now = now or timezone.now()
    message = TicketMessage(ticket=ticket, direction=Direction.OUT, internal=internal, author_user=actor,
                            body_text=text, body_html=html, created_at=now)
    if not internal:
        to = _customer_email(ticket)
        if not to:
            raise ValidationError({"text": [_("The customer has no e-mail address.")]})
        from kunde.mail.services import outbox_enqueue
        references = _thread_ids(ticket)
        message.save()
        outbound = outbox_enqueue(
            to=to, subject=reply_subject(ticket), text=text, html=html,
            in_reply_to=references[-1] if references else "", references=references[-20:],
            dedupe_key=f"service.reply.{message.pk}", purpose="service", person=ticket.person,
            organisation=ticket.organisation, related=ticket,
        )
        message.outbound = outbound
        message.message_id = outbound.message_id
        message.in_reply_to = outbound.in_reply_to
        message.references = outbound.references
        message.save()
        if ticket.first_response_at is None:  # the SLA clock's own field: no version change
            Ticket.all_objects.filter(pk=ticket.pk).update(first_response_at=now)
            ticket.first_response_at = now
        if ticket.status.category == StatusCategory.NEW:  # answered: open, with history and audit
            opened = ticket_change_status(actor=actor, ticket=ticket, status=status_for(StatusCategory.OPEN), now=now)
            ticket.status, ticket.version = opened.status, opened.version
        _history(actor, ticket, "service.reply_sent", _("Reply on ticket %(number)s") % {"number": ticket.number},
                 channel="email", direction="out", notes=text, data={"message_id": message.pk})
    else:
        message.save()
        _history(actor, ticket, "service.note_added", _("Internal note on ticket %(number)s") % {
            "number": ticket.number}, notes=text, data={"message_id": message.pk})
    emit_on_commit(TicketEvent.MESSAGE, id=message.pk, ticket_id=ticket.pk)
    return message


@transaction.atomic
def ticket_receive(*, ticket: Ticket, text: str, html: str = "", person: Person | None = None,
                   message_id: str = "", in_reply_to: str = "", references: str = "",
                   inbound_id: int | None = None, attachments: Iterable[dict[str, Any]] = (),
                   channel: str = "email") -> TicketMessage:
    """A customer's message on an existing ticket; a ticket waiting on them or solved reopens."""
    message = TicketMessage.objects.create(
        ticket=ticket, direction=Direction.IN, author_person=person or ticket.person, body_text=text, body_html=html,
        message_id=message_id, in_reply_to=in_reply_to, references=references, inbound_id=inbound_id,
        attachments=list(attachments),
    )
    _history(None, ticket, "service.message_received", _("Message on ticket %(number)s") % {
        "number": ticket.number}, channel=channel, direction="in", notes=text, data={"message_id": message.pk})
    if ticket.status.category in {StatusCategory.WAITING_CUSTOMER, StatusCategory.SOLVED}:
        ticket_change_status(actor=None, ticket=ticket, status=status_for(StatusCategory.OPEN))
    emit_on_commit(TicketEvent.MESSAGE, id=message.pk, ticket_id=ticket.pk)
    return message


def default_calendar() -> BusinessCalendar:
    calendar, _created = BusinessCalendar.objects.get_or_create(
        name="Standard", defaults={"working_days": [0, 1, 2, 3, 4]})
    return calendar
