"""The contract KPIs on the analytics dashboard and the KPI API: MRR, ARR, contract and revenue churn."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kunde.analytics import selectors as analytics
from kunde.contracts.models import CancellationReason
from kunde.contracts.services import contract_cancel, contract_create
from kunde.core.testing.api import ApiClient

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def values(dash: dict) -> dict:  # type: ignore[type-arg]
    return {row["key"]: row for row in dash["kpis"]}


def test_contract_kpis_per_month_and_scope(world, reasons) -> None:
    with time_machine.travel(dt.datetime(2026, 1, 20, 10, tzinfo=BERLIN), tick=False):
        a = contract_create(actor=world.owner, organisation=world.organisation, title="A", amount="100.00",
                            start_date=dt.date(2026, 1, 15))
        contract_create(actor=world.owner, organisation=world.organisation, title="B", amount="300.00",
                        billing_interval="quarterly", start_date=dt.date(2026, 1, 15))
    with time_machine.travel(dt.datetime(2026, 2, 10, 10, tzinfo=BERLIN), tick=False):
        contract_cancel(actor=world.owner, contract=a, reason=CancellationReason.objects.get(key="price"),
                        immediate=True)
        rows = values(analytics.dashboard(world.owner, kind="month"))
        assert rows["mrr"]["value"] == pytest.approx(100.0)  # B: 300 ÷ 3; A ended
        assert rows["arr"]["value"] == pytest.approx(1200.0)
        assert rows["mrr"]["previous"] == pytest.approx(200.0)  # end of January
        assert rows["contract_churn_rate"]["value"] == pytest.approx(0.5)
        assert rows["revenue_churn_rate"]["value"] == pytest.approx(0.5)
        assert rows["contract_churn_rate"]["good"] is None  # no previous rate (nothing ran at the start of January)
        assert "divided by" in str(rows["contract_churn_rate"]["definition"])
        other = values(analytics.dashboard(world.other_team, kind="month"))
        assert other["mrr"]["value"] == 0 and other["contract_churn_rate"]["value"] is None
        body = ApiClient(world.owner).get("/analytics/kpis", {"kind": "month"}).json()
        api_rows = {row["key"]: row for row in body["kpis"]}
        assert api_rows["revenue_churn_rate"]["value"] == pytest.approx(0.5)
        assert api_rows["mrr"]["series"][-2:] == [pytest.approx(200.0), pytest.approx(100.0)]


def test_the_dashboard_reads_contract_figures_once_until_a_contract_changes(world, reasons) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=BERLIN), tick=False):
        contract = contract_create(actor=world.owner, organisation=world.organisation, title="Service",
                                   amount="100.00", start_date=dt.date(2026, 1, 1))
        assert values(analytics.dashboard(world.owner, kind="month"))["mrr"]["value"] == pytest.approx(100.0)
        with CaptureQueriesContext(connection) as again:
            assert values(analytics.dashboard(world.owner, kind="month"))["mrr"]["value"] == pytest.approx(100.0)
        assert not [q for q in again.captured_queries if 'FROM "contracts_contract" ' in q["sql"]
                    and "MAX(" not in q["sql"]]  # only the stamp: the figures came from the cache
        contract_cancel(actor=world.owner, contract=contract, reason=CancellationReason.objects.get(key="price"),
                        immediate=True)
        assert values(analytics.dashboard(world.owner, kind="month"))["mrr"]["value"] == pytest.approx(0.0)
