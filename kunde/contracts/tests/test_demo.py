"""The demo contracts: idempotent, deterministic, and with non-trivial MRR and churn."""

from __future__ import annotations

import pytest

from kunde.contracts.demo import load_demo_contracts
from kunde.contracts.models import Contract, ContractChange
from kunde.contracts.selectors import churn_by_month, mrr_summary
from kunde.core.testing.factories import make_organisation

pytestmark = pytest.mark.django_db


def test_demo_contracts_are_deterministic_and_idempotent(world) -> None:
    for number in range(24):
        make_organisation(world.owner, name=f"Demo {number} GmbH")
    plan = load_demo_contracts(actor=world.admin)
    assert plan.billing_interval == "yearly" and plan.default_notice_unit == "months"
    contracts = Contract.objects.filter(plan=plan)
    count, changes = contracts.count(), ContractChange.objects.count()
    assert 8 <= count <= 22
    assert load_demo_contracts(actor=world.admin) == plan
    assert (contracts.count(), ContractChange.objects.count()) == (count, changes)
    kinds = set(ContractChange.objects.values_list("kind", flat=True))
    assert {"created", "renewed", "cancelled"} <= kinds
    assert mrr_summary(world.admin).mrr > 0
    months = churn_by_month(world.admin, months=12)
    assert sum(m.contracts_churned for m in months) >= 1
    assert any(m.revenue_churn_rate for m in months)
