"""Every write to deals, leads and the sales configuration goes through here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import Team, User
from kunde.activities.models import Activity
from kunde.activities.services import activity_record
from kunde.contacts.models import Organisation, Person
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.exceptions import PermissionDenied
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, user_can
from kunde.core.services import lock, record_create, record_update, require_admin, require_permission
from kunde.sales.models import (
    Deal,
    DealStatus,
    ExchangeRate,
    Lead,
    LeadForm,
    LeadSource,
    LeadStatus,
    LostReason,
    Pipeline,
    ScoringRule,
    Stage,
    StageKind,
    StageVisit,
)
from kunde.sales.money import to_eur


class DealEvent:
    CREATED = "sales.deal_created"
    UPDATED = "sales.deal_updated"
    STAGE_CHANGED = "sales.deal_stage_changed"
    WON = "sales.deal_won"
    LOST = "sales.deal_lost"
    REOPENED = "sales.deal_reopened"
    DELETED = "sales.deal_deleted"


class HistoryKind:
    DEAL_CREATED = "sales.deal_created"
    DEAL_STAGE_CHANGED = "sales.deal_stage_changed"
    DEAL_WON = "sales.deal_won"
    DEAL_LOST = "sales.deal_lost"
    DEAL_REOPENED = "sales.deal_reopened"
    LEAD_CONVERTED = "sales.lead_converted"


# --- helpers ------------------------------------------------------------------------


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.order_by("position", "id").first()
    if pipeline is None:
        from kunde.sales.defaults import ensure_default_pipeline

        pipeline = ensure_default_pipeline()
    return pipeline


def first_open_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(kind=StageKind.OPEN).order_by("position", "id").first()
    if stage is None:
        raise ValidationError({"pipeline": _("This pipeline has no open stage.")})
    return stage


def _closing_stage(pipeline: Pipeline, kind: str) -> Stage | None:
    return pipeline.stages.filter(kind=kind).order_by("position", "id").first()


def _history(actor: User | None, deal: Deal, *, kind: str, subject: str, data: dict[str, Any]) -> Activity | None:
    """A history entry on the deal's customer, written with the actor's name.

    The deal service has already checked the actor may change the deal; a rep may own a
    deal with a customer of another team, so the entry is then written as the system and
    attributed to the actor afterwards.
    """
    person = deal.person if deal.person_id else None
    organisation = deal.organisation if deal.organisation_id else None
    if person is None and organisation is None:
        return None
    try:
        return activity_record(
            actor=actor,
            kind=kind,
            subject=subject,
            person=person,
            organisation=organisation,
            related=deal,
            data=data,
        )
    except PermissionDenied:
        activity = activity_record(
            actor=None,
            kind=kind,
            subject=subject,
            person=person,
            organisation=organisation,
            related=deal,
            data=data,
        )
        Activity.objects.filter(pk=activity.pk).update(created_by=actor)
        return activity


def _check_customer_visible(actor: User | None, person: Person | None, organisation: Organisation | None) -> None:
    for record in (person, organisation):
        if actor is not None and record is not None and not user_can(actor, Action.VIEW, record):
            raise PermissionDenied("may not link a customer this user cannot see")


def _amount_eur(amount: Decimal, currency: str, on: dt.date) -> Decimal:
    try:
        return to_eur(amount, currency, on)
    except ValidationError as exc:
        raise ValidationError({"currency": exc.messages}) from None


def _top_position(stage: Stage) -> float:
    lowest = Deal.all_objects.filter(stage=stage).aggregate(low=Min("position"))["low"]
    return 0.0 if lowest is None else lowest - 1.0


def _position_at(stage: Stage, index: int, exclude_id: Any) -> float:
    """A position that puts a card at `index` (0 = top) among the stage's cards."""
    positions = list(
        Deal.all_objects.filter(stage=stage)
        .exclude(pk=exclude_id)
        .order_by("position", "id")
        .values_list("position", flat=True)[: max(index, 0) + 1]
    )
    if index <= 0 or not positions:
        return (positions[0] - 1.0) if positions else 0.0
    if index >= len(positions):
        return positions[-1] + 1.0
    before, after = positions[index - 1], positions[index]
    if after - before > 1e-6:
        return (before + after) / 2
    # Positions ran out of room: renumber the stage once.
    for number, pk in enumerate(
        Deal.all_objects.filter(stage=stage)
        .exclude(pk=exclude_id)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    ):
        Deal.all_objects.filter(pk=pk).update(position=float(number * 16))
    return index * 16 - 8.0


