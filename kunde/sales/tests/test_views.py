"""Sales pages: board, move (JSON and form), deal and lead pages, conversion, the public form, settings."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest

from kunde.sales import webform
from kunde.sales.models import Deal, FormSubmission, Lead, LeadForm, LeadStatus
from kunde.sales.services import deal_create, lead_create

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def deal(world, sales):
    return deal_create(actor=world.owner, title="50 Schreibtische", organisation=world.organisation,
                       person=world.person, amount=Decimal("25000"))


def test_board_shows_cards_and_totals(client, world, sales, deal):
    response = login(client, world.owner).get(f"/pipelines/{sales.pipeline.pk}/board/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "50 Schreibtische" in html and f'data-deal="{deal.pk}"' in html
    assert "25.000,00" in html or "25,000.00" in html
    assert "<script>" not in html and "style=" not in html
    assert login(client, world.other_team).get(f"/pipelines/{sales.pipeline.pk}/board/").content.decode().count(
        "data-deal=") == 0


def test_move_by_drag_answers_json(client, world, sales, deal):
    response = login(client, world.owner).post(
        f"/deals/{deal.pk}/move/", {"stage": sales.open[1].pk, "position": "0"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and body["stage"] == sales.open[1].pk
    assert body["columns"][str(sales.open[1].pk)]["count"] == 1
    assert body["columns"][str(sales.open[0].pk)]["count"] == 0
    deal.refresh_from_db()
    assert deal.stage == sales.open[1]


def test_move_to_lost_without_reason_is_refused(client, world, sales, deal):
    response = login(client, world.owner).post(f"/deals/{deal.pk}/move/", {"stage": sales.lost.pk},
                                               HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and not response.json()["ok"]


def test_move_fallback_form_redirects(client, world, sales, deal):
    board = f"/pipelines/{sales.pipeline.pk}/board/"
    response = login(client, world.owner).post(f"/deals/{deal.pk}/move/", {"stage": sales.open[2].pk, "next": board})
    assert response.status_code == 302 and response["Location"] == board
    deal.refresh_from_db()
    assert deal.stage == sales.open[2]


@pytest.mark.parametrize(("who", "status"), [
    ("read_only", 404), ("other_team", 404), ("teammate", 404), ("manager", 200), ("admin", 200),
])
def test_move_permissions(client, world, sales, deal, who, status):
    response = login(client, getattr(world, who)).post(
        f"/deals/{deal.pk}/move/", {"stage": sales.open[1].pk}, HTTP_ACCEPT="application/json")
    assert response.status_code == status


def test_deal_pages(client, world, sales, deal):
    client = login(client, world.owner)
    assert client.get("/deals/").status_code == 200
    assert "50 Schreibtische" in client.get("/deals/").content.decode()
    assert client.get(f"/deals/{deal.pk}/").status_code == 200
    response = client.post(f"/deals/{deal.pk}/edit/", {
        "title": "60 Schreibtische", "amount": "30000", "currency": "EUR", "organisation": world.organisation.pk,
        "person": world.person.pk, "owner": world.owner.pk, "version": deal.version, "probability": "40",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    deal.refresh_from_db()
    assert deal.title == "60 Schreibtische" and deal.amount == Decimal("30000") and deal.probability == 40
    assert client.post(f"/deals/{deal.pk}/win/").status_code == 302
    deal.refresh_from_db()
    assert deal.status == "won"
    assert client.post(f"/deals/{deal.pk}/reopen/").status_code == 302
    assert client.post(f"/deals/{deal.pk}/lose/", {"reason": sales.reason.pk}).status_code == 302
    deal.refresh_from_db()
    assert deal.status == "lost" and deal.lost_reason == sales.reason


def test_create_deal_from_organisation(client, world, sales):
    client = login(client, world.owner)
    page = client.get(f"/deals/new/?organisation={world.organisation.pk}")
    assert page.status_code == 200
    response = client.post("/deals/new/", {"title": "Stühle", "amount": "5000", "currency": "EUR",
                                          "organisation": world.organisation.pk, "owner": world.owner.pk})
    assert response.status_code == 302
    assert Deal.objects.get(title="Stühle").stage == sales.open[0]
    assert login(client, world.read_only).get("/deals/new/").status_code == 403


def test_customer_panel_shows_open_deals(client, world, sales, deal):
    html = login(client, world.owner).get(world.organisation.get_absolute_url()).content.decode()
    panel = html[html.index('id="open-deals-heading"'):]
    panel = panel[:panel.index("</section>")]
    assert "50 Schreibtische" in panel and "New deal" in panel


def test_lead_pages_and_conversion(client, world, sales):
    client = login(client, world.owner)
    response = client.post("/leads/new/", {"name": "Jürgen Müller", "company": "Gunther Glas",
                                          "email": "j.mueller@gunther-glas.de", "source": "manual",
                                          "owner": world.owner.pk, "submission_key": "abc"})
    assert response.status_code == 302
    client.post("/leads/new/", {"name": "Jürgen Müller", "company": "Gunther Glas",
                                "email": "j.mueller@gunther-glas.de", "source": "manual",
                                "owner": world.owner.pk, "submission_key": "abc"})
    lead = Lead.objects.get()
    assert client.get("/leads/").status_code == 200
    assert client.get(f"/leads/{lead.pk}/").status_code == 200
    assert client.post(f"/leads/{lead.pk}/qualify/").status_code == 302
    page = client.get(f"/leads/{lead.pk}/convert/").content.decode()
    assert f'value="p{world.person.pk}"' in page and f'value="o{world.organisation.pk}"' in page
    response = client.post(f"/leads/{lead.pk}/convert/", {
        "person": f"p{world.person.pk}", "organisation": f"o{world.organisation.pk}", "create_deal": "on",
        "deal_title": "Glas-Deal", "amount": "1000", "currency": "EUR",
    })
    assert response.status_code == 302
    deal = Deal.objects.get(title="Glas-Deal")
    assert deal.person == world.person and deal.organisation == world.organisation
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED


def test_disqualify_view(client, world):
    lead = lead_create(actor=world.owner, name="X", email="x@example.com")
    client = login(client, world.owner)
    client.post(f"/leads/{lead.pk}/disqualify/", {"reason": "Spam"})
    lead.refresh_from_db()
    assert lead.status == "disqualified" and lead.disqualify_reason == "Spam"


# --- public form through HTTP ---------------------------------------------------------------


@pytest.fixture
def form(world):
    return LeadForm.objects.create(key="kontakt", name="Kontakt", owner=world.owner,
                                   allowed_origins="https://www.topp-desk.de")


def test_public_form_round_trip(client, form, monkeypatch):
    page = client.get("/forms/lead/kontakt/")
    assert page.status_code == 200
    assert "frame-ancestors 'self' https://www.topp-desk.de" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    monkeypatch.setattr(webform, "MIN_FILL_SECONDS", 0)
    data = {"token": token, "name": "Gerda Glas", "email": "gerda@example.com", "company": "Glas", "website": ""}
    first = client.post("/forms/lead/kontakt/", data, HTTP_ORIGIN="https://www.topp-desk.de")
    second = client.post("/forms/lead/kontakt/", data, HTTP_ORIGIN="https://www.topp-desk.de")
    assert first.status_code == second.status_code == 200
    assert Lead.objects.count() == 1


def test_public_form_rejects_spam(client, form):
    page = client.get("/forms/lead/kontakt/")
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    data = {"token": token, "name": "Bot", "email": "bot@example.com", "website": "http://spam"}
    assert client.post("/forms/lead/kontakt/", data).status_code == 400
    data["website"] = ""
    assert client.post("/forms/lead/kontakt/", data).status_code == 400  # too fast
    assert client.post("/forms/lead/kontakt/", {**data, "token": webform.form_token(form, (time.time() - 9) * 1000)},
                       HTTP_ORIGIN="https://evil.example").status_code == 400
    assert not Lead.objects.exists()
    assert set(FormSubmission.objects.values_list("outcome", flat=True)) == {"honeypot", "too_fast", "bad_origin"}


def test_settings_page_admin_only(client, world, form, sales):
    assert login(client, world.owner).get("/sales/settings/").status_code == 403
    html = login(client, world.admin).get("/sales/settings/").content.decode()
    assert "&lt;iframe src=&quot;http://testserver/forms/lead/kontakt/" in html or "iframe src=" in html
    assert "Too little history" in html


def test_pipeline_and_stage_settings(client, world, sales, deal):
    from kunde.sales.models import LostReason, Pipeline

    assert login(client, world.owner).get("/sales/settings/pipelines/new/").status_code == 403
    client = login(client, world.admin)
    response = client.post("/sales/settings/pipelines/new/", {"op": "pipeline", "pipeline-name_en": "Renewals",
                                                             "pipeline-name_de": "Verlängerungen"})
    assert response.status_code == 302
    renewals = Pipeline.objects.get(name_en="Renewals")
    assert [s.kind for s in renewals.stages.order_by("position")] == ["open", "won", "lost"]
    url = f"/sales/settings/pipelines/{renewals.pk}/"
    client.post(url, {"op": "new_stage", "new-name_en": "Offer", "new-name_de": "Angebot", "new-position": "20",
                      "new-probability": "60", "new-kind": "open"})
    assert renewals.stages.filter(name_en="Offer", probability=60).exists()
    first = renewals.stages.get(name_en="Open")
    client.post(url, {"op": f"stage-{first.pk}", f"s{first.pk}-name_en": "Contacted",
                      f"s{first.pk}-name_de": "Kontaktiert", f"s{first.pk}-position": "10",
                      f"s{first.pk}-probability": "15", f"s{first.pk}-rotting_days": "7", f"s{first.pk}-kind": "open"})
    first.refresh_from_db()
    assert (first.name_en, first.probability, first.rotting_days) == ("Contacted", 15, 7)
    # A stage with deals cannot be removed.
    default_url = f"/sales/settings/pipelines/{sales.pipeline.pk}/"
    client.post(default_url, {"op": f"delete-{sales.open[0].pk}"})
    assert sales.pipeline.stages.filter(pk=sales.open[0].pk).exists()
    client.post(url, {"op": f"delete-{first.pk}"})
    assert not renewals.stages.filter(pk=first.pk).exists()
    client.post("/sales/settings/", {"op": "lost_reason", "reason-key": "quality", "reason-label_en": "Quality",
                                     "reason-label_de": "Qualität"})
    assert LostReason.objects.filter(key="quality").exists()
    assert client.get(default_url).status_code == 200


def test_client_address_behind_a_proxy(rf, settings):
    from kunde.sales.views import _client_ip

    request = rf.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert _client_ip(request) == "10.0.0.1"
    settings.KUNDE_PROXY_HOPS = 1
    assert _client_ip(request) == "203.0.113.9"


def test_pages_in_german(client, world, sales, deal):
    client = login(client, world.owner)
    client.cookies["django_language"] = "de"
    board = client.get(f"/pipelines/{sales.pipeline.pk}/board/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Qualifizierung" in board and "Verschieben nach" in board
    dashboard = client.get("/sales/dashboard/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Vertriebskennzahlen" in dashboard and "Abschlussquote" in dashboard
    detail = client.get(f"/deals/{deal.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Zu wenig Verlauf" in detail


def test_reopen_and_lose_without_a_fitting_stage_say_so(client, world, sales):
    """A pipeline without an open (or lost) stage gives a message on the deal's page, not a server error."""
    from kunde.sales.services import deal_win, pipeline_create, stage_delete

    pipeline = pipeline_create(actor=world.admin, name_en="Renewals")
    deal = deal_create(actor=world.owner, title="Verlängerung", organisation=world.organisation, pipeline=pipeline)
    deal = deal_win(actor=world.owner, deal=deal)
    for stage in pipeline.stages.exclude(kind="won"):
        stage_delete(actor=world.admin, stage=stage)
    login(client, world.owner)
    response = client.post(f"/deals/{deal.pk}/reopen/", follow=True)
    assert response.status_code == 200 and "Reopen the deal into an open stage." in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == "won"
    response = client.post(f"/deals/{deal.pk}/lose/", {"reason": sales.reason.pk}, follow=True)
    assert response.status_code == 200 and "This pipeline has no lost stage." in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == "won"


