"""Signed links that work once: the magic sign-in links of the customer and the partner portal.

A `kunde.core.links` token proves who and what a link is for and when it expires; using it
up stores its digest (`UsedToken`), so a second click, a forwarded mail or a replay after
sign-out finds it used. Checking (showing the confirmation page) leaves the link unused, so
a mail scanner that opens links does not spend them.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction

from kunde.core.links import LinkError, read_token
from kunde.service.models import UsedToken


def link_digest(purpose: str, token: str) -> str:
    return hashlib.sha256(f"{purpose}:{token}".encode()).hexdigest()


def check_unused(purpose: str, token: str, *, max_age: timedelta) -> Any:
    """The id the link names; LinkError when it is broken, expired or used. The link stays unused."""
    object_id = read_token(purpose, token, max_age=max_age)
    if UsedToken.objects.filter(digest=link_digest(purpose, token)).exists():
        raise LinkError("This link has already been used.")
    return object_id


def use_up(purpose: str, token: str, *, max_age: timedelta) -> Any:
    """The id the link names, and the link is used (once, also against a concurrent click); LinkError otherwise."""
    object_id = read_token(purpose, token, max_age=max_age)
    try:
        with transaction.atomic():
            UsedToken.objects.create(digest=link_digest(purpose, token), purpose=purpose)
    except IntegrityError as error:
        raise LinkError("This link has already been used.") from error
    return object_id


def mail_allowed(scope: str, email: str, *, per_hour: int) -> bool:
    """At most `per_hour` sign-in mails per address and hour for `scope` (the cache counts)."""
    from django.core.cache import cache

    key = f"{scope}.rate." + hashlib.sha256(email.strip().lower().encode()).hexdigest()
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= per_hour
    except ValueError:  # the count expired between add and incr
        return True
