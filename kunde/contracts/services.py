"""Writing plans and contracts: every change is validated, logged, on the customer's history and an event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.activities.services import activity_record
from kunde.commerce.money import decimal
from kunde.commerce.services import next_number
from kunde.contacts.models import Organisation, Person
from kunde.contracts import terms
from kunde.contracts.models import (
    INTERVAL_MONTHS,
    BillingInterval,
    CancellationReason,
    Contract,
    ContractChange,
    ContractSettings,
    ContractStatus,
    NoticeUnit,
    SubscriptionPlan,
)
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.exceptions import ConflictError
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, user_can
from kunde.core.services import (
    lock,
    record_create,
    record_update,
    require_admin,
    require_create,
    require_permission,
    validate,
)

NUMBER_PREFIX = "VT"
SUPPORTED_CURRENCIES = ("EUR",)


class ContractEvent:
    CREATED = "contracts.contract_created"
    UPDATED = "contracts.contract_updated"
    AMOUNT_CHANGED = "contracts.contract_amount_changed"
    PAUSED = "contracts.contract_paused"
    RESUMED = "contracts.contract_resumed"
    CANCELLED = "contracts.contract_cancelled"
    RENEWED = "contracts.contract_renewed"
    ENDED = "contracts.contract_ended"
    NOTICE_DEADLINE_NEAR = "contracts.notice_deadline_near"
    RENEWAL_NEAR = "contracts.renewal_near"
    PLAN_CREATED = "contracts.plan_created"
    PLAN_UPDATED = "contracts.plan_updated"
    PLAN_DELETED = "contracts.plan_deleted"


# History entry kinds on the customer's timeline (registered with labels in apps.py).
HISTORY_KINDS = {
    ContractChange.Kind.CREATED: "contracts.contract_created",
    ContractChange.Kind.UPGRADED: "contracts.contract_upgraded",
    ContractChange.Kind.DOWNGRADED: "contracts.contract_downgraded",
    ContractChange.Kind.PAUSED: "contracts.contract_paused",
    ContractChange.Kind.RESUMED: "contracts.contract_resumed",
    ContractChange.Kind.CANCELLED: "contracts.contract_cancelled",
    ContractChange.Kind.RENEWED: "contracts.contract_renewed",
    ContractChange.Kind.ENDED: "contracts.contract_ended",
}


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def _amount(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        amount = decimal(value, field)
    except ValueError:
        errors[field] = [_("Enter the amount as a number, e.g. 49.90.")]
        return Decimal(0)
    if amount < 0:
        errors[field] = [_("The amount must not be negative.")]
    elif amount != amount.quantize(Decimal("0.01")):
        errors[field] = [_("Give the amount in whole cents (at most two decimal places).")]
    return amount


def _currency(value: str, errors: dict[str, list[str]]) -> str:
    currency = (value or "EUR").strip().upper()
    if currency not in SUPPORTED_CURRENCIES:
        errors["currency"] = [_("Contracts are kept in EUR only (MRR and ARR add up in one currency).")]
    return currency


def _mrr(amount: Decimal, interval: str, *, counting: bool = True) -> Decimal:
    """The monthly-normalised amount to four places (0 when the contract does not count)."""
    if not counting:
        return Decimal(0)
    return (amount / INTERVAL_MONTHS[BillingInterval(interval)]).quantize(Decimal("0.0001"))


def _contract_mrr(contract: Contract) -> Decimal:
    counting = contract.status != ContractStatus.ENDED and contract.paused_on is None
    return _mrr(contract.amount, contract.billing_interval, counting=counting)


def _log(contract: Contract, kind: str, *, actor: User | None, effective_on: dt.date, amount_before: Decimal,
         mrr_before: Decimal, reason: CancellationReason | None = None, note: str = "") -> ContractChange:
    change = ContractChange(
        contract=contract, kind=kind, effective_on=effective_on, actor=actor, reason=reason, note=note[:500],
        amount_before=amount_before, amount_after=contract.amount, mrr_before=mrr_before,
        mrr_after=_contract_mrr(contract) if kind not in (ContractChange.Kind.CANCELLED,
                                                         ContractChange.Kind.ENDED) else Decimal(0),
        term_end_after=contract.current_term_end)
    change.save(force_insert=True)
    return change


def _history(contract: Contract, kind: str, subject: str, *, actor: User | None, change: ContractChange | None = None,
             data: dict[str, Any] | None = None, on: dt.date | None = None) -> None:
    """Write the step on the customer's timeline (as the system when the actor may only change the contract).

    `on` dates a step recorded afterwards (a contract entered late, a past term end) on its own day.
    """
    writer = actor if actor is not None and any(
        customer is not None and user_can(actor, Action.CHANGE, customer)
        for customer in (contract.person, contract.organisation)) else None
    payload = {"contract_id": contract.pk, "number": contract.number, **(data or {})}
    if change is not None:
        payload.update(change_id=change.pk, amount_before=str(change.amount_before),
                       amount_after=str(change.amount_after), effective_on=change.effective_on.isoformat())
    today = timezone.localdate()
    occurred_at = timezone.make_aware(dt.datetime.combine(on, dt.time(12))) if on is not None and on < today else None
    activity_record(actor=writer, kind=kind, person=contract.person, organisation=contract.organisation,
                    subject=subject, related=contract, data=payload, occurred_at=occurred_at)


def _emit(event: str, contract: Contract, **extra: Any) -> None:
    emit_on_commit(event, id=contract.pk, person_id=contract.person_id, organisation_id=contract.organisation_id,
                   **extra)


def _locked(actor: User | None, contract: Contract, expected_version: int | None) -> Contract:
    require_permission(actor, Action.CHANGE, contract)
    current = lock(contract)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(expected=expected_version, current=current)
    return current


def _save(actor: User | None, contract: Contract, before: dict[str, Any]) -> Contract:
    validate(contract)
    contract.version += 1
    contract.save()
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=contract, before=before,
                 after=snapshot(contract))
    return contract


def _effective(on: dt.date | None, contract: Contract, field: str = "effective_on") -> dt.date:
    day = _today(on)
    if day > timezone.localdate():
        raise ValidationError({field: [_("The change cannot take effect in the future; record it on the day.")]})
    if day < contract.start_date:
        raise ValidationError({field: [_("The change cannot take effect before the contract starts.")]})
    return day


def _refresh_deadline(contract: Contract) -> None:
    contract.notice_deadline = terms.notice_deadline(contract.current_term_end, contract.notice_period,
                                                     contract.notice_unit)


def _money_text(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


# --- plans ------------------------------------------------------------------------------


PLAN_FIELDS = ("name", "description", "billing_interval", "amount", "currency", "default_term_months",
               "default_notice_period", "default_notice_unit", "default_auto_renew", "is_active")


def _plan_fields(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    unknown = set(fields) - set(PLAN_FIELDS)
    for name in sorted(unknown):
        errors[name] = [_("This field cannot be set here.")]
    if "amount" in fields:
        fields["amount"] = _amount(fields["amount"], "amount", errors)
    if "currency" in fields:
        fields["currency"] = _currency(fields["currency"], errors)
    if "name" in fields:
        fields["name"] = str(fields["name"] or "").strip()
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def plan_create(*, actor: User | None, **fields: Any) -> SubscriptionPlan:
    """Add a subscription plan (administrators)."""
    require_admin(actor)
    fields = _plan_fields(fields)
    return record_create(actor=actor, instance=SubscriptionPlan(**fields), event=ContractEvent.PLAN_CREATED)


@transaction.atomic
def plan_update(*, actor: User | None, plan: SubscriptionPlan, changes: dict[str, Any]) -> SubscriptionPlan:
    """Change a plan (administrators); contracts keep the terms they were made with."""
    require_admin(actor)
    changes = _plan_fields(dict(changes))
    current = SubscriptionPlan.objects.select_for_update().get(pk=plan.pk)
    before = snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    validate(current)
    current.save()
    after = snapshot(current)
    if before != after:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current, before=before, after=after)
        emit_on_commit(ContractEvent.PLAN_UPDATED, id=current.pk)
    return current


@transaction.atomic
def plan_delete(*, actor: User | None, plan: SubscriptionPlan) -> None:
    """Delete a plan no contract uses (administrators); a plan in use can only be switched inactive."""
    require_admin(actor)
    if Contract.all_objects.filter(plan=plan).exists():
        raise ValidationError({"plan": [_("Contracts use this plan: switch it inactive instead of deleting it.")]})
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=plan, before=snapshot(plan))
    emit_on_commit(ContractEvent.PLAN_DELETED, id=plan.pk)
    plan.delete()


@transaction.atomic
def cancellation_reason_create(*, actor: User | None, key: str, label_en: str, label_de: str,
                               position: int = 0) -> CancellationReason:
    """Add a cancellation reason to the list users choose from (administrators)."""
    require_admin(actor)
    reason = CancellationReason(key=key.strip(), label_en=label_en.strip(), label_de=label_de.strip(),
                                position=position)
    validate(reason)
    reason.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=reason, after=snapshot(reason))
    return reason


@transaction.atomic
def contract_settings_update(*, actor: User | None, renewal_reminder_days: int,
                             notice_reminder_days: int) -> ContractSettings:
    """Set how many days ahead owners are reminded of term ends and notice deadlines (administrators)."""
    require_admin(actor)
    settings = ContractSettings.load()
    before = snapshot(settings)
    settings.renewal_reminder_days, settings.notice_reminder_days = renewal_reminder_days, notice_reminder_days
    validate(settings)
    settings.save()
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=settings, before=before,
                 after=snapshot(settings))
    return settings


# --- contracts --------------------------------------------------------------------------


def _first_term_end(start: dt.date, term_months: int, renewal_months: int, auto_renew: bool,
                    today: dt.date) -> tuple[dt.date, int]:
    """The end of the term running today, and how many renewals lie between the start and today."""
    end = terms.term_end(start, term_months)
    renewals = 0
    while auto_renew and end < today:
        end = terms.next_term_end(end, renewal_months)
        renewals += 1
    return end, renewals


@transaction.atomic
def contract_create(
    *,
    actor: User | None,
    title: str = "",
    start_date: dt.date | None = None,
    person: Person | None = None,
    organisation: Organisation | None = None,
    plan: SubscriptionPlan | None = None,
    term_months: int | None = None,
    notice_period: int | None = None,
    notice_unit: str | None = None,
    auto_renew: bool | None = None,
    renewal_term_months: int | None = None,
    billing_interval: str | None = None,
    amount: Any = None,
    currency: str | None = None,
    owner: User | None = None,
    notes: str = "",
    as_of: dt.date | None = None,
) -> Contract:
    """Enter a contract, numbered VT-<year>-NNNN; what is not given comes from the plan.

    A contract entered after the notice deadline of its running term is flagged
    (`notice_deadline_missed`): it can only be ended at the following term end.
    `as_of` records it as if entered on that past day (demo data, replaying an import).
    """
    require_create(actor)
    today = min(as_of, timezone.localdate()) if as_of else timezone.localdate()
    errors: dict[str, list[str]] = {}
    if person is None and organisation is None:
        errors["customer"] = [_("Give a person or an organisation (or both).")]
    for customer in (person, organisation):
        if customer is not None and actor is not None and not user_can(actor, Action.VIEW, customer):
            errors["customer"] = [_("Unknown customer.")]
    if plan is not None and not plan.is_active:
        errors["plan"] = [_("This plan is no longer offered.")]
    start_date = start_date or today
    term_months = term_months if term_months is not None else (plan.default_term_months if plan else 12)
    renewal_term_months = renewal_term_months or term_months
    notice_period = notice_period if notice_period is not None else (plan.default_notice_period if plan else 30)
    notice_unit = notice_unit or (plan.default_notice_unit if plan else NoticeUnit.DAYS)
    auto_renew = auto_renew if auto_renew is not None else (plan.default_auto_renew if plan else True)
    billing_interval = billing_interval or (plan.billing_interval if plan else BillingInterval.MONTHLY)
    parsed_amount = _amount(amount if amount is not None else (plan.amount if plan else None), "amount", errors)
    currency = _currency(currency or (plan.currency if plan else "EUR"), errors)
    title = (title or (plan.name if plan else "")).strip()
    if not title:
        errors["title"] = [_("Give the contract a title (or choose a plan).")]
    if not 1 <= term_months <= 120:
        errors["term_months"] = [_("The term must lie between 1 and 120 months.")]
    if not 1 <= renewal_term_months <= 120:
        errors["renewal_term_months"] = [_("The renewal term must lie between 1 and 120 months.")]
    if notice_unit not in NoticeUnit.values:
        errors["notice_unit"] = [_("Give the notice period in days or months.")]
    if billing_interval not in BillingInterval.values:
        errors["billing_interval"] = [_("Choose monthly, quarterly or yearly billing.")]
    if errors:
        raise ValidationError(errors)
    current_end, renewals = _first_term_end(start_date, term_months, renewal_term_months, auto_renew, today)
    if current_end < today:
        raise ValidationError({"start_date": [_(
            "A contract without automatic renewal starting on this date ended on %(end)s; enter a later start "
            "or switch on automatic renewal.") % {"end": current_end.isoformat()}]})
    deadline = terms.notice_deadline(current_end, notice_period, notice_unit)
    if deadline < start_date:
        raise ValidationError({"notice_period": [_(
            "The notice period is longer than the term: notice would be due before the contract starts.")]})
    customer = person or organisation
    owner = owner or actor or (customer.owner if customer is not None else None)
    team = (customer.team if customer is not None and customer.team_id else None) or (
        owner.primary_team if owner is not None else None)
    contract = Contract(
        number=next_number(NUMBER_PREFIX, start_date), person=person, organisation=organisation, plan=plan,
        title=title[:200], start_date=start_date, term_months=term_months, current_term_end=current_end,
        notice_period=notice_period, notice_unit=notice_unit, notice_deadline=deadline, auto_renew=auto_renew,
        renewal_term_months=renewal_term_months, billing_interval=billing_interval, amount=parsed_amount,
        currency=currency, notice_deadline_missed=deadline < today, notes=notes, owner=owner, team=team)
    validate(contract)
    contract.save(force_insert=True)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=contract, after=snapshot(contract))
    change = _log(contract, ContractChange.Kind.CREATED, actor=actor, effective_on=start_date,
                  amount_before=Decimal(0), mrr_before=Decimal(0),
                  note=_("%(count)s renewals before it was entered") % {"count": renewals} if renewals else "")
    _history(contract, HISTORY_KINDS[ContractChange.Kind.CREATED], _(
        "Contract %(number)s: %(title)s, %(amount)s per %(interval)s") % {
        "number": contract.number, "title": contract.title, "amount": _money_text(contract.amount, currency),
        "interval": contract.get_billing_interval_display()}, actor=actor, change=change,
        data={"notice_deadline_missed": contract.notice_deadline_missed}, on=start_date)
    _emit(ContractEvent.CREATED, contract)
    return contract


UPDATE_FIELDS = ("title", "notes", "plan", "notice_period", "notice_unit", "auto_renew", "renewal_term_months",
                 "owner", "team")


@transaction.atomic
def contract_update(*, actor: User | None, contract: Contract, changes: dict[str, Any],
                    expected_version: int | None) -> Contract:
    """Correct a contract's title, notes, plan, notice terms, renewal terms or owner.

    Amount, status and term end change only through their own steps (upgrade, pause,
    cancel, renew), so that the change log stays complete.
    """
    unknown = set(changes) - set(UPDATE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here; use the contract's actions.")]
                               for name in sorted(unknown)})
    if "notice_unit" in changes and changes["notice_unit"] not in NoticeUnit.values:
        raise ValidationError({"notice_unit": [_("Give the notice period in days or months.")]})
    if "title" in changes:
        changes["title"] = str(changes["title"] or "").strip()
        if not changes["title"]:
            raise ValidationError({"title": [_("Give the contract a title.")]})
    if "notice_period" in changes or "notice_unit" in changes:
        period = changes.get("notice_period", contract.notice_period)
        unit = changes.get("notice_unit", contract.notice_unit)
        changes["notice_deadline"] = terms.notice_deadline(contract.current_term_end, period, unit)
    updated = record_update(actor=actor, instance=contract, changes=changes, expected_version=expected_version,
                            event=ContractEvent.UPDATED)
    return updated


@transaction.atomic
def contract_change_amount(*, actor: User | None, contract: Contract, amount: Any, on: dt.date | None = None,
                           note: str = "", expected_version: int | None = None) -> Contract:
    """Upgrade or downgrade: a new amount per interval from `on` (default today)."""
    current = _locked(actor, contract, expected_version)
    errors: dict[str, list[str]] = {}
    new_amount = _amount(amount, "amount", errors)
    if errors:
        raise ValidationError(errors)
    if current.status == ContractStatus.ENDED:
        raise ValidationError({"status": [_("An ended contract cannot change; enter a new one.")]})
    if new_amount == current.amount:
        raise ValidationError({"amount": [_("The amount is already %(amount)s.") % {
            "amount": _money_text(current.amount, current.currency)}]})
    day = _effective(on, current)
    before, amount_before, mrr_before = snapshot(current), current.amount, _contract_mrr(current)
    current.amount = new_amount
    _save(actor, current, before)
    kind = ContractChange.Kind.UPGRADED if new_amount > amount_before else ContractChange.Kind.DOWNGRADED
    change = _log(current, kind, actor=actor, effective_on=day, amount_before=amount_before, mrr_before=mrr_before,
                  note=note)
    subject = (_("Contract %(number)s upgraded: %(before)s → %(after)s") if kind == ContractChange.Kind.UPGRADED
               else _("Contract %(number)s downgraded: %(before)s → %(after)s")) % {
        "number": current.number, "before": _money_text(amount_before, current.currency),
        "after": _money_text(new_amount, current.currency)}
    _history(current, HISTORY_KINDS[kind], subject, actor=actor, change=change, on=day)
    _emit(ContractEvent.AMOUNT_CHANGED, current, change_id=change.pk, kind=kind)
    return current


@transaction.atomic
def contract_pause(*, actor: User | None, contract: Contract, on: dt.date | None = None, note: str = "",
                   expected_version: int | None = None) -> Contract:
    """Pause billing from `on`: the contract counts 0 in MRR until resumed; its term runs on."""
    current = _locked(actor, contract, expected_version)
    if current.status != ContractStatus.ACTIVE:
        raise ValidationError({"status": [_("Only an active contract can be paused.")]})
    day = _effective(on, current)
    before, mrr_before = snapshot(current), _contract_mrr(current)
    current.status, current.paused_on = ContractStatus.PAUSED, day
    _save(actor, current, before)
    change = _log(current, ContractChange.Kind.PAUSED, actor=actor, effective_on=day, amount_before=current.amount,
                  mrr_before=mrr_before, note=note)
    _history(current, HISTORY_KINDS[ContractChange.Kind.PAUSED],
             _("Contract %(number)s paused") % {"number": current.number}, actor=actor, change=change, on=day)
    _emit(ContractEvent.PAUSED, current, change_id=change.pk)
    return current


@transaction.atomic
def contract_resume(*, actor: User | None, contract: Contract, on: dt.date | None = None, note: str = "",
                    expected_version: int | None = None) -> Contract:
    """Resume a paused contract: it counts in MRR again from `on`."""
    current = _locked(actor, contract, expected_version)
    if current.paused_on is None or current.status == ContractStatus.ENDED:
        raise ValidationError({"status": [_("Only a paused contract can be resumed.")]})
    day = _effective(on, current)
    if day < current.paused_on:
        raise ValidationError({"effective_on": [_("A contract cannot resume before it was paused.")]})
    before = snapshot(current)
    current.paused_on = None
    if current.status == ContractStatus.PAUSED:
        current.status = ContractStatus.ACTIVE
    _save(actor, current, before)
    change = _log(current, ContractChange.Kind.RESUMED, actor=actor, effective_on=day, amount_before=current.amount,
                  mrr_before=Decimal(0), note=note)
    _history(current, HISTORY_KINDS[ContractChange.Kind.RESUMED],
             _("Contract %(number)s resumed") % {"number": current.number}, actor=actor, change=change, on=day)
    _emit(ContractEvent.RESUMED, current, change_id=change.pk)
    return current


def cancellation_end(contract: Contract, received_on: dt.date) -> dt.date:
    """The last day of a contract given notice on `received_on`: this term's end when the notice is in time,
    else the end of the following term (the notice deadline has passed)."""
    if received_on <= contract.notice_deadline or not contract.auto_renew:
        return contract.current_term_end
    end = contract.current_term_end
    deadline = contract.notice_deadline
    while received_on > deadline:
        end = terms.next_term_end(end, contract.renewal_term_months)
        deadline = terms.notice_deadline(end, contract.notice_period, contract.notice_unit)
    return end


@transaction.atomic
def contract_cancel(*, actor: User | None, contract: Contract, reason: CancellationReason | None,
                    received_on: dt.date | None = None, immediate: bool = False, note: str = "",
                    expected_version: int | None = None) -> Contract:
    """Record the customer's notice with a reason.

    The notice period is respected: the contract runs to the end of its term (or, when
    the notice came after the deadline, to the end of the next term). `immediate` ends it
    on `received_on` instead, when both sides agreed to that.
    """
    current = _locked(actor, contract, expected_version)
    errors: dict[str, list[str]] = {}
    if reason is None or not reason.is_active:
        errors["reason"] = [_("Choose why the customer cancelled.")]
    if current.status not in (ContractStatus.ACTIVE, ContractStatus.PAUSED):
        errors["status"] = [_("This contract is already cancelled or ended.")]
    if errors:
        raise ValidationError(errors)
    day = _effective(received_on, current, "received_on")
    before, mrr_before = snapshot(current), _contract_mrr(current)
    ends_on = day if immediate else cancellation_end(current, day)
    current.cancelled_on, current.cancellation_reason, current.ends_on = day, reason, ends_on
    current.status = ContractStatus.ENDED if immediate else ContractStatus.CANCELLED
    _save(actor, current, before)
    change = _log(current, ContractChange.Kind.CANCELLED, actor=actor, effective_on=ends_on,
                  amount_before=current.amount, mrr_before=mrr_before, reason=reason, note=note)
    subject = _("Contract %(number)s cancelled (%(reason)s), ends on %(end)s") % {
        "number": current.number, "reason": reason, "end": ends_on.isoformat()}
    _history(current, HISTORY_KINDS[ContractChange.Kind.CANCELLED], subject, actor=actor, change=change,
             data={"reason": reason.key if reason else "", "immediate": immediate}, on=day)
    _emit(ContractEvent.CANCELLED, current, change_id=change.pk, ends_on=ends_on.isoformat(), immediate=immediate)
    return current


@transaction.atomic
def contract_renew(*, actor: User | None, contract: Contract, months: int | None = None, note: str = "",
                   expected_version: int | None = None) -> Contract:
    """Extend the contract by one term (default: its renewal term) after its current term end."""
    current = _locked(actor, contract, expected_version)
    if current.status not in (ContractStatus.ACTIVE, ContractStatus.PAUSED):
        raise ValidationError({"status": [_("Only an active or paused contract can be renewed.")]})
    months = months or current.renewal_term_months
    if not 1 <= months <= 120:
        raise ValidationError({"months": [_("The renewal term must lie between 1 and 120 months.")]})
    return _extend(actor, current, months, note=note)


def _extend(actor: User | None, current: Contract, months: int, *, note: str = "") -> Contract:
    before, mrr_before = snapshot(current), _contract_mrr(current)
    new_term_start = current.current_term_end + dt.timedelta(days=1)
    current.current_term_end = terms.next_term_end(current.current_term_end, months)
    _refresh_deadline(current)
    current.notice_deadline_missed = False
    _save(actor, current, before)
    change = _log(current, ContractChange.Kind.RENEWED, actor=actor, effective_on=new_term_start,
                  amount_before=current.amount, mrr_before=mrr_before, note=note)
    _history(current, HISTORY_KINDS[ContractChange.Kind.RENEWED], _(
        "Contract %(number)s renewed until %(end)s") % {"number": current.number,
                                                        "end": current.current_term_end.isoformat()},
             actor=actor, change=change, on=new_term_start)
    _emit(ContractEvent.RENEWED, current, change_id=change.pk, term_end=current.current_term_end.isoformat())
    return current


def _end(current: Contract) -> Contract:
    """End a contract after its last day (a cancelled one, or one that does not renew)."""
    before, mrr_before = snapshot(current), _contract_mrr(current)
    was_cancelled = current.status == ContractStatus.CANCELLED
    current.ends_on = current.ends_on or current.current_term_end
    current.status = ContractStatus.ENDED
    _save(None, current, before)
    # A cancelled contract's MRR drop is already in the log (its cancellation); this entry only marks the end.
    change = _log(current, ContractChange.Kind.ENDED, actor=None, effective_on=current.ends_on,
                  amount_before=current.amount, mrr_before=Decimal(0) if was_cancelled else mrr_before)
    _history(current, HISTORY_KINDS[ContractChange.Kind.ENDED],
             _("Contract %(number)s ended on %(end)s") % {"number": current.number, "end": current.ends_on.isoformat()},
             actor=None, change=change, on=current.ends_on + dt.timedelta(days=1))
    _emit(ContractEvent.ENDED, current, change_id=change.pk)
    return current


@transaction.atomic
def contract_process_term_end(*, contract: Contract, today: dt.date | None = None) -> Contract:
    """At a term end (system): renew automatically, run a late-cancelled contract into its last term, or end it."""
    today = _today(today)
    current = lock(contract)
    while current.status in (ContractStatus.ACTIVE, ContractStatus.PAUSED, ContractStatus.CANCELLED) and (
            current.current_term_end < today):
        cancelled = current.status == ContractStatus.CANCELLED
        if cancelled and current.ends_on is not None and current.ends_on > current.current_term_end:
            _extend(None, current, current.renewal_term_months)  # notice came late: one more term, then it ends
        elif not cancelled and current.auto_renew:
            _extend(None, current, current.renewal_term_months)
        else:
            _end(current)
    return current
