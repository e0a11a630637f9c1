"""Writes of customer events: series and events, invitations to a segment, registration with
capacity and waiting list, cancellation with move-up, reminders, check-in and closing.

Every step a customer takes (or that staff take for them) lands on their history through
`kunde.activities` and is emitted as a domain event after commit. Capacity is decided
under a row lock on the event, so concurrent registrations never over-book it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kunde.activities.services import activity_record
from kunde.contacts.models import Person
from kunde.core import links
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.exceptions import PermissionDenied
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, user_can
from kunde.core.services import record_create, record_update, require_permission
from kunde.customer_events.models import Event, EventSeries, Invitation, Registration

# The consent purpose invitations need (added by this app's data migration).
EVENTS_PURPOSE = "events"
LINK_PURPOSE = "customer-event"


class CustomerEventsEvent:
    """Domain events of this app (payloads: ids only)."""

    SERIES_CREATED = "customer_events.series_created"
    SERIES_UPDATED = "customer_events.series_updated"
    EVENT_CREATED = "customer_events.event_created"
    EVENT_UPDATED = "customer_events.event_updated"
    EVENT_CLOSED = "customer_events.event_closed"
    EVENT_CANCELLED = "customer_events.event_cancelled"
    INVITED = "customer_events.invited"
    REGISTERED = "customer_events.registered"
    WAITLISTED = "customer_events.waitlisted"
    MOVED_UP = "customer_events.moved_up"
    CANCELLED = "customer_events.registration_cancelled"
    ATTENDED = "customer_events.attended"
    NO_SHOW = "customer_events.no_show"


class HistoryKind:
    """Kinds of the entries this app writes on a customer's history."""

    INVITED = "customer_events.invited"
    REGISTERED = "customer_events.registered"
    WAITLISTED = "customer_events.waitlisted"
    MOVED_UP = "customer_events.moved_up"
    CANCELLED = "customer_events.cancelled"
    ATTENDED = "customer_events.attended"
    NO_SHOW = "customer_events.no_show"


SERIES_FIELDS = ("name", "kind", "description", "owner", "team")
EVENT_FIELDS = (
    "series", "title", "kind", "description", "starts_at", "ends_at", "place", "online_url", "capacity", "cost",
    "registration_deadline", "language", "status", "reminder_hours", "owner", "team",
)
# Closing and cancelling have consequences (no-shows, notices): only their own services set them.
EDITABLE_STATUSES = (Event.Status.DRAFT, Event.Status.OPEN)


# ---------------------------------------------------------------- consent purpose

def ensure_events_purpose(purpose_model: Any = None, wording_model: Any = None) -> Any:
    """Create the "events" consent purpose and its first wording unless they exist (idempotent)."""
    if purpose_model is None or wording_model is None:
        from kunde.audience.models import ConsentPurpose, ConsentWording

        purpose_model, wording_model = ConsentPurpose, ConsentWording
    purpose, _created = purpose_model.objects.get_or_create(
        key=EVENTS_PURPOSE, defaults={"name_de": "Veranstaltungen", "name_en": "Events"})
    wording_model.objects.get_or_create(purpose=purpose, version=1, defaults={
        "text_de": "Ja, Sie dürfen mich per E-Mail zu Veranstaltungen, Webinaren und Messen einladen. "
                   "Ich kann das jederzeit widerrufen.",
        "text_en": "Yes, you may invite me by e-mail to events, webinars and trade fairs. "
                   "I can withdraw this at any time."})
    return purpose


# ---------------------------------------------------------------- series and events

def _ownership(actor: Any, owner: Any, team: Any) -> tuple[Any, Any]:
    owner = owner or (actor if getattr(actor, "pk", None) else None)
    return owner, team or (owner.primary_team if owner is not None else None)


@transaction.atomic
def series_create(*, actor: Any, name: str, kind: str = "webinar", description: str = "",
                  owner: Any = None, team: Any = None) -> EventSeries:
    """Create an event series owned by `owner` (default: the actor) and their team."""
    owner, team = _ownership(actor, owner, team)
    series = EventSeries(name=name.strip(), kind=kind, description=description, owner=owner, team=team)
    return record_create(actor=actor, instance=series, event=CustomerEventsEvent.SERIES_CREATED)


