"""The pages: forms show placeholder errors, rules show runs and dry runs, exports download."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kunde.campaigns.models import EmailTemplate, Rule, Survey
from kunde.campaigns.services import campaign_create, template_create

pytestmark = pytest.mark.django_db


def test_template_form_refuses_unknown_placeholders(client, world):
    client.force_login(world.owner)
    url = reverse("campaigns:template_new")
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "T", "purpose": "offers", "fallback_language": "de",
                                 "subject_de": "Hallo {{ person.vorname }}", "text_de": "x"})
    assert response.status_code == 200 and "vorname" in response.content.decode()
    assert not EmailTemplate.objects.exists()
    response = client.post(url, {"name": "T", "purpose": "offers", "fallback_language": "de",
                                 "subject_de": "Hallo {{ person.first_name }}", "text_de": "x"})
    template = EmailTemplate.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/templates/{template.pk}/preview")
    assert client.get(reverse("campaigns:template_edit", args=[template.pk])).status_code == 200


def test_read_only_users_get_403_on_writes(client, world):
    client.force_login(world.read_only)
    response = client.post(reverse("campaigns:template_new"), {"name": "T", "purpose": "offers",
                                                               "fallback_language": "de", "subject_de": "Hallo",
                                                               "text_de": "x"})
    assert response.status_code == 403
    assert client.get(reverse("campaigns:campaign_list")).status_code == 200


def test_survey_and_rule_pages(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("campaigns:survey_new"), {"name": "NPS", "kind": "nps", "question_de": "Wie?",
                                                             "valid_days": 30, "detractor_follow_up": "on"})
    survey = Survey.objects.get()
    assert response.status_code == 302
    assert client.get(reverse("campaigns:survey_report", args=[survey.pk]), {"start": "2026-01-01"}).status_code == 200
    response = client.post(reverse("campaigns:rule_new"), {
        "name": "Review", "is_active": "on", "trigger": "quarterly", "event_type": "", "delay_days": 0,
        "segment_definition": json.dumps({"person_ids": [world.person.pk]}), "conditions": "{}",
        "action": "create_task", "params": json.dumps({"subject": "Quartalsgespräch"})})
    rule = Rule.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("campaigns:rule_detail", args=[rule.pk]), {"dry_run": "1"}).content.decode()
    assert "1 person would be affected" in page and "Jürgen Müller" in page
    bad = client.post(reverse("campaigns:rule_new"), {"name": "X", "trigger": "event", "event_type": "nope",
                                                      "delay_days": 0, "action": "add_tag", "params": "{}"})
    assert bad.status_code == 200 and Rule.objects.count() == 1


def test_letter_campaign_export_download(client, world, consent):
    from kunde.campaigns import dispatch

    consent.allow(world.person)
    campaign = campaign_create(actor=world.owner, name="Brief", channel="letter",
                               segment_definition={"person_ids": [world.person.pk]})
    dispatch.campaign_start(actor=world.owner, campaign=campaign)
    client.force_login(world.owner)
    response = client.get(reverse("campaigns:campaign_export", args=[campaign.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "street" in response.content.decode().splitlines()[0]


def test_campaign_form(client, world):
    template = template_create(actor=world.owner, name="T", subject_de="Hallo", text_de="x")

    client.force_login(world.owner)
    url = reverse("campaigns:campaign_new")
    assert client.get(url, {"template": template.pk}).status_code == 200
    response = client.post(url, {"name": "C", "template": template.pk, "purpose": "offers", "channel": "email",
                                 "segment_definition": json.dumps({"person_ids": [world.person.pk]}),
                                 "cost": "10", "track_clicks": "on", "conversion_window_days": 14})
    assert response.status_code == 302, response.content.decode()[:3000]
    missing = client.post(url, {"name": "C2", "purpose": "offers", "channel": "email", "segment_definition": "{}",
                                "cost": "0", "conversion_window_days": 14})
    assert missing.status_code == 200 and "needs a template" in missing.content.decode()


def test_html_preview_is_a_sandboxed_document(client, world):
    template = template_create(actor=world.owner, name="T", subject_de="Hallo", text_de="x",
                               html_de="<p>{{ person.first_name }}</p><script>alert(1)</script>")
    client.force_login(world.owner)
    response = client.get(reverse("campaigns:template_preview_html", args=[template.pk, world.person.pk]))
    assert response.status_code == 200 and b"<p>J\xc3\xbcrgen</p>" in response.content
    assert response["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
