"""Partners in a real browser: staff share a customer and hand over a lead; the partner signs in by the mailed
link, logs the installation and accepts the lead; the owner sees the partner's entry on the 360° page."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache

from kunde.accounts.models import Role
from kunde.activities.models import Activity
from kunde.core.testing.factories import PASSWORD, make_organisation, make_person, make_team, make_user
from kunde.mail.models import OutboundMessage
from kunde.partners.models import HandoverStatus, LeadHandover
from kunde.sales.defaults import ensure_sales_defaults
from kunde.sales.services import deal_create, lead_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_share_hand_over_and_partner_activity_on_the_timeline(live_server, default_rows, browser_page):
    page, problems = browser_page
    page.context.set_default_timeout(30_000)  # the shared test machine is slow; nothing here is timed
    cache.clear()
    ensure_sales_defaults()
    owner = make_user(Role.MEMBER, team=make_team("Vertrieb"), username="olga")
    customer = make_organisation(owner, name="Gunther Glas GmbH")
    deal_create(actor=owner, title="50 Schreibtische", organisation=customer, amount=Decimal("25000"))
    partner_org = make_organisation(owner, name="Montageservice Becker GmbH")
    make_person(owner, first_name="Stefan", last_name="Becker", organisation=partner_org,
                emails=[{"email": "stefan@becker.example"}])
    lead_create(actor=owner, name="Karin Vogt", company="Vogt Architekten", email="k@vogt.example")
    base = live_server.url

    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")
    page.goto(base + partner_org.get_absolute_url())
    page.select_option("#id_mark-role", label="Installation partner")
    page.get_by_role("button", name="Mark as partner").click()
    expect(page.get_by_role("heading", name=re.compile("Montageservice Becker GmbH"))).to_be_visible()
    page.select_option("#id_person", label="Stefan Becker")
    page.get_by_role("button", name="Grant access").click()
    page.select_option("#id_lead", label="Karin Vogt (Vogt Architekten)")
    page.get_by_role("button", name="Hand over lead").click()
    expect(page.locator("[data-handover]")).to_contain_text("offered")

    page.goto(base + customer.get_absolute_url())
    page.select_option("#id_share-partner", label="Montageservice Becker GmbH")
    page.fill("#id_share-note", "Montage im Mai")
    page.get_by_role("button", name="Share with partner").click()
    expect(page.locator("#customer-partners [data-share]")).to_contain_text("Montageservice Becker GmbH")

    page.context.clear_cookies()
    page.goto(base + "/partner/login/")
    page.fill("#id_email", "stefan@becker.example")
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_text("we have sent a sign-in link")).to_be_visible()
    mail = OutboundMessage.objects.get(purpose="partners.portal")
    page.goto(base + re.search(r"https?://[^/]+(/partner/login/\S+)", mail.text).group(1))
    page.get_by_role("button", name="Sign in to the partner portal").click()
    page.wait_for_url(base + "/partner/")
    page.get_by_role("link", name="Gunther Glas GmbH").click()
    expect(page.get_by_text("Montage im Mai")).to_be_visible()
    page.select_option("#id_activity_type", label="Installation done")
    page.fill("#id_subject", "30 Tische montiert")
    page.get_by_role("button", name="Add to the customer's history").click()
    expect(page.get_by_text("Your activity is now in the customer's history.")).to_be_visible()
    page.goto(base + "/partner/")
    page.get_by_role("link", name="Karin Vogt (Vogt Architekten)").click()
    page.get_by_role("button", name="Accept lead").click()
    expect(page.get_by_text("You accepted the lead.")).to_be_visible()
    assert LeadHandover.objects.get().status == HandoverStatus.ACCEPTED
    page.goto(base + customer.get_absolute_url())
    page.wait_for_url(re.compile(r"/accounts/login/"))  # the partner's session is nobody on the staff side

    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(base + customer.get_absolute_url())
    entry = Activity.objects.get(kind="partners.partner_activity")
    expect(page.locator(f"#entry-{entry.pk}")).to_contain_text(
        "Installation done by partner Montageservice Becker GmbH: 30 Tische montiert")
    expect(page.locator(f"#entry-{entry.pk}")).to_contain_text("Partner activity")
    assert problems.csp_violations == [] and problems.page_errors == []
