"""The consent ledger, double opt-in, suppression and the public unsubscribe/preference pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone

from kunde.activities.models import Activity
from kunde.audience import consent
from kunde.audience.models import ConsentLedgerError, ConsentRecord, Suppression, address_hash
from kunde.contacts.models import Person
from kunde.core import events
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db


def confirmed(person, purpose="newsletter", **kwargs):
    return consent.consent_give(actor=None, person=person, purpose=purpose, confirmed=True, source="test", **kwargs)


def confirm_link(text: str) -> str:
    return re.search(r"http://\S+/consent/confirm/(\S+)/", text).group(1)


def test_email_consent_needs_double_opt_in(world):
    from kunde.mail.models import OutboundMessage

    record = consent.consent_give(actor=world.owner, person=world.person, purpose="newsletter", source="fair",
                                  proof={"form": "paper"})
    assert record.confirmed_at is None and record.address == "j.mueller@gunther-glas.de"
    assert consent.consent_state(world.person, "newsletter") == "pending"
    assert not consent.may_contact(world.person, purpose="newsletter")
    message = OutboundMessage.objects.get(purpose="consent")
    assert message.to == ["j.mueller@gunther-glas.de"] and message.person == world.person
    token = confirm_link(message.text)
    confirmation = consent.consent_confirm(token, proof={"ip": "192.0.2.1"})
    assert confirmation.confirms == record and confirmation.confirmed_at is not None
    assert consent.may_contact(world.person, purpose="newsletter")
    assert consent.consent_confirm(token) == confirmation  # idempotent
    assert ConsentRecord.objects.filter(person=world.person).count() == 2
    assert not consent.may_contact(world.person, purpose="offers")


def test_double_opt_in_mail_reaches_smtp(world, smtp_server, client):
    from kunde.mail.services import outbox_send_due

    consent.consent_give(actor=None, person=world.person, purpose="offers")
    outbox_send_due()
    [message] = smtp_server.wait_for(1)
    token = confirm_link(message.get_body(("plain",)).get_content())
    url = f"/consent/confirm/{token}/"
    assert client.get(url).status_code == 200
    assert not consent.may_contact(world.person, purpose="offers")  # GET changes nothing (link scanners)
    response = client.post(url)
    assert response.status_code == 200
    assert consent.may_contact(world.person, purpose="offers")


def test_withdraw_one_second_before_means_no(world):
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=3), tick=False):
        confirmed(world.person)
    with time_machine.travel(now - dt.timedelta(seconds=1), tick=False):
        consent.consent_withdraw(actor=None, person=world.person, purpose="newsletter", source="phone")
    with time_machine.travel(now - dt.timedelta(seconds=2), tick=False):
        assert consent.may_contact(world.person, purpose="newsletter")
    with time_machine.travel(now, tick=False):
        assert not consent.may_contact(world.person, purpose="newsletter")
        assert consent.consent_state(world.person, "newsletter") == "withdrawn"
        assert not consent.people_with_consent(Person.objects.all(), "newsletter").exists()


def test_the_ledger_cannot_be_updated_or_deleted(world):
    record = confirmed(world.person)
    record.source = "forged"
    with pytest.raises(ConsentLedgerError):
        record.save()
    with pytest.raises(ConsentLedgerError):
        record.delete()
    assert ConsentRecord.objects.get(pk=record.pk).source == "test"


def test_unknown_purpose_and_channel(world):
    assert not consent.may_contact(world.person, purpose="nonsense")
    assert not consent.may_contact(world.person, purpose="newsletter", channel="pigeon")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        consent.consent_give(actor=None, person=world.person, purpose="nonsense")


def test_phone_consent_needs_no_confirmation(world):
    consent.consent_give(actor=None, person=world.person, purpose="surveys", channel="phone", source="call")
    assert consent.may_contact(world.person, purpose="surveys", channel="phone")
    assert not consent.may_contact(world.person, purpose="surveys")


def test_reader_may_not_change_consent(world):
    from kunde.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        consent.consent_give(actor=world.read_only, person=world.person, purpose="newsletter")
    with pytest.raises(PermissionDenied):
        consent.consent_give(actor=world.other_team, person=world.person, purpose="newsletter")


def test_every_change_is_history_and_an_event(world, django_capture_on_commit_callbacks):
    seen = []

    def handler(event_type, payload):
        seen.append(payload)

    events.subscribe(consent.CONSENT_CHANGED, handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            confirmed(world.person)
            consent.consent_withdraw(actor=world.owner, person=world.person, purpose="newsletter")
            consent.consent_withdraw(actor=world.owner, person=world.person, purpose="newsletter")  # no-op
    finally:
        events.unsubscribe(consent.CONSENT_CHANGED, handler)
    assert [p["action"] for p in seen] == ["given", "withdrawn"]
    entries = Activity.objects.filter(person=world.person, kind="audience.consent_changed")
    assert entries.count() == 2
    from kunde.core.extensions import history_kind_label

    assert history_kind_label("audience.consent_changed")


def test_unsubscribe_post_works_without_cookies(world):
    confirmed(world.person, purpose="offers")
    headers = consent.unsubscribe_headers(world.person, "offers")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://localhost:8000/u/") and url == consent.unsubscribe_url(world.person, "offers")
    path = url.removeprefix("http://localhost:8000")
    client = Client(enforce_csrf_checks=True)
    assert client.get(path).status_code == 200
    assert consent.may_contact(world.person, purpose="offers")  # GET only asks
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and not client.cookies.get("csrftoken")
    assert not consent.may_contact(world.person, purpose="offers")
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200  # idempotent
    assert ConsentRecord.objects.filter(person=world.person, action="withdrawn").count() == 1
    assert Suppression.objects.filter(address_hash=address_hash("J.Mueller@gunther-glas.de ")).exists()


def test_base_url_setting(world, settings):
    settings.KUNDE_BASE_URL = "https://crm.example.com/"
    assert consent.unsubscribe_url(world.person, "offers").startswith("https://crm.example.com/u/")
    assert consent.preferences_url(world.person).startswith("https://crm.example.com/consent/preferences/")


def test_forged_links_are_refused(world, client):
    token = consent.unsubscribe_token(world.person, "offers")
    assert client.post(f"/u/{token}x/").status_code == 404
    assert client.post(f"/consent/confirm/{token}/").status_code == 404  # another purpose's token
    assert client.get(f"/consent/preferences/{token}/").status_code == 404


def test_suppression_survives_deletion_and_reimport(world):
    confirmed(world.person)
    consent.consent_withdraw(actor=None, person=world.person, purpose="newsletter", suppress=True)
    from kunde.contacts.services import person_delete

    person_delete(actor=world.admin, person=world.person)
    assert Suppression._meta.get_fields() and not any(f.is_relation for f in Suppression._meta.get_fields())
    again = make_person(world.owner, last_name="Müller", emails=[{"email": "j.mueller@gunther-glas.de"}])
    consent.consent_give(actor=None, person=again, purpose="newsletter", confirmed=True, source="import")
    assert not consent.may_contact(again, purpose="newsletter")
    assert not consent.people_with_consent(Person.objects.all(), "newsletter").exists()


def test_explicit_address_is_checked(world):
    confirmed(world.person)
    consent.suppress_addresses(["other@example.org"], Suppression.Reason.COMPLAINED)
    assert consent.may_contact(world.person, purpose="newsletter")
    assert not consent.may_contact(world.person, purpose="newsletter", address="Other@example.org")


def test_bounce_event_suppresses(world):
    confirmed(world.person)
    events._deliver("mail.message_bounced", {"id": 1, "address": "j.mueller@gunther-glas.de"})
    assert Suppression.objects.get().reason == "bounced"
    assert not consent.may_contact(world.person, purpose="newsletter")


def test_confirmed_new_opt_in_lifts_an_unsubscribe(world):
    from kunde.mail.models import OutboundMessage

    confirmed(world.person)
    consent.consent_withdraw(actor=None, person=world.person, purpose="newsletter", suppress=True)
    consent.consent_give(actor=None, person=world.person, purpose="newsletter")
    token = confirm_link(OutboundMessage.objects.get(purpose="consent").text)
    consent.consent_confirm(token)
    assert consent.may_contact(world.person, purpose="newsletter")


def test_people_with_consent_matches_may_contact(world):
    people = [make_person(world.owner, emails=[{"email": f"p{i}@example.org"}]) for i in range(6)]
    nobody = make_person(world.owner)
    for person in people[:5]:
        confirmed(person, purpose="offers")
    consent.consent_give(actor=None, person=nobody, purpose="offers", channel="letter")
    consent.consent_withdraw(actor=None, person=people[1], purpose="offers")
    consent.consent_give(actor=None, person=people[2], purpose="offers")  # a newer unconfirmed give
    consent.suppress_addresses(["p3@example.org"], "bounced")
    allowed = set(consent.people_with_consent(Person.objects.all(), "offers").values_list("pk", flat=True))
    assert allowed == {p.pk for p in [*people, nobody, world.person]
                       if consent.may_contact(p, purpose="offers")} == {people[0].pk, people[4].pk}


def test_preference_page_gives_and_withdraws(world, client):
    from kunde.mail.models import OutboundMessage

    confirmed(world.person, purpose="surveys")
    url = consent.preferences_url(world.person).removeprefix("http://localhost:8000")
    page = client.get(url)
    assert page.status_code == 200 and "Newsletter" in page.content.decode()
    client.post(url, {"purpose": "surveys", "action": "withdraw"})
    assert consent.consent_state(world.person, "surveys") == "withdrawn"
    client.post(url, {"purpose": "newsletter", "action": "give"})
    assert consent.consent_state(world.person, "newsletter") == "pending"
    assert OutboundMessage.objects.filter(purpose="consent").count() == 1
    record = ConsentRecord.objects.filter(person=world.person, purpose__key="newsletter").get()
    assert record.proof["form"] == "preferences page"


def test_give_is_atomic_with_the_mail(world, monkeypatch):
    import kunde.mail.services as mail

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(mail, "outbox_enqueue", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        consent.consent_give(actor=None, person=world.person, purpose="newsletter")
    assert not ConsentRecord.objects.exists()


def test_public_pages_speak_german(world, client):
    confirmed(world.person, purpose="offers")
    path = consent.unsubscribe_url(world.person, "offers").removeprefix("http://localhost:8000")
    page = client.get(path, headers={"Accept-Language": "de"})
    assert "Abmelden" in page.content.decode() and "Angebote" in page.content.decode()
    done = client.post(path, headers={"Accept-Language": "de"})
    assert "Sie erhalten von uns keine E-Mails mehr zu: Angebote." in done.content.decode()
