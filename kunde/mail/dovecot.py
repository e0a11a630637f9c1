"""A throwaway Dovecot IMAP server on loopback, for the tests and the benchmark.

Started with its own configuration file; as root it runs its processes as Dovecot's own
users (`../shared/NOTES.md` lists what that needs).
"""

from __future__ import annotations

import imaplib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class DovecotMissing(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def start_dovecot(root: str) -> ImapServer:
    """Start Dovecot with its configuration, users and mail in `root` (which must be reachable
    for Dovecot's own users); returns when it accepts a login."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if binary is None:
        raise DovecotMissing("Dovecot is not installed: `apt-get install -y dovecot-imapd` (test.sh does it)")
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
        except (OSError, imaplib.IMAP4.error) as error:
            if time.monotonic() > deadline or isinstance(error, imaplib.IMAP4.error):
                log_file = os.path.join(root, "dovecot.log")
                log = Path(log_file).read_text() if os.path.exists(log_file) else ""
                stop_dovecot(server)  # never leave a server behind that nobody stops
                raise RuntimeError(f"Dovecot did not start ({error}):\n{log}") from None
            time.sleep(0.1)


def stop_dovecot(server: ImapServer) -> None:
    pid_file = os.path.join(server.root, "run", "master.pid")
    if os.path.exists(pid_file):
        with open(pid_file) as handle:
            os.kill(int(handle.read().strip()), signal.SIGTERM)
    shutil.rmtree(server.root, ignore_errors=True)
