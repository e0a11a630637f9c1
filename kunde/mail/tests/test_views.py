"""The administration of incoming e-mail: mailbox status, messages that were not handed on, retry."""

from __future__ import annotations

import pytest

from kunde.mail import inbound
from kunde.mail.models import InboundMessage, Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(world):
    mailbox = Mailbox.objects.create(name="Service", address="service@fidelis-invest.de", host="imap.example.org",
                                     username="service", purpose="flaky", last_error="AUTHENTICATIONFAILED")
    failed = InboundMessage.objects.create(mailbox=mailbox, uidvalidity=1, uid=1, subject="Depotauszug",
                                           from_address="kundin@example.org", raw=b"Subject: Depotauszug\r\n\r\nx",
                                           status="failed", error="RuntimeError: the handler broke")
    broken = InboundMessage.objects.create(mailbox=mailbox, uidvalidity=1, uid=2, raw=b"\x00garbage",
                                           status="failed", unparseable=True, error="could not be parsed")
    return mailbox, failed, broken


@pytest.mark.parametrize("who, status", [
    ("anonymous", 302), ("read_only", 403), ("other_team", 403), ("teammate", 403), ("owner", 403),
    ("manager", 403), ("admin", 200),
])
def test_only_administrators_see_incoming_mail(client, world, stored, who, status):
    _mailbox, failed, _broken = stored
    if who != "anonymous":
        client.force_login(getattr(world, who))
    assert client.get("/admin-area/mail/").status_code == status
    assert client.get(f"/admin-area/mail/messages/{failed.pk}/raw/").status_code == status
    retried = client.post(f"/admin-area/mail/messages/{failed.pk}/retry/")
    assert retried.status_code == (302 if who in {"anonymous", "admin"} else 403)  # admin: back to the list
    failed.refresh_from_db()
    if who != "admin":
        assert failed.status == "failed"  # nobody else could hand it on


def test_the_page_shows_what_went_wrong_and_a_retry_hands_the_message_on(client, world, stored):
    _mailbox, failed, broken = stored
    client.force_login(world.admin)
    page = client.get("/admin-area/mail/").content.decode()
    assert "AUTHENTICATIONFAILED" in page and "the handler broke" in page and "could not be parsed" in page
    assert f"/admin-area/mail/messages/{failed.pk}/retry/" in page
    assert f"/admin-area/mail/messages/{broken.pk}/retry/" not in page  # nothing to hand on
    raw = client.get(f"/admin-area/mail/messages/{broken.pk}/raw/")
    assert raw.content == b"\x00garbage" and raw["Content-Type"] == "message/rfc822"

    handled: list[str] = []
    inbound.register_handler("flaky", lambda message: handled.append(message.subject))
    try:
        response = client.post(f"/admin-area/mail/messages/{failed.pk}/retry/", follow=True)
    finally:
        inbound._handlers.pop("flaky", None)
    assert handled == ["Depotauszug"] and "The message was handled." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == "processed"
    assert client.post(f"/admin-area/mail/messages/{broken.pk}/retry/").status_code == 404
    assert client.get("/admin-area/mail/?status=nonsense").status_code == 200
