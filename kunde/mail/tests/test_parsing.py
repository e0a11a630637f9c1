"""Whatever arrives is read safely: bad MIME, charsets, HTML and attachments never crash the poller."""

from __future__ import annotations

from email.message import EmailMessage

from kunde.mail.parsing import parse_message


def build(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Jürgen Müller <J.Mueller@Gunther-Glas.de>")
    message["To"] = "service@fidelis-invest.de"
    message["Subject"] = headers.pop("Subject", "Depotauszug")
    message["Message-ID"] = headers.pop("Message_ID", "<m1@gunther-glas.de>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Guten Tag,\nmir fehlt ein Auszug.")
    return message


def test_headers_text_and_threading_ids():
    message = build(In_Reply_To="<kunde-1@fidelis-invest.de>",
                    References="<kunde-0@fidelis-invest.de> <kunde-1@fidelis-invest.de>")
    parsed = parse_message(message.as_bytes())
    assert parsed.from_address == "j.mueller@gunther-glas.de" and parsed.from_name == "Jürgen Müller"
    assert parsed.message_id == "<m1@gunther-glas.de>" and parsed.in_reply_to == "<kunde-1@fidelis-invest.de>"
    assert parsed.references.split() == ["<kunde-0@fidelis-invest.de>", "<kunde-1@fidelis-invest.de>"]
    assert parsed.text.startswith("Guten Tag") and not parsed.unparseable and not parsed.is_auto_reply


def test_html_is_sanitised_and_gives_the_text_when_there_is_no_plain_part():
    raw = (b"From: a@example.org\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>Bitte <b>sofort</b> sperren</p><script>alert(1)</script><img src=x onerror=alert(2)>")
    parsed = parse_message(raw)
    assert "<script" not in parsed.html and "onerror" not in parsed.html and "<b>sofort</b>" in parsed.html
    assert parsed.text == "Bitte sofort sperren"


def test_unknown_charset_is_read_not_crashed():
    raw = (b"From: a@example.org\r\nSubject: x\r\nContent-Type: text/plain; charset=x-klingon\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\nGr\xfc\xdfe")
    parsed = parse_message(raw)
    assert parsed.text == "Grüße" and not parsed.unparseable


def test_malformed_mime_is_noted_and_still_read():
    raw = (b"From: a@example.org\r\nSubject: kaputt\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n"
           b"--zz\r\nContent-Type: text/plain\r\n\r\nnoch lesbar\r\n")  # the closing boundary is missing
    parsed = parse_message(raw)
    assert "noch lesbar" in parsed.text and any(note.startswith("malformed") for note in parsed.notes)


def test_garbage_is_kept_flagged_or_read_but_never_raises():
    for raw in (b"", b"\x00\xff\xfe" * 100, b"Subject: =?utf-8?b?////?=\r\n\r\n", b"From: <<<@>>>\r\n\r\n"):
        parse_message(raw)  # no exception is the behaviour under test


def test_automatic_mail_is_recognised():
    assert parse_message(build(Auto_Submitted="auto-replied").as_bytes()).is_auto_reply
    assert parse_message(build(Precedence="bulk").as_bytes()).is_auto_reply
    assert not parse_message(build(Auto_Submitted="no").as_bytes()).is_auto_reply
    assert parse_message(build(From="MAILER-DAEMON@mx.example.org").as_bytes()).is_bounce


def test_attachments_executables_quarantined_oversize_refused(settings):
    settings.KUNDE_MAIL_MAX_ATTACHMENT_BYTES = 1000
    message = build()
    message.add_attachment(b"%PDF-1.4 Auszug", maintype="application", subtype="pdf", filename="auszug.pdf")
    message.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="rechnung.pdf")
    message.add_attachment(b"x" * 2000, maintype="image", subtype="png", filename="../../etc/huge.png")
    message.add_attachment(b"echo", maintype="text", subtype="plain", filename="C:\\tmp\\run.bat")
    pdf, disguised, huge, script = parse_message(message.as_bytes()).attachments
    assert (pdf.filename, pdf.content, pdf.quarantined, pdf.refused) == ("auszug.pdf", b"%PDF-1.4 Auszug", False, False)
    assert disguised.quarantined and disguised.reason == "executable"  # by its bytes, whatever its name says
    assert huge.refused and huge.content == b"" and huge.size == 2000 and huge.filename == "huge.png"
    assert script.quarantined and script.filename == "run.bat"
