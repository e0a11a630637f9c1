"""The public lead form's spam protection: honeypot, minimum fill time, per-client rate limit, origin check.

No third-party service. A GET hands out a signed token (`kunde.core.links`) naming the
form and the time the form was rendered; the POST must bring it back after at least
MIN_FILL_SECONDS and before MAX_AGE. A hidden honeypot field must stay empty. Every POST
is logged in `FormSubmission` under a keyed hash of the client address (never the
address itself), and that table is the rate limit's counter, so it holds across worker
processes. A retried POST with the same token (a double click, a reload) returns the
lead the first one created.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kunde.core.links import LinkError, make_token, read_token
from kunde.sales.models import FormSubmission, Lead, LeadForm, LeadSource, normalize_origin

logger = logging.getLogger(__name__)

PURPOSE = "sales.lead_form"
HONEYPOT = "website"  # a field a human never sees (hidden by CSS), bots fill in
MIN_FILL_SECONDS = 3
MAX_AGE = dt.timedelta(hours=12)
RATE_LIMIT = 5  # accepted or rejected POSTs per client …
RATE_WINDOW = dt.timedelta(minutes=10)  # … per window
Outcome = FormSubmission.Outcome


def client_key(ip: str) -> str:
    """A keyed hash of the client address: enough to count, useless to identify."""
    return hmac.new(settings.SECRET_KEY.encode(), f"lead-form:{ip}".encode(), hashlib.sha256).hexdigest()[:40]


def form_token(form: LeadForm, now: float | None = None) -> str:
    return make_token(PURPOSE, f"{form.pk}:{int(now if now is not None else time.time() * 1000)}")


def _token_time(form: LeadForm, token: str) -> float | None:
    try:
        value = read_token(PURPOSE, token, max_age=MAX_AGE)
    except LinkError:
        return None
    form_id, _sep, millis = value.partition(":")
    if form_id != str(form.pk) or not millis.isdigit():
        return None
    return int(millis) / 1000


def origin_allowed(form: LeadForm, origin: str | None, own_host: str) -> bool:
    """No Origin header (old browsers, same-origin GET-less posts) or our own or an allowed site."""
    if not origin or origin == "null":
        return not origin
    parts = urlsplit(origin)
    if parts.netloc == own_host:
        return True
    return normalize_origin(origin) in form.origins


@dataclass
class Result:
    outcome: str
    lead: Lead | None = None
    errors: dict[str, list[str]] | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome in (Outcome.ACCEPTED, Outcome.DUPLICATE)


def _log(form: LeadForm, client: str, outcome: str, lead: Lead | None = None) -> None:
    FormSubmission.objects.create(form=form, client=client, outcome=outcome, lead=lead)
    if outcome not in (Outcome.ACCEPTED, Outcome.DUPLICATE):
        logger.warning("lead form %s: rejected submission (%s) from client %s", form.key, outcome, client[:12])


def submit(form: LeadForm, data: dict[str, Any], *, ip: str, origin: str | None, own_host: str,
           now: float | None = None) -> Result:
    """Check a POST of the public form and create at most one lead for it."""
    from kunde.sales.services import lead_create

    now = time.time() if now is None else now
    client = client_key(ip)
    if not form.is_active:
        return Result(Outcome.BAD_TOKEN)
    if not origin_allowed(form, origin, own_host):
        _log(form, client, Outcome.BAD_ORIGIN)
        return Result(Outcome.BAD_ORIGIN)
    token = str(data.get("token", ""))
    rendered = _token_time(form, token)
    if rendered is None:
        _log(form, client, Outcome.BAD_TOKEN)
        return Result(Outcome.BAD_TOKEN)
    key = f"form:{hashlib.sha256(token.encode()).hexdigest()[:60]}"
    existing = Lead.all_objects.filter(submission_key=key).first()
    if existing is not None:  # the same rendered form sent twice: one lead
        _log(form, client, Outcome.DUPLICATE, existing)
        return Result(Outcome.DUPLICATE, existing)
    since = timezone.now() - RATE_WINDOW
    if FormSubmission.objects.filter(client=client, at__gte=since).count() >= RATE_LIMIT:
        _log(form, client, Outcome.RATE_LIMIT)
        return Result(Outcome.RATE_LIMIT)
    if str(data.get(HONEYPOT, "")).strip():
        _log(form, client, Outcome.HONEYPOT)
        return Result(Outcome.HONEYPOT)
    if now - rendered < MIN_FILL_SECONDS:
        _log(form, client, Outcome.TOO_FAST)
        return Result(Outcome.TOO_FAST)
    try:
        with transaction.atomic():
            lead = lead_create(
                actor=None, name=str(data.get("name", ""))[:200], company=str(data.get("company", ""))[:200],
                email=str(data.get("email", ""))[:254], phone=str(data.get("phone", ""))[:40],
                message=str(data.get("message", ""))[:5000], source=LeadSource.WEB_FORM, campaign=form.campaign,
                owner=form.owner, team=form.team or (form.owner.primary_team if form.owner else None),
                submission_key=key,
            )
    except IntegrityError:  # a concurrent twin won the unique submission key
        existing = Lead.all_objects.get(submission_key=key)
        _log(form, client, Outcome.DUPLICATE, existing)
        return Result(Outcome.DUPLICATE, existing)
    except ValidationError as exc:
        _log(form, client, Outcome.INVALID)
        errors = dict(exc.message_dict) if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return Result(Outcome.INVALID, errors=errors)
    outcome = Outcome.ACCEPTED if lead.submission_key == key and lead.created_at >= since else Outcome.DUPLICATE
    _log(form, client, outcome, lead)
    return Result(outcome, lead)
