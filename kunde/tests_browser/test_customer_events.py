"""Customer events in a real browser: two invited people register through their personal links (the second
lands on the waiting list), and staff check the first in on the check-in page without a reload (htmx)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kunde.accounts.models import Role
from kunde.core.testing.factories import PASSWORD, make_person, make_team, make_user
from kunde.customer_events.models import Event, Registration
from kunde.customer_events.services import event_create, link_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_register_by_link_waiting_list_and_htmx_check_in(live_server, default_rows, browser_page):
    page, problems = browser_page
    advisor = make_user(Role.MEMBER, team=make_team("Beratung"), username="bea")
    anna = make_person(advisor, first_name="Anna", last_name="Schmidt", emails=[{"email": "anna@example.org"}])
    bernd = make_person(advisor, first_name="Bernd", last_name="Bauer", emails=[{"email": "bernd@example.org"}])
    start = timezone.now() + dt.timedelta(days=3)
    event = event_create(actor=advisor, title="Market outlook Q2", kind="webinar", starts_at=start,
                         ends_at=start + dt.timedelta(hours=1), online_url="https://meet.example.com/q2",
                         capacity=1, language="en", status=Event.Status.OPEN)
    base = live_server.url
    page.set_default_timeout(30_000)  # a shared, busy machine: the first page may be slow

    page.goto(f"{base}/e/{link_token(event, anna)}/")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#registration-state")).to_contain_text("Anna, you are registered.")
    page.goto(f"{base}/e/{link_token(event, bernd)}/")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#registration-state")).to_contain_text("number 1 on the waiting list")
    page.goto(f"{base}/e/{link_token(event, bernd)}x/")
    expect(page.locator("#event-link-invalid")).to_be_visible()

    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "bea")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")
    page.goto(f"{base}/events/{event.pk}/check-in/")
    anna_row = page.locator(f"#checkin-{Registration.objects.get(person=anna).pk}")
    page.evaluate("window.__notReloaded = true")
    anna_row.get_by_role("button", name="Check in").click()
    expect(anna_row).to_contain_text("Checked in")
    assert page.evaluate("window.__notReloaded") is True  # swapped in place by htmx
    assert Registration.objects.get(person=anna).status == "attended"
    assert Registration.objects.get(person=bernd).status == "waitlisted"
    assert problems.csp_violations == [] and problems.page_errors == []