@transaction.atomic
def series_update(*, actor: Any, series: EventSeries, changes: dict[str, Any],
                  expected_version: int | None = None) -> EventSeries:
    """Change a series' name, kind, description or ownership."""
    _refuse_unknown(changes, SERIES_FIELDS)
    return record_update(actor=actor, instance=series, changes=dict(changes), expected_version=expected_version,
                         event=CustomerEventsEvent.SERIES_UPDATED)


def _refuse_unknown(changes: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})


def _check_series(actor: Any, series: EventSeries | None) -> None:
    if series is not None and actor is not None and not user_can(actor, Action.VIEW, series):
        raise ValidationError({"series": [_("Unknown series.")]})


@transaction.atomic
def event_create(*, actor: Any, title: str, starts_at: dt.datetime, ends_at: dt.datetime, owner: Any = None,
                 team: Any = None, **fields: Any) -> Event:
    """Create an event (a draft unless `status` says open)."""
    _refuse_unknown(fields, EVENT_FIELDS)
    if fields.get("status", Event.Status.DRAFT) not in EDITABLE_STATUSES:
        raise ValidationError({"status": [_("A new event is a draft or open for registration.")]})
    _check_series(actor, fields.get("series"))
    series = fields.get("series")
    if series is not None and "kind" not in fields:
        fields["kind"] = series.kind
    owner, team = _ownership(actor, owner, team)
    event = Event(title=title.strip(), starts_at=starts_at, ends_at=ends_at, owner=owner, team=team, **fields)
    return record_create(actor=actor, instance=event, event=CustomerEventsEvent.EVENT_CREATED)


@transaction.atomic
def event_update(*, actor: Any, event: Event, changes: dict[str, Any], expected_version: int | None = None) -> Event:
    """Change an event; more capacity moves people up from the waiting list, less than the seats taken is refused."""
    _refuse_unknown(changes, EVENT_FIELDS)
    require_permission(actor, Action.CHANGE, event)
    current = Event.objects.select_for_update().get(pk=event.pk)
    if "status" in changes and changes["status"] != current.status and (
            current.status not in EDITABLE_STATUSES or changes["status"] not in EDITABLE_STATUSES):
        raise ValidationError({"status": [_("Close or cancel an event with its own action; a closed or "
                                                "cancelled event cannot be reopened.")]})
    if "series" in changes:
        _check_series(actor, changes["series"])
    if "capacity" in changes and changes["capacity"] is not None:
        seated = _seated(current)
        if changes["capacity"] < seated:
            raise ValidationError({"capacity": [
                _("%(seated)s people already hold a seat; the capacity cannot be lower.") % {"seated": seated}]})
    updated = record_update(actor=actor, instance=current, changes=dict(changes), expected_version=expected_version,
                            event=CustomerEventsEvent.EVENT_UPDATED)
    _fill_from_waitlist(updated)
    return updated


@transaction.atomic
def event_close(*, actor: Any, event: Event) -> Event:
    """Close an event after it started: registered people who were not checked in become no-shows."""
    require_permission(actor, Action.CHANGE, event)
    current = Event.objects.select_for_update().get(pk=event.pk)
    if current.status == Event.Status.CLOSED:
        return current
    if current.status == Event.Status.CANCELLED:
        raise ValidationError({"status": [_("A cancelled event cannot be closed.")]})
    if timezone.now() < current.starts_at:
        raise ValidationError({"status": [_("An event can be closed only once it has started.")]})
    absent = list(Registration.objects.filter(event=current, status=Registration.Status.REGISTERED)
                  .select_related("person"))
    for registration in absent:
        _set_status(registration, Registration.Status.NO_SHOW)
        _history(registration, HistoryKind.NO_SHOW, _("Did not attend: %(event)s"))
        emit_on_commit(CustomerEventsEvent.NO_SHOW, id=registration.pk, event_id=current.pk,
                       person_id=registration.person_id)
    closed = record_update(actor=actor, instance=current, changes={"status": Event.Status.CLOSED},
                           expected_version=None, event=CustomerEventsEvent.EVENT_CLOSED, check_permission=False)
    return closed


