"""Writes of retention: plans with their causes, instruments and partners; binding-cause overrides.

Nested rows are given as lists of dicts and replace the plan's rows as a whole, in the
plan's transaction: a bad row refuses the whole write (errors located as
`instruments.1.linked_type`) and nothing stored changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.audience.models import Segment
from kunde.contacts.models import Organisation, Person
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action
from kunde.core.services import (
    record_create,
    record_soft_delete,
    record_update,
    require_create,
    require_permission,
    validate,
)
from kunde.retention import instruments as instrument_links
from kunde.retention.causes import BindingCause
from kunde.retention.models import (
    CareCadence,
    CustomerBindingCause,
    InstrumentKind,
    PlanCause,
    PlanInstrument,
    PlanPartner,
    RetentionPlan,
)


class RetentionEvent:
    PLAN_CREATED = "retention.plan_created"
    PLAN_UPDATED = "retention.plan_updated"
    PLAN_DELETED = "retention.plan_deleted"
    BINDING_CAUSE_SET = "retention.binding_cause_set"
    CARE_TASK_CREATED = "retention.care_task_created"
    FIGURES_COMPUTED = "retention.plan_figures_computed"


HISTORY_CAUSE_SET = "retention.binding_cause_set"
PLAN_FIELDS = ("name", "status", "description", "binding_object", "binding_product", "binding_category",
               "binding_staff", "binding_brand", "segment", "cadence", "interval_days", "starts_on", "ends_on",
               "budget_per_year", "holdout_percent", "owner", "team")


# ---------------------------------------------------------------- nested rows

def _decimal(value: Any, path: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        errors.setdefault(path, []).append(_("Enter an amount in EUR, e.g. 12.50."))
        return Decimal(0)
    if amount < 0 or not amount.is_finite():
        errors.setdefault(path, []).append(_("A cost cannot be negative."))
    return amount


def _build_causes(plan: RetentionPlan, rows: list[dict[str, Any]], errors: dict[str, list[str]]) -> list[PlanCause]:
    built, seen = [], set()
    for index, row in enumerate(rows):
        cause = row.get("cause")
        if cause not in BindingCause.values:
            errors.setdefault(f"causes.{index}.cause", []).append(
                _("Unknown binding cause; use one of: %(known)s") % {"known": ", ".join(BindingCause.values)})
            continue
        if cause in seen:
            errors.setdefault(f"causes.{index}.cause", []).append(_("This cause is listed twice."))
        seen.add(cause)
        weight = row.get("weight", 50)
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
            errors.setdefault(f"causes.{index}.weight", []).append(_("The weight is a whole number from 0 to 100."))
            continue
        built.append(PlanCause(plan=plan, cause=cause, weight=weight, note=str(row.get("note") or "")[:300]))
    return built


def _build_instruments(actor: Any, plan: RetentionPlan, rows: list[dict[str, Any]],
                       errors: dict[str, list[str]]) -> list[PlanInstrument]:
    built = []
    for index, row in enumerate(rows):
        path = f"instruments.{index}"
        kind = row.get("kind")
        if kind not in InstrumentKind.values:
            errors.setdefault(f"{path}.kind", []).append(
                _("Unknown instrument kind; use one of: %(known)s") % {"known": ", ".join(InstrumentKind.values)})
            continue
        instrument = PlanInstrument(
            plan=plan, kind=kind, name=str(row.get("name") or "").strip() or str(InstrumentKind(kind).label),
            monthly_cost=_decimal(row.get("monthly_cost"), f"{path}.monthly_cost", errors),
            one_off_cost=_decimal(row.get("one_off_cost"), f"{path}.one_off_cost", errors), position=index)
        linked_id = row.get("linked_id")
        linked_type = row.get("linked_type")
        if linked_id is not None or linked_type:
            if linked_type:
                app_label, _dot, model = str(linked_type).lower().partition(".")
                content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
                if content_type is None:
                    errors.setdefault(f"{path}.linked_type", []).append(
                        _("Unknown object type “%(type)s”.") % {"type": linked_type})
                    continue
            else:
                content_type = instrument_links.content_type_for(kind)
            if isinstance(linked_id, bool) or not isinstance(linked_id, int) or linked_id < 1:
                errors.setdefault(f"{path}.linked_id", []).append(_("Give the id of the executing object."))
                continue
            instrument.linked_type = content_type
            instrument.linked_id = linked_id
        try:
            instrument.clean()
            _check_linked_visible(actor, instrument)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(f"{path}.{field}", []).extend(messages)
            continue
        built.append(instrument)
    return built


def _check_linked_visible(actor: Any, instrument: PlanInstrument) -> None:
    """A plan may only name an executing object its author may see (scoped models only)."""
    target = instrument_links.linked_object(instrument)
    if actor is None or target is None:
        return
    manager: Any = type(target)._default_manager
    if hasattr(manager.all(), "for_user") and not manager.all().for_user(actor).filter(pk=target.pk).exists():
        raise ValidationError({"linked_id": _("There is no %(model)s #%(id)s.") % {
            "model": instrument_links.EXECUTED_BY[instrument.kind], "id": instrument.linked_id}})


def _build_partners(actor: Any, plan: RetentionPlan, rows: list[dict[str, Any]],
                    errors: dict[str, list[str]]) -> list[PlanPartner]:
    built, seen = [], set()
    visible = Organisation.objects.for_user(actor) if actor is not None else Organisation.objects.all()
    for index, row in enumerate(rows):
        organisation_id = row.get("organisation")
        organisation = visible.filter(pk=organisation_id).first() if isinstance(organisation_id, int) else None
        if organisation is None:
            errors.setdefault(f"partners.{index}.organisation", []).append(_("Unknown organisation."))
            continue
        if organisation.pk in seen:
            errors.setdefault(f"partners.{index}.organisation", []).append(_("This partner is listed twice."))
        seen.add(organisation.pk)
        role = str(row.get("role") or "").strip()
        if not role:
            errors.setdefault(f"partners.{index}.role", []).append(_("Say what the partner does in the plan."))
            continue
        built.append(PlanPartner(plan=plan, organisation=organisation, role=role[:200]))
    return built


def _check_segment(actor: Any, segment: Any) -> None:
    if segment is None:
        raise ValidationError({"segment": [_("Choose the target group (a segment).")]})
    if actor is not None and not Segment.objects.for_user(actor).filter(pk=segment.pk).exists():
        raise ValidationError({"segment": [_("Unknown segment.")]})


def _replace_children(actor: Any, plan: RetentionPlan, causes: list[dict[str, Any]] | None,
                      instruments: list[dict[str, Any]] | None, partners: list[dict[str, Any]] | None) -> None:
    errors: dict[str, list[str]] = {}
    new_causes = _build_causes(plan, causes, errors) if causes is not None else None
    new_instruments = _build_instruments(actor, plan, instruments, errors) if instruments is not None else None
    new_partners = _build_partners(actor, plan, partners, errors) if partners is not None else None
    if errors:
        raise ValidationError(errors)
    if new_causes is not None:
        PlanCause.objects.filter(plan=plan).delete()
        PlanCause.objects.bulk_create(new_causes)
    if new_instruments is not None:
        PlanInstrument.objects.filter(plan=plan).delete()
        PlanInstrument.objects.bulk_create(new_instruments)
    if new_partners is not None:
        PlanPartner.objects.filter(plan=plan).delete()
        PlanPartner.objects.bulk_create(new_partners)


# ---------------------------------------------------------------- plans

@transaction.atomic
def plan_create(*, actor: Any, name: str, segment: Segment, causes: list[dict[str, Any]] | None = None,
                instruments: list[dict[str, Any]] | None = None, partners: list[dict[str, Any]] | None = None,
                **fields: Any) -> RetentionPlan:
    """Create a plan with its causes, instruments and partners; all or nothing."""
    require_create(actor)
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field does not exist.")] for name in sorted(unknown)})
    _check_segment(actor, segment)
    owner = fields.pop("owner", None) or (actor if getattr(actor, "pk", None) else None)
    team = fields.pop("team", None) or (owner.primary_team if owner is not None else None)
    plan = RetentionPlan(name=(name or "").strip(), segment=segment, owner=owner, team=team, **fields)
    record_create(actor=actor, instance=plan, event=RetentionEvent.PLAN_CREATED)
    _replace_children(actor, plan, causes or [], instruments or [], partners or [])
    return plan


@transaction.atomic
def plan_update(*, actor: Any, plan: RetentionPlan, changes: dict[str, Any], expected_version: int | None = None,
                causes: list[dict[str, Any]] | None = None, instruments: list[dict[str, Any]] | None = None,
                partners: list[dict[str, Any]] | None = None) -> RetentionPlan:
    """Change a plan; lists given replace its causes, instruments or partners (version-checked)."""
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field does not exist.")] for name in sorted(unknown)})
    if "segment" in changes:
        _check_segment(actor, changes["segment"])
    require_permission(actor, Action.CHANGE, plan)
    nested_change = any(rows is not None for rows in (causes, instruments, partners))
    updated = record_update(actor=actor, instance=plan, changes=changes, expected_version=expected_version,
                            event=RetentionEvent.PLAN_UPDATED)
    if nested_change:
        _replace_children(actor, updated, causes, instruments, partners)
        # record_update already gave the plan a new version; the audit names the replaced lists.
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=updated,
                     extra={"replaced": [name for name, rows in (("causes", causes), ("instruments", instruments),
                                                                 ("partners", partners)) if rows is not None]})
        emit_on_commit(RetentionEvent.PLAN_UPDATED, id=updated.pk)
    return updated


def plan_delete(*, actor: Any, plan: RetentionPlan) -> RetentionPlan:
    """Soft-delete a plan (restorable); its care cadences stop with it."""
    return record_soft_delete(actor=actor, instance=plan, event=RetentionEvent.PLAN_DELETED)


# ---------------------------------------------------------------- care cadences

@transaction.atomic
def care_cadence_create(*, actor: Any, plan: RetentionPlan, name: str, every_days: int, task_subject: str,
                        due_days: int = 14) -> CareCadence:
    """Add a personal-care cadence to a plan (it becomes executable as a "care" instrument)."""
    require_permission(actor, Action.CHANGE, plan)
    cadence = CareCadence(plan=plan, name=name.strip(), every_days=every_days, task_subject=task_subject.strip(),
                          due_days=due_days)
    validate(cadence)
    cadence.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=cadence, after=snapshot(cadence))
    return cadence


# ---------------------------------------------------------------- binding causes per customer

@transaction.atomic
def customer_cause_set(*, actor: Any, customer: Person | Organisation, cause: str, is_bound: bool | None,
                       note: str = "") -> CustomerBindingCause | None:
    """Assert (or deny) that `cause` binds `customer`; `is_bound=None` removes the override.

    Written on the customer's timeline, so everyone who serves them sees who said so.
    """
    if cause not in BindingCause.values:
        raise ValidationError({"cause": [_("Unknown binding cause; use one of: %(known)s")
                                         % {"known": ", ".join(BindingCause.values)}]})
    require_permission(actor, Action.CHANGE, customer)
    field = "person" if isinstance(customer, Person) else "organisation"
    existing = CustomerBindingCause.objects.select_for_update().filter(**{field: customer, "cause": cause}).first()
    label = BindingCause(cause).label
    from kunde.activities.services import activity_record

    if is_bound is None:
        if existing is None:
            return None
        removed = snapshot(existing)
        existing.delete()
        audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=existing, before=removed)
        subject = _("Binding cause “%(cause)s” reset to the derived value") % {"cause": label}
        row = None
    else:
        row = existing or CustomerBindingCause(**{field: customer}, cause=cause)
        before: dict[str, Any] | None = snapshot(row) if existing is not None else None
        row.is_bound, row.note = bool(is_bound), (note or "").strip()[:300]
        row.set_by = actor if getattr(actor, "pk", None) else None
        row.set_at = timezone.now()
        validate(row)
        row.save()
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE if existing else AuditEntry.Action.CREATE,
                     instance=row, before=before, after=snapshot(row))
        subject = (_("Binding cause “%(cause)s” confirmed") if is_bound
                   else _("Binding cause “%(cause)s” ruled out")) % {"cause": label}
    person = customer if isinstance(customer, Person) else None
    organisation = customer if isinstance(customer, Organisation) else None
    activity_record(actor=actor, kind=HISTORY_CAUSE_SET, subject=subject, notes=(note or "").strip(),
                    person=person, organisation=organisation, data={"cause": cause, "bound": is_bound})
    emit_on_commit(RetentionEvent.BINDING_CAUSE_SET, cause=cause, bound=is_bound,
                   **{f"{field}_id": customer.pk})
    return row


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)