# --- deals --------------------------------------------------------------------------


@transaction.atomic
def deal_create(
    *,
    actor: User | None,
    title: str,
    organisation: Organisation | None = None,
    person: Person | None = None,
    amount: Decimal = Decimal("0"),
    currency: str = "EUR",
    expected_close_date: dt.date | None = None,
    probability: int | None = None,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    next_step: str = "",
    source: str = "",
    campaign: str = "",
    lead: Any = None,
    notes: str = "",
    owner: User | None = None,
    team: Team | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Deal:
    """Create an open deal at the top of its stage (default: first open stage of the default pipeline)."""
    from kunde.contacts.services import _check_owner

    owner = owner if owner is not None else actor
    _check_owner(actor, owner)
    _check_customer_visible(actor, person, organisation)
    if stage is not None:
        pipeline = stage.pipeline
    else:
        pipeline = pipeline or default_pipeline()
        stage = first_open_stage(pipeline)
    if stage.kind != StageKind.OPEN:
        raise ValidationError({"stage": _("A new deal starts in an open stage.")})
    currency = (currency or "EUR").strip().upper()
    amount = Decimal(amount or 0)
    now = timezone.now()
    deal = Deal(
        title=title.strip(),
        organisation=organisation,
        person=person,
        amount=amount,
        currency=currency,
        amount_eur=_amount_eur(amount, currency, expected_close_date or now.date()),
        expected_close_date=expected_close_date,
        probability=stage.probability if probability is None else probability,
        pipeline=pipeline,
        stage=stage,
        stage_entered_at=now,
        position=_top_position(stage),
        next_step=next_step,
        source=source,
        campaign=campaign.strip(),
        lead=lead,
        notes=notes,
        owner=owner,
        team=team or (owner.primary_team if owner is not None else None),
        custom_fields=custom_fields or {},
    )
    record_create(actor=actor, instance=deal, event=DealEvent.CREATED)
    _history(
        actor,
        deal,
        kind=HistoryKind.DEAL_CREATED,
        subject=_("Deal created: %(title)s") % {"title": deal.title},
        data={"deal_id": deal.pk, "stage_id": stage.pk, "amount_eur": str(deal.amount_eur)},
    )
    return deal


DEAL_EDITABLE = {
    "title",
    "organisation",
    "person",
    "amount",
    "currency",
    "expected_close_date",
    "probability",
    "next_step",
    "source",
    "campaign",
    "notes",
    "owner",
    "team",
    "custom_fields",
}


@transaction.atomic
def deal_update(*, actor: User | None, deal: Deal, changes: dict[str, Any], expected_version: int | None) -> Deal:
    """Change a deal's fields (not its stage or outcome: deal_move/win/lose/reopen do that)."""
    from kunde.contacts.services import _check_owner

    unknown = set(changes) - DEAL_EDITABLE
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    changes = dict(changes)
    if "owner" in changes and changes["owner"] != deal.owner:
        _check_owner(actor, changes["owner"])
    _check_customer_visible(
        actor,
        changes.get("person") if changes.get("person") != deal.person else None,
        changes.get("organisation") if changes.get("organisation") != deal.organisation else None,
    )
    if "title" in changes:
        changes["title"] = str(changes["title"]).strip()
    if "currency" in changes:
        changes["currency"] = (changes["currency"] or "EUR").strip().upper()
    if {"amount", "currency", "expected_close_date"} & set(changes):
        amount = Decimal(changes.get("amount", deal.amount) or 0)
        changes["amount"] = amount
        on = changes.get("expected_close_date", deal.expected_close_date) or timezone.localdate()
        changes["amount_eur"] = _amount_eur(amount, changes.get("currency", deal.currency), on)
    return record_update(
        actor=actor, instance=deal, changes=changes, expected_version=expected_version, event=DealEvent.UPDATED
    )


def _leave_stage(deal: Deal, now: dt.datetime) -> int:
    """Record the visit of the stage the deal leaves; return its length in seconds."""
    seconds = max(int((now - deal.stage_entered_at).total_seconds()), 0)
    StageVisit.objects.create(
        deal=deal, stage_id=deal.stage_id, entered_at=deal.stage_entered_at, left_at=now, seconds=seconds
    )
    return seconds


@transaction.atomic
def deal_move(
    *,
    actor: User | None,
    deal: Deal,
    stage: Stage,
    position: int | None = None,
    expected_version: int | None = None,
    lost_reason: LostReason | None = None,
) -> Deal:
    """Move a deal to `stage` (and to card `position`, 0 = top); won/lost stages close it."""
    require_permission(actor, Action.CHANGE, deal)
    current = lock(deal)
    if expected_version is not None and current.version != expected_version:
        from kunde.core.exceptions import ConflictError

        raise ConflictError(expected=expected_version, current=current)
    if stage.pipeline_id != current.pipeline_id:
        raise ValidationError({"stage": _("The stage belongs to another pipeline.")})
    if stage.kind == StageKind.WON:
        return deal_win(actor=actor, deal=current, stage=stage)
    if stage.kind == StageKind.LOST:
        if lost_reason is None:
            raise ValidationError({"lost_reason": _("Choose why the deal was lost.")})
        return deal_lose(actor=actor, deal=current, reason=lost_reason, stage=stage)
    if current.status != DealStatus.OPEN:
        return deal_reopen(actor=actor, deal=current, stage=stage)
    if stage.pk == current.stage_id:
        if position is not None:
            new_position = _position_at(stage, position, current.pk)
            Deal.all_objects.filter(pk=current.pk).update(position=new_position)
            current.position = new_position
        return current
    return _change_stage(actor, current, stage, position=position)


def _change_stage(
    actor: User | None,
    current: Deal,
    stage: Stage,
    *,
    position: int | None,
    status: str = DealStatus.OPEN,
    extra: dict[str, Any] | None = None,
    event: str = DealEvent.STAGE_CHANGED,
    kind: str = HistoryKind.DEAL_STAGE_CHANGED,
    subject: str | None = None,
) -> Deal:
    now = timezone.now()
    previous = current.stage
    seconds = _leave_stage(current, now)
    changes: dict[str, Any] = {
        "stage": stage,
        "stage_entered_at": now,
        "status": status,
        "position": _top_position(stage) if position is None else _position_at(stage, position, current.pk),
        "probability": stage.probability,
        **(extra or {}),
    }
    updated = record_update(actor=actor, instance=current, changes=changes, expected_version=None, event=event)
    if event != DealEvent.STAGE_CHANGED:
        emit_on_commit(DealEvent.STAGE_CHANGED, id=updated.pk, from_stage_id=previous.pk, to_stage_id=stage.pk)
    _history(
        actor,
        updated,
        kind=kind,
        subject=subject or _("%(title)s: %(old)s → %(new)s") % {"title": updated.title, "old": previous, "new": stage},
        data={
            "deal_id": updated.pk,
            "from_stage_id": previous.pk,
            "to_stage_id": stage.pk,
            "from_stage": previous.name_en,
            "to_stage": stage.name_en,
            "seconds_in_previous_stage": seconds,
        },
    )
    return updated


@transaction.atomic
def deal_win(*, actor: User | None, deal: Deal, stage: Stage | None = None, won_at: dt.datetime | None = None) -> Deal:
    """Close the deal as won (idempotent: a won deal stays as it is)."""
    require_permission(actor, Action.CHANGE, deal)
    current = lock(deal)
    if current.status == DealStatus.WON:
        return current
    stage = stage or _closing_stage(current.pipeline, StageKind.WON)
    if stage is None:
        raise ValidationError({"stage": _("This pipeline has no won stage.")})
    return _change_stage(
        actor,
        current,
        stage,
        position=None,
        status=DealStatus.WON,
        extra={
            "won_at": won_at or timezone.now(),
            "lost_at": None,
            "lost_reason": None,
            "lost_note": "",
            "probability": 100,
        },
        event=DealEvent.WON,
        kind=HistoryKind.DEAL_WON,
        subject=_("Deal won: %(title)s") % {"title": current.title},
    )


@transaction.atomic
def deal_lose(
    *, actor: User | None, deal: Deal, reason: LostReason, note: str = "", stage: Stage | None = None
) -> Deal:
    """Close the deal as lost with a reason from the configured list."""
    require_permission(actor, Action.CHANGE, deal)
    if reason is None:
        raise ValidationError({"lost_reason": _("Choose why the deal was lost.")})
    current = lock(deal)
    if current.status == DealStatus.LOST:
        return current
    stage = stage or _closing_stage(current.pipeline, StageKind.LOST)
    if stage is None:
        raise ValidationError({"stage": _("This pipeline has no lost stage.")})
    return _change_stage(
        actor,
        current,
        stage,
        position=None,
        status=DealStatus.LOST,
        extra={
            "lost_at": timezone.now(),
            "won_at": None,
            "lost_reason": reason,
            "lost_note": note.strip(),
            "probability": 0,
        },
        event=DealEvent.LOST,
        kind=HistoryKind.DEAL_LOST,
        subject=_("Deal lost: %(title)s (%(reason)s)") % {"title": current.title, "reason": reason},
    )


@transaction.atomic
def deal_reopen(*, actor: User | None, deal: Deal, stage: Stage | None = None) -> Deal:
    """Open a won or lost deal again, in `stage` (default: the last open stage of its pipeline)."""
    require_permission(actor, Action.CHANGE, deal)
    current = lock(deal)
    if current.status == DealStatus.OPEN:
        return current
    if stage is None:
        stage = current.pipeline.stages.filter(kind=StageKind.OPEN).order_by("-position", "-id").first()
    if stage is None or stage.kind != StageKind.OPEN:
        raise ValidationError({"stage": _("Reopen the deal into an open stage.")})
    return _change_stage(
        actor,
        current,
        stage,
        position=None,
        status=DealStatus.OPEN,
        extra={"won_at": None, "lost_at": None, "lost_reason": None, "lost_note": ""},
        event=DealEvent.REOPENED,
        kind=HistoryKind.DEAL_REOPENED,
        subject=_("Deal reopened: %(title)s") % {"title": current.title},
    )


@transaction.atomic
def deal_delete(*, actor: User | None, deal: Deal) -> Deal:
    from kunde.core.services import record_soft_delete

    return record_soft_delete(actor=actor, instance=deal, event=DealEvent.DELETED)


# --- configuration (administrators) -------------------------------------------------


def _audit_config(actor: User | None, instance: Any, before: dict[str, Any] | None) -> None:
    """The audit entry of a saved configuration row: created (no `before`) or changed."""
    if before is None:
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=instance, after=snapshot(instance))
    else:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=instance, before=before,
                     after=snapshot(instance))


