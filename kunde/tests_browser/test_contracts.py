"""Contracts in a real browser: Topp Desk enters Gunther Glas's service contract from the plan, upgrades it,
records the customer's notice, and sees the contract on the worklist and the organisation's page.

No step may cause a Content Security Policy violation or a JavaScript error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kunde.accounts.models import Role
from kunde.contracts.defaults import ensure_default_cancellation_reasons
from kunde.contracts.models import Contract, ContractStatus, NoticeUnit
from kunde.contracts.services import plan_create
from kunde.core.testing.factories import PASSWORD, make_organisation, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(page: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(page)


def test_service_contract_from_plan_to_notice(live_server, default_rows, browser_page) -> None:
    page, problems = browser_page
    page.set_default_timeout(60_000)  # a shared, busy machine: slow, not wrong
    ensure_default_cancellation_reasons()
    rep = make_user(Role.MEMBER, team=make_team("Vertrieb"), username="vera", first_name="Vera",
                    last_name="Vertrieb")
    organisation = make_organisation(rep, name="Gunther Glas", legal_form="GmbH")
    plan = plan_create(actor=None, name="Service contract for office furniture", billing_interval="yearly",
                       amount=Decimal("1800.00"), default_term_months=12, default_notice_period=3,
                       default_notice_unit=NoticeUnit.MONTHS)
    base = live_server.url
    page.goto(base + "/")
    page.fill("input[name=username]", "vera")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")

    # 1. Enter the contract from the plan (everything else comes from it).
    page.goto(f"{base}/contracts/new/?organisation={organisation.pk}&plan={plan.pk}")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text("Service contract for office furniture")
    expect(page.locator("#contract-mrr")).to_contain_text("150")
    contract = Contract.objects.get()

    # 2. Upgrade: the change log shows it.
    page.fill("#id_amount", "2400.00")
    page.get_by_role("button", name="Change amount").click()
    expect(page.locator("#contract-mrr")).to_contain_text("200")
    expect(page.locator("#change-log")).to_contain_text("Upgraded")

    # 3. Record the customer's notice without a reason: refused, nothing changes; with one: runs to the term end.
    page.get_by_role("button", name="Cancel contract").click()
    expect(page.locator("#contract-status")).to_contain_text("Active")
    page.select_option("#id_reason", label="Too expensive")
    page.get_by_role("button", name="Cancel contract").click()
    expect(page.locator("#contract-status")).to_contain_text("Cancelled")
    stored = Contract.objects.get(pk=contract.pk)
    assert (stored.status, stored.ends_on, stored.amount) == (ContractStatus.CANCELLED, stored.current_term_end,
                                                              Decimal("2400.00"))

    # 4. The organisation's 360° page shows the contract and its MRR.
    page.goto(base + organisation.get_absolute_url())
    expect(page.locator("#customer-contracts")).to_contain_text(contract.number)
    expect(page.locator("#customer-contracts")).to_contain_text("200")

    assert problems.csp_violations == [] and problems.page_errors == []