LEAD_FORM = {"op": "lead_form", "form-key": "messe", "form-name": "Messe", "form-campaign": "messe-2026",
             "form-thank_you": "Danke!", "form-is_active": "on"}


@pytest.mark.parametrize("origins", [
    "https://www.topp-desk.de; script-src *",
    "https://www.topp-desk.de/kontakt",
    "javascript:alert(1)",
    "https://*.topp-desk.de",
    "'unsafe-inline'",
    "https://user@topp-desk.de",
    "topp-desk.de",
])
def test_settings_refuse_a_lead_form_origin_that_is_no_origin(client, world, origins):
    response = login(client, world.admin).post("/sales/settings/", {**LEAD_FORM, "form-allowed_origins": origins})
    assert response.status_code == 200
    assert "Not a web origin" in response.content.decode()
    assert not LeadForm.objects.exists()


def test_settings_save_lead_forms_and_rules_through_the_audit_trail(client, world):
    """Lead forms and scoring rules are written by services: normalised, and each change audited."""
    from kunde.core.models import AuditEntry
    from kunde.sales.models import ScoringRule

    login(client, world.admin)
    response = client.post("/sales/settings/", {
        **LEAD_FORM, "form-owner": world.owner.pk,
        "form-allowed_origins": "HTTPS://WWW.Topp-Desk.de/\nhttp://localhost:8080\nhttps://shop.topp-desk.de:443"})
    assert response.status_code == 302, response.content.decode()
    form = LeadForm.objects.get(key="messe")
    assert form.allowed_origins == "https://www.topp-desk.de\nhttp://localhost:8080\nhttps://shop.topp-desk.de"
    assert form.team == world.team_a
    entry = AuditEntry.objects.get(object_type="sales.leadform", object_id=str(form.pk))
    assert (entry.action, entry.actor) == ("create", world.admin)
    page = client.get("/forms/lead/messe/")
    assert ("frame-ancestors 'self' https://www.topp-desk.de http://localhost:8080 https://shop.topp-desk.de"
            in page["Content-Security-Policy"])

    client.post("/sales/settings/", {"op": "rule", "rule-field": "source", "rule-condition": "equals",
                                     "rule-value": "web_form", "rule-points": "15"})
    rule = ScoringRule.objects.get()
    assert AuditEntry.objects.filter(object_type="sales.scoringrule", object_id=str(rule.pk), action="create",
                                     actor=world.admin).exists()
    client.post("/sales/settings/", {"op": "delete_rule", "rule": rule.pk})
    assert not ScoringRule.objects.exists()
    removed = AuditEntry.objects.get(object_type="sales.scoringrule", object_id=str(rule.pk), action="delete")
    assert removed.changes["_extra"]["rule"]["points"] == 15


