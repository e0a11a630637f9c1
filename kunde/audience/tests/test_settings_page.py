"""The consent administration: purposes, wording versions, suppression check and entry."""

from __future__ import annotations

import pytest

from kunde.audience import consent
from kunde.audience.models import ConsentPurpose, ConsentWording

pytestmark = pytest.mark.django_db

URL = "/audience/consent-settings"


def test_admin_manages_purposes_wordings_and_suppressions(client, world):
    client.force_login(world.admin)
    page = client.get(URL)
    assert page.status_code == 200 and "newsletter" in page.content.decode()
    client.post(URL, {"form": "purpose", "purpose-key": "events", "purpose-name_de": "Veranstaltungen",
                      "purpose-name_en": "Events", "purpose-text_de": "Ja, Einladungen.", "purpose-text_en": "Yes."})
    purpose = ConsentPurpose.objects.get(key="events")
    duplicate = client.post(URL, {"form": "purpose", "purpose-key": "events", "purpose-name_de": "x",
                                  "purpose-name_en": "x", "purpose-text_de": "x", "purpose-text_en": "x"})
    assert duplicate.status_code == 200 and ConsentPurpose.objects.filter(key="events").count() == 1
    record = consent.consent_give(actor=None, person=world.person, purpose="events", confirmed=True)
    client.post(URL, {"form": "wording", "wording-purpose": purpose.pk, "wording-text_de": "Neu.",
                      "wording-text_en": "New."})
    assert list(ConsentWording.objects.filter(purpose=purpose).values_list("version", flat=True)) == [1, 2]
    assert record.wording.version == 1
    assert consent.consent_give(actor=None, person=world.person, purpose="events",
                                confirmed=True).wording.version == 2
    client.post(URL, {"form": "suppress", "suppression-address": "j.mueller@gunther-glas.de",
                      "suppression-reason": "complained"})
    assert not consent.may_contact(world.person, purpose="events")
    checked = client.post(URL, {"form": "check", "suppression-address": "J.Mueller@gunther-glas.de",
                                "suppression-reason": "complained"})
    assert "This address is suppressed." in checked.content.decode()


def test_only_administrators(client, world):
    client.force_login(world.manager)
    assert client.get(URL).status_code == 403