@transaction.atomic
def event_cancel(*, actor: Any, event: Event) -> Event:
    """Cancel an event: everybody registered or waiting is told by e-mail and their registration is cancelled."""
    require_permission(actor, Action.CHANGE, event)
    current = Event.objects.select_for_update().get(pk=event.pk)
    if current.status == Event.Status.CANCELLED:
        return current
    if current.status == Event.Status.CLOSED:
        raise ValidationError({"status": [_("A closed event cannot be cancelled.")]})
    active = list(Registration.objects.filter(
        event=current, status__in=[Registration.Status.REGISTERED, Registration.Status.WAITLISTED])
        .select_related("person"))
    for registration in active:
        _set_status(registration, Registration.Status.CANCELLED, cancelled_at=timezone.now(), waitlist_position=None)
        _history(registration, HistoryKind.CANCELLED, _("Event cancelled by us: %(event)s"))
        with translation.override(current.language):
            _mail(registration.person, current, f"customer_events.event-cancelled.{registration.pk}",
                  _("Cancelled: %(event)s") % {"event": current.title},
                  _("We are sorry: %(event)s on %(date)s has been cancelled.")
                  % {"event": current.title, "date": _when(current)}, related=registration)
    return record_update(actor=actor, instance=current, changes={"status": Event.Status.CANCELLED},
                         expected_version=None, event=CustomerEventsEvent.EVENT_CANCELLED, check_permission=False)


# ---------------------------------------------------------------- links and mail

def link_token(event: Event, person: Person) -> str:
    """The personal token of `person` for `event` (register and cancel without a login)."""
    return links.make_token(LINK_PURPOSE, f"{event.pk}.{person.pk}")


def link_url(event: Event, person: Person) -> str:
    base = (settings.KUNDE_BASE_URL or "http://localhost:8000").rstrip("/")
    return base + reverse("customer_events:public_registration", args=[link_token(event, person)])


def read_link(token: str) -> tuple[Event, Person]:
    """The event and person a personal link names; LinkError when forged, broken or the records are gone."""
    value = links.read_token(LINK_PURPOSE, token)
    event_id, _sep, person_id = value.partition(".")
    try:
        event = Event.objects.get(pk=int(event_id))
        person = Person.objects.get(pk=int(person_id))
    except (ValueError, Event.DoesNotExist, Person.DoesNotExist):
        raise links.LinkError("This link is not valid.") from None
    return event, person


def _when(event: Event) -> str:
    from django.utils.formats import date_format

    return date_format(timezone.localtime(event.starts_at), "DATETIME_FORMAT")


def _where(event: Event) -> str:
    return event.online_url or event.place


def _mail(person: Person, event: Event, dedupe_key: str, subject: str, text: str, *, related: Any) -> Any:
    """Queue one message about `event` to `person` unless they have no address or it is suppressed.

    Registration mails are what the person asked for (no marketing consent needed); a
    suppressed address (bounced, complained, erased, unsubscribed) is still never mailed.
    """
    from kunde.audience.consent import is_suppressed, primary_email
    from kunde.mail.services import outbox_enqueue

    address = primary_email(person)
    if not address or is_suppressed(address):
        return None
    return outbox_enqueue(to=address, subject=subject, text=text, dedupe_key=dedupe_key, purpose="customer_events",
                          person=person, related=related)


def _history(registration: Registration, kind: str, subject: str, *, actor: Any = None,
             extra: dict[str, Any] | None = None) -> None:
    event = registration.event
    # The step is the customer's (registering, attending), so it is written as the system's:
    # the staff member who clicked is kept in `data`, their right was checked on the event.
    activity_record(
        actor=None, kind=kind, subject=subject % {"event": event.title}, person=registration.person,
        channel="event", related=registration, occurred_at=timezone.now(),
        data={"event_id": event.pk, "registration_id": registration.pk, "status": registration.status,
              "by_user_id": getattr(actor, "pk", None), **(extra or {})})


