"""Pytest fixtures of the e-mail channel: a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u
}}
"""


@dataclass
class ImapServer:
    """A running Dovecot with one user; each test gets its own folder (`folder`)."""

    root: str
    host: str = "127.0.0.1"
    port: int = 0
    user: str = "service@fidelis-invest.de"
    password: str = "imap-test-password"  # noqa: S105 (a throwaway server on loopback)
    folder: str = "INBOX"

    def connect(self) -> Any:
        import imaplib

        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str | None = None) -> None:
        """Place a message on the server (as a mail server's delivery would)."""
        from kunde.mail.imap import quoted

        client = self.connect()
        try:
            status, data = client.append(quoted(folder or self.folder), "", None, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def mailbox(self, **fields: Any) -> Any:
        """A `Mailbox` row pointing at this server and the test's folder."""
        from kunde.mail.models import Mailbox

        defaults = {"name": f"Service {self.folder}", "purpose": "service", "address": self.user,
                    "host": self.host, "port": self.port, "security": Mailbox.Security.NONE,
                    "username": self.user, "password": self.password, "folder": self.folder}
        return Mailbox.objects.create(**{**defaults, **fields})


def _start_dovecot(root: str) -> ImapServer:
    import os
    import shutil
    import subprocess

    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if binary is None:
        pytest.fail("Dovecot is not installed: `apt-get install -y dovecot-imapd` (test.sh does it)")
    server = ImapServer(root=root, port=free_port())
    for sub in ("run", "state", "home"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    with open(os.path.join(root, "users"), "w") as users:
        users.write(f"{server.user}:{{PLAIN}}{server.password}\n")
    with open(os.path.join(root, "dovecot.conf"), "w") as conf:
        conf.write(DOVECOT_CONF.format(root=root, port=server.port))
    if os.geteuid() == 0:  # Dovecot's processes run as its own users: they need the home folder
        shutil.chown(os.path.join(root, "home"), "dovecot", "dovecot")
        os.chmod(root, 0o755)  # noqa: S103 (Dovecot's users must reach the folders inside)
    subprocess.run([binary, "-c", os.path.join(root, "dovecot.conf")], check=True)  # noqa: S603
    deadline = time.monotonic() + 10
    while True:
        try:
            server.connect().logout()
            return server
        except OSError:
            if time.monotonic() > deadline:
                log_file = os.path.join(root, "dovecot.log")
                log = Path(log_file).read_text() if os.path.exists(log_file) else ""
                raise AssertionError(f"Dovecot did not start:\n{log}") from None
            time.sleep(0.1)


@pytest.fixture(scope="session")
def _dovecot() -> Iterator[ImapServer]:
    import os
    import shutil
    import signal
    import tempfile

    # Not under pytest's tmp_path: its parents are private to root, and Dovecot's own users
    # must read the password file and write the mail folders.
    root = tempfile.mkdtemp(prefix="kunde-dovecot-")
    server = _start_dovecot(root)
    try:
        yield server
    finally:
        pid_file = os.path.join(root, "run", "master.pid")
        if os.path.exists(pid_file):
            with open(pid_file) as handle:
                os.kill(int(handle.read().strip()), signal.SIGTERM)
        shutil.rmtree(root, ignore_errors=True)


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
