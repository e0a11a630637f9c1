"""The import wizard in a real browser: upload a CSV, adjust the mapping, dry run, import, undo."""

from __future__ import annotations

from typing import Any

import pytest

from kunde.accounts.models import Role
from kunde.contacts.models import Person
from kunde.core.testing.factories import PASSWORD, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "First Name,Last Name,E-mail Address,Company,Shoe size\n"
    "Gunther,Glas,gg@glas.example,Gunther Glas GmbH,44\n"
    "Anna,Schmuck,anna@handelblitz.example,,38\n"
    "Kaputt,Adresse,not-an-address,,40\n"
)


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_a_user_imports_people_with_the_wizard_and_undoes_it(live_server, default_rows, browser_page, tmp_path):
    page, problems = browser_page
    make_user(Role.MEMBER, team=make_team("Vertrieb"), username="vera")
    source = tmp_path / "hubspot-export.csv"
    source.write_text(CSV, encoding="utf-8-sig")
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "vera")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")

    page.locator("[data-nav-group=data]").click()
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_role("link", name="Import people").click()
    page.get_by_label("CSV or XLSX file").set_input_files(str(source))
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Import of hubspot-export.csv")).to_be_visible()
    expect(page.get_by_label("Field for the column E-mail Address")).to_have_value("email")
    expect(page.get_by_role("row", name="Shoe size")).to_contain_text("44 · 38 · 40")
    page.get_by_label("Field for the column Shoe size").select_option("notes")
    page.get_by_label("Save the mapping as (optional)").fill("HubSpot contacts")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.get_by_text("Mapping saved as “HubSpot contacts”.")).to_be_visible()

    page.get_by_role("button", name="Dry run").click()
    expect(page.locator("[data-count=created]")).to_have_text("created: 2")
    expect(page.locator("[data-count=failed]")).to_have_text("failed: 1")
    expect(page.locator("tr[data-result=failed]").first).to_contain_text("e-mail")
    assert not Person.objects.filter(last_name="Glas").exists()

    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("[data-status]")).to_have_text("Done")
    expect(page.locator("[data-import-count=created]")).to_have_text("created: 2")
    assert Person.objects.get(last_name="Schmuck").notes == "38"

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo the import").click()
    expect(page.locator("[data-status]")).to_have_text("Undone")
    assert not Person.objects.filter(last_name__in=["Glas", "Schmuck"]).exists()
    assert problems.csp_violations == [] and problems.page_errors == []
