"""Writes of partners: flag partners, grant portal access, share records, hand over leads, log partner work.

Staff services take the acting `User`; the partner's own steps (accept, decline, log an
activity) take the signed-in `PartnerUser` instead, because a partner is never a Django
user. Every customer-facing step writes a history entry through `activity_record` and
queues a domain event with ids only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.activities.models import Activity
from kunde.activities.services import activity_record
from kunde.contacts.models import Employment, Organisation, Person
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, user_can
from kunde.core.services import lock, record_update, require_permission, validate
from kunde.partners.models import (
    HandoverStatus,
    LeadHandover,
    PartnerActivityType,
    PartnerProfile,
    PartnerRole,
    PartnerUser,
    Share,
    ShareableEntry,
)
from kunde.sales.models import Deal, Lead, LeadStatus


class PartnerEvent:
    PARTNER_CREATED = "partners.partner_created"
    PARTNER_UPDATED = "partners.partner_updated"
    USER_GRANTED = "partners.partner_user_granted"
    USER_REVOKED = "partners.partner_user_revoked"
    RECORD_SHARED = "partners.record_shared"
    SHARE_REVOKED = "partners.share_revoked"
    LEAD_HANDED_OVER = "partners.lead_handed_over"
    LEAD_ACCEPTED = "partners.lead_accepted"
    LEAD_DECLINED = "partners.lead_declined"
    HANDOVER_WITHDRAWN = "partners.lead_handover_withdrawn"
    ACTIVITY_LOGGED = "partners.partner_activity_logged"


class HistoryKind:
    PARTNER_MARKED = "partners.partner_marked"
    USER_GRANTED = "partners.partner_user_granted"
    USER_REVOKED = "partners.partner_user_revoked"
    RECORD_SHARED = "partners.record_shared"
    SHARE_REVOKED = "partners.share_revoked"
    LEAD_HANDED_OVER = "partners.lead_handed_over"
    LEAD_ACCEPTED = "partners.lead_accepted"
    LEAD_DECLINED = "partners.lead_declined"
    HANDOVER_WITHDRAWN = "partners.lead_handover_withdrawn"
    PARTNER_ACTIVITY = "partners.partner_activity"


# --- helpers ------------------------------------------------------------------------


def _history(*, actor: User | None, kind: str, subject: str, person: Person | None = None,
             organisation: Organisation | None = None, related: models.Model | None = None,
             data: dict[str, Any] | None = None, notes: str = "") -> Activity:
    """A history entry written under the actor's name once this service has checked its own rule.

    The rule of a partner step is not "may change the customer": a rep may share a deal whose
    customer belongs to another team, and a partner is no user at all. So the entry is written
    as the system and attributed to the actor afterwards (as sales does for deals).
    """
    activity = activity_record(actor=None, kind=kind, subject=subject, person=person, organisation=organisation,
                               related=related, data=data, notes=notes)
    if actor is not None:
        Activity.objects.filter(pk=activity.pk).update(created_by=actor)
        activity.created_by = actor
    return activity


def _lead_customers(lead: Lead, partner: PartnerProfile) -> list[tuple[Person | None, Organisation | None]]:
    """Where a lead step is recorded: on the partner's timeline, and on the lead's customer once it has one."""
    places: list[tuple[Person | None, Organisation | None]] = [(None, partner.organisation)]
    if lead.person_id is not None or lead.organisation_id is not None:
        places.append((lead.person, lead.organisation))
    return places


def _lead_history(*, actor: User | None, lead: Lead, partner: PartnerProfile, kind: str, subject: str,
                  data: dict[str, Any], notes: str = "") -> None:
    for person, organisation in _lead_customers(lead, partner):
        _history(actor=actor, kind=kind, subject=subject, person=person, organisation=organisation, related=lead,
                 data=data, notes=notes)


def _require_visible_partner(actor: User | None, partner: PartnerProfile) -> None:
    if actor is not None and not user_can(actor, Action.VIEW, partner):
        raise ValidationError({"partner": [_("Unknown partner.")]})


def _require_active_partner(partner: PartnerProfile) -> None:
    # Read the stored flag: the caller's instance may predate a deactivation.
    if not PartnerProfile.objects.filter(pk=partner.pk, is_active=True).exists():
        raise ValidationError({"partner": [_("This partner is inactive: reactivate it first.")]})


# --- partners -----------------------------------------------------------------------


@transaction.atomic
def partner_mark(*, actor: User | None, organisation: Organisation, role: str = PartnerRole.OTHER,
                 role_note: str = "", since: dt.date | None = None) -> PartnerProfile:
    """Flag `organisation` as a partner with its role (an inactive partner is reactivated)."""
    require_permission(actor, Action.CHANGE, organisation)
    existing = PartnerProfile.objects.filter(organisation=organisation).first()
    if existing is not None:
        if existing.is_active:
            raise ValidationError({"organisation": [_("This organisation is already a partner.")]})
        return partner_update(actor=actor, partner=existing, expected_version=None,
                              changes={"is_active": True, "role": role, "role_note": role_note.strip()})
    partner = PartnerProfile(organisation=organisation, role=role, role_note=role_note.strip(),
                             since=since or timezone.localdate())
    validate(partner)
    partner.save(force_insert=True)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=partner, after=snapshot(partner))
    _history(actor=actor, kind=HistoryKind.PARTNER_MARKED, organisation=organisation, related=partner,
             subject=_("Marked as partner (%(role)s)") % {"role": partner.get_role_display()},
             data={"partner_id": partner.pk, "role": partner.role})
    emit_on_commit(PartnerEvent.PARTNER_CREATED, id=partner.pk, organisation_id=organisation.pk)
    return partner


PARTNER_EDITABLE = {"role", "role_note", "is_active", "since"}


@transaction.atomic
def partner_update(*, actor: User | None, partner: PartnerProfile, changes: dict[str, Any],
                   expected_version: int | None) -> PartnerProfile:
    """Change a partner's role, note, start or active flag (an inactive partner's portal closes)."""
    unknown = set(changes) - PARTNER_EDITABLE
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    if "role_note" in changes:
        changes["role_note"] = (changes["role_note"] or "").strip()
    return record_update(actor=actor, instance=partner, changes=changes, expected_version=expected_version,
                         event=PartnerEvent.PARTNER_UPDATED)


# --- partner users ------------------------------------------------------------------


@transaction.atomic
def partner_user_grant(*, actor: User | None, partner: PartnerProfile, person: Person) -> PartnerUser:
    """Let `person`, who works at the partner, sign in to the partner portal."""
    require_permission(actor, Action.CHANGE, partner)
    _require_active_partner(partner)
    if not Employment.objects.current().filter(person=person, organisation_id=partner.organisation_id).exists():
        raise ValidationError({"person": [_("Only people who currently work at the partner can get access.")]})
    if PartnerUser.objects.filter(partner=partner, person=person, revoked_at__isnull=True).exists():
        raise ValidationError({"person": [_("This person already has access to the partner portal.")]})
    if not person.emails.exists():
        raise ValidationError({"person": [_("This person has no e-mail address to receive the sign-in link.")]})
    access = PartnerUser(partner=partner, person=person, granted_by=actor)
    validate(access)
    try:
        with transaction.atomic():
            access.save(force_insert=True)
    except IntegrityError:  # a concurrent grant won
        raise ValidationError({"person": [_("This person already has access to the partner portal.")]}) from None
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=access, after=snapshot(access))
    _history(actor=actor, kind=HistoryKind.USER_GRANTED, person=person, organisation=partner.organisation,
             related=partner, subject=_("Access to the partner portal granted"),
             data={"partner_id": partner.pk, "partner_user_id": access.pk})
    emit_on_commit(PartnerEvent.USER_GRANTED, id=access.pk, partner_id=partner.pk, person_id=person.pk)
    return access


@transaction.atomic
def partner_user_revoke(*, actor: User | None, access: PartnerUser) -> PartnerUser:
    """Close the partner portal for this person at once (their open session ends with the next click)."""
    require_permission(actor, Action.CHANGE, access.partner)
    current = lock(access)
    if current.revoked_at is not None:
        return current
    before = snapshot(current)
    current.revoked_at, current.revoked_by = timezone.now(), actor
    current.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current, before=before,
                 after=snapshot(current))
    _history(actor=actor, kind=HistoryKind.USER_REVOKED, person=current.person,
             organisation=current.partner.organisation, related=current.partner,
             subject=_("Access to the partner portal revoked"),
             data={"partner_id": current.partner_id, "partner_user_id": current.pk})
    emit_on_commit(PartnerEvent.USER_REVOKED, id=current.pk, partner_id=current.partner_id)
    return current


# --- shares -------------------------------------------------------------------------


def _share_places(share: Share) -> tuple[Person | None, Organisation | None]:
    """The customer whose timeline records a share: the record itself, a deal's or a lead's customer."""
    if share.person_id is not None:
        return share.person, None
    if share.organisation_id is not None:
        return None, share.organisation
    record: Any = share.deal if share.deal_id is not None else share.lead
    person = record.person if record.person_id else None
    organisation = record.organisation if record.organisation_id else None
    if person is None and organisation is None:
        return None, share.partner.organisation  # a lead without customer: the partner's timeline
    return person, organisation


@transaction.atomic
def share_create(*, actor: User | None, partner: PartnerProfile, person: Person | None = None,
                 organisation: Organisation | None = None, lead: Lead | None = None, deal: Deal | None = None,
                 note: str = "") -> Share:
    """Share one record with a partner's portal users, with an optional note for them."""
    records = [record for record in (person, organisation, lead, deal) if record is not None]
    if len(records) != 1:
        raise ValidationError(_("Share exactly one record: a person, an organisation, a lead or a deal."))
    record = records[0]
    require_permission(actor, Action.CHANGE, record)
    _require_visible_partner(actor, partner)
    _require_active_partner(partner)
    if organisation is not None and organisation.pk == partner.organisation_id:
        raise ValidationError({"organisation": [_("A partner cannot be shared with itself.")]})
    field = type(record)._meta.model_name or ""
    if Share.objects.filter(partner=partner, revoked_at__isnull=True, **{field: record}).exists():
        raise ValidationError({field: [_("This record is already shared with this partner.")]})
    share = Share(partner=partner, person=person, organisation=organisation, lead=lead, deal=deal,
                  shared_by=actor, note=note.strip())
    validate(share)
    try:
        with transaction.atomic():
            share.save(force_insert=True)
    except IntegrityError:
        raise ValidationError({field: [_("This record is already shared with this partner.")]}) from None
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=share, after=snapshot(share))
    on_person, on_organisation = _share_places(share)
    _history(actor=actor, kind=HistoryKind.RECORD_SHARED, person=on_person, organisation=on_organisation,
             related=record, notes=share.note,
             subject=_("Shared with partner %(partner)s: %(record)s") % {"partner": partner, "record": record},
             data={"partner_id": partner.pk, "share_id": share.pk, "record_type": field})
    emit_on_commit(PartnerEvent.RECORD_SHARED, id=share.pk, partner_id=partner.pk, record_type=field,
                   record_id=record.pk)
    return share