def _set_status(registration: Registration, status: str, **fields: Any) -> Registration:
    before = snapshot(registration)
    registration.status = status
    for name, value in fields.items():
        setattr(registration, name, value)
    registration.save()
    audit_record(actor=None, action=AuditEntry.Action.UPDATE, instance=registration, before=before,
                 after=snapshot(registration))
    return registration


# ---------------------------------------------------------------- invitations

@dataclass
class InvitationResult:
    """What inviting a segment did: who got an invitation, who was skipped and why."""

    invited: list[int] = field(default_factory=list)
    already_invited: list[int] = field(default_factory=list)
    without_consent: list[int] = field(default_factory=list)


@transaction.atomic
def invite_segment(*, actor: Any, event: Event, segment_id: int) -> InvitationResult:
    """Invite the people of a segment who may be e-mailed about events; a retry invites nobody twice.

    Only people the actor may change are invited (the invitation is written on their
    history), and only those with valid, confirmed e-mail consent for "events" and no
    suppressed address.
    """
    from kunde.audience.consent import people_with_consent
    from kunde.campaigns.integration import segment_get

    require_permission(actor, Action.CHANGE, event)
    if not event.registration_open:
        raise ValidationError({"event": [_("Invite only to an event that is open for registration and has not "
                                           "passed its deadline.")]})
    segment = segment_get(segment_id, user=actor)
    from kunde.audience.segments import segment_people

    people = segment_people(segment, actor)
    if actor is not None:
        people = people.filter(pk__in=Person.objects.for_user(actor, Action.CHANGE).values("pk"))
    ensure_events_purpose()
    allowed = set(people_with_consent(people, EVENTS_PURPOSE).values_list("pk", flat=True))
    result = InvitationResult()
    for person in people.order_by("pk"):
        if person.pk not in allowed:
            result.without_consent.append(person.pk)
            continue
        invitation, _created = Invitation.objects.get_or_create(event=event, person=person,
                                                               defaults={"segment_id": segment.pk})
        if invitation.sent_at is not None:
            result.already_invited.append(person.pk)
            continue
        _send_invitation(actor, invitation)
        result.invited.append(person.pk)
    return result


# Up to this many people are invited within the request; a bigger segment is invited by a
# background task (about 15-60 ms per person: the outbox row, the history entry, the audit).
INVITE_INLINE_LIMIT = 200


def invite_segment_or_queue(*, actor: Any, event: Event, segment_id: int) -> InvitationResult | None:
    """Invite a small segment at once (its result), or queue the invitations of a big one (None).

    The checks (permission, open event, visible segment) run here either way, so a refusal
    is immediate; the task then calls `invite_segment`, which is safe to repeat.
    """
    from kunde.audience.segments import segment_people
    from kunde.campaigns.integration import segment_get

    require_permission(actor, Action.CHANGE, event)
    if not event.registration_open:
        raise ValidationError({"event": [_("Invite only to an event that is open for registration and has not "
                                           "passed its deadline.")]})
    segment = segment_get(segment_id, user=actor)
    if segment_people(segment, actor).count() <= INVITE_INLINE_LIMIT:
        return invite_segment(actor=actor, event=event, segment_id=segment_id)
    from kunde.customer_events.tasks import invite_segment_task

    invite_segment_task.enqueue(event.pk, segment.pk, getattr(actor, "pk", None))
    return None


