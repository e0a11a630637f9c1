"""Reading a raw e-mail safely: whatever arrives is stored, nothing crashes the poller.

Unknown charsets fall back to a lossless-enough decoding, HTML is sanitised with nh3,
executable attachments are quarantined and oversized ones refused (kept as a note), and a
message the parser cannot read at all is flagged `unparseable` with its raw bytes kept.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import PurePosixPath, PureWindowsPath

import nh3
from django.conf import settings

EXECUTABLE_SUFFIXES = frozenset({
    ".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".dll", ".cpl", ".jar", ".js", ".jse",
    ".vbs", ".vbe", ".wsf", ".wsh", ".ps1", ".psm1", ".hta", ".lnk", ".reg", ".sh", ".app", ".apk",
})
EXECUTABLE_TYPES = frozenset({
    "application/x-msdownload", "application/x-dosexec", "application/x-executable",
    "application/x-msdos-program", "application/vnd.microsoft.portable-executable", "application/java-archive",
    "application/x-sh", "application/javascript", "text/javascript", "application/hta",
})
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!")
# Precedence values that mark mail nobody typed (RFC 3834 § 3.1.8 and long practice).
AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_IDS = re.compile(r"<[^<>\s]+>")


def max_attachment_bytes() -> int:
    return int(settings.KUNDE_MAIL_MAX_ATTACHMENT_BYTES)


@dataclass
class ParsedAttachment:
    filename: str
    mimetype: str
    size: int
    content: bytes = b""
    quarantined: bool = False
    refused: bool = False
    reason: str = ""


@dataclass
class ParsedMessage:
    message_id: str = ""
    from_address: str = ""
    from_name: str = ""
    to: str = ""
    subject: str = ""
    sent_at: dt.datetime | None = None
    text: str = ""
    html: str = ""
    in_reply_to: str = ""
    references: str = ""
    is_auto_reply: bool = False
    is_bounce: bool = False
    unparseable: bool = False
    notes: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything Kunde needs from one raw message; never raises."""
    try:
        message = message_from_bytes(raw, policy=policy.default)
    except Exception as error:  # the parser of the standard library is lenient; this is the last line
        return ParsedMessage(unparseable=True, notes=[f"not a readable e-mail: {type(error).__name__}"])
    parsed = ParsedMessage()
    try:
        _headers(message, parsed)  # type: ignore[arg-type]
        _body(message, parsed)
    except Exception as error:
        parsed.unparseable = True
        parsed.notes.append(f"not a readable e-mail: {type(error).__name__}: {error}"[:300])
    if message.defects and not parsed.unparseable:
        parsed.notes.append("malformed: " + ", ".join(sorted({type(d).__name__ for d in message.defects})))
    return parsed


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot even decode: read it raw
        value = Message.get(message, name)
    return _CONTROL.sub(" ", str(value or "")).strip()


def message_ids(value: str) -> list[str]:
    return _IDS.findall(value or "")


def _headers(message: EmailMessage, parsed: ParsedMessage) -> None:
    parsed.message_id = (message_ids(_header(message, "Message-ID")) or [""])[0][:300]
    parsed.from_name, parsed.from_address = parseaddr(_header(message, "From"))
    parsed.from_address = parsed.from_address.strip().lower()[:254]
    parsed.from_name = parsed.from_name[:200]
    parsed.to = ", ".join(address for _name, address in getaddresses([_header(message, "To"), _header(message, "Cc")])
                          if address)
    parsed.subject = _header(message, "Subject")[:300]
    parsed.in_reply_to = " ".join(message_ids(_header(message, "In-Reply-To")))[:300]
    parsed.references = " ".join(message_ids(_header(message, "References")))
    try:
        parsed.sent_at = parsedate_to_datetime(_header(message, "Date")) if _header(message, "Date") else None
        if parsed.sent_at is not None and parsed.sent_at.tzinfo is None:
            parsed.sent_at = parsed.sent_at.replace(tzinfo=dt.UTC)
    except (TypeError, ValueError):
        parsed.notes.append("unreadable Date header")
    auto_submitted = _header(message, "Auto-Submitted").lower()
    parsed.is_auto_reply = bool(
        (auto_submitted and auto_submitted != "no")
        or _header(message, "Precedence").lower() in AUTOMATIC_PRECEDENCE
        or _header(message, "X-Autoreply") or _header(message, "X-Autorespond")
        or _header(message, "List-Id")
    )
    parsed.is_bounce = (message.get_content_type() == "multipart/report"
                        or parsed.from_address.split("@")[0] in {"mailer-daemon", "postmaster"})


def _text_of(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, AssertionError):  # unknown or lying charset: keep what can be read
        payload = part.get_payload(decode=True) or b""
        assert isinstance(payload, bytes)
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")


def _body(message: EmailMessage, parsed: ParsedMessage) -> None:
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    if rich is not None:
        parsed.html = nh3.clean(_text_of(rich))  # type: ignore[arg-type]
    if plain is not None:
        parsed.text = _text_of(plain)  # type: ignore[arg-type]
    elif parsed.html:
        parsed.text = html_text(parsed.html)
    for part in message.iter_attachments():
        parsed.attachments.append(_attachment(part))  # type: ignore[arg-type]


def html_text(html: str) -> str:
    spaced = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h\d)>", "\n", html)
    return html_lib.unescape(nh3.clean(spaced, tags=set())).strip()


def _filename(part: EmailMessage) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = PureWindowsPath(PurePosixPath(_CONTROL.sub("", name)).name).name.strip()
    return name[:255] or "attachment"


def _attachment(part: EmailMessage) -> ParsedAttachment:
    filename, mimetype = _filename(part), part.get_content_type()
    try:
        content = part.get_payload(decode=True) or b""
    except Exception:
        content = b""
    if not isinstance(content, bytes):  # a message/rfc822 part: keep it as its source
        content = part.as_bytes()
    size = len(content)
    if size > max_attachment_bytes():
        return ParsedAttachment(filename, mimetype, size, refused=True,
                                reason=f"larger than {max_attachment_bytes() // (1024 * 1024)} MB")
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix in EXECUTABLE_SUFFIXES or mimetype in EXECUTABLE_TYPES or content.startswith(EXECUTABLE_MAGIC):
        return ParsedAttachment(filename, mimetype, size, content, quarantined=True, reason="executable")
    return ParsedAttachment(filename, mimetype, size, content)
