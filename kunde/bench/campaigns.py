"""Benchmark of campaign sending: render personalised messages and hand them to a local SMTP server.

Each message is what `campaigns.sending.deliver` builds for a person: the person's context
from the database (name, last purchases, recent history topics), the template rendered in
the sandbox (text and HTML), then handed over SMTP (one connection, like the outbox
worker) to a sink on loopback that only counts. Memory is sampled along the way: it must
stay flat (people are streamed, nothing accumulates).

    python -m kunde.bench.campaigns --messages 20000      # on the current database
"""

from __future__ import annotations

import argparse
import os
import socketserver
import sys
import threading
import time
from typing import Any

TEMPLATE_TEXT = (
    "{{ person.greeting }},\n\n"
    "{% if last_purchase %}Sie haben {{ last_purchase.product }} gekauft.{% endif %}\n"
    "{% for i in interests %}- {{ i.topic_name|default(i.topic) }}\n{% endfor %}"
    "Unsere neue Kollektion ist da, {{ person.first_name|default('liebe Kundin') }}.\n\n"
    "{{ sender.company|default('HandelBlitz') }}\nAbmelden: {{ links.unsubscribe|default('') }}\n"
)
TEMPLATE_HTML = (
    "<html><body><p>{{ person.greeting }},</p>{% if last_purchase %}<p>Sie haben "
    "<b>{{ last_purchase.product }}</b> gekauft.</p>{% endif %}<ul>{% for i in interests %}"
    "<li>{{ i.topic_name|default(i.topic) }}</li>{% endfor %}</ul>"
    '<p><a href="https://shop.example/neu">Zur Kollektion</a></p></body></html>'
)


class _Sink(socketserver.StreamRequestHandler):
    """A minimal SMTP server that accepts every message and counts it."""

    def handle(self) -> None:
        server: Any = self.server
        self.wfile.write(b"220 bench ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-bench\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                while True:
                    data = self.rfile.readline()
                    if not data or data == b".\r\n":
                        break
                with server.lock:
                    server.count += 1
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


class _SinkServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, counter: Any) -> None:
        super().__init__(("127.0.0.1", port), _Sink)
        self.counter = counter
        self.lock = threading.Lock()

    @property
    def count(self) -> int:
        return int(self.counter.value)

    @count.setter
    def count(self, value: int) -> None:
        self.counter.value = value


def _serve(port: int, counter: Any, ready: Any) -> None:
    server = _SinkServer(port, counter)
    ready.set()
    server.serve_forever()


class SmtpSink:
    """The SMTP sink in its own process (as a real local mail server would be): no shared GIL."""

    def __init__(self) -> None:
        import multiprocessing
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        context = multiprocessing.get_context("fork")
        self.counter = context.Value("q", 0)
        self.ready = context.Event()
        self.process = context.Process(target=_serve, args=(self.port, self.counter, self.ready), daemon=True)

    def __enter__(self) -> SmtpSink:
        self.process.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.join(5)

    @property
    def count(self) -> int:
        return int(self.counter.value)