@transaction.atomic
def exchange_rate_set(*, actor: User | None, currency: str, rate: Decimal, valid_from: dt.date) -> ExchangeRate:
    """Store (or replace) the rate of `currency` valid from `valid_from`."""
    require_admin(actor)
    code = currency.strip().upper()
    existing = ExchangeRate.objects.filter(currency=code, valid_from=valid_from).first()
    instance = existing or ExchangeRate(currency=code, valid_from=valid_from)
    before = snapshot(instance) if existing else None
    instance.rate = Decimal(rate)
    instance.full_clean()
    instance.save()
    _audit_config(actor, instance, before)
    return instance


@transaction.atomic
def pipeline_create(*, actor: User | None, name_en: str, name_de: str = "", is_default: bool = False) -> Pipeline:
    """A new pipeline with a won and a lost stage to start from."""
    require_admin(actor)
    if is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    position = (Pipeline.objects.aggregate(top=Max("position"))["top"] or 0) + 10
    pipeline = Pipeline(name_en=name_en.strip(), name_de=name_de.strip(), is_default=is_default, position=position)
    pipeline.full_clean()
    pipeline.save()
    _audit_config(actor, pipeline, None)
    Stage.objects.create(pipeline=pipeline, name_en="Open", name_de="Offen", position=10, probability=20)
    Stage.objects.create(
        pipeline=pipeline, name_en="Won", name_de="Gewonnen", position=900, probability=100, kind=StageKind.WON
    )
    Stage.objects.create(
        pipeline=pipeline, name_en="Lost", name_de="Verloren", position=910, probability=0, kind=StageKind.LOST
    )
    return pipeline


