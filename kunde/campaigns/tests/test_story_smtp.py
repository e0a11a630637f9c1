"""The HandelBlitz story and a killed worker against the real outbox and SMTP fixture of the mail app.

Skipped until the mail app provides `kunde.mail.testing` (the `smtp_server` fixture) and
`outbox_enqueue`/`outbox_send_due`; consent comes from the audience app when it is there,
else from the stand-in of this app's conftest.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

mail_testing = pytest.importorskip("kunde.mail.testing")
mail_services = pytest.importorskip("kunde.mail.services")
if not hasattr(mail_services, "outbox_send_due"):
    pytest.skip("the mail outbox is not there yet", allow_module_level=True)

from kunde.activities.models import Activity  # noqa: E402
from kunde.activities.services import contact_log  # noqa: E402
from kunde.campaigns import dispatch, sending  # noqa: E402
from kunde.campaigns.models import CampaignRecipient  # noqa: E402
from kunde.campaigns.services import campaign_create, template_create  # noqa: E402
from kunde.core.testing.factories import make_person  # noqa: E402

pytestmark = pytest.mark.django_db

STORY = (
    "{{ person.greeting }},\n"
    "{% if last_purchase %}Ihre {{ last_purchase.product }} ist ein Klassiker.{% endif %}\n"
    "{% if last_interest %}Sie fragten nach {{ last_interest.topic_name }}.{% endif %}\n"
    "Abmelden: {{ links.unsubscribe }}\n"
)


def drain() -> None:
    while mail_services.outbox_send_due(limit=500):
        pass


def test_handelblitz_anna_gets_exactly_one_personal_email(world, consent, smtp_server):
    anna = make_person(world.owner, first_name="Anna", last_name="Berg", salutation="ms",
                       emails=[{"email": "anna@example.org"}])
    consent.allow(anna)
    contact_log(actor=world.owner, channel="chat", subject="Ring material?", person=anna, topic="rings")
    template = template_create(actor=world.owner, name="Neue Ketten", subject_de="{{ person.first_name }}, neu!",
                               text_de=STORY)
    campaign = campaign_create(actor=world.owner, name="Kollektion", template=template,
                               segment_definition={"person_ids": [anna.pk, world.person.pk]})
    dispatch.campaign_start(actor=world.owner, campaign=campaign)
    dispatch.campaign_send_all(campaign.pk)
    drain()
    smtp_server.wait_for(1)
    [message] = [m for m in smtp_server.messages if "anna@example.org" in m["To"]]
    assert len(smtp_server.messages) == 1
    body = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "Anna, neu!"
    assert "Sehr geehrte Frau Berg" in body and "rings" in body
    assert message["List-Unsubscribe"] and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Activity.objects.filter(person=anna, kind="campaigns.email_sent").count() == 1
    recipient = CampaignRecipient.objects.get(person=anna)
    conversion = dispatch.attribute_order(9001, person_id=anna.pk, amount=Decimal("129.00"),
                                          at=recipient.sent_at + dt.timedelta(days=13))
    assert conversion is not None and conversion.campaign == campaign


def test_killed_worker_every_recipient_gets_exactly_one_message(world, consent, smtp_server, monkeypatch):
    people = [make_person(world.owner, last_name=f"K{i}", emails=[{"email": f"k{i}@example.org"}])
              for i in range(60)]
    consent.allow(*people)
    template = template_create(actor=world.owner, name="T", subject_de="Hallo", text_de="{{ person.greeting }}")
    campaign = campaign_create(actor=world.owner, name="Viele", template=template,
                               segment_definition={"person_ids": [p.pk for p in people]})
    dispatch.campaign_start(actor=world.owner, campaign=campaign)
    real = sending.deliver
    calls = {"n": 0}

    def dying(**kwargs):
        calls["n"] += 1
        result = real(**kwargs)
        if calls["n"] == 25:
            raise SystemExit("killed")
        return result

    monkeypatch.setattr(dispatch, "deliver", dying)
    with pytest.raises(SystemExit):
        dispatch.campaign_send_all(campaign.pk)
    drain()
    monkeypatch.setattr(dispatch, "deliver", real)
    dispatch.run_due_campaigns()
    dispatch.run_due_campaigns()
    drain()
    smtp_server.wait_for(60)
    recipients = sorted(m["To"] for m in smtp_server.messages)
    assert recipients == sorted(f"k{i}@example.org" for i in range(60))
