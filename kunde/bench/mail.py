"""Benchmark of incoming e-mail: N messages from a local Dovecot to tickets, end to end.

Starts a throwaway Dovecot (Debian's `dovecot-imapd`), delivers N messages by IMAP APPEND
(not timed), then times `poll_all()`: fetch over IMAP, parse, store with the UID in one
transaction per batch, and the service handler (sender matched or created, routing, SLA,
ticket, history). The messages come from 200 senders (so, as in a running service desk,
most are known customers after their first message; the first message of each creates a
person to review); every fifth answers an earlier one by `In-Reply-To`, so threading is
part of the work; every twentieth is an automatic reply that is only stored.

    python -m kunde.bench.mail --messages 10000      # on the current (scratch) database
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from email.message import EmailMessage
from typing import Any

SENDERS = 200


def _message(index: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Kunde {index % SENDERS} <kunde{index % SENDERS}@bench.example.org>"
    message["To"] = "service@bench.example.org"
    message["Message-ID"] = f"<bench-{index}@bench.example.org>"
    if index % 5 == 4:
        message["In-Reply-To"] = f"<bench-{index - 1}@bench.example.org>"
        message["Subject"] = f"AW: Anfrage {index - 1}: Depotauszug"
    else:
        message["Subject"] = f"Anfrage {index}: Depotauszug"
    if index % 20 == 19:
        message["Auto-Submitted"] = "auto-replied"
    message.set_content(f"Guten Tag,\nbitte senden Sie mir den Depotauszug ({index}).\nDanke")
    return message.as_bytes()


def measure_mail_ingest(messages: int = 10000) -> dict[str, Any]:
    """Deliver `messages` to a local Dovecot, then time polling them into tickets."""
    from kunde.mail.dovecot import DovecotMissing, start_dovecot, stop_dovecot
    from kunde.mail.imap import quoted
    from kunde.mail.inbound import poll_all
    from kunde.mail.models import InboundMessage
    from kunde.service.models import Ticket, TicketMessage

    root = tempfile.mkdtemp(prefix="kunde-bench-dovecot-")
    try:
        server = start_dovecot(root)
    except DovecotMissing as error:
        return {"skipped": str(error)}
    try:
        folder = f"bench-{int(time.time())}"
        client = server.connect()
        client.create(quoted(folder))
        started = time.perf_counter()
        for index in range(messages):
            client.append(quoted(folder), "", None, _message(index))
        client.logout()
        append_seconds = time.perf_counter() - started
        from dataclasses import replace

        replace(server, folder=folder).mailbox(name=f"Bench {folder}", address="service@bench.example.org")
        tickets_before, inbound_before = Ticket.all_objects.count(), InboundMessage.objects.count()
        started = time.perf_counter()
        outcome = poll_all()
        seconds = time.perf_counter() - started
        return {
            "messages": messages, "append_seconds": round(append_seconds, 1), "ingest_seconds": round(seconds, 1),
            "messages_per_second": round(messages / seconds, 1) if seconds else None, **outcome,
            "stored": InboundMessage.objects.count() - inbound_before,
            "tickets_opened": Ticket.all_objects.count() - tickets_before,
            "ticket_messages": TicketMessage.objects.count(),
        }
    finally:
        stop_dovecot(server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kunde.bench.mail")
    parser.add_argument("--messages", type=int, default=10000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    import json

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(measure_mail_ingest(args.messages), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
