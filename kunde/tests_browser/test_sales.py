"""Sales in a real browser: the Topp Desk story up to the deal (web form → lead → convert → the deal
moves on the kanban board by drag and drop and by the keyboard fallback, persisted without a reload).

No step may cause a Content Security Policy violation or a JavaScript error.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from kunde.accounts.models import Role
from kunde.core.testing.factories import PASSWORD, make_team, make_user
from kunde.sales import webform
from kunde.sales.defaults import ensure_sales_defaults
from kunde.sales.models import Deal, Lead, LeadForm, Stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(page: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(page)


def log_in(page: Any, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/")


def test_web_form_to_deal_on_the_board(live_server, default_rows, browser_page, monkeypatch):
    page, problems = browser_page
    monkeypatch.setattr(webform, "MIN_FILL_SECONDS", 0)
    ensure_sales_defaults()
    team = make_team("Vertrieb")
    rep = make_user(Role.MEMBER, team=team, username="vera", first_name="Vera", last_name="Vertrieb")
    LeadForm.objects.create(key="topp-desk", name="Anfrage an Topp Desk", campaign="website-2026", owner=rep)
    base = live_server.url

    # 1. Gunther Glas GmbH asks through the public web form.
    page.goto(base + "/forms/lead/topp-desk/")
    page.fill("#id_name", "Jürgen Müller")
    page.fill("#id_company", "Gunther Glas GmbH")
    page.fill("#id_email", "j.mueller@gunther-glas.de")
    page.fill("#id_message", "50 höhenverstellbare Schreibtische und 50 Stühle")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    lead = Lead.objects.get()
    assert lead.source == "web_form" and lead.campaign == "website-2026" and lead.owner == rep

    # 2. The rep qualifies and converts the lead.
    log_in(page, base, "vera")
    page.locator("[data-nav-group=sales]").click()
    page.get_by_role("link", name="Leads", exact=True).click()
    page.get_by_role("link", name="Jürgen Müller").click()
    page.get_by_role("button", name="Qualify", exact=True).click()
    expect(page.locator("h1")).to_contain_text("qualified")
    page.get_by_role("link", name="Convert", exact=True).click()
    page.fill("#id_deal_title", "50 Schreibtische + 50 Stühle")
    page.fill("#id_amount", "42500")
    page.get_by_role("button", name="Convert").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("50 Schreibtische + 50 Stühle")
    deal = Deal.objects.get()
    assert deal.organisation.name == "Gunther Glas GmbH" and deal.person.last_name == "Müller"
    assert deal.campaign == "website-2026"

    # 3. On the board, drag the card to the next stage: saved without a reload.
    stages = list(Stage.objects.filter(pipeline=deal.pipeline, kind="open").order_by("position"))
    page.get_by_role("link", name="Board", exact=True).click()
    card = page.locator(f'[data-deal="{deal.pk}"]')
    expect(page.locator(f'.sales-column[data-stage="{stages[0].pk}"] [data-deal="{deal.pk}"]')).to_be_visible()
    page.evaluate("window.__noReload = true")
    card.drag_to(page.locator(f'.sales-column[data-stage="{stages[1].pk}"] [data-cards]'))
    expect(page.locator("#board-status")).to_contain_text("moved to Needs analysis")
    assert page.evaluate("window.__noReload") is True  # the same document: no reload happened
    expect(page.locator(f'.sales-column[data-stage="{stages[1].pk}"] [data-count]')).to_have_text("1")
    deal.refresh_from_db()
    assert deal.stage == stages[1]
    page.reload()
    expect(page.locator(f'.sales-column[data-stage="{stages[1].pk}"] [data-deal="{deal.pk}"]')).to_be_visible()

    # 4. The keyboard fallback: "Move to" on the card.
    page.select_option(f"#move-{deal.pk}", str(stages[2].pk))
    page.locator(f'[data-deal="{deal.pk}"]').get_by_role("button", name="Move to").click()
    expect(page.locator(f'.sales-column[data-stage="{stages[2].pk}"] [data-deal="{deal.pk}"]')).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == stages[2]

    # 5. The deal is on the organisation's 360° page.
    page.goto(base + deal.organisation.get_absolute_url())
    expect(page.locator("#open-deals-heading")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("50 Schreibtische"))).to_be_visible()
    assert problems.csp_violations == []
    assert problems.page_errors == []
