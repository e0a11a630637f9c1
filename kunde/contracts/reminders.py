"""The daily contract work: renewals and endings at term end, and reminder tasks for owners, each once."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from kunde.activities.services import task_create
from kunde.contracts.models import Contract, ContractReminder, ContractSettings, ContractStatus
from kunde.contracts.services import ContractEvent, contract_process_term_end
from kunde.core.events import emit_on_commit

logger = logging.getLogger("kunde.contracts")

REMINDABLE = (ContractStatus.ACTIVE, ContractStatus.PAUSED)


@dataclass
class DailyResult:
    renewed_or_ended: int = 0
    notice_reminders: int = 0
    renewal_reminders: int = 0
    failed: int = 0


def _due_at(day: dt.date) -> dt.datetime:
    """09:00 on `day`, but never in the past: a reminder created later that day is due now."""
    due = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    return max(due, timezone.now())


def _remind(contract: Contract, kind: str, due_on: dt.date, subject: str) -> bool:
    """Create the reminder task once per contract, kind and term; False when it exists already."""
    try:
        with transaction.atomic():
            reminder = ContractReminder.objects.create(contract=contract, kind=kind,
                                                       term_end=contract.current_term_end, due_on=due_on)
            task = task_create(actor=None, subject=subject, due_at=_due_at(due_on), assignee=contract.owner,
                               person=contract.person, organisation=contract.organisation, related=contract,
                               data={"contract_id": contract.pk, "reminder": kind,
                                     "term_end": contract.current_term_end.isoformat()})
            reminder.task = task
            reminder.save(update_fields=["task"])
            event = ContractEvent.NOTICE_DEADLINE_NEAR if kind == ContractReminder.Kind.NOTICE else \
                ContractEvent.RENEWAL_NEAR
            emit_on_commit(event, id=contract.pk, person_id=contract.person_id,
                           organisation_id=contract.organisation_id, task_id=task.pk, due_on=due_on.isoformat())
    except IntegrityError:
        return False  # another run created it first
    return True


def _reminded(kind: str) -> Exists:
    """Whether the contract has its `kind` reminder for the running term already."""
    return Exists(ContractReminder.objects.filter(contract=OuterRef("pk"), kind=kind,
                                                  term_end=OuterRef("current_term_end")))


def _language(contract: Contract) -> str:
    """The owner's language for the task's subject (the site's default when they chose none)."""
    owner = contract.owner
    return (getattr(owner, "language", "") if owner is not None else "") or settings.LANGUAGE_CODE


def notice_reminders(today: dt.date, days: int) -> int:
    """Tasks for contracts whose notice deadline lies within `days` (never for a deadline already past)."""
    due = Contract.objects.filter(
        status__in=REMINDABLE, notice_deadline__gte=today, notice_deadline__lte=today + dt.timedelta(days=days),
        notice_deadline_missed=False,
    ).exclude(_reminded(ContractReminder.Kind.NOTICE)).select_related(
        "owner", "person", "organisation")
    created = 0
    for contract in due:
        with override(_language(contract)):
            subject = _("Notice deadline of contract %(number)s (%(title)s): %(deadline)s") % {
                "number": contract.number, "title": contract.title, "deadline": contract.notice_deadline.isoformat()}
        created += _remind(contract, ContractReminder.Kind.NOTICE, contract.notice_deadline, subject)
    return created


def renewal_reminders(today: dt.date, days: int) -> int:
    """Tasks for contracts whose term ends within `days`: it renews (or expires) then."""
    due = Contract.objects.filter(
        status__in=REMINDABLE, current_term_end__gte=today,
        current_term_end__lte=today + dt.timedelta(days=days),
    ).exclude(_reminded(ContractReminder.Kind.RENEWAL)).select_related(
        "owner", "person", "organisation")
    created = 0
    for contract in due:
        with override(_language(contract)):
            if contract.auto_renew:
                subject = _("Contract %(number)s (%(title)s) renews on %(day)s for %(months)s months") % {
                    "number": contract.number, "title": contract.title, "months": contract.renewal_term_months,
                    "day": (contract.current_term_end + dt.timedelta(days=1)).isoformat()}
            else:
                subject = _("Contract %(number)s (%(title)s) expires on %(day)s") % {
                    "number": contract.number, "title": contract.title,
                    "day": contract.current_term_end.isoformat()}
        created += _remind(contract, ContractReminder.Kind.RENEWAL, contract.current_term_end, subject)
    return created


def run_daily(today: dt.date | None = None) -> DailyResult:
    """Renew, run out or end contracts past their term end, then create the due reminder tasks."""
    today = today or timezone.localdate()
    result = DailyResult()
    settings = ContractSettings.load()
    past_term = Contract.objects.filter(status__in=(*REMINDABLE, ContractStatus.CANCELLED),
                                        current_term_end__lt=today).order_by("id")
    for contract in past_term.iterator(chunk_size=500):
        try:
            contract_process_term_end(contract=contract, today=today)
            result.renewed_or_ended += 1
        except Exception:
            # One broken contract must not stop the others; the next run retries it.
            logger.exception("contract %s: term end processing failed", contract.pk)
            result.failed += 1
    result.notice_reminders = notice_reminders(today, settings.notice_reminder_days)
    result.renewal_reminders = renewal_reminders(today, settings.renewal_reminder_days)
    return result
