"""The few IMAP commands the poller needs (standard library `imaplib`), read-only on the server."""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Protocol

TIMEOUT = 60
_UID = re.compile(rb"UID (\d+)")


class MailboxSettings(Protocol):
    host: str
    port: int
    security: str
    username: str
    password: str


@contextmanager
def imap_session(mailbox: MailboxSettings) -> Iterator[imaplib.IMAP4]:
    """A logged-in connection; certificates are verified for SSL and STARTTLS."""
    client: imaplib.IMAP4
    if mailbox.security == "ssl":
        client = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(),
                                   timeout=TIMEOUT)
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT)
        if mailbox.security == "starttls":
            client.starttls(ssl.create_default_context())
    try:
        client.login(mailbox.username, mailbox.password)
        yield client
    finally:
        with suppress(imaplib.IMAP4.error, OSError):
            client.logout()


def quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def select_folder(client: imaplib.IMAP4, folder: str) -> int:
    """Open `folder` read-only (nothing is marked seen or deleted); return its UIDVALIDITY."""
    status, data = client.select(quoted(folder), readonly=True)
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot open folder {folder!r}: {data!r}")
    _name, values = client.response("UIDVALIDITY")
    if not values or values[0] is None:
        raise imaplib.IMAP4.error(f"the server sent no UIDVALIDITY for {folder!r}")
    return int(values[0])


def uids_after(client: imaplib.IMAP4, last_uid: int) -> list[int]:
    status, data = client.uid("SEARCH", "UID", f"{last_uid + 1}:*")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID SEARCH failed: {data!r}")
    # "n:*" always names the newest message, even when its UID is below n.
    return sorted(uid for uid in (int(value) for value in (data[0] or b"").split()) if uid > last_uid)


def fetch_raw(client: imaplib.IMAP4, uids: Sequence[int]) -> dict[int, bytes]:
    """The raw source of each message that still exists (one may be gone since the search)."""
    if not uids:
        return {}
    status, data = client.uid("FETCH", ",".join(str(uid) for uid in uids), "(UID BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH failed: {data!r}")
    messages: dict[int, bytes] = {}
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            match = _UID.search(item[0])
            if match:
                messages[int(match.group(1))] = item[1]
    return messages
