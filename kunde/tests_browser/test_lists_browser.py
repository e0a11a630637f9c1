"""The list machinery in a real browser: htmx filter/sort/paging without reload, select-all,
a bulk action, a 400 answer swapped in, saved views; no CSP violation, no JavaScript error."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kunde.accounts.models import Role
from kunde.contacts.models import Person
from kunde.core.models import CustomFieldDefinition, SavedView
from kunde.core.testing.factories import PASSWORD, make_person, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def log_in(page: Any, base_url: str, username: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/")


def row_names(page: Any) -> list[str]:
    return page.locator("#list-results tbody tr[data-pk] td:nth-child(2)").all_inner_texts()


def test_list_filters_sorts_pages_and_acts_without_reload(live_server, default_rows, browser_page):
    page, problems = browser_page
    team = make_team("Vertrieb")
    owner = make_user(Role.MANAGER, team=team, username="mara", first_name="Mara")
    for name in ("Adler", "Berg", "Christ", "Dorn"):
        make_person(owner, first_name="Eva", last_name=name, tags=["Messe"] if name != "Dorn" else [])
    base = live_server.url
    log_in(page, base, "mara")

    page.goto(base + "/people/")
    expect(page.locator("#list-results tbody tr[data-pk]")).to_have_count(4)
    page.evaluate("window.kundeNoReload = true")

    # Changing a filter swaps the results in place and puts the filter into the URL.
    page.fill("#id_tag", "Messe")
    page.press("#id_tag", "Enter")
    expect(page.locator("#list-results tbody tr[data-pk]")).to_have_count(3)
    assert re.search(r"/people/\?.*tag=Messe", page.url)
    assert "city=" not in page.url and "has_organisation" not in page.url  # empty fields stay out

    # Sorting by the header, again without a reload; the filter stays.
    page.locator("#list-results thead").get_by_role("link", name="Name").click()
    expect(page.locator("#list-results tbody tr[data-pk]").first).to_contain_text("Christ")
    assert row_names(page) == ["Eva Christ", "Eva Berg", "Eva Adler"]
    assert "sort=-name" in page.url and "tag=Messe" in page.url
    # The hidden sort field followed, so a further filter change keeps the order.
    expect(page.locator("#list-sort")).to_have_value("-name")
    assert page.evaluate("window.kundeNoReload") is True

    # Select all on this page, then add a tag to the selection.
    bulk_button = page.get_by_role("button", name="Add tag")
    expect(bulk_button).to_be_disabled()
    page.get_by_label("Select all rows on this page").check()
    expect(page.locator("[data-selected-count]")).to_have_text("3 selected")
    expect(bulk_button).to_be_enabled()
    page.uncheck("input[name=ids] >> nth=0")
    expect(page.locator("[data-selected-count]")).to_have_text("2 selected")
    page.fill("#id_add_tags-tags", "Kunde 2026")
    bulk_button.click()
    expect(page.locator("#messages")).to_contain_text("Add tag: 2 of 2 selected records changed.")
    tagged = sorted(p.last_name for p in Person.objects.filter(tags__name="Kunde 2026"))
    assert tagged == ["Adler", "Berg"]

    assert problems.csp_violations == []
    assert problems.page_errors == []


def test_bad_filter_value_shows_the_error_in_place(live_server, default_rows, browser_page):
    page, problems = browser_page
    make_user(Role.ADMIN, username="ada")
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="score", label="Score",
                                         field_type="number")
    log_in(page, live_server.url, "ada")
    page.goto(live_server.url + "/people/")
    page.evaluate("window.kundeNoReload = true")
    page.fill("#id_cf_score", "viel")
    page.press("#id_cf_score", "Enter")
    expect(page.locator("#list-results .alert-danger")).to_contain_text("cf_score: Enter a number.")
    assert page.evaluate("window.kundeNoReload") is True
    assert problems.page_errors == []


def test_save_and_apply_a_view(live_server, default_rows, browser_page):
    page, problems = browser_page
    team = make_team("Vertrieb")
    owner = make_user(Role.MEMBER, team=team, username="mo")
    make_person(owner, last_name="Vip", tags=["VIP"])
    make_person(owner, last_name="Normal")
    log_in(page, live_server.url, "mo")
    page.goto(live_server.url + "/people/?tag=VIP")
    page.fill("#save-view-name", "Nur VIPs")
    page.get_by_role("button", name="Save view").click()
    expect(page.locator("#messages")).to_contain_text("Saved the view “Nur VIPs”.")
    view = SavedView.objects.get(name="Nur VIPs")
    page.get_by_role("link", name="All").click()
    expect(page.locator("#list-results tbody tr[data-pk]")).to_have_count(2)
    page.get_by_role("link", name="Nur VIPs").click()
    expect(page.locator("#list-results tbody tr[data-pk]")).to_have_count(1)
    assert page.url.endswith(f"/people/?view={view.pk}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete the view “Nur VIPs”").click()
    expect(page.locator("#messages")).to_contain_text("Deleted the view “Nur VIPs”.")
    assert not SavedView.objects.exists()
    assert problems.csp_violations == []
    assert problems.page_errors == []