def _rss_mb(key: str = "RssAnon:") -> float:
    """Anonymous resident memory (heap): the database file mapped into memory (SQLite mmap) is not counted."""
    try:
        with open(f"/proc/{os.getpid()}/status") as status:
            for line in status:
                if line.startswith(key):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _send_share(template: Any, categories: dict[str, str], port: int, pk_range: tuple[int, int], quota: int,
                batch: int, stats: dict[str, Any], sample: Any) -> None:
    """One sender: stream its share of people, render, hand over SMTP on its own connection."""
    from django.core.mail import EmailMultiAlternatives, get_connection
    from django.db import connection as db_connection

    from kunde.campaigns.personalisation import choose_language, person_context, render_with
    from kunde.contacts.models import Person

    smtp = get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port,
                          use_tls=False, use_ssl=False, timeout=10)
    smtp.open()
    sent = 0
    render_seconds = smtp_seconds = 0.0
    people = Person.objects.filter(pk__gte=pk_range[0], pk__lt=pk_range[1]).order_by("pk")
    try:
        while sent < quota:
            for person in people.iterator(chunk_size=batch):
                if sent >= quota:
                    break
                t0 = time.perf_counter()
                language = choose_language(template, person)
                context = person_context(person, language=language, purpose="offers", categories=categories)
                rendered = render_with(template, language, context)
                message = EmailMultiAlternatives(
                    subject=rendered.subject, body=rendered.text, from_email="shop@handelblitz.example",
                    to=[f"person{person.pk}@example.org"], connection=smtp,
                    headers={"List-Unsubscribe": f"<https://kunde.example/u/{person.pk}>",
                             "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
                )
                message.attach_alternative(rendered.html, "text/html")
                t1 = time.perf_counter()
                smtp.send_messages([message])
                t2 = time.perf_counter()
                render_seconds += t1 - t0
                smtp_seconds += t2 - t1
                sent += 1
                sample(sent)
    finally:
        smtp.close()
        db_connection.close()
    stats["sent"] += sent
    stats["render"] += render_seconds
    stats["smtp"] += smtp_seconds


def measure_campaign_send(messages: int, *, senders: int = 2, batch: int = 200) -> dict[str, Any]:
    """Render and hand `messages` personalised e-mails (people cycled if fewer exist) to an SMTP sink,
    with `senders` threads, each on its own SMTP connection (rendering overlaps the SMTP waits)."""
    from django.db.models import Max, Min

    from kunde.campaigns import integration
    from kunde.campaigns.models import EmailTemplate
    from kunde.contacts.models import Person

    template = EmailTemplate(name="bench", purpose="offers", subject_de="Neu für {{ person.first_name }}",
                             text_de=TEMPLATE_TEXT, html_de=TEMPLATE_HTML, fallback_language="de")
    categories = integration.category_names()
    bounds = Person.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        raise SystemExit("no people in the database: generate bench data first")
    lo, hi = bounds["lo"], bounds["hi"] + 1
    step = (hi - lo) // senders + 1
    heap: list[float] = [_rss_mb()]
    lock = threading.Lock()
    every = max(1, messages // senders // 10)

    def sample(count: int) -> None:
        if count % every == 0:
            with lock:
                heap.append(_rss_mb())

    stats: dict[str, Any] = {"sent": 0, "render": 0.0, "smtp": 0.0}
    with SmtpSink() as sink:
        started = time.perf_counter()
        threads = [
            threading.Thread(target=_send_share, args=(
                template, categories, sink.port, (lo + i * step, min(hi, lo + (i + 1) * step)),
                messages // senders + (1 if i < messages % senders else 0), batch, stats, sample))
            for i in range(senders)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        deadline = time.time() + 10
        while sink.count < stats["sent"] and time.time() < deadline:
            time.sleep(0.05)
        received = sink.count
    sent = stats["sent"]
    return {
        "messages": sent,
        "received_by_smtp": received,
        "senders": senders,
        "people_in_db": Person.objects.count(),
        "seconds": round(elapsed, 2),
        "messages_per_second": round(sent / elapsed, 1) if elapsed else None,
        "render_ms_per_message": round(1000 * stats["render"] / sent, 2) if sent else None,
        "smtp_ms_per_message": round(1000 * stats["smtp"] / sent, 2) if sent else None,
        "heap_mb_samples": heap,
        "heap_growth_mb": round(heap[-1] - heap[1], 1) if len(heap) > 2 else None,
        "vm_rss_mb_end": _rss_mb("VmRSS:"),
    }


def measure_campaign_pipeline(messages: int) -> dict[str, Any]:
    """The whole path of a campaign on the current database: start (recipients), the worker's batches
    (consent check, render, outbox row, history entry, status per recipient in one transaction),
    then the mail outbox handing every message to the SMTP sink. Consent is taken as given here
    (the bench database has no consent ledger); everything else is the production code."""
    from django.conf import settings

    from kunde.campaigns import dispatch, integration
    from kunde.campaigns.services import campaign_create, template_create
    from kunde.contacts.models import EmailAddress
    from kunde.mail.services import outbox_send_due

    ids = list(EmailAddress.objects.filter(person__isnull=False).order_by("person_id")
               .values_list("person_id", flat=True).distinct()[:messages])
    from django.test import override_settings

    original = integration.may_contact
    integration.may_contact = lambda person, **kwargs: True  # type: ignore[assignment]
    heap = [_rss_mb()]
    # The outbox is drained below, as the worker's periodic job does: no task per message.
    dummy_tasks = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    try:
        with SmtpSink() as sink, override_settings(TASKS=dummy_tasks):
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
            settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
            settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
            template = template_create(actor=None, name="bench pipeline", subject_de="Neu für {{ person.first_name }}",
                                       text_de=TEMPLATE_TEXT, html_de=TEMPLATE_HTML)
            campaign = campaign_create(actor=None, name="bench pipeline", template=template,
                                       segment_definition={"person_ids": ids})
            started = time.perf_counter()
            dispatch.campaign_start(actor=None, campaign=campaign)
            started_sending = time.perf_counter()
            while dispatch.campaign_send_batch(campaign.pk, rate=0):
                heap.append(_rss_mb())
            queued = time.perf_counter()
            while outbox_send_due(limit=500):
                pass
            done = time.perf_counter()
            deadline = time.time() + 10
            while sink.count < len(ids) and time.time() < deadline:
                time.sleep(0.05)
            received = sink.count
    finally:
        integration.may_contact = original  # type: ignore[assignment]
    return {
        "messages": len(ids), "received_by_smtp": received,
        "start_seconds": round(started_sending - started, 2),
        "worker_seconds": round(queued - started_sending, 2),
        "outbox_seconds": round(done - queued, 2),
        "messages_per_second": round(len(ids) / (done - started), 1) if ids else None,
        "heap_mb_samples": heap[:: max(1, len(heap) // 10)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kunde.bench.campaigns")
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--pipeline", action="store_true",
                        help="measure the whole campaign path (recipients, worker, outbox) instead")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    import json

    import django

    django.setup()
    if args.pipeline:
        print(json.dumps(measure_campaign_pipeline(args.messages), indent=2))
    else:
        print(json.dumps(measure_campaign_send(args.messages, senders=args.senders), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
