"""Polling a real IMAP server (Dovecot): every message is stored and handled exactly once."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from kunde.core import events
from kunde.mail import inbound
from kunde.mail.inbound import mailbox_poll, poll_all, register_handler
from kunde.mail.models import InboundMessage, Mailbox
from kunde.mail.services import outbox_enqueue

pytestmark = pytest.mark.django_db(transaction=True)


def mail(number: int, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Kundin <kundin@example.org>")
    message["To"] = "service@fidelis-invest.de"
    message["Subject"] = headers.pop("Subject", f"Anfrage {number}")
    message["Message-ID"] = headers.pop("Message_ID", f"<anfrage-{number}@example.org>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(f"Text {number}")
    return message.as_bytes()


@pytest.fixture
def handled():
    """What the handler of the purpose "test" was given (subjects, in order)."""
    seen: list[str] = []
    register_handler("test", lambda message: seen.append(message.subject))
    yield seen
    inbound._handlers.pop("test", None)


def test_each_message_is_fetched_and_handled_once(imap_server, handled):
    mailbox = imap_server.mailbox(purpose="test")
    for number in (1, 2, 3):
        imap_server.append(mail(number))
    assert poll_all() == {"fetched": 3, "processed": 3, "mailbox_errors": 0}
    assert handled == ["Anfrage 1", "Anfrage 2", "Anfrage 3"]

    assert poll_all()["fetched"] == 0  # nothing new
    imap_server.append(mail(4))
    assert poll_all() == {"fetched": 1, "processed": 1, "mailbox_errors": 0}
    assert handled == ["Anfrage 1", "Anfrage 2", "Anfrage 3", "Anfrage 4"]
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 4 and mailbox.last_error == "" and mailbox.last_polled_at is not None
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {"processed"}


def test_a_crash_in_the_middle_of_a_batch_loses_and_doubles_nothing(imap_server, handled, monkeypatch):
    mailbox = imap_server.mailbox(purpose="test")
    for number in range(1, 6):
        imap_server.append(mail(number))
    real_store, calls = inbound._store, []

    def dies_at_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise SystemExit("worker killed")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(inbound, "_store", dies_at_the_third)
    with pytest.raises(SystemExit):
        mailbox_poll(mailbox)
    assert InboundMessage.objects.count() == 0  # the batch was one transaction
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 0 and mailbox.poll_claimed_at is None

    monkeypatch.setattr(inbound, "_store", real_store)
    poll_all()
    assert handled == [f"Anfrage {n}" for n in range(1, 6)]
    assert InboundMessage.objects.count() == 5


def test_a_failing_handler_rolls_back_its_work_and_the_others_go_on(imap_server, world):
    from kunde.contacts.models import Person

    def handler(message):
        Person.objects.create(first_name="Half", last_name="Done")
        if "2" in message.subject:
            raise RuntimeError("the handler broke")

    register_handler("fragile", handler)
    try:
        imap_server.mailbox(purpose="fragile")
        people = Person.objects.count()
        for number in (1, 2, 3):
            imap_server.append(mail(number))
        assert poll_all()["processed"] == 2
    finally:
        inbound._handlers.pop("fragile", None)
    failed = InboundMessage.objects.get(status="failed")
    assert failed.subject == "Anfrage 2" and "the handler broke" in failed.error
    assert Person.objects.count() == people + 2  # the failed message's person was rolled back
    assert InboundMessage.objects.filter(status="processed").count() == 2

    register_handler("fragile", lambda message: None)  # after the cause is fixed, it can be handed on again
    try:
        assert inbound.inbound_retry(failed) is True
    finally:
        inbound._handlers.pop("fragile", None)


def test_the_same_message_in_two_mailboxes_is_handled_once(imap_server, handled):
    first = imap_server.mailbox(purpose="test")
    client = imap_server.connect()
    client.create(imap_server.folder + "-info")
    client.logout()
    second = imap_server.mailbox(purpose="test", name="Info", folder=imap_server.folder + "-info")
    raw = mail(1)
    imap_server.append(raw)
    imap_server.append(raw, folder=second.folder)
    poll_all()
    assert handled == ["Anfrage 1"]
    assert {m.mailbox for m in InboundMessage.objects.all()} == {first, second}
    assert "same Message-ID" in InboundMessage.objects.get(status="ignored").notes


def test_automatic_replies_loops_and_our_own_mail_make_nothing(imap_server, handled, settings):
    imap_server.mailbox(purpose="test")
    ours = outbox_enqueue(to="kundin@example.org", subject="Ihre Anfrage", text="…", dedupe_key="t:1")
    imap_server.append(mail(1, Auto_Submitted="auto-replied", Subject="Abwesend"))
    imap_server.append(mail(2, Precedence="bulk"))
    imap_server.append(mail(3, From=imap_server.user))  # the mailbox's own address
    imap_server.append(mail(4, Message_ID=ours.message_id))  # our own message came back
    imap_server.append(mail(5))
    poll_all()
    assert handled == ["Anfrage 5"]
    ignored = {m.subject: m for m in InboundMessage.objects.filter(status="ignored")}
    assert ignored["Abwesend"].is_auto_reply and ignored["Anfrage 2"].is_auto_reply
    assert ignored["Anfrage 3"].is_loop and ignored["Anfrage 4"].is_loop


def test_a_delivery_report_about_our_message_reports_the_bounce(imap_server, handled):
    imap_server.mailbox(purpose="test")
    ours = outbox_enqueue(to="weg@example.org", subject="Newsletter", text="…", dedupe_key="t:bounce")
    bounced: list[dict] = []

    def record(_type, payload):
        bounced.append(payload)

    events.subscribe("mail.message_bounced", record)
    report = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\nTo: service@fidelis-invest.de\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.example.org>\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
        "Final-Recipient: rfc822; weg@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ours.message_id}\r\n--b--\r\n"
    ).encode()
    imap_server.append(report)
    try:
        poll_all()
    finally:
        events.unsubscribe("mail.message_bounced", record)
    assert handled == []
    assert InboundMessage.objects.get().is_bounce
    assert [(p["id"], p["address"]) for p in bounced] == [(ours.pk, "weg@example.org")]
    from kunde.audience.consent import is_suppressed

    assert is_suppressed("weg@example.org")  # the consent ledger listened


def test_bad_messages_are_stored_safely(imap_server, handled, settings):
    settings.KUNDE_MAIL_MAX_ATTACHMENT_BYTES = 10_000
    imap_server.mailbox(purpose="test")
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "a@example.org", "Anhänge", "<att@example.org>"
    message.set_content("<p>hi</p><script>alert(1)</script>", subtype="html")
    message.add_attachment(b"MZ" + b"\x00" * 100, maintype="application", subtype="x-msdownload",
                           filename="tool.exe")
    message.add_attachment(b"y" * 20_000, maintype="application", subtype="pdf", filename="gross.pdf")
    message.add_attachment(b"%PDF ok", maintype="application", subtype="pdf", filename="klein.pdf")
    imap_server.append(message.as_bytes())
    poll_all()
    stored = InboundMessage.objects.get()
    assert "<script" not in stored.html and stored.status == "processed"
    files = {a.filename: a for a in stored.attachments.all()}
    assert files["tool.exe"].quarantined and not files["klein.pdf"].quarantined
    assert files["gross.pdf"].refused and bytes(files["gross.pdf"].content) == b"" and files["gross.pdf"].size == 20_000
    assert b"tool.exe" in bytes(stored.raw)  # the source is kept as it came


def test_a_new_uidvalidity_starts_over_without_handling_twice(imap_server, handled):
    mailbox = imap_server.mailbox(purpose="test")
    imap_server.append(mail(1))
    poll_all()
    # As after a server migration: what was fetched carries the old UIDVALIDITY and UIDs.
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1, last_uid=99)
    InboundMessage.objects.update(uidvalidity=1, uid=99)
    imap_server.append(mail(2))
    poll_all()
    assert handled == ["Anfrage 1", "Anfrage 2"]
    assert InboundMessage.objects.filter(status="ignored").count() == 1  # message 1, fetched again


def test_an_unreachable_server_is_recorded_on_the_mailbox(db):
    from kunde.mail.testing import free_port

    mailbox = Mailbox.objects.create(name="Weg", address="a@example.org", host="127.0.0.1", port=free_port(),
                                     security=Mailbox.Security.NONE, username="a", password="b")
    assert poll_all() == {"fetched": 0, "processed": 0, "mailbox_errors": 1}
    mailbox.refresh_from_db()
    assert "ConnectionRefused" in mailbox.last_error and mailbox.poll_claimed_at is None


def test_a_wrong_password_is_recorded_on_the_mailbox(imap_server):
    mailbox = imap_server.mailbox(purpose="test", password="falsch")
    assert mailbox_poll(mailbox).error
    mailbox.refresh_from_db()
    assert "error" in mailbox.last_error.lower()


def test_a_mailbox_being_polled_is_not_polled_twice(imap_server, handled):
    from django.utils import timezone

    mailbox = imap_server.mailbox(purpose="test")
    imap_server.append(mail(1))
    Mailbox.objects.filter(pk=mailbox.pk).update(poll_claimed_at=timezone.now())  # another worker has it
    assert mailbox_poll(mailbox).fetched == 0
    Mailbox.objects.filter(pk=mailbox.pk).update(poll_claimed_at=timezone.now() - inbound.STALE_POLL * 2)
    assert mailbox_poll(mailbox).fetched == 1  # a claim of a dead worker expires
