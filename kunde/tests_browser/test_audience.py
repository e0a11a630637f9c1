"""Audience in a real browser: build a segment with the rule builder and watch the live count;
unsubscribe on the public page. No CSP violation, no JavaScript error."""

from __future__ import annotations

from typing import Any

import pytest

from kunde.accounts.models import Role
from kunde.audience import consent
from kunde.audience.models import Segment
from kunde.core.testing.factories import PASSWORD, make_person, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_build_a_segment_with_live_count(live_server, default_rows, browser_page):
    page, problems = browser_page
    marketer = make_user(Role.MEMBER, team=make_team("Marketing"), username="mara")
    for city in ("Berlin", "Berlin", "Hamburg"):
        make_person(marketer, addresses=[{"street": "a 1", "postal_code": "10115", "city": city}])
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "mara")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/audience/segments/new")
    page.fill("input[name=name]", "Berliner")
    expect(page.locator("#segment-builder")).to_be_visible()
    page.click("#segment-add")
    row = page.locator("[data-rule]").first
    row.locator("[data-part=value]").fill("Berlin")
    row.locator("[data-part=value]").dispatch_event("change")
    expect(page.locator("#live-count")).to_have_text("2 people match")
    row.locator("[data-part=operator]").select_option("in")
    row.locator("[data-part=value]").fill("Berlin, Hamburg")
    row.locator("[data-part=value]").dispatch_event("change")
    expect(page.locator("#live-count")).to_have_text("3 people match")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/audience/segments/*/")
    segment = Segment.objects.get()
    assert segment.definition["rules"] == [{"field": "city", "operator": "in", "value": ["Berlin", "Hamburg"]}]
    expect(page.get_by_text("3 people you may see match.")).to_be_visible()
    assert problems.csp_violations == [] and problems.page_errors == []


def test_unsubscribe_page(live_server, default_rows, browser_page, settings):
    page, problems = browser_page
    owner = make_user(Role.MEMBER, team=make_team("T"), username="o")
    anna = make_person(owner, first_name="Anna", emails=[{"email": "anna@example.org"}])
    consent.consent_give(actor=None, person=anna, purpose="newsletter", confirmed=True)
    settings.KUNDE_BASE_URL = live_server.url
    page.goto(consent.unsubscribe_url(anna, "newsletter"))
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="Unsubscribed")).to_be_visible()
    assert not consent.may_contact(anna, purpose="newsletter")
    assert problems.csp_violations == [] and problems.page_errors == []
