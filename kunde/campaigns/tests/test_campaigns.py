"""Campaigns: recipients once, consent checked at send time, resumable after a crash,
letter/phone exports, clicks, attribution and results."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from kunde.activities.models import Activity
from kunde.campaigns import dispatch, sending
from kunde.campaigns.models import Campaign, CampaignRecipient, Conversion
from kunde.campaigns.services import campaign_create, template_create
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(world):
    return template_create(
        actor=world.owner, name="Neue Kollektion", purpose="offers",
        subject_de="{{ person.first_name|default('Hallo') }}, neue Ketten",
        text_de="{{ person.greeting }}!\n{% if last_interest %}Sie fragten nach {{ last_interest.topic }}.{% endif %}",
        html_de='<p>{{ person.greeting }}</p><a href="https://shop.example/ketten">Ketten</a>'
                '<a href="{{ links.unsubscribe }}">Abmelden</a>',
    )


def people(world, n):
    return [make_person(world.owner, first_name=f"P{i}", last_name=f"Kunde{i}",
                        emails=[{"email": f"p{i}@example.org"}]) for i in range(n)]


def make_campaign(world, template, members, **extra):
    return campaign_create(actor=world.owner, name="Herbst", template=template,
                           segment_definition={"person_ids": [p.pk for p in members]}, **extra)


def test_segment_without_consent_sends_nothing_with_a_clear_message(world, template, consent, outbox):
    members = people(world, 3)
    campaign = make_campaign(world, template, members)
    with pytest.raises(ValidationError) as caught:
        dispatch.campaign_start(actor=world.owner, campaign=campaign)
    assert "nothing was sent" in caught.value.messages[0]
    assert not CampaignRecipient.objects.exists() and outbox.messages == {}
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_send_checks_consent_at_send_time_and_sends_once_each(world, template, consent, outbox):
    members = people(world, 5)
    consent.allow(*members[:4])  # members[4] never agreed
    campaign = make_campaign(world, template, members)
    assert dispatch.campaign_start(actor=world.owner, campaign=campaign) == 5
    consent.withdraw(members[3])  # withdrawn a moment before the batch
    dispatch.campaign_send_all(campaign.pk)
    dispatch.campaign_send_all(campaign.pk)
    assert sorted(m["to"] for m in outbox.messages.values()) == [f"p{i}@example.org" for i in range(3)]
    assert set(outbox.messages) == {f"campaign:{campaign.pk}:person:{p.pk}" for p in members[:3]}
    statuses = dict(CampaignRecipient.objects.values_list("person_id", "status"))
    assert [statuses[p.pk] for p in members] == ["sent"] * 3 + ["skipped"] * 2
    for person in members[:3]:
        assert Activity.objects.filter(person=person, kind="campaigns.email_sent").count() == 1
    assert not Activity.objects.filter(person=members[3], kind="campaigns.email_sent").exists()
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    message = outbox.to("p0@example.org")[0]
    assert message["subject"] == "P0, neue Ketten"
    assert message["headers"]["List-Unsubscribe"].startswith("<https://kunde.test/u/")
    # Links are tracked through the signed redirect, the unsubscribe link is left alone.
    assert "https://shop.example/ketten" not in message["html"] and "/c/" in message["html"]
    assert f"https://kunde.test/u/{members[0].pk}" in message["html"]
    with pytest.raises(ValidationError):
        dispatch.campaign_start(actor=world.owner, campaign=campaign)


def test_killed_worker_resumes_with_one_message_each(world, template, consent, outbox, monkeypatch):
    members = people(world, 12)
    consent.allow(*members)
    campaign = make_campaign(world, template, members)
    dispatch.campaign_start(actor=world.owner, campaign=campaign)
    real = sending.deliver
    calls = {"n": 0}

    def dying(**kwargs):
        calls["n"] += 1
        result = real(**kwargs)
        if calls["n"] == 5:
            raise SystemExit("worker killed")  # after the enqueue, before the commit
        return result

    monkeypatch.setattr(dispatch, "deliver", dying)
    with pytest.raises(SystemExit):
        dispatch.campaign_send_all(campaign.pk)
    assert CampaignRecipient.objects.filter(status="sent").count() == 4
    monkeypatch.setattr(dispatch, "deliver", real)
    dispatch.run_due_campaigns()
    assert CampaignRecipient.objects.filter(status="sent").count() == 12
    assert sorted(m["to"] for m in outbox.messages.values()) == sorted(f"p{i}@example.org" for i in range(12))


def test_no_tracking_when_switched_off_and_pixel_only_when_on(world, template, consent, outbox):
    members = people(world, 2)
    consent.allow(*members)
    plain = make_campaign(world, template, members[:1], track_clicks=False)
    dispatch.campaign_start(actor=world.owner, campaign=plain)
    dispatch.campaign_send_all(plain.pk)
    html = outbox.to("p0@example.org")[0]["html"]
    assert "https://shop.example/ketten" in html and "<img" not in html
    pixel = make_campaign(world, template, members[1:], tracking_pixel=True)
    dispatch.campaign_start(actor=world.owner, campaign=pixel)
    dispatch.campaign_send_all(pixel.pk)
    assert "<img" in outbox.to("p1@example.org")[0]["html"]


@override_settings(KUNDE_BASE_URL="")
def test_click_redirect_and_attribution(client, world, template, consent, outbox, monkeypatch):
    members = people(world, 2)
    consent.allow(*members)
    campaign = make_campaign(world, template, members, cost=Decimal("100"))
    dispatch.campaign_start(actor=world.owner, campaign=campaign)
    dispatch.campaign_send_all(campaign.pk)
    recipient = CampaignRecipient.objects.get(person=members[0])
    url = sending.click_url(recipient.pk, "https://shop.example/ketten").removeprefix("http://localhost:8000")
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == "https://shop.example/ketten"
    assert client.get(url[:-3] + "xyz").status_code == 404
    recipient.refresh_from_db()
    assert recipient.clicks == 1 and recipient.first_clicked_at is not None
    conversion = dispatch.attribute_order(501, person_id=members[0].pk, amount=Decimal("250"))
    assert conversion is not None and conversion.via == "click"
    dispatch.attribute_order(501, person_id=members[0].pk, amount=Decimal("250"))  # event delivered twice
    late = dispatch.attribute_order(502, person_id=members[1].pk, amount=Decimal("80"),
                                    at=recipient.sent_at + dt.timedelta(days=15))
    assert late is None
    results = dispatch.campaign_results(campaign)
    assert (results["sent"], results["clicked"], results["conversions"]) == (2, 1, 1)
    assert results["revenue"] == Decimal("250") and results["roi"] == Decimal("1.50")
    assert Conversion.objects.count() == 1


def test_phone_campaign_exports_a_call_list_of_consenting_people(world, consent):
    members = [make_person(world.owner, first_name="=HYPERLINK(1)", last_name="Anruf",
                           phones=[{"number": "030 1234567"}]),
               make_person(world.owner, first_name="B", last_name="Nein", phones=[{"number": "030 7654321"}])]
    consent.allow(members[0])
    campaign = campaign_create(actor=world.owner, name="Anrufe", channel="phone",
                               segment_definition={"person_ids": [p.pk for p in members]})
    dispatch.campaign_start(actor=world.owner, campaign=campaign)
    csv_text = dispatch.campaign_export_csv(actor=world.owner, campaign=campaign)
    assert "Anruf" in csv_text and "Nein" not in csv_text
    assert ",'=HYPERLINK(1)," in csv_text  # a spreadsheet shows the name, never runs it
    assert consent.calls[-1][2] == "phone"
    assert Campaign.objects.get(pk=campaign.pk).status == "sent"


def test_campaign_pages(client, world, template, consent, outbox):
    members = people(world, 1)
    consent.allow(*members)
    campaign = make_campaign(world, template, members)
    client.force_login(world.owner)
    assert client.get(reverse("campaigns:campaign_list")).status_code == 200
    assert client.get(reverse("campaigns:campaign_detail", args=[campaign.pk])).status_code == 200
    response = client.post(reverse("campaigns:campaign_start", args=[campaign.pk]), follow=True)
    assert "goes out to 1" in response.content.decode()
    preview = client.get(reverse("campaigns:template_preview", args=[template.pk]), {"person": members[0].pk})
    assert "P0, neue Ketten" in preview.content.decode()
    client.force_login(world.other_team)
    assert client.get(reverse("campaigns:template_preview", args=[template.pk]),
                      {"person": members[0].pk}).status_code == 404


def test_scheduled_campaign_waits_for_its_time(world, template, consent, outbox):
    import time_machine

    members = people(world, 1)
    consent.allow(*members)
    start = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        campaign = make_campaign(world, template, members, scheduled_at=start + dt.timedelta(hours=2))
        dispatch.campaign_start(actor=world.owner, campaign=campaign)
        dispatch.run_due_campaigns()
        assert outbox.messages == {} and Campaign.objects.get(pk=campaign.pk).status == "scheduled"
    with time_machine.travel(start + dt.timedelta(hours=2, minutes=1), tick=False):
        dispatch.run_due_campaigns()
    assert len(outbox.messages) == 1 and Campaign.objects.get(pk=campaign.pk).status == "sent"


def test_rate_limit_paces_the_batch(world, template, consent, outbox):
    import time

    members = people(world, 4)
    consent.allow(*members)
    campaign = make_campaign(world, template, members)
    dispatch.campaign_start(actor=world.owner, campaign=campaign)
    started = time.monotonic()
    dispatch.campaign_send_batch(campaign.pk, rate=20)
    assert time.monotonic() - started >= 4 / 20 - 0.01
    assert len(outbox.messages) == 4


@override_settings(KUNDE_BASE_URL="https://kunde.test")
def test_test_send_goes_to_the_user_only(client, world, template, consent, outbox):
    world.owner.email = "owner@kunde.test"
    world.owner.save()
    client.force_login(world.owner)
    response = client.post(reverse("campaigns:template_test_send", args=[template.pk]), {"person": world.person.pk},
                           follow=True)
    assert "on its way to owner@kunde.test" in response.content.decode()
    [message] = outbox.messages.values()
    assert message["to"] == "owner@kunde.test" and message["subject"].startswith("[TEST] Jürgen")
    assert not Activity.objects.filter(kind="campaigns.email_sent").exists()
    client.force_login(world.other_team)  # may not see the person: no preview, no test send
    assert client.post(reverse("campaigns:template_test_send", args=[template.pk]),
                       {"person": world.person.pk}).status_code == 404


def test_delivery_and_bounce_events_count_in_the_results(world, template, consent, outbox):
    from kunde.campaigns.attribution import on_mail_event

    members = people(world, 3)
    consent.allow(*members)
    campaign = make_campaign(world, template, members)
    dispatch.campaign_start(actor=world.owner, campaign=campaign)
    dispatch.campaign_send_all(campaign.pk)
    ids = list(CampaignRecipient.objects.order_by("pk").values_list("outbound_id", flat=True))
    on_mail_event("mail.message_sent", {"id": ids[0]})
    on_mail_event("mail.message_sent", {"id": ids[1]})
    on_mail_event("mail.message_bounced", {"id": ids[1], "address": "p1@example.org"})
    on_mail_event("mail.message_sent", {"id": 99999})
    results = dispatch.campaign_results(campaign)
    assert (results["sent"], results["delivered"], results["bounced"]) == (3, 1, 1)


def test_a_last_purchase_placeholder_does_not_fail_people_without_a_purchase(world, consent, outbox):
    """`{{ last_purchase.product }}` outside an {% if %}: newcomers get the mail, with the line empty."""
    template = template_create(actor=world.owner, name="T", subject_de="Neu für Sie",
                               text_de="Zuletzt gekauft: {{ last_purchase.product }}.")
    members = people(world, 2)
    consent.allow(*members)
    campaign = make_campaign(world, template, members)
    dispatch.campaign_start(actor=world.owner, campaign=campaign)
    dispatch.campaign_send_all(campaign.pk)
    statuses = set(CampaignRecipient.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert statuses == {CampaignRecipient.Status.SENT}
    assert {m["text"] for m in outbox.messages.values()} == {"Zuletzt gekauft: ."}