@transaction.atomic
def share_revoke(*, actor: User | None, share: Share) -> Share:
    """Take a shared record away from the partner: it disappears from their portal at once."""
    record = share.record
    if record is not None:
        require_permission(actor, Action.CHANGE, record)
    current = lock(share)
    if current.revoked_at is not None:
        return current
    before = snapshot(current)
    current.revoked_at, current.revoked_by = timezone.now(), actor
    current.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current, before=before,
                 after=snapshot(current))
    on_person, on_organisation = _share_places(current)
    _history(actor=actor, kind=HistoryKind.SHARE_REVOKED, person=on_person, organisation=on_organisation,
             related=record,
             subject=_("No longer shared with partner %(partner)s: %(record)s") % {
                 "partner": current.partner, "record": record},
             data={"partner_id": current.partner_id, "share_id": current.pk, "record_type": current.record_type})
    emit_on_commit(PartnerEvent.SHARE_REVOKED, id=current.pk, partner_id=current.partner_id)
    return current


@transaction.atomic
def entry_set_shareable(*, actor: User | None, activity: Activity, shareable: bool = True) -> bool:
    """Mark (or unmark) a history entry as visible to the partners its customer is shared with."""
    require_permission(actor, Action.CHANGE, activity)
    if shareable:
        ShareableEntry.objects.get_or_create(activity=activity, defaults={"marked_by": actor})
    else:
        ShareableEntry.objects.filter(activity=activity).delete()
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=activity,
                 extra={"partner_shareable": shareable})
    return shareable