def _send_invitation(actor: Any, invitation: Invitation) -> None:
    event, person = invitation.event, invitation.person
    with translation.override(event.language):
        subject = _("Invitation: %(event)s") % {"event": event.title}
        text = "\n\n".join(filter(None, [
            _("We would be delighted to welcome you to %(event)s on %(date)s.") % {
                "event": event.title, "date": _when(event)},
            event.description,
            _where(event),
            _("Register (or decline) with your personal link: %(url)s") % {"url": link_url(event, person)},
        ]))
    outbound = _mail(person, event, f"customer_events.invitation.{invitation.pk}", subject, text, related=invitation)
    invitation.sent_at = timezone.now()
    invitation.outbound_message_id = getattr(outbound, "pk", None)
    invitation.save(update_fields=["sent_at", "outbound_message_id", "updated_at"])
    activity_record(actor=actor, kind=HistoryKind.INVITED, subject=subject, person=person, channel="email",
                    direction="out", related=invitation,
                    data={"event_id": event.pk, "invitation_id": invitation.pk,
                          "outbound_id": invitation.outbound_message_id})
    emit_on_commit(CustomerEventsEvent.INVITED, id=invitation.pk, event_id=event.pk, person_id=person.pk)


# ---------------------------------------------------------------- registration

def _seated(event: Event) -> int:
    return Registration.objects.filter(event=event, status__in=Registration.SEATED).count()


def _has_seat(event: Event) -> bool:
    return event.capacity is None or _seated(event) < event.capacity


def _next_position(event: Event) -> int:
    last = Registration.objects.filter(event=event, status=Registration.Status.WAITLISTED).aggregate(
        last=Max("waitlist_position"))["last"]
    return (last or 0) + 1


def _locked_event(event: Event) -> Event:
    # The row lock serialises every seat decision for this event (SQLite: the writer lock).
    return Event.objects.select_for_update().get(pk=event.pk)


@transaction.atomic
def registration_create(*, actor: Any, event: Event, person: Person, source: str = Registration.Source.STAFF,
                        ignore_deadline: bool = False) -> Registration:
    """Register `person`: a seat while there is one, else the next place on the waiting list.

    Registering again while registered or waiting changes nothing; a cancelled registration
    is renewed. `actor=None` is the person themselves (their personal link) or the system.
    """
    if actor is not None:
        require_permission(actor, Action.CHANGE, event)
        if not user_can(actor, Action.VIEW, person):
            raise ValidationError({"person": [_("Unknown person.")]})
    current = _locked_event(event)
    if current.status != Event.Status.OPEN:
        raise ValidationError({"event": [_("This event is not open for registration.")]})
    if not ignore_deadline and not current.registration_open:
        raise ValidationError({"event": [_("Registration for this event has closed.")]})
    existing = Registration.objects.filter(event=current, person=person).select_related("person").first()
    if existing is not None and existing.status != Registration.Status.CANCELLED:
        return existing
    invitation = Invitation.objects.filter(event=current, person=person).first()
    if source == Registration.Source.PUBLIC and invitation is not None:
        source = Registration.Source.INVITATION
    seat = _has_seat(current)
    status = Registration.Status.REGISTERED if seat else Registration.Status.WAITLISTED
    position = None if seat else _next_position(current)
    if existing is None:
        registration = Registration(event=current, person=person, invitation=invitation, status=status,
                                    waitlist_position=position, source=source)
        registration.full_clean(exclude=["event", "person", "invitation"])
        registration.save(force_insert=True)
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=registration,
                     after=snapshot(registration))
    else:
        registration = _set_status(existing, status, waitlist_position=position, source=source,
                                   registered_at=timezone.now(), cancelled_at=None, reminder_sent_at=None)
    registration.event = current
    _confirm(actor, registration)
    return registration


