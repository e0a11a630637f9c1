"""Campaigns in a real browser: preview a template as Anna, send it as a campaign and see the
e-mail on her timeline; answer an NPS survey on the public page on a phone. No CSP violation,
no JavaScript error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kunde.accounts.models import Role
from kunde.activities.services import contact_log
from kunde.campaigns import integration
from kunde.campaigns.models import SurveyAnswer
from kunde.campaigns.services import survey_create, survey_invite, survey_url, template_create
from kunde.core.testing.factories import PASSWORD, make_person, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")


def test_preview_as_anna_and_send(live_server, default_rows, browser_page, monkeypatch):
    page, problems = browser_page
    marketer = make_user(Role.MEMBER, team=make_team("Marketing"), username="mara")
    anna = make_person(marketer, first_name="Anna", last_name="Berg", salutation="ms",
                       emails=[{"email": "anna@example.org"}])
    contact_log(actor=marketer, channel="chat", subject="Ring material?", person=anna, topic="rings")
    sent: dict[str, dict[str, Any]] = {}
    monkeypatch.setattr(integration, "may_contact", lambda person, **kw: person.pk == anna.pk)
    monkeypatch.setattr(integration, "outbox_enqueue",
                        lambda **kw: sent.setdefault(kw["dedupe_key"], kw) and type("O", (), {"pk": 1})())
    template = template_create(actor=marketer, name="Neue Ketten",
                               subject_de="{{ person.first_name }}, unsere neuen Ketten",
                               text_de="{{ person.greeting }},\nSie fragten nach {{ last_interest.topic }}.")
    base = live_server.url
    log_in(page, base, "mara")

    page.goto(f"{base}/campaigns/templates/{template.pk}/preview")
    page.fill("#preview-q", "Anna")
    page.press("#preview-q", "Enter")
    page.locator("#preview-matches").get_by_role("link", name="Anna Berg").click()
    expect(page.locator("#preview-subject")).to_have_text("Anna, unsere neuen Ketten")
    expect(page.locator("#preview-text")).to_contain_text("Sehr geehrte Frau Berg")
    expect(page.locator("#preview-text")).to_contain_text("Sie fragten nach rings.")

    page.get_by_role("link", name="Create a campaign with this template").click()
    page.fill("input[name=name]", "Neue Kollektion")
    page.fill("textarea[name=segment_definition]", json.dumps({"person_ids": [anna.pk]}))
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Send now").click()
    expect(page.locator("#messages")).to_contain_text("goes out to 1")

    assert [m["to"] for m in sent.values()] == ["anna@example.org"]
    page.goto(base + anna.get_absolute_url())
    expect(page.get_by_text("Anna, unsere neuen Ketten").first).to_be_visible()
    assert problems.csp_violations == [] and problems.page_errors == []


def test_answer_an_nps_survey_on_a_phone(live_server, default_rows, browser_page):
    page, problems = browser_page
    owner = make_user(Role.MEMBER, team=make_team("Beratung"), username="olaf")
    person = make_person(owner, first_name="Anna", last_name="Berg", preferred_language="de")
    survey = survey_create(actor=owner, name="NPS", question_de="Wie wahrscheinlich empfehlen Sie uns weiter?",
                           question_en="How likely are you to recommend us?")
    url = survey_url(survey_invite(survey=survey, person=person)).replace("http://localhost:8000",
                                                                          live_server.url)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    expect(page.get_by_role("heading", name="Wie wahrscheinlich empfehlen Sie uns weiter?")).to_be_visible()
    page.locator("label[for=score-9]").click()
    page.fill("#comment", "Sehr freundlich")
    page.get_by_role("button", name="Antwort senden").click()
    expect(page.locator("#survey-thanks")).to_be_visible()
    assert SurveyAnswer.objects.get().score == 9
    page.goto(url)
    expect(page.locator("#survey-problem")).to_contain_text("bereits beantwortet")
    no_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scroll
    assert problems.csp_violations == [] and problems.page_errors == []