# --- lead handover ------------------------------------------------------------------


@transaction.atomic
def lead_handover(*, actor: User | None, lead: Lead, partner: PartnerProfile, note: str = "") -> LeadHandover:
    """Offer a lead to a partner; the partner accepts or declines it in the portal."""
    require_permission(actor, Action.CHANGE, lead)
    _require_visible_partner(actor, partner)
    _require_active_partner(partner)
    if lead.status in (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED):
        raise ValidationError({"lead": [_("Only open leads can be handed over.")]})
    if not partner.users.active().exists():
        raise ValidationError({"partner": [_("This partner has nobody who can sign in to the portal yet.")]})
    lock(lead)  # two staff handing the same lead over at once: one wins, the other sees the open handover
    open_handover = LeadHandover.objects.filter(lead=lead, status__in=[HandoverStatus.OFFERED,
                                                                       HandoverStatus.ACCEPTED]).first()
    if open_handover is not None:
        raise ValidationError({"lead": [_("This lead is already with partner %(partner)s (%(status)s).") % {
            "partner": open_handover.partner, "status": open_handover.get_status_display()}]})
    handover = LeadHandover(lead=lead, partner=partner, note=note.strip(), offered_by=actor)
    validate(handover)
    handover.save(force_insert=True)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=handover, after=snapshot(handover))
    _lead_history(actor=actor, lead=lead, partner=partner, kind=HistoryKind.LEAD_HANDED_OVER, notes=handover.note,
                  subject=_("Lead %(lead)s offered to partner %(partner)s") % {"lead": lead, "partner": partner},
                  data={"partner_id": partner.pk, "handover_id": handover.pk})
    _notify_offer(handover)
    emit_on_commit(PartnerEvent.LEAD_HANDED_OVER, id=handover.pk, lead_id=lead.pk, partner_id=partner.pk)
    return handover