@transaction.atomic
def stage_save(
    *,
    actor: User | None,
    pipeline: Pipeline,
    stage: Stage | None = None,
    name_en: str,
    name_de: str = "",
    position: int = 0,
    probability: int = 0,
    rotting_days: int | None = None,
    kind: str = StageKind.OPEN,
) -> Stage:
    require_admin(actor)
    before = snapshot(stage) if stage is not None else None
    stage = stage or Stage(pipeline=pipeline)
    stage.name_en, stage.name_de, stage.position = name_en.strip(), name_de.strip(), position
    stage.probability, stage.rotting_days, stage.kind = probability, rotting_days, kind
    stage.full_clean()
    stage.save()
    _audit_config(actor, stage, before)
    return stage


# --- leads --------------------------------------------------------------------------


class LeadEvent:
    CREATED = "sales.lead_created"
    UPDATED = "sales.lead_updated"
    QUALIFIED = "sales.lead_qualified"
    DISQUALIFIED = "sales.lead_disqualified"
    CONVERTED = "sales.lead_converted"
    DELETED = "sales.lead_deleted"


def _clean_lead_contact(email: str, phone: str) -> tuple[str, str]:
    from kunde.contacts.validators import normalize_email

    email = (email or "").strip()
    if email:
        try:
            email = normalize_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": exc.messages}) from None
    return email, (phone or "").strip()


