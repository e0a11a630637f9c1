"""Sales figures: forecast, win rate, conversion, time to close, time per stage, lost reasons; the dashboard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kunde.sales.figures import Period, sales_figures
from kunde.sales.models import Deal, StageVisit
from kunde.sales.services import deal_create, deal_lose, deal_move, deal_win, lead_convert, lead_create

pytestmark = pytest.mark.django_db


def test_figures(world, sales):
    today = timezone.localdate()
    period = Period.from_params({"period": "year"}, today=today)
    close = today
    a = deal_create(actor=world.owner, title="A", organisation=world.organisation, amount=Decimal("1000"),
                    expected_close_date=close)  # 10 %
    b = deal_create(actor=world.owner, title="B", organisation=world.organisation, amount=Decimal("3000"),
                    expected_close_date=close)
    b = deal_move(actor=world.owner, deal=b, stage=sales.open[2])  # 50 %
    won = deal_create(actor=world.owner, title="W", organisation=world.organisation, amount=Decimal("500"))
    Deal.objects.filter(pk=won.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    won.refresh_from_db()
    deal_win(actor=world.owner, deal=won)
    lost = deal_create(actor=world.owner, title="L", organisation=world.organisation, amount=Decimal("700"))
    deal_lose(actor=world.owner, deal=lost, reason=sales.reason)
    lead = lead_create(actor=world.owner, name="X Y", email="x@example.com")
    lead_create(actor=world.owner, name="Z", email="z@example.com")
    lead_convert(actor=world.owner, lead=lead, create_deal=False)

    figures = sales_figures(world.owner, period)
    assert figures.open_value == Decimal("4000.00") and figures.open_count == 2
    assert figures.open_weighted == Decimal("1600.00")  # 100 + 1500
    assert figures.forecast_by_month[0].value == Decimal("4000.00")
    assert figures.won_count == 1 and figures.lost_count == 1 and figures.win_rate == 50
    assert figures.leads == 2 and figures.conversion_rate == 50
    assert 9.9 < figures.days_to_close < 10.1
    assert [row.label for row in figures.lost_reasons] == ["Price too high"]
    assert StageVisit.objects.count() == 3
    assert {row.label for row in figures.stage_days} == {"Qualification"}
    # Scope: another team sees nothing.
    assert sales_figures(world.other_team, period).open_count == 0
    others = Period.from_params({"period": "year", "owner": str(world.admin.pk)})
    assert sales_figures(world.owner, others).open_count == 0
    assert a.pk


def test_dashboard_page(client, world, sales):
    deal_create(actor=world.owner, title="A", organisation=world.organisation, amount=Decimal("1000"),
                expected_close_date=timezone.localdate())
    client.force_login(world.owner)
    for period in ("month", "quarter", "year", "last12"):
        response = client.get(f"/sales/dashboard/?period={period}&owner={world.owner.pk}")
        assert response.status_code == 200
        html = response.content.decode()
        assert "<svg" in html and "style=" not in html