def _confirm(actor: Any, registration: Registration) -> None:
    event, person = registration.event, registration.person
    seated = registration.status == Registration.Status.REGISTERED
    with translation.override(event.language):
        if seated:
            subject = _("You are registered: %(event)s") % {"event": event.title}
            body = _("Thank you for registering for %(event)s on %(date)s.") % {
                "event": event.title, "date": _when(event)}
        else:
            subject = _("Waiting list: %(event)s") % {"event": event.title}
            body = _("%(event)s is fully booked. You are number %(position)s on the waiting list; we will write "
                     "to you as soon as a seat becomes free.") % {"event": event.title,
                                                                  "position": registration.waitlist_position}
        text = "\n\n".join(filter(None, [body, _where(event) if seated else "",
                                         _("Cancel with your personal link: %(url)s") % {
                                             "url": link_url(event, person)}]))
        # A renewed registration is a new occasion: its dedupe key names the moment.
        stamp = int(registration.registered_at.timestamp())
        _mail(person, event, f"customer_events.registration.{registration.pk}.{registration.status}.{stamp}",
              subject, text, related=registration)
    if seated:
        _history(registration, HistoryKind.REGISTERED, _("Registered for %(event)s"), actor=actor,
                 extra={"source": registration.source})
        emit_on_commit(CustomerEventsEvent.REGISTERED, id=registration.pk, event_id=event.pk, person_id=person.pk)
    else:
        _history(registration, HistoryKind.WAITLISTED, _("On the waiting list for %(event)s"), actor=actor,
                 extra={"position": registration.waitlist_position, "source": registration.source})
        emit_on_commit(CustomerEventsEvent.WAITLISTED, id=registration.pk, event_id=event.pk, person_id=person.pk)


@transaction.atomic
def registration_cancel(*, actor: Any, registration: Registration) -> Registration:
    """Cancel a registration (or a place on the waiting list); a freed seat goes to the first waiting."""
    if actor is not None:
        require_permission(actor, Action.CHANGE, registration.event)
    current_event = _locked_event(registration.event)
    registration = Registration.objects.select_related("person").get(pk=registration.pk)
    registration.event = current_event
    if registration.status == Registration.Status.CANCELLED:
        return registration
    if registration.status not in (Registration.Status.REGISTERED, Registration.Status.WAITLISTED):
        raise ValidationError({"status": [_("Only an open registration can be cancelled.")]})
    if current_event.status in (Event.Status.CLOSED, Event.Status.CANCELLED):
        raise ValidationError({"event": [_("This event is over; the registration can no longer be cancelled.")]})
    was_waiting = registration.status == Registration.Status.WAITLISTED
    position = registration.waitlist_position
    _set_status(registration, Registration.Status.CANCELLED, cancelled_at=timezone.now(), waitlist_position=None)
    if was_waiting and position is not None:
        Registration.objects.filter(event=current_event, status=Registration.Status.WAITLISTED,
                                    waitlist_position__gt=position).update(
            waitlist_position=F("waitlist_position") - 1)
    _history(registration, HistoryKind.CANCELLED, _("Cancelled the registration for %(event)s"), actor=actor)
    emit_on_commit(CustomerEventsEvent.CANCELLED, id=registration.pk, event_id=current_event.pk,
                   person_id=registration.person_id)
    _fill_from_waitlist(current_event)
    return registration


def _fill_from_waitlist(event: Event) -> list[Registration]:
    """Give free seats to the waiting list in order (the caller holds the event's row lock)."""
    if event.status != Event.Status.OPEN or timezone.now() >= event.starts_at:
        return []
    moved = []
    while _has_seat(event):
        first = (Registration.objects.filter(event=event, status=Registration.Status.WAITLISTED)
                 .select_related("person").order_by("waitlist_position", "registered_at", "id").first())
        if first is None:
            break
        _set_status(first, Registration.Status.REGISTERED, waitlist_position=None)
        Registration.objects.filter(event=event, status=Registration.Status.WAITLISTED).update(
            waitlist_position=F("waitlist_position") - 1)
        first.event = event
        _history(first, HistoryKind.MOVED_UP, _("Moved up from the waiting list: %(event)s"))
        with translation.override(event.language):
            _mail(first.person, event, f"customer_events.moved-up.{first.pk}.{int(timezone.now().timestamp())}",
                  _("A seat for you: %(event)s") % {"event": event.title},
                  "\n\n".join([_("Good news: a seat has become free and is now yours. We look forward to seeing you "
                                 "at %(event)s on %(date)s.") % {"event": event.title, "date": _when(event)},
                               _where(event),
                               _("Cancel with your personal link: %(url)s") % {"url": link_url(event, first.person)}]),
                  related=first)
        emit_on_commit(CustomerEventsEvent.MOVED_UP, id=first.pk, event_id=event.pk, person_id=first.person_id)
        moved.append(first)
    return moved


