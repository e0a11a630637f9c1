"""The e-mail channel: an outbox sent by the worker over SMTP, and IMAP mailboxes polled exactly once."""
