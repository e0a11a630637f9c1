"""Consent from the real audience app: given, withdrawn a moment before the batch, unsubscribe headers.

Skipped until the audience app provides `consent_give` / `consent_withdraw` (and mail its SMTP fixture).
"""

from __future__ import annotations

import pytest

pytest.importorskip("kunde.mail.testing")
consent_module = pytest.importorskip("kunde.audience.consent")
defaults = pytest.importorskip("kunde.audience.defaults")
if not hasattr(consent_module, "consent_give") or not hasattr(defaults, "ensure_default_purposes"):
    pytest.skip("the audience consent ledger is not there yet", allow_module_level=True)

from django.core.exceptions import ValidationError  # noqa: E402

from kunde.campaigns import dispatch  # noqa: E402
from kunde.campaigns.models import CampaignRecipient  # noqa: E402
from kunde.campaigns.services import campaign_create, template_create  # noqa: E402
from kunde.core.testing.factories import make_person  # noqa: E402
from kunde.mail.services import outbox_send_due  # noqa: E402

pytestmark = pytest.mark.django_db


def test_real_consent_decides_at_send_time(world, smtp_server):
    defaults.ensure_default_purposes()
    anna, bert, carl = (make_person(world.owner, first_name=n, last_name="Kunde",
                                    emails=[{"email": f"{n}@example.org"}]) for n in ("anna", "bert", "carl"))
    for person in (anna, bert):
        consent_module.consent_give(actor=None, person=person, purpose="offers", source="test", confirmed=True,
                                    address=f"{person.first_name}@example.org")
    template = template_create(actor=world.owner, name="T", purpose="offers",
                               subject_de="Hallo {{ person.first_name }}",
                               text_de="{{ person.greeting }}\nAbmelden: {{ links.unsubscribe }}")
    nobody = campaign_create(actor=world.owner, name="Leer", template=template,
                             segment_definition={"person_ids": [carl.pk]})
    with pytest.raises(ValidationError):
        dispatch.campaign_start(actor=world.owner, campaign=nobody)
    campaign = campaign_create(actor=world.owner, name="C", template=template,
                               segment_definition={"person_ids": [anna.pk, bert.pk, carl.pk]})
    dispatch.campaign_start(actor=world.owner, campaign=campaign)
    consent_module.consent_withdraw(actor=None, person=bert, purpose="offers", source="test")
    dispatch.campaign_send_all(campaign.pk)
    outbox_send_due(limit=10)
    smtp_server.wait_for(1)
    [message] = smtp_server.messages
    assert message["To"] == "anna@example.org" and message["Subject"] == "Hallo anna"
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<http") and message["List-Unsubscribe-Post"]
    assert unsubscribe.strip("<>") in message.get_body(("plain",)).get_content()
    status = dict(CampaignRecipient.objects.values_list("person__first_name", "status"))
    assert status == {"anna": "sent", "bert": "skipped", "carl": "skipped"}
