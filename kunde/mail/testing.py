"""Pytest fixtures of the e-mail channel: a real SMTP server (aiosmtpd) and a real IMAP
server (Dovecot) on loopback."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest

from kunde.mail.dovecot import DovecotMissing, ImapServer, free_port, start_dovecot, stop_dovecot


@dataclass
class SmtpServer:
    """What the server received (`messages`, parsed) and how it should answer (`refuse`)."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    # address -> SMTP reply such as "550 5.1.1 No such user" (permanent) or "451 4.3.0 Try later"
    refuse: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, the SMTP server received {len(self.messages)}")


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on a loopback port; Django's SMTP backend is pointed at it."""
    from aiosmtpd.controller import Controller

    recorder = SmtpServer(port=free_port())
    controller = Controller(recorder, hostname=recorder.host, port=recorder.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = recorder.host, recorder.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def _dovecot() -> Iterator[ImapServer]:
    import tempfile

    # Not under pytest's tmp_path: its parents are private to root, and Dovecot's own users
    # must read the password file and write the mail folders.
    root = tempfile.mkdtemp(prefix="kunde-dovecot-")
    try:
        server = start_dovecot(root)
    except DovecotMissing as error:
        pytest.fail(str(error))
    try:
        yield server
    finally:
        stop_dovecot(server)


_folders = iter(range(1, 1_000_000))


@pytest.fixture
def imap_server(_dovecot: ImapServer) -> ImapServer:
    """The session's Dovecot with a new, empty folder for this test."""
    from dataclasses import replace

    server = replace(_dovecot, folder=f"test-{next(_folders)}")
    client = server.connect()
    try:
        status, data = client.create(server.folder)
        assert status == "OK", data
    finally:
        client.logout()
    return server