def _notify_offer(handover: LeadHandover) -> None:
    """Mail each portal user of the partner that a lead waits for their answer.

    The mail names no lead data, only the portal page: what the lead is about is read
    after signing in, so a forwarded or intercepted mail reveals nothing about the customer.
    """
    from django.conf import settings
    from django.urls import reverse

    from kunde.mail.services import outbox_enqueue

    url = f"{settings.KUNDE_BASE_URL}{reverse('partners:portal_lead', args=[handover.lead_id])}"
    for access in handover.partner.users.active().select_related("person"):
        address = access.person.emails.order_by("-is_primary", "id").first()
        if address is None:
            continue
        outbox_enqueue(
            to=address.email, subject=_("A lead is waiting for your answer"),
            text=_("A lead has been offered to you in the partner portal. Please accept or decline it there:"
                   "\n\n%(url)s") % {"url": url},
            dedupe_key=f"partners.offer.{handover.pk}.{access.pk}", purpose="partners.offer", person=access.person,
            related=handover)


def _decide(handover: LeadHandover, by: PartnerUser) -> LeadHandover:
    if (by.partner_id != handover.partner_id or by.pk is None
            or not PartnerUser.objects.active().filter(pk=by.pk).exists()):
        raise ValidationError(_("This lead was not offered to you."))
    current = lock(handover)
    if current.status != HandoverStatus.OFFERED:
        raise ValidationError({"status": [_("This lead is no longer on offer (%(status)s).") % {
            "status": current.get_status_display()}]})
    return current


@transaction.atomic
def handover_accept(*, by: PartnerUser, handover: LeadHandover) -> LeadHandover:
    """The partner takes the lead: it becomes a record shared with the partner."""
    current = _decide(handover, by)
    before = snapshot(current)
    current.status, current.decided_at, current.decided_by = HandoverStatus.ACCEPTED, timezone.now(), by
    current.version += 1
    current.save()
    audit_record(actor=None, action=AuditEntry.Action.UPDATE, instance=current, before=before,
                 after=snapshot(current), extra={"partner_user_id": by.pk})
    if not Share.objects.filter(partner=current.partner, lead=current.lead, revoked_at__isnull=True).exists():
        Share.objects.create(partner=current.partner, lead=current.lead, shared_by=current.offered_by,
                             note=current.note)
    _lead_history(actor=None, lead=current.lead, partner=current.partner, kind=HistoryKind.LEAD_ACCEPTED,
                  subject=_("Partner %(partner)s accepted the lead %(lead)s (%(person)s)") % {
                      "partner": current.partner, "lead": current.lead, "person": by.person},
                  data={"partner_id": current.partner_id, "handover_id": current.pk, "partner_user_id": by.pk})
    emit_on_commit(PartnerEvent.LEAD_ACCEPTED, id=current.pk, lead_id=current.lead_id,
                   partner_id=current.partner_id)
    return current


