"""The pages: forms show placeholder errors, rules show runs and dry runs, exports download."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kunde.campaigns.models import Campaign, EmailTemplate, Rule, Survey
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


def test_campaign_form_offers_only_segments_the_user_may_see(client, world):
    """Another team's segment is neither listed nor accepted (a form error, no campaign)."""
    from kunde.audience.services import segment_create

    template = template_create(actor=world.owner, name="T", subject_de="Hallo", text_de="x")
    segment = segment_create(actor=world.owner, name="Nord-Stammkunden", definition={"person_ids": [world.person.pk]})
    client.force_login(world.other_team)
    url = reverse("campaigns:campaign_new")
    assert "Nord-Stammkunden" not in client.get(url).content.decode()
    response = client.post(url, {"name": "C", "template": template.pk, "segment_id": segment.pk,
                                 "segment_definition": "{}", "purpose": "offers", "channel": "email", "cost": "0",
                                 "conversion_window_days": 14})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Campaign.objects.exists()
    client.force_login(world.teammate)
    assert "Nord-Stammkunden" in client.get(url).content.decode()


def test_survey_report_refuses_an_invisible_segment_and_start_reports_a_deleted_one(client, world, consent):
    from kunde.audience.services import segment_create, segment_delete

    survey = Survey.objects.create(name="NPS", question_de="Wie?")
    segment = segment_create(actor=world.owner, name="Nord", definition={"person_ids": [world.person.pk]})
    client.force_login(world.other_team)
    page = client.get(reverse("campaigns:survey_report", args=[survey.pk]), {"segment": segment.pk})
    assert page.status_code == 200 and "Select a valid choice" in page.content.decode()
    assert 'id="nps-report"' not in page.content.decode()
    template = template_create(actor=world.owner, name="T", subject_de="Hallo", text_de="x")
    campaign = campaign_create(actor=world.owner, name="C", template=template, segment_id=segment.pk)
    segment_delete(actor=world.manager, segment=segment)
    client.force_login(world.owner)
    response = client.post(reverse("campaigns:campaign_start", args=[campaign.pk]), follow=True)
    assert response.status_code == 200
    assert f"The segment #{segment.pk} does not exist or is not visible to owner." in response.content.decode()
    assert Campaign.objects.get().status == Campaign.Status.DRAFT
