"""Signed links for people without a login: quote acceptance, surveys, opt-in, unsubscribe, portal.

One way to make and read them: `make_token(purpose, object_id)` signs the purpose and the
id with SECRET_KEY (salted per purpose, so a survey token never opens a quote) and a
timestamp; `read_token` checks signature, purpose and age. A token says *who* may act,
not *whether* the action is still possible: single use is the job of the record's state
(an answered quote refuses a second answer), which keeps the rule in the service that
owns the record.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing


class LinkError(Exception):
    """The link is broken, forged, for another purpose, or expired; `expired` tells which."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def _signer(purpose: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"kunde.link.{purpose}")


def make_token(purpose: str, object_id: int | str) -> str:
    """A URL-safe token naming `object_id` for `purpose`."""
    return _signer(purpose).sign(str(object_id))


def read_token(purpose: str, token: str, *, max_age: timedelta | None = None) -> str:
    """Return the object id a token names; raise LinkError when it is not valid for `purpose`."""
    try:
        return _signer(purpose).unsign(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise LinkError("This link has expired.", expired=True) from error
    except signing.BadSignature as error:
        raise LinkError("This link is not valid.") from error