@transaction.atomic
def handover_decline(*, by: PartnerUser, handover: LeadHandover, reason: str) -> LeadHandover:
    """The partner declines the lead with a reason; the lead is free to be offered elsewhere."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why you decline the lead.")]})
    current = _decide(handover, by)
    before = snapshot(current)
    current.status, current.decided_at, current.decided_by = HandoverStatus.DECLINED, timezone.now(), by
    current.decline_reason = reason[:500]
    current.version += 1
    current.save()
    audit_record(actor=None, action=AuditEntry.Action.UPDATE, instance=current, before=before,
                 after=snapshot(current), extra={"partner_user_id": by.pk})
    _lead_history(actor=None, lead=current.lead, partner=current.partner, kind=HistoryKind.LEAD_DECLINED,
                  notes=current.decline_reason,
                  subject=_("Partner %(partner)s declined the lead %(lead)s (%(person)s)") % {
                      "partner": current.partner, "lead": current.lead, "person": by.person},
                  data={"partner_id": current.partner_id, "handover_id": current.pk, "partner_user_id": by.pk})
    emit_on_commit(PartnerEvent.LEAD_DECLINED, id=current.pk, lead_id=current.lead_id,
                   partner_id=current.partner_id)
    return current


@transaction.atomic
def handover_withdraw(*, actor: User | None, handover: LeadHandover) -> LeadHandover:
    """Take back a lead the partner has not answered yet."""
    require_permission(actor, Action.CHANGE, handover.lead)
    current = lock(handover)
    if current.status != HandoverStatus.OFFERED:
        raise ValidationError({"status": [_("Only a lead still on offer can be withdrawn (now %(status)s).") % {
            "status": current.get_status_display()}]})
    before = snapshot(current)
    current.status, current.decided_at, current.withdrawn_by = HandoverStatus.WITHDRAWN, timezone.now(), actor
    current.version += 1
    current.save()
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current, before=before,
                 after=snapshot(current))
    _lead_history(actor=actor, lead=current.lead, partner=current.partner, kind=HistoryKind.HANDOVER_WITHDRAWN,
                  subject=_("Lead %(lead)s withdrawn from partner %(partner)s") % {
                      "lead": current.lead, "partner": current.partner},
                  data={"partner_id": current.partner_id, "handover_id": current.pk})
    emit_on_commit(PartnerEvent.HANDOVER_WITHDRAWN, id=current.pk, lead_id=current.lead_id,
                   partner_id=current.partner_id)
    return current


# --- the partner's own work ---------------------------------------------------------


@transaction.atomic
def partner_activity_log(*, by: PartnerUser, activity_type: str, subject: str, notes: str = "",
                         person: Person | None = None, organisation: Organisation | None = None,
                         occurred_at: dt.datetime | None = None) -> Activity:
    """A partner's call, visit, installation or note on a customer shared with them, on the customer's history."""
    from kunde.partners.selectors import partner_shared_organisations, partner_shared_people

    if (person is None) == (organisation is None):
        raise ValidationError(_("Log the activity on one person or one organisation."))
    if by.pk is None or not PartnerUser.objects.active().filter(pk=by.pk).exists():
        raise ValidationError(_("Your access to the partner portal has ended."))
    partner = by.partner
    shared = (partner_shared_people(partner).filter(pk=person.pk) if person is not None
              else partner_shared_organisations(partner).filter(pk=getattr(organisation, "pk", 0)))
    if not shared.exists():
        raise ValidationError(_("This customer is not shared with you."))
    if activity_type not in PartnerActivityType.values:
        raise ValidationError({"activity_type": [_("Choose what you did.")]})
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": [_("Give the activity a subject.")]})
    if occurred_at is not None and occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": [_("An activity cannot lie in the future.")]})
    label = PartnerActivityType(activity_type).label
    activity = activity_record(
        actor=None, kind=HistoryKind.PARTNER_ACTIVITY, person=person, organisation=organisation,
        occurred_at=occurred_at, channel=PartnerActivityType.channel(activity_type), notes=notes.strip(),
        subject=_("%(what)s by partner %(partner)s: %(subject)s") % {
            "what": label, "partner": partner, "subject": subject[:120]},
        data={"partner_id": partner.pk, "partner_user_id": by.pk, "partner_name": str(partner),
              "activity_type": activity_type})
    emit_on_commit(PartnerEvent.ACTIVITY_LOGGED, id=activity.pk, partner_id=partner.pk)
    return activity