def test_an_origin_stored_before_the_check_never_reaches_the_header(client, world):
    LeadForm.objects.create(key="alt", name="Alt", allowed_origins="https://ok.example\nhttps://x.example; img-src *")
    page = client.get("/forms/lead/alt/")
    assert "frame-ancestors 'self' https://ok.example;" in page["Content-Security-Policy"] + ";"
    assert "img-src *" not in page["Content-Security-Policy"]


def test_sales_configuration_changes_are_audited(client, world, sales):
    from kunde.core.models import AuditEntry
    from kunde.sales.models import ExchangeRate, Pipeline

    login(client, world.admin)
    for rate in ("1.05", "1.07"):
        client.post("/sales/settings/", {"op": "rate", "rate-currency": "chf", "rate-rate": rate,
                                         "rate-valid_from": "2026-01-01"})
    stored = ExchangeRate.objects.get(currency="CHF")
    entries = list(AuditEntry.objects.filter(object_type="sales.exchangerate", object_id=str(stored.pk))
                   .order_by("id").values_list("action", flat=True))
    assert entries == ["create", "update"] and stored.rate == Decimal("1.07")
    client.post("/sales/settings/pipelines/new/", {"op": "pipeline", "pipeline-name_en": "Renewals",
                                                   "pipeline-name_de": "Verlängerungen"})
    renewals = Pipeline.objects.get(name_en="Renewals")
    assert AuditEntry.objects.filter(object_type="sales.pipeline", object_id=str(renewals.pk), action="create",
                                     actor=world.admin).exists()


