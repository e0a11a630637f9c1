"""The outbox against a real SMTP server: headers, attachments, once per key, retries, bounces, crashes."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from kunde.core import events
from kunde.mail.models import OutboundMessage
from kunde.mail.services import STALE_CLAIM, outbox_enqueue, outbox_send_due

pytestmark = pytest.mark.django_db


def enqueue(key: str = "quote:1", **fields):
    values = {"to": "j.mueller@gunther-glas.de", "subject": "Ihr Angebot AN-2026-0042", "text": "Guten Tag",
              "dedupe_key": key, **fields}
    return outbox_enqueue(**values)


def test_message_arrives_with_threading_headers_html_and_attachment(world, smtp_server):
    message = enqueue(html="<p>Guten Tag</p>", attachments=[("AN-2026-0042.pdf", b"%PDF-1.4 test", "application/pdf")],
                      in_reply_to="<first@kunde.example>", references=["<first@kunde.example>"],
                      headers={"List-Unsubscribe": "<https://crm.example/u/x>"}, person=world.person)
    assert outbox_send_due() == 1
    received = smtp_server.wait_for(1)[0]
    assert received["Message-ID"] == message.message_id
    assert (received["In-Reply-To"], received["References"]) == ("<first@kunde.example>", "<first@kunde.example>")
    assert received["List-Unsubscribe"] == "<https://crm.example/u/x>"
    assert received["Subject"] == "Ihr Angebot AN-2026-0042"
    assert received.get_body(("plain",)).get_content().strip() == "Guten Tag"
    assert received.get_body(("html",)).get_content().strip() == "<p>Guten Tag</p>"
    attachment = next(received.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("AN-2026-0042.pdf", b"%PDF-1.4 test")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at is not None) == ("sent", 1, True)


def test_same_key_is_queued_and_sent_once(world, smtp_server):
    first, second = enqueue(), enqueue(subject="anders")
    assert first.pk == second.pk
    assert outbox_send_due() == 1 and outbox_send_due() == 0
    assert len(smtp_server.wait_for(1)) == 1


def test_rolled_back_change_sends_nothing(world, smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue()
        raise RuntimeError("the quote could not be saved")
    assert outbox_send_due() == 0 and smtp_server.messages == []


def test_sent_after_commit_by_the_worker(world, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue()
    assert len(smtp_server.wait_for(1)) == 1
    assert OutboundMessage.objects.get().status == "sent"


def test_temporary_refusal_is_retried_later(world, smtp_server):
    smtp_server.refuse["j.mueller@gunther-glas.de"] = "451 4.3.0 Try again later"
    message = enqueue()
    assert outbox_send_due() == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1) and message.next_attempt_at > timezone.now()
    smtp_server.refuse.clear()
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_send_due() == 1


def test_permanent_refusal_fails_and_reports_a_bounce(world, smtp_server, django_capture_on_commit_callbacks):
    bounced = []

    def record(_type, payload):
        bounced.append(payload["address"])

    events.subscribe("mail.message_bounced", record)
    smtp_server.refuse["weg@example.de"] = "550 5.1.1 No such user"
    with transaction.atomic():
        message = enqueue(to="weg@example.de")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox_send_due() == 0
    finally:
        events.unsubscribe("mail.message_bounced", record)  # the other apps' subscribers stay
    assert bounced == ["weg@example.de"]
    message.refresh_from_db()
    assert message.status == "failed" and "550" in message.last_error
    assert smtp_server.messages == []


def test_unreachable_server_leaves_everything_queued(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    enqueue("a"), enqueue("b")
    assert outbox_send_due() == 0
    assert sorted(OutboundMessage.objects.values_list("status", "attempts")) == [("queued", 1), ("queued", 1)]


def test_worker_killed_mid_batch_neither_loses_nor_doubles(world, smtp_server, monkeypatch):
    """A crash while sending leaves claimed rows; after the stale time they go out again, sent ones do not."""
    from kunde.mail import services

    for index in range(5):
        enqueue(f"campaign:1:person:{index}", to=f"kunde{index}@example.de")
    real_send, calls = services._send_one, []

    def crash_on_third(message, connection):
        calls.append(message.pk)
        if len(calls) == 3:
            raise SystemExit("killed")  # the process dies: no status is written for this one
        return real_send(message, connection)

    monkeypatch.setattr(services, "_send_one", crash_on_third)
    with pytest.raises(SystemExit):
        outbox_send_due()
    monkeypatch.setattr(services, "_send_one", real_send)
    assert outbox_send_due() == 0  # the claimed-but-unsent rows wait until their claim is stale
    OutboundMessage.objects.filter(status="sending").update(claimed_at=timezone.now() - STALE_CLAIM * 2)
    assert outbox_send_due() == 3
    received = sorted(message["To"] for message in smtp_server.wait_for(5))
    assert received == [f"kunde{index}@example.de" for index in range(5)]
