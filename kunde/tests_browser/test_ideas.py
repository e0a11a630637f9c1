"""Ideas in a real browser: a customer suggests an idea in the portal, another votes (a double click stays one
vote), a manager plans it with an answer, and the customer reads the new status and the answer."""

from __future__ import annotations

from typing import Any

import pytest

from kunde.accounts.models import Role
from kunde.commerce.models import Product
from kunde.core.testing.factories import PASSWORD, make_person, make_team, make_user
from kunde.ideas.models import Idea, Vote
from kunde.service.portal import magic_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def _sign_in_to_portal(page: Any, base: str, person: Any) -> None:
    page.context.clear_cookies()
    link = magic_link(person)
    page.goto(base + link[link.index("/portal/"):])
    page.get_by_role("button", name="Sign in to the portal").click()
    page.wait_for_url(base + "/portal/")
    page.locator("[data-portal-section='ideas']").get_by_role("link", name="All ideas").click()
    page.wait_for_url(base + "/portal/ideas/")


def test_customer_suggests_others_vote_staff_plan_and_the_customer_sees_the_answer(live_server, default_rows,
                                                                                    browser_page):
    page, problems = browser_page
    Product.objects.create(sku="TD-HV-160", name="Schreibtisch 160", net_price="489.00")
    make_user(Role.MANAGER, team=make_team("Produkt"), username="petra")
    anna = make_person(None, first_name="Anna", last_name="Schmidt", emails=[{"email": "anna@example.org"}])
    bernd = make_person(None, first_name="Bernd", last_name="Bauer", emails=[{"email": "bernd@example.org"}])
    base = live_server.url

    _sign_in_to_portal(page, base, anna)
    page.get_by_role("link", name="Suggest an idea").first.click()
    page.fill("#id_title", "Kabelkanal <unter> dem Tisch")
    page.fill("#id_description", "Damit die Kabel nicht hängen.")
    page.select_option("#id_product", label="Schreibtisch 160 (TD-HV-160)")
    page.get_by_role("button", name="Submit idea").click()
    expect(page.get_by_role("heading", name="Kabelkanal <unter> dem Tisch")).to_be_visible()
    expect(page.get_by_test_id("count")).to_have_text("1 vote")
    idea = Idea.objects.get()

    _sign_in_to_portal(page, base, bernd)
    row = page.locator(f"[data-idea='{idea.pk}']")
    row.get_by_test_id("vote").dblclick()
    expect(row.get_by_test_id("unvote")).to_be_visible()
    expect(row.get_by_test_id("count")).to_have_text("2")
    assert Vote.objects.filter(idea=idea, person=bernd).count() == 1

    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "petra")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/ideas/")
    page.get_by_role("link", name="Kabelkanal <unter> dem Tisch").click()
    page.select_option("#id_status", label="Planned")
    page.fill("#id_status_note", "Kommt im Frühjahr als Zubehör.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("status")).to_have_text("Planned")

    _sign_in_to_portal(page, base, anna)
    page.get_by_role("link", name="Kabelkanal <unter> dem Tisch").click()
    expect(page.get_by_test_id("status")).to_have_text("Planned")
    expect(page.get_by_test_id("answer")).to_have_text("Kommt im Frühjahr als Zubehör.")
    assert problems.csp_violations == [] and problems.page_errors == []
