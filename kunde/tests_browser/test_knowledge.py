"""The help centre and the article editor in a real browser: search, open an article, switch
language, live preview; no CSP violation, no JavaScript error."""

from __future__ import annotations

from typing import Any

import pytest

from kunde.accounts.models import Role
from kunde.core.testing.factories import PASSWORD, make_team, make_user
from kunde.knowledge.demo import load_demo_articles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_search_the_help_centre_and_open_an_article(live_server, default_rows, browser_page):
    page, problems = browser_page
    load_demo_articles()
    base = live_server.url

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(base + "/help/?lang=de")
    assert page.url == base + "/help/de/"
    expect(page.get_by_role("heading", name="Wie können wir helfen?")).to_be_visible()
    expect(page.get_by_text("Kosten und Gebühren")).to_have_count(0)  # a draft

    page.fill("#help-search", "Ungewöhnliche Abbuchung auf meinem Konto")
    page.press("#help-search", "Enter")
    first = page.locator(".help-entries a").first
    expect(first).to_have_text("Ungewöhnliche Transaktion melden")
    first.click()
    assert page.url == base + "/help/de/ungewoehnliche-transaktion-melden/"
    expect(page.get_by_role("heading", name="Ungewöhnliche Transaktion melden")).to_be_visible()
    expect(page.locator(".help-body strong")).to_have_text("Abbuchung")

    page.get_by_test_id("language-switch").click()
    assert page.url == base + "/help/en/report-unusual-transaction/"
    expect(page.get_by_role("heading", name="Report an unusual transaction")).to_be_visible()

    no_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scroll, "the help centre scrolls sideways on a phone"
    assert problems.csp_violations == [] and problems.page_errors == []


def test_editor_previews_while_typing(live_server, default_rows, browser_page):
    page, problems = browser_page
    load_demo_articles()
    make_user(Role.MEMBER, team=make_team("Service"), username="sina")
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "sina")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")

    page.goto(base + "/knowledge/new/")
    page.fill("#id_title", "Konto sperren")
    page.fill("#id_slug", "konto-sperren")
    page.fill("#id_body", "Rufen Sie **sofort** an.")
    expect(page.locator("#article-preview strong")).to_have_text("sofort")

    # The suggestion fragment (as a ticket page includes it) inserts a link at the cursor.
    page.evaluate("""htmx.ajax('GET', '/knowledge/suggest/?language=de&target=%23id_body&q='
                     + encodeURIComponent('Ich brauche einen Depotauszug'), {target: '#article-preview'})""")
    insert = page.get_by_role("button", name="Insert link").first
    expect(insert).to_be_visible()
    # The fragment brings its script along; htmx runs it after the swap, so wait until it is in.
    for _poll in range(200):  # (wait_for_function would evaluate a string: the CSP forbids that)
        if page.evaluate("window.kundeKnowledgeSuggest === true"):
            break
        page.wait_for_timeout(25)
    insert.click()
    expect(page.locator("#id_body")).to_have_value(
        "Rufen Sie **sofort** an.\nDepotauszug anfordern: " + base + "/help/de/depotauszug-anfordern/")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("status")).to_have_text("draft")
    assert problems.csp_violations == [] and problems.page_errors == []