def test_settings_edit_a_lead_form_with_an_audited_change(client, world, form):
    from kunde.core.models import AuditEntry

    login(client, world.admin)
    page = client.get(f"/sales/settings/?edit_form={form.pk}").content.decode()
    editor = page.split('id="lead-form-editor"')[1]
    assert "Edit web form" in editor and "https://www.topp-desk.de</textarea>" in editor
    response = client.post("/sales/settings/", {
        **LEAD_FORM, "lead_form_id": form.pk, "form-key": "kontakt", "form-name": "Kontakt",
        "form-allowed_origins": "https://www.topp-desk.de\nhttps://shop.topp-desk.de"})
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.origins == ["https://www.topp-desk.de", "https://shop.topp-desk.de"] and LeadForm.objects.count() == 1
    entry = AuditEntry.objects.get(object_type="sales.leadform", object_id=str(form.pk), action="update")
    assert entry.changes["allowed_origins"] == ["https://www.topp-desk.de",
                                                "https://www.topp-desk.de\nhttps://shop.topp-desk.de"]
    bad = client.post("/sales/settings/", {**LEAD_FORM, "lead_form_id": form.pk, "form-key": "kontakt",
                                           "form-name": "Kontakt", "form-allowed_origins": "https://x.example/pfad"})
    assert bad.status_code == 200 and "Not a web origin" in bad.content.decode()
    form.refresh_from_db()
    assert form.origins == ["https://www.topp-desk.de", "https://shop.topp-desk.de"]
