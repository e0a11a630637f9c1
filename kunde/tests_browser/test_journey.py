"""The journey of issue 2 in a real browser: log in, create an organisation and a person,
log a phone call with a mood and see it live, find the person by phone, switch to German.

No step may cause a Content Security Policy violation or a JavaScript error.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from kunde.accounts.models import Role
from kunde.core import search as search_engine
from kunde.core.testing.factories import PASSWORD, make_organisation, make_person, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(page: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(page)


def log_in(page: Any, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/")


def assert_no_problems(problems: Any) -> None:
    assert problems.csp_violations == []
    assert problems.page_errors == []


def test_create_log_a_call_and_see_it_without_reload(live_server, default_rows, browser_page):
    """The core journey: everything from login to the mood chart, without a page reload."""
    page, problems = browser_page
    team = make_team("Vertrieb")
    make_user(Role.MEMBER, team=team, username="vera", first_name="Vera", last_name="Vertrieb")
    base = live_server.url

    log_in(page, base, "vera")
    expect(page.get_by_role("heading", name="Hello, Vera")).to_be_visible()

    # A new organisation.
    page.get_by_role("link", name="New organisation").click()
    page.fill("#id_name", "Gunther Glas")
    page.select_option("#id_legal_form", "GmbH")
    page.fill("#id_vat_id", "DE 136 695 976")
    page.fill("#id_addresses-0-street", "Glasweg 3")
    page.fill("#id_addresses-0-postal_code", "10115")
    page.fill("#id_addresses-0-city", "Berlin")
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gunther Glas GmbH")
    expect(page.get_by_text("DE136695976")).to_be_visible()

    # A person at it, with a second phone row added in the browser.
    page.get_by_role("link", name="Add person").click()
    expect(page.locator("#id_organisation")).to_have_value(re.compile(r"\d+"))
    page.select_option("#id_salutation", "mr")
    page.fill("#id_first_name", "Jürgen")
    page.fill("#id_last_name", "Müller")
    page.fill("#id_role", "Einkauf")
    page.fill("#id_emails-0-email", "j.mueller@gunther-glas.de")
    page.fill("#id_phones-0-number", "030 1234567")
    page.get_by_role("button", name="Add a phone number").click()
    page.select_option("#id_phones-1-kind", "mobile")
    page.fill("#id_phones-1-number", "0151 23456789")
    page.get_by_role("button", name="Create person").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jürgen Müller")
    expect(page.get_by_role("link", name="+49 30 1234567")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^\+49 151\s?2"))).to_be_visible()
    expect(page.locator("#links-heading + ul")).to_contain_text("Gunther Glas GmbH")
    expect(page.get_by_text("No history yet.")).to_be_visible()
    expect(page.locator("#mood-trend")).to_contain_text("No rated contacts")

    # Log a phone call with a mood: timeline, key figures and chart change in place.
    page.evaluate("window.kundeNoReload = 'still here'")
    expect(page.locator("#id_contact-channel")).to_have_value("phone")
    page.fill("#id_contact-subject", "Anfrage 50 Schreibtische")
    page.fill("#id_contact-duration_minutes", "15")
    page.locator("label[for=id_contact-mood_4]").click()
    page.get_by_role("button", name="Log contact").click()
    entry = page.locator("#timeline-entries .timeline-entry").first
    expect(entry).to_contain_text("Anfrage 50 Schreibtische")
    expect(entry).to_contain_text("Mood: Very positive")
    expect(entry).to_contain_text("15 min")
    expect(page.locator("#log-status")).to_contain_text("logged")
    expect(page.get_by_text("No history yet.")).to_have_count(0)
    expect(page.locator('#key-figures [data-figure="contacts"]')).to_have_text("1")
    expect(page.locator('#key-figures [data-figure="average-mood"]')).to_contain_text("Very positive")
    expect(page.locator("#mood-trend svg[role=img] circle.mood-point")).to_have_count(1)
    expect(page.locator("#mood-trend table")).to_contain_text("5.0 (Very positive)")
    expect(page.locator("#id_contact-subject")).to_have_value("")
    assert page.evaluate("window.kundeNoReload") == "still here"

    # A validation error comes back inline, still without a reload.
    page.get_by_role("button", name="Log contact").click()
    expect(page.locator("#id_contact-subject_error")).to_be_visible()
    expect(page.locator("#id_contact-subject")).to_be_focused()
    expect(page.locator("#timeline-entries .timeline-entry")).to_have_count(1)

    # A follow-up task, then done inline.
    page.get_by_role("tab", name="Add a task").click()
    page.fill("#id_task-subject", "Angebot schicken")
    page.get_by_role("button", name="Add task").click()
    task = page.locator("#timeline-entries .timeline-entry").first
    expect(task).to_contain_text("Angebot schicken")
    expect(page.locator('#key-figures [data-figure="open-tasks"]')).to_have_text("1")
    task.get_by_role("button", name=re.compile("Mark done")).click()
    expect(page.locator("#timeline-entries .timeline-entry").first).to_contain_text("Done")
    expect(page.locator('#key-figures [data-figure="open-tasks"]')).to_have_text("0")
    assert page.evaluate("window.kundeNoReload") == "still here"

    # The organisation's page shows the call too.
    page.locator("#links-heading + ul").get_by_role("link", name="Gunther Glas GmbH", exact=True).click()
    expect(page.locator("#timeline-entries")).to_contain_text("Anfrage 50 Schreibtische")
    expect(page.locator("#timeline-entries")).to_contain_text("Jürgen Müller")

    # On a phone the page fits the screen (no sideways scrolling) and the menu collapses.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.get_by_role("button", name="Toggle navigation")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    assert_no_problems(problems)


def test_find_the_person_by_phone_typed_in_another_format(live_server, default_rows, browser_page):
    """The search box finds "+49 30 1234567" when the user types "030 / 123 45 67"."""
    page, problems = browser_page
    team = make_team("Vertrieb")
    user = make_user(Role.MEMBER, team=team, username="vera")
    organisation = make_organisation(user, name="Gunther Glas", legal_form="GmbH")
    person = make_person(user, first_name="Jürgen", last_name="Müller", organisation=organisation,
                         phones=[{"number": "+49 30 1234567"}])
    if not search_engine.search(user, "Müller"):
        pytest.skip("the search engine finds nothing for a plain last name yet (core.search not implemented)")

    log_in(page, live_server.url, "vera")
    box = page.get_by_role("searchbox", name="Search").first
    box.fill("030 / 123 45 67")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    result = page.locator(".search-results").get_by_role("link", name="Jürgen Müller")
    expect(result).to_be_visible()
    result.click()
    page.wait_for_url(live_server.url + person.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jürgen Müller")
    assert_no_problems(problems)


def test_switch_the_interface_to_german(live_server, default_rows, browser_page):
    """The language menu switches labels to German and keeps the user on the same page."""
    with translation.override("de"):
        catalog_present = translation.gettext("People") != "People"
    if not catalog_present:
        pytest.skip("no German catalog yet (kunde/locale/de); the session owner adds it at the end")
    page, problems = browser_page
    team = make_team("Vertrieb")
    user = make_user(Role.MEMBER, team=team, username="vera")
    person = make_person(user, first_name="Jürgen", last_name="Müller")

    log_in(page, live_server.url, "vera")
    page.goto(live_server.url + person.get_absolute_url())
    navigation = page.get_by_role("navigation", name="Main navigation")
    expect(navigation.get_by_role("link", name="People", exact=True)).to_be_visible()
    page.select_option("#language-select", "de")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    navigation = page.locator("nav.navbar")
    expect(navigation.get_by_role("link", name="Personen", exact=True)).to_be_visible()
    assert page.url.endswith(person.get_absolute_url())
    with translation.override("de"):
        key_figures = translation.gettext("Key figures")
    expect(page.locator("#key-figures-heading")).to_have_text(key_figures)
    assert_no_problems(problems)


def test_a_refused_htmx_request_is_explained(live_server, default_rows, browser_page):
    """When the record was handed to someone else meanwhile, logging a contact says why nothing happened."""
    from kunde.contacts.services import records_change_owner

    page, problems = browser_page
    team = make_team("Vertrieb")
    user = make_user(Role.MEMBER, team=team, username="vera")
    admin = make_user(Role.ADMIN, team=team, username="anton")
    person = make_person(user, first_name="Jürgen", last_name="Müller")
    log_in(page, live_server.url, "vera")
    page.goto(live_server.url + person.get_absolute_url())
    records_change_owner(actor=admin, records=[person], owner=admin)  # vera may still see it (team), not change it
    page.fill("#id_contact-subject", "Zu spät")
    page.get_by_role("button", name="Log contact").click()
    expect(page.locator("#messages .alert-danger")).to_contain_text("you may not change this record")
    expect(page.locator("#timeline-entries .timeline-entry")).to_have_count(0)
    assert problems.csp_violations == []


def test_link_a_person_to_an_organisation_found_by_typing(live_server, default_rows, browser_page):
    """The organisation picker fills its options from what the user types (htmx), keyboard only."""
    page, problems = browser_page
    team = make_team("Vertrieb")
    user = make_user(Role.MEMBER, team=team, username="vera")
    make_organisation(user, name="Topp Desk", legal_form="AG")
    make_organisation(user, name="Gunther Glas", legal_form="GmbH")
    person = make_person(user, first_name="Jürgen", last_name="Müller")
    log_in(page, live_server.url, "vera")
    page.goto(live_server.url + person.get_absolute_url())
    page.get_by_role("link", name="Add link").click()
    search = page.get_by_placeholder("Type to search…")
    search.press_sequentially("topp")
    search.press("Enter")  # searches; does not submit the half-filled form
    expect(page.locator("#id_organisation option:checked")).to_have_text("Topp Desk AG")
    assert page.url.endswith("/links/add/")
    expect(page.locator(".invalid-feedback")).to_have_count(0)
    page.fill("#id_role", "Beirat")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + person.get_absolute_url())
    expect(page.locator("#links-heading + ul")).to_contain_text("Topp Desk AG")
    expect(page.locator("#links-heading + ul")).to_contain_text("Beirat")
    assert_no_problems(problems)
