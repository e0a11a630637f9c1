"""The service desk in a real browser: an agent answers with a knowledge-base link and solves
the ticket; the customer signs in to the portal by magic link and reads the reply."""

from __future__ import annotations

from typing import Any

import pytest

from kunde.accounts.models import Role
from kunde.core.testing.factories import PASSWORD, make_person, make_team, make_user
from kunde.knowledge.demo import load_demo_articles
from kunde.service.portal import magic_link
from kunde.service.services import ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_agent_answers_with_an_article_link_and_the_customer_reads_it(live_server, default_rows, browser_page):
    page, problems = browser_page
    load_demo_articles()
    team = make_team("Kundenservice")
    make_user(Role.MEMBER, team=team, username="sina")
    person = make_person(None, first_name="Jürgen", last_name="Müller", preferred_language="de",
                         emails=[{"email": "j.mueller@example.org"}])
    ticket = ticket_create(actor=None, subject="Depotauszug fehlt", description="Ich brauche einen Depotauszug",
                           person=person, channel="email", team=team)
    base = live_server.url

    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "sina")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")

    page.goto(base + "/tickets/")
    page.get_by_role("link", name=ticket.number).first.click()
    expect(page.get_by_role("heading", name=f"{ticket.number} · Depotauszug fehlt")).to_be_visible()
    page.fill("#reply-text", "Guten Tag Herr Müller, so fordern Sie ihn an:")
    insert = page.get_by_role("button", name="Insert link").first
    expect(insert).to_be_visible()
    for _poll in range(200):  # (wait_for_function would evaluate a string: the CSP forbids that)
        if page.evaluate("window.kundeKnowledgeSuggest === true"):
            break
        page.wait_for_timeout(25)
    insert.click()
    expect(page.locator("#reply-text")).to_have_value(
        "Guten Tag Herr Müller, so fordern Sie ihn an:\nDepotauszug anfordern: " + base
        + "/help/de/depotauszug-anfordern/")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Reply sent.")).to_be_visible()
    page.select_option("#status-select", label="Solved")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-status]")).to_have_text("Solved")

    # The customer: a fresh session, signed in by the magic link only.
    page.context.clear_cookies()
    link = magic_link(person)
    page.goto(base + link[link.index("/portal/"):])
    page.get_by_role("button", name="Sign in to the portal").click()
    expect(page.get_by_role("heading", name="Your requests")).to_be_visible()
    page.get_by_role("link", name=f"{ticket.number} · Depotauszug fehlt").click()
    expect(page.get_by_text("/help/de/depotauszug-anfordern/")).to_be_visible()
    page.goto(base + "/tickets/")
    assert "/accounts/login/" in page.url  # the portal session is no staff login
    assert problems.csp_violations == [] and problems.page_errors == []
