"""Demo contracts: Topp Desk's B2B service contract for office furniture, with a year of renewals,
upgrades, pauses and cancellations so that MRR and churn have something to show."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from kunde.accounts.models import User
from kunde.contacts.models import Organisation
from kunde.contracts.defaults import ensure_default_cancellation_reasons
from kunde.contracts.models import BillingInterval, CancellationReason, Contract, NoticeUnit, SubscriptionPlan
from kunde.contracts.reminders import run_daily
from kunde.contracts.services import (
    contract_cancel,
    contract_change_amount,
    contract_create,
    contract_pause,
    contract_process_term_end,
    contract_resume,
    plan_create,
)
from kunde.contracts.terms import add_months

PLAN_NAME = "Service contract for office furniture"
PLAN_DESCRIPTION = ("Yearly inspection and maintenance of desks and chairs, spare parts within 48 hours and one "
                    "re-arrangement of the office per year (Topp Desk AG).")
SHARE = 0.6  # of the demo organisations get a contract
SEED = 9


@dataclass(order=True)
class _Step:
    day: dt.date
    order: int
    contract_index: int
    action: str
    value: Any = None


def _plan(actor: User | None) -> SubscriptionPlan:
    plan = SubscriptionPlan.objects.filter(name=PLAN_NAME).first()
    if plan is None:
        plan = plan_create(actor=None if actor is None else actor, name=PLAN_NAME, description=PLAN_DESCRIPTION,
                           billing_interval=BillingInterval.YEARLY, amount=Decimal("1800.00"),
                           default_term_months=12, default_notice_period=3, default_notice_unit=NoticeUnit.MONTHS,
                           default_auto_renew=True)
    return plan


def _schedule(rng: random.Random, index: int, start: dt.date, today: dt.date) -> list[_Step]:
    """What happens to one contract between its start and today, decided by the seeded generator."""
    steps: list[_Step] = []
    roll = rng.random()
    middle = start + dt.timedelta(days=rng.randint(60, max(61, (today - start).days - 1)))
    if middle >= today:
        return steps
    if roll < 0.22:  # notice, usually in time, sometimes too late for this term
        steps.append(_Step(middle, 2, index, "cancel", rng.choice(["price", "competitor", "no_need", "service",
                                                                   "business_closed"])))
    elif roll < 0.37:
        steps.append(_Step(middle, 1, index, "amount", Decimal(rng.choice(["2400.00", "3000.00"]))))
    elif roll < 0.45:
        steps.append(_Step(middle, 1, index, "amount", Decimal("1500.00")))
    elif roll < 0.52:
        steps.append(_Step(middle, 1, index, "pause"))
        back = middle + dt.timedelta(days=rng.randint(30, 120))
        if back < today:
            steps.append(_Step(back, 1, index, "resume"))
    return steps


@transaction.atomic
def load_demo_contracts(*, actor: User | None) -> SubscriptionPlan:
    """The Topp Desk service plan and contracts for about 60 % of the demo organisations (created once).

    Each contract starts on the first of a month in the last two years; the history is
    replayed month by month through the services (renewals at term end, upgrades,
    downgrades, pauses, cancellations with reasons), so the change log, the customers'
    timelines and the churn figures are what real use would have produced.
    """
    ensure_default_cancellation_reasons()
    plan = _plan(actor)
    if Contract.all_objects.filter(plan=plan).exists():
        return plan
    today = timezone.localdate()
    rng = random.Random(SEED)
    organisations = [org for org in Organisation.objects.order_by("id") if rng.random() < SHARE]
    reasons = {reason.key: reason for reason in CancellationReason.objects.all()}
    first_of_month = today.replace(day=1)
    contracts: list[Contract] = []
    steps: list[_Step] = []
    for index, organisation in enumerate(organisations):
        start = add_months(first_of_month, -rng.randint(2, 24))
        amount = rng.choice([Decimal("1800.00"), Decimal("1800.00"), Decimal("2400.00"), Decimal("1200.00")])
        contract = contract_create(actor=None, organisation=organisation, plan=plan, start_date=start,
                                   amount=amount, owner=organisation.owner or actor, as_of=start)
        contracts.append(contract)
        steps.extend(_schedule(rng, index, start, today))
    steps.sort()
    month = min((c.start_date for c in contracts), default=first_of_month)
    pending = list(steps)
    while month <= today:
        while pending and pending[0].day < month:
            _apply(pending.pop(0), contracts, reasons)
        for position, contract in enumerate(contracts):
            if contract.current_term_end < month:
                contracts[position] = contract_process_term_end(contract=contract, today=month)
        month = add_months(month, 1)
    for step in pending:
        _apply(step, contracts, reasons)
    run_daily(today)
    return plan


def _apply(step: _Step, contracts: list[Contract], reasons: dict[str, CancellationReason]) -> None:
    contract = Contract.all_objects.get(pk=contracts[step.contract_index].pk)
    if contract.status == "ended" or step.day < contract.start_date:
        return
    if step.action == "cancel" and contract.status in ("active", "paused"):
        contracts[step.contract_index] = contract_cancel(actor=None, contract=contract, reason=reasons[step.value],
                                                         received_on=step.day)
    elif step.action == "amount" and contract.amount != step.value:
        contracts[step.contract_index] = contract_change_amount(actor=None, contract=contract, amount=step.value,
                                                                on=step.day)
    elif step.action == "pause" and contract.status == "active":
        contracts[step.contract_index] = contract_pause(actor=None, contract=contract, on=step.day)
    elif step.action == "resume" and contract.paused_on is not None:
        contracts[step.contract_index] = contract_resume(actor=None, contract=contract, on=step.day)