@transaction.atomic
def lead_create(
    *,
    actor: User | None,
    name: str,
    company: str = "",
    email: str = "",
    phone: str = "",
    message: str = "",
    source: str = LeadSource.MANUAL,
    campaign: str = "",
    owner: User | None = None,
    team: Team | None = None,
    submission_key: str | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Lead:
    """Create a lead (scored by the active rules); the same `submission_key` twice gives one lead."""
    from kunde.contacts.services import _check_owner
    from kunde.sales.scoring import rule_score

    if submission_key:
        existing = Lead.all_objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    owner = owner if owner is not None else actor
    _check_owner(actor, owner)
    email, phone = _clean_lead_contact(email, phone)
    if not (email or phone):
        raise ValidationError({"email": _("Give an e-mail address or a phone number.")})
    lead = Lead(
        name=name.strip(), company=company.strip(), email=email, phone=phone, message=message.strip(),
        source=source, campaign=campaign.strip(), owner=owner,
        team=team or (owner.primary_team if owner is not None else None),
        submission_key=submission_key or None, custom_fields=custom_fields or {},
    )
    lead.score = rule_score(lead)[0]
    record_create(actor=actor, instance=lead, event=LeadEvent.CREATED)
    return lead


LEAD_EDITABLE = {"name", "company", "email", "phone", "message", "source", "campaign", "owner", "team", "custom_fields"}


@transaction.atomic
def lead_update(*, actor: User | None, lead: Lead, changes: dict[str, Any], expected_version: int | None) -> Lead:
    from kunde.contacts.services import _check_owner
    from kunde.sales.scoring import rule_score

    unknown = set(changes) - LEAD_EDITABLE
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    changes = dict(changes)
    if "owner" in changes and changes["owner"] != lead.owner:
        _check_owner(actor, changes["owner"])
    if "email" in changes or "phone" in changes:
        changes["email"], changes["phone"] = _clean_lead_contact(
            changes.get("email", lead.email), changes.get("phone", lead.phone)
        )
    probe = Lead(**{**{name: getattr(lead, name) for name in ("email", "company", "phone", "message", "source",
                                                               "campaign")}, **{k: v for k, v in changes.items()
                                                                               if k not in ("owner", "team")}})
    changes["score"] = rule_score(probe)[0]
    return record_update(actor=actor, instance=lead, changes=changes, expected_version=expected_version,
                         event=LeadEvent.UPDATED)


def _require_open_lead(lead: Lead) -> None:
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError({"status": _("This lead has already been converted.")})


@transaction.atomic
def lead_qualify(*, actor: User | None, lead: Lead) -> Lead:
    _require_open_lead(lead)
    return record_update(actor=actor, instance=lead, changes={"status": LeadStatus.QUALIFIED, "disqualify_reason": ""},
                         expected_version=None, event=LeadEvent.QUALIFIED)


@transaction.atomic
def lead_disqualify(*, actor: User | None, lead: Lead, reason: str) -> Lead:
    _require_open_lead(lead)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the lead is disqualified.")})
    return record_update(actor=actor, instance=lead,
                         changes={"status": LeadStatus.DISQUALIFIED, "disqualify_reason": reason.strip()},
                         expected_version=None, event=LeadEvent.DISQUALIFIED)


def _split_name(name: str) -> tuple[str, str]:
    parts = name.strip().split()
    if len(parts) <= 1:
        return "", name.strip() or "?"
    return " ".join(parts[:-1]), parts[-1]


@transaction.atomic
def lead_convert(
    *,
    actor: User | None,
    lead: Lead,
    person: Person | None = None,
    organisation: Organisation | None = None,
    create_person: bool = True,
    create_organisation: bool = True,
    create_deal: bool = True,
    deal_title: str = "",
    amount: Decimal = Decimal("0"),
    currency: str = "EUR",
    pipeline: Pipeline | None = None,
    expected_close_date: dt.date | None = None,
) -> tuple[Person | None, Organisation | None, Deal | None]:
    """Turn a lead into person + organisation + deal in one transaction.

    `person` / `organisation` reuse existing records (the user chose them from
    `selectors.lead_matches`); otherwise they are created from the lead (unless
    `create_*` is off, or the lead names no company). Source and campaign go on the deal.
    """
    from kunde.contacts.services import employment_create, organisation_create, person_create
    from kunde.contacts.validators import normalize_phone

    require_permission(actor, Action.CHANGE, lead)
    current = lock(lead)
    _require_open_lead(current)
    _check_customer_visible(actor, person, organisation)
    owner = current.owner or actor
    if organisation is None and create_organisation and current.company:
        organisation = organisation_create(actor=actor, name=current.company, owner=owner, team=current.team)
    if person is None and create_person:
        first_name, last_name = _split_name(current.name)
        phones = []
        if current.phone:
            try:
                phones = [{"number": normalize_phone(current.phone)}]
            except ValidationError:
                phones = []
        person = person_create(
            actor=actor, first_name=first_name, last_name=last_name, owner=owner, team=current.team,
            emails=[{"email": current.email}] if current.email else [], phones=phones,
            organisation=organisation,
        )
    elif person is not None and organisation is not None:
        from kunde.contacts.models import Employment

        if not Employment.objects.current().filter(person=person, organisation=organisation).exists():
            employment_create(actor=actor, person=person, organisation=organisation)
    if person is None and organisation is None:
        raise ValidationError({"person": _("A converted lead needs a person or an organisation.")})
    deal = None
    if create_deal:
        deal = deal_create(
            actor=actor, title=deal_title.strip() or (current.company or current.name), organisation=organisation,
            person=person, amount=amount, currency=currency, pipeline=pipeline,
            expected_close_date=expected_close_date, source=current.source, campaign=current.campaign,
            lead=current, owner=owner, team=current.team,
        )
    converted = record_update(
        actor=actor, instance=current,
        changes={"status": LeadStatus.CONVERTED, "converted_at": timezone.now(), "person": person,
                 "organisation": organisation},
        expected_version=None, event=LeadEvent.CONVERTED,
    )
    activity_record(
        actor=None, kind=HistoryKind.LEAD_CONVERTED, person=person, organisation=organisation,
        subject=_("Lead converted: %(lead)s") % {"lead": converted}, related=converted,
        data={"lead_id": converted.pk, "deal_id": deal.pk if deal else None, "source": converted.source,
              "campaign": converted.campaign},
    )
    return person, organisation, deal


@transaction.atomic
def lead_delete(*, actor: User | None, lead: Lead) -> Lead:
    from kunde.core.services import record_soft_delete

    return record_soft_delete(actor=actor, instance=lead, event=LeadEvent.DELETED)


@transaction.atomic
def lost_reason_create(*, actor: User | None, key: str, label_en: str, label_de: str) -> LostReason:
    require_admin(actor)
    position = (LostReason.objects.aggregate(top=Max("position"))["top"] or 0) + 10
    reason = LostReason(key=key.strip(), label_en=label_en.strip(), label_de=label_de.strip(), position=position)
    reason.full_clean()
    reason.save()
    _audit_config(actor, reason, None)
    return reason


@transaction.atomic
def pipeline_update(*, actor: User | None, pipeline: Pipeline, name_en: str, name_de: str = "",
                    is_default: bool = False) -> Pipeline:
    require_admin(actor)
    before = snapshot(pipeline)
    if is_default and not pipeline.is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline.name_en, pipeline.name_de = name_en.strip(), name_de.strip()
    pipeline.is_default = is_default or pipeline.is_default
    pipeline.full_clean()
    pipeline.save()
    _audit_config(actor, pipeline, before)
    return pipeline


@transaction.atomic
def stage_delete(*, actor: User | None, stage: Stage) -> None:
    """Remove a stage no deal is in (deals must be moved first)."""
    require_admin(actor)
    if Deal.all_objects.filter(stage=stage).exists():
        raise ValidationError({"stage": _("Move the deals of this stage first.")})
    StageVisit.objects.filter(stage=stage).delete()
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=stage, extra={"stage": snapshot(stage)})
    stage.delete()