@transaction.atomic
def registration_check_in(*, actor: Any, registration: Registration) -> Registration:
    """Mark a registered person as attended (also a no-show who came late, corrected after closing)."""
    require_permission(actor, Action.CHANGE, registration.event)
    event = _locked_event(registration.event)
    registration = Registration.objects.select_related("person").get(pk=registration.pk)
    registration.event = event
    if registration.status == Registration.Status.ATTENDED:
        return registration
    if registration.status not in (Registration.Status.REGISTERED, Registration.Status.NO_SHOW):
        raise ValidationError({"status": [_("Only people holding a seat can be checked in; move them up from the "
                                            "waiting list first.")]})
    if event.status in (Event.Status.DRAFT, Event.Status.CANCELLED):
        raise ValidationError({"event": [_("Check-in is possible only for an open or closed event.")]})
    _set_status(registration, Registration.Status.ATTENDED, checked_in_at=timezone.now())
    _history(registration, HistoryKind.ATTENDED, _("Attended %(event)s"), actor=actor)
    emit_on_commit(CustomerEventsEvent.ATTENDED, id=registration.pk, event_id=event.pk,
                   person_id=registration.person_id)
    return registration


def registration_by_link(token: str, *, action: str) -> Registration | None:
    """Register or cancel through a personal link (no login); returns the registration (None: nothing to cancel)."""
    event, person = read_link(token)
    if action == "register":
        return registration_create(actor=None, event=event, person=person, source=Registration.Source.PUBLIC)
    if action == "cancel":
        registration = Registration.objects.filter(event=event, person=person).first()
        if registration is None:
            return None
        return registration_cancel(actor=None, registration=registration)
    raise ValidationError({"action": [_("Unknown action.")]})


# ---------------------------------------------------------------- reminders

# Longest reminder lead the job looks for (an event setting above this is capped).
MAX_REMINDER_LEAD = dt.timedelta(days=14)


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Send the reminder of every registration whose event starts within its reminder lead; once each."""
    now = now or timezone.now()
    events = Event.objects.filter(status=Event.Status.OPEN, starts_at__gt=now, starts_at__lte=now + MAX_REMINDER_LEAD)
    sent = 0
    for event in events:
        if event.starts_at - dt.timedelta(hours=event.reminder_hours) > now:
            continue
        due = Registration.objects.filter(event=event, status=Registration.Status.REGISTERED,
                                          reminder_sent_at__isnull=True).select_related("person")
        for registration in due:
            sent += _remind(event, registration, now)
    return sent


@transaction.atomic
def _remind(event: Event, registration: Registration, now: dt.datetime) -> int:
    # Claim under a row lock so that two overlapping job runs never remind twice.
    locked = Registration.objects.select_for_update().filter(pk=registration.pk, reminder_sent_at__isnull=True,
                                                             status=Registration.Status.REGISTERED).first()
    if locked is None:
        return 0
    with translation.override(event.language):
        _mail(registration.person, event,
              f"customer_events.reminder.{registration.pk}.{int(registration.registered_at.timestamp())}",
              _("Reminder: %(event)s") % {"event": event.title},
              "\n\n".join([_("A reminder: %(event)s starts on %(date)s.") % {"event": event.title,
                                                                              "date": _when(event)},
                           _where(event),
                           _("Cannot make it? Please cancel with your personal link so someone else can come: "
                             "%(url)s") % {"url": link_url(event, registration.person)}]),
              related=registration)
    Registration.objects.filter(pk=locked.pk).update(reminder_sent_at=now)
    return 1


def check_actor_may_view(actor: Any, instance: Any) -> None:
    """Raise PermissionDenied unless `actor` may see `instance` (shared by the front ends)."""
    if actor is not None and not user_can(actor, Action.VIEW, instance):
        raise PermissionDenied("not visible")
