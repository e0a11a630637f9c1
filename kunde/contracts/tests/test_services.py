"""Contracts through their services: renewal end to end, cancellations, the late-entry flag, MRR and churn."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from kunde.activities.models import Activity
from kunde.contracts.models import (
    BillingInterval,
    CancellationReason,
    Contract,
    ContractChange,
    ContractReminder,
    ContractStatus,
    NoticeUnit,
)
from kunde.contracts.reminders import run_daily
from kunde.contracts.selectors import churn_by_month, mrr_summary
from kunde.contracts.services import (
    contract_cancel,
    contract_change_amount,
    contract_create,
    contract_pause,
    contract_resume,
)
from kunde.contracts.terms import notice_deadline, term_end
from kunde.core.exceptions import PermissionDenied

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def at(day: str, hour: int = 10):  # type: ignore[no-untyped-def]
    return time_machine.travel(dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=BERLIN), tick=False)


def tasks_of(contract: Contract) -> list[Activity]:
    return list(Activity.objects.filter(kind="task", related_id=str(contract.pk)).order_by("id"))


def history_kinds(contract: Contract) -> list[str]:
    return list(Activity.objects.filter(related_id=str(contract.pk), kind__startswith="contracts.").order_by(
        "id").values_list("kind", flat=True))


def test_term_arithmetic() -> None:
    """Terms end on their last day; "3 months to the term end" means notice by the end of September."""
    assert term_end(dt.date(2026, 1, 1), 12) == dt.date(2026, 12, 31)
    assert term_end(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 27)
    assert notice_deadline(dt.date(2026, 12, 31), 3, NoticeUnit.MONTHS) == dt.date(2026, 9, 30)
    assert notice_deadline(dt.date(2026, 12, 31), 30, NoticeUnit.DAYS) == dt.date(2026, 12, 1)


def test_subscription_renewal_end_to_end(world, plan) -> None:
    """Reminders come once before the notice deadline and the term end; the term renews; notice ends it."""
    with at("2026-01-05"):
        contract = contract_create(actor=world.owner, organisation=world.organisation, plan=plan,
                                   start_date=dt.date(2026, 1, 1))
        assert contract.number == "VT-2026-0001"
        assert (contract.current_term_end, contract.notice_deadline) == (dt.date(2026, 12, 31), dt.date(2026, 9, 30))
        assert contract.notice_deadline_missed is False
        assert mrr_summary(world.owner).mrr == Decimal("100.00")
        assert history_kinds(contract) == ["contracts.contract_created"]

    with at("2026-09-15"):  # 15 days before the deadline: not yet
        run_daily()
        assert tasks_of(contract) == []
    with at("2026-09-16"):  # 14 days before: the notice reminder, once
        run_daily()
        run_daily()
        tasks = tasks_of(contract)
        assert len(tasks) == 1
        assert tasks[0].assignee == world.owner
        assert "2026-09-30" in tasks[0].subject
        assert tasks[0].due_at.date() == dt.date(2026, 9, 30)
    with at("2026-09-25"):
        run_daily()
        assert len(tasks_of(contract)) == 1

    with at("2026-12-01"):  # 30 days before the term end: the renewal reminder, once
        run_daily()
        run_daily()
        assert len(tasks_of(contract)) == 2
        assert "renews on 2027-01-01" in tasks_of(contract)[1].subject

    with at("2027-01-01", hour=3):  # the term has ended: it renews automatically, once
        run_daily()
        run_daily()
        contract.refresh_from_db()
        assert contract.status == ContractStatus.ACTIVE
        assert (contract.current_term_end, contract.notice_deadline) == (dt.date(2027, 12, 31), dt.date(2027, 9, 30))
        renewals = list(contract.changes.filter(kind=ContractChange.Kind.RENEWED))
        assert [(c.effective_on, c.amount_before, c.amount_after) for c in renewals] == [
            (dt.date(2027, 1, 1), Decimal("1200.00"), Decimal("1200.00"))]
        assert history_kinds(contract) == ["contracts.contract_created", "contracts.contract_renewed"]
        assert mrr_summary(world.owner).mrr == Decimal("100.00")

    with at("2027-06-01"):  # notice in time: it runs to the end of the term
        reason = CancellationReason.objects.get(key="price")
        contract = contract_cancel(actor=world.owner, contract=contract, reason=reason)
        assert (contract.status, contract.ends_on) == (ContractStatus.CANCELLED, dt.date(2027, 12, 31))
        assert mrr_summary(world.owner).mrr == Decimal("100.00")
    with at("2027-12-31"):
        run_daily()
        assert Contract.objects.get(pk=contract.pk).status == ContractStatus.CANCELLED
        # No renewal reminder for a contract that runs out, and no notice reminder after the notice.
        assert len(tasks_of(contract)) == 2
    with at("2028-01-01"):
        run_daily()
        contract.refresh_from_db()
        assert contract.status == ContractStatus.ENDED
        assert mrr_summary(world.owner).mrr == Decimal("0.00")
        assert history_kinds(contract)[-2:] == ["contracts.contract_cancelled", "contracts.contract_ended"]
        assert list(contract.changes.values_list("kind", flat=True)) == [
            "created", "renewed", "cancelled", "ended"]


def test_contract_entered_after_its_notice_deadline_is_flagged(world, plan) -> None:
    """A contract entered after the deadline is flagged, gets no notice reminder, and notice ends it a term later."""
    with at("2026-11-01"):
        contract = contract_create(actor=world.owner, organisation=world.organisation, plan=plan,
                                   start_date=dt.date(2026, 1, 1))
        assert contract.notice_deadline == dt.date(2026, 9, 30)
        assert contract.notice_deadline_missed is True
        assert contract.notice_deadline_passed is True
        run_daily()
        assert tasks_of(contract) == []
        assert not ContractReminder.objects.filter(contract=contract).exists()
    with at("2026-12-01"):
        run_daily()
        tasks = tasks_of(contract)
        assert len(tasks) == 1 and tasks[0].due_at.date() >= dt.date(2026, 12, 1)
    with at("2026-12-02"):
        contract = contract_cancel(actor=world.owner, contract=contract,
                                   reason=CancellationReason.objects.get(key="competitor"))
        assert contract.ends_on == dt.date(2027, 12, 31)
    with at("2027-01-01"):
        run_daily()
        contract.refresh_from_db()
        assert (contract.status, contract.current_term_end) == (ContractStatus.CANCELLED, dt.date(2027, 12, 31))


def test_an_old_contract_is_entered_in_its_running_term(world, plan) -> None:
    """A contract that started two years ago is entered in the term that runs today."""
    with at("2026-03-01"):
        contract = contract_create(actor=world.owner, organisation=world.organisation, plan=plan,
                                   start_date=dt.date(2024, 4, 1))
        assert contract.current_term_end == dt.date(2026, 3, 31)
        assert contract.notice_deadline == dt.date(2025, 12, 31)
        assert contract.notice_deadline_missed is True
    with at("2026-08-01"):
        contract = contract_create(actor=world.owner, organisation=world.organisation, plan=plan,
                                   start_date=dt.date(2024, 4, 1))
        assert (contract.current_term_end, contract.notice_deadline_missed) == (dt.date(2027, 3, 31), False)


def test_bad_input_is_refused_and_nothing_is_stored(world, plan) -> None:
    with at("2026-03-01"):
        with pytest.raises(ValidationError) as error:
            contract_create(actor=world.owner, title="", amount="-5", currency="USD", term_months=0)
        assert set(error.value.message_dict) >= {"customer", "title", "amount", "currency", "term_months"}
        with pytest.raises(ValidationError) as error:
            contract_create(actor=world.owner, organisation=world.organisation, title="Old", amount="10",
                            start_date=dt.date(2025, 1, 1), term_months=6, auto_renew=False)
        assert "start_date" in error.value.message_dict
        assert Contract.objects.count() == 0
        contract = contract_create(actor=world.owner, organisation=world.organisation, plan=plan)
        with pytest.raises(ValidationError) as error:
            contract_cancel(actor=world.owner, contract=contract, reason=None)
        assert "reason" in error.value.message_dict
        with pytest.raises(ValidationError):
            contract_change_amount(actor=world.owner, contract=contract, amount="1200.00")
        with pytest.raises(ValidationError):
            contract_change_amount(actor=world.owner, contract=contract, amount="12.345")
        contract.refresh_from_db()
        assert (contract.status, contract.amount, contract.version) == (ContractStatus.ACTIVE, Decimal("1200.00"), 1)
        assert contract.changes.count() == 1


def test_only_permitted_users_write(world, plan) -> None:
    contract = contract_create(actor=world.owner, organisation=world.organisation, plan=plan)
    with pytest.raises(PermissionDenied):
        contract_create(actor=world.read_only, organisation=world.organisation, plan=plan)
    for user in (world.read_only, world.other_team):
        with pytest.raises(PermissionDenied):
            contract_pause(actor=user, contract=contract)
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE


def test_mrr_and_arr_normalise_intervals_in_decimal(world, plan) -> None:
    """Quarterly ÷ 3 and yearly ÷ 12, summed exactly and rounded once; paused contracts count 0."""
    org = world.organisation
    for interval, amount in ((BillingInterval.MONTHLY, "10.00"), (BillingInterval.QUARTERLY, "100.00"),
                             (BillingInterval.YEARLY, "1000.00")):
        contract_create(actor=world.owner, organisation=org, title=interval, billing_interval=interval,
                        amount=amount)
    paused = contract_create(actor=world.owner, organisation=org, title="paused", amount="500.00")
    paused = contract_pause(actor=world.owner, contract=paused)
    summary = mrr_summary(world.owner)
    # 10 + 33.3333… + 83.3333… = 126.6666…
    assert (summary.mrr, summary.arr) == (Decimal("126.67"), Decimal("1520.00"))
    assert (summary.counting, summary.paused) == (3, 1)
    assert paused.mrr == Decimal(0)
    assert mrr_summary(world.other_team).mrr == Decimal("0.00")
    assert mrr_summary(world.read_only).mrr == Decimal("126.67")  # same team may read
    contract_resume(actor=world.owner, contract=Contract.objects.get(pk=paused.pk))
    assert mrr_summary(world.owner).mrr == Decimal("626.67")


def test_contract_and_revenue_churn_per_month(world, reasons) -> None:
    """March: 3 contracts and 180 MRR at the start; one ends (30), one downgrades (10), one upgrades (50)."""
    org = world.organisation
    with at("2026-01-15"):
        a, b, c = (contract_create(actor=world.owner, organisation=org, title=name, amount=amount,
                                   start_date=dt.date(2026, 1, 15))
                   for name, amount in (("A", "100.00"), ("B", "50.00"), ("C", "30.00")))
    with at("2026-03-05"):
        contract_change_amount(actor=world.owner, contract=a, amount="150.00")
        contract_change_amount(actor=world.owner, contract=b, amount="40.00")
    with at("2026-03-10"):
        contract_cancel(actor=world.owner, contract=c, reason=CancellationReason.objects.get(key="no_need"),
                        immediate=True)
        contract_create(actor=world.owner, organisation=org, title="D", amount="20.00")
    with at("2026-04-02"):
        months = {m.month: m for m in churn_by_month(world.owner, months=4)}
    january, march, april = months["2026-01"], months["2026-03"], months["2026-04"]
    assert (january.contracts_at_start, january.contracts_new, january.mrr_new) == (0, 3, Decimal("180.0000"))
    assert january.contract_churn_rate is None
    assert (march.contracts_at_start, march.contracts_churned, march.contracts_new) == (3, 1, 1)
    assert march.mrr_at_start == Decimal("180.0000")
    assert (march.mrr_churned, march.mrr_contraction, march.mrr_expansion, march.mrr_new) == (
        Decimal("30.0000"), Decimal("10.0000"), Decimal("50.0000"), Decimal("20.0000"))
    assert march.contract_churn_rate == Decimal(1) / Decimal(3)
    assert march.revenue_churn_rate == Decimal(40) / Decimal(180)
    assert march.net_revenue_churn_rate == Decimal(-10) / Decimal(180)
    assert (april.contracts_at_start, april.mrr_at_start, april.contracts_churned) == (3, Decimal("210.0000"), 0)
    assert churn_by_month(world.other_team, months=4, today=dt.date(2026, 4, 2))[2].contracts_at_start == 0