# --- lead forms and scoring rules (administrators) -------------------------------------


@transaction.atomic
def lead_form_save(
    *,
    actor: User | None,
    lead_form: LeadForm | None = None,
    key: str,
    name: str,
    campaign: str = "",
    owner: User | None = None,
    allowed_origins: str = "",
    thank_you: str = "",
    is_active: bool = True,
) -> LeadForm:
    """Create (or change) a public lead form; the sites that may embed it must be web origins."""
    require_admin(actor)
    instance = LeadForm() if lead_form is None else LeadForm.objects.select_for_update().get(pk=lead_form.pk)
    before = None if lead_form is None else snapshot(instance)
    instance.key, instance.name, instance.campaign = key.strip(), name.strip(), campaign.strip()
    instance.owner, instance.team = owner, owner.primary_team if owner is not None else None
    instance.allowed_origins, instance.thank_you, instance.is_active = allowed_origins, thank_you.strip(), is_active
    instance.full_clean()
    instance.save()
    _audit_config(actor, instance, before)
    return instance


@transaction.atomic
def scoring_rule_create(
    *, actor: User | None, field: str, condition: str, points: int, value: str = "", is_active: bool = True
) -> ScoringRule:
    """Add a lead scoring rule (administrators)."""
    require_admin(actor)
    rule = ScoringRule(field=field, condition=condition, value=value.strip(), points=points, is_active=is_active)
    rule.full_clean()
    rule.save()
    _audit_config(actor, rule, None)
    return rule


@transaction.atomic
def scoring_rule_delete(*, actor: User | None, rule: ScoringRule) -> None:
    """Remove a lead scoring rule (administrators); the audit entry keeps what it said."""
    require_admin(actor)
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=rule, extra={"rule": snapshot(rule)})
    rule.delete()
