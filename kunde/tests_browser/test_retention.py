"""Retention in a real browser: create a plan with the form, see it ranked, set a binding cause on the
360° page. No CSP violation, no JavaScript error."""

from __future__ import annotations

from typing import Any

import pytest

from kunde.accounts.models import Role
from kunde.core.testing.factories import PASSWORD, make_person, make_team, make_user
from kunde.retention.models import CustomerBindingCause, RetentionPlan
from kunde.retention.tests.factories import fixed_segment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_create_a_plan_and_set_a_binding_cause(live_server, default_rows, browser_page):
    page, problems = browser_page
    page.set_default_timeout(60_000)  # a shared, busy machine: slow, not wrong
    page.set_default_navigation_timeout(60_000)
    advisor = make_user(Role.MEMBER, team=make_team("Beratung"), username="berta")
    client = make_person(advisor, first_name="Hans", last_name="Müller")
    segment = fixed_segment(advisor, [client], name="Privatkunden")
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "berta")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/retention/plans/new/")
    page.fill("input[name=name]", "Persönliche Betreuung")
    page.select_option("select[name=status]", "active")
    page.select_option("select[name=binding_object]", "person")
    page.select_option("select[name=segment]", str(segment.pk))
    page.fill("input[name=holdout_percent]", "10")
    page.select_option("select[name=causes-0-cause]", "psychological")
    page.fill("input[name=causes-0-weight]", "80")
    page.select_option("select[name=instruments-0-kind]", "other")
    page.fill("input[name=instruments-0-name]", "Webinar")
    page.fill("input[name=instruments-0-monthly_cost]", "25")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/retention/plans/*/")
    expect(page.locator("#six-answers")).to_contain_text("Privatkunden")
    expect(page.locator("#six-answers")).to_contain_text("Psychological (80)")
    expect(page.locator("#effects-state")).to_contain_text("No analytics refresh has run yet")
    plan = RetentionPlan.objects.get()
    assert plan.holdout_percent == 10 and plan.instruments.get().name == "Webinar"
    page.goto(base + "/retention/")
    expect(page.locator("#plan-ranking")).to_contain_text("Persönliche Betreuung")
    page.goto(base + f"/people/{client.pk}/")
    card = page.locator("#retention-causes")
    expect(card.locator('[data-cause="contractual"]')).to_have_attribute("data-bound", "no")
    card.locator("#cause-select").select_option("contractual")
    card.locator("#cause-note").fill("Depotvertrag")
    card.get_by_role("button", name="Save").click()
    expect(page.locator('#retention-causes [data-cause="contractual"]')).to_have_attribute("data-bound", "yes")
    expect(page.locator("#retention-causes")).to_contain_text("Depotvertrag")
    assert CustomerBindingCause.objects.get().set_by == advisor
    assert problems.csp_violations == [] and problems.page_errors == []
