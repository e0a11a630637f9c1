"""The analytics dashboard in a real browser: KPI tiles, server-drawn charts, filters, a CSV
download, print layout, the scores card on a customer's page; no CSP violation, no JS error."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from kunde.accounts.models import Role
from kunde.analytics import refresh
from kunde.analytics.models import CustomerScore
from kunde.analytics.tests.test_refresh import TODAY, bulk_customers
from kunde.core.testing.factories import PASSWORD, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_the_dashboard_renders_filters_exports_and_prints(live_server, default_rows, browser_page):
    page, problems = browser_page
    team = make_team("Vertrieb")
    admin = make_user(Role.ADMIN, team=team, username="ada")
    bulk_customers(admin, 300, team=team)
    run = refresh.run(today=TODAY)
    assert run.status == "done", run.error
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")

    page.get_by_role("link", name="Analytics").first.click()
    page.wait_for_url(base + "/analytics/")
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    # 17 period KPIs, MRR, ARR, contract and revenue churn, predicted CLV, customers at risk
    expect(page.locator("[data-kpi]")).to_have_count(23)
    expect(page.locator("[data-kpi=predicted_clv] [data-value]")).to_contain_text("€")
    expect(page.locator("[data-kpi=churn_rate] p")).to_contain_text("Churned customers divided by")
    assert page.locator("svg[role=img]").count() >= 7
    expect(page.locator("#cohorts svg")).to_be_visible()
    expect(page.locator("#rfm svg")).to_be_visible()

    page.select_option("#f-kind", "year")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**kind=year**")
    expect(page.locator("#kpi-heading")).to_contain_text("Key figures for")
    customers = page.locator("[data-kpi=customers] [data-value]").inner_text()
    assert int(customers.replace(",", "").strip()) > 0

    with page.expect_download() as download_info:
        page.locator("#kpi-heading a", has_text="CSV").click()
    with open(download_info.value.path(), encoding="utf-8-sig") as downloaded:
        rows = list(csv.reader(io.StringIO(downloaded.read())))
    assert rows[0][:3] == ["KPI", "Period", "Value"]
    assert any(row[0] == "Revenue" for row in rows)

    page.emulate_media(media="print")
    expect(page.locator("form[aria-label=Filters]")).to_be_hidden()
    page.emulate_media(media="screen")

    page.goto(base + "/analytics/models/")
    expect(page.locator("#bgnbd dl")).to_contain_text("alpha")
    expect(page.locator("#calibration table")).to_be_visible()

    customer = CustomerScore.objects.filter(person__isnull=False).select_related("person").first().person
    page.goto(base + customer.get_absolute_url())
    expect(page.locator("#customer-scores [data-score=clv]")).to_contain_text("€")
    assert not problems.csp_violations, problems.csp_violations
    assert not problems.page_errors, problems.page_errors
