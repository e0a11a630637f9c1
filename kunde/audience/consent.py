"""Consent (DSGVO Art. 7, UWG § 7) and the suppression list: the one place that says who may be contacted.

State is derived from the append-only ledger: the latest `ConsentRecord` (by `at`, then id,
not in the future) per person, purpose and channel. E-mail consent counts only once it is
confirmed by double opt-in: the confirmation appends a second "given" record with
`confirmed_at` that points at the first (`confirms`), because ledger rows are never
updated. A suppressed address (unsubscribed, bounced, complained, erased) is never mailed,
whoever holds it and whatever the ledger says, until its owner confirms a new opt-in
(only "unsubscribed" is lifted that way).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kunde.audience.models import (
    Channel,
    ConsentPurpose,
    ConsentRecord,
    ConsentWording,
    Suppression,
    address_hash,
)
from kunde.contacts.models import EmailAddress, Person
from kunde.core import links
from kunde.core.events import emit_on_commit

logger = logging.getLogger(__name__)

CONSENT_CHANGED = "audience.consent_changed"
CONFIRM_LINK = "consent-confirm"
UNSUBSCRIBE_LINK = "unsubscribe"
PREFERENCES_LINK = "preferences"
CONFIRM_MAX_AGE = dt.timedelta(days=30)

GIVEN = ConsentRecord.Action.GIVEN
WITHDRAWN = ConsentRecord.Action.WITHDRAWN


# ---------------------------------------------------------------- lookups

def get_purpose(key: str | ConsentPurpose) -> ConsentPurpose:
    """The purpose by key; the defaults are created on first use; unknown keys raise ValidationError."""
    if isinstance(key, ConsentPurpose):
        return key
    purpose = ConsentPurpose.objects.filter(key=key).first()
    if purpose is None:
        from kunde.audience.defaults import DEFAULT_PURPOSES, ensure_default_purposes

        if key in {row["key"] for row in DEFAULT_PURPOSES}:
            ensure_default_purposes()
            purpose = ConsentPurpose.objects.filter(key=key).first()
    if purpose is None:
        raise ValidationError(_("Unknown consent purpose “%(key)s”.") % {"key": key})
    return purpose


def _check_channel(channel: str) -> str:
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel “%(channel)s”.") % {"channel": channel})
    return channel


def primary_email(person: Person) -> str:
    row = (EmailAddress.objects.filter(person=person).order_by("-is_primary", "id")
           .values_list("email", flat=True).first())
    return row or ""


def latest_record(person: Person, purpose: str | ConsentPurpose, channel: str = Channel.EMAIL,
                  *, now: dt.datetime | None = None) -> ConsentRecord | None:
    """The record that decides the current state (None: never asked)."""
    purpose_obj = get_purpose(purpose)
    return (ConsentRecord.objects.filter(person=person, purpose=purpose_obj, channel=channel,
                                         at__lte=now or timezone.now())
            .order_by("-at", "-id").first())


def _is_valid(record: ConsentRecord | None, now: dt.datetime) -> bool:
    if record is None or record.action != GIVEN:
        return False
    if record.channel == Channel.EMAIL:
        return record.confirmed_at is not None and record.confirmed_at <= now
    return True


def consent_state(person: Person, purpose: str | ConsentPurpose, channel: str = Channel.EMAIL) -> str:
    """"given" (valid), "pending" (e-mail not yet confirmed), "withdrawn" or "none"."""
    now = timezone.now()
    record = latest_record(person, purpose, channel, now=now)
    if record is None:
        return "none"
    if record.action == WITHDRAWN:
        return "withdrawn"
    return "given" if _is_valid(record, now) else "pending"


def is_suppressed(*addresses: str) -> bool:
    hashes = {address_hash(a) for a in addresses if a and a.strip()}
    return bool(hashes) and Suppression.objects.filter(address_hash__in=hashes).exists()


def may_contact(person: Person, *, purpose: str, channel: str = "email", address: str | None = None) -> bool:
    """Whether `person` may be contacted now for `purpose` on `channel` (and at `address`).

    Valid consent now (latest record given; e-mail confirmed by double opt-in) and, for
    e-mail, none of the person's primary address, the consented address and `address` is
    suppressed. Unknown purposes or channels mean no.
    """
    if person is None or person.pk is None or getattr(person, "deleted_at", None) is not None:
        return False
    if channel not in Channel.values or not isinstance(purpose, str):
        return False
    now = timezone.now()
    # One query for purpose and latest record: an unknown purpose has no records.
    record = (ConsentRecord.objects.select_related("purpose")
              .filter(person=person, purpose__key=purpose, channel=channel, at__lte=now)
              .order_by("-at", "-id").first())
    if record is None or not record.purpose.is_active or not _is_valid(record, now):
        return False
    if channel == Channel.EMAIL:
        primary = primary_email(person)
        if not (address or primary or record.address):
            return False
        if is_suppressed(primary, record.address, address or ""):
            return False
    return True


def people_with_consent(queryset: QuerySet[Person], purpose: str, channel: str = "email") -> QuerySet[Person]:
    """The people of `queryset` that `may_contact` would allow, in a few queries (bulk sending, segments)."""
    try:
        purpose_obj = get_purpose(purpose)
    except ValidationError:
        return queryset.none()
    if channel not in Channel.values or not purpose_obj.is_active:
        return queryset.none()
    candidates = queryset.filter(consent_q(purpose_obj, channel))
    if channel != Channel.EMAIL:
        return candidates
    now = timezone.now()
    latest = (ConsentRecord.objects.filter(person=OuterRef("pk"), purpose=purpose_obj, channel=channel, at__lte=now)
              .order_by("-at", "-id"))
    primary = (EmailAddress.objects.filter(person=OuterRef("pk")).order_by("-is_primary", "id").values("email")[:1])
    rows = candidates.order_by().annotate(_primary=Subquery(primary), _given=Subquery(latest.values("address")[:1]))
    blocked: list[int] = []
    pairs = list(rows.values_list("pk", "_primary", "_given"))
    by_hash: dict[str, list[int]] = {}
    for pk, first, given in pairs:
        if not (first or given):
            blocked.append(pk)
        for value in (first, given):
            if value:
                by_hash.setdefault(address_hash(value), []).append(pk)
    hashes = list(by_hash)
    for start in range(0, len(hashes), 500):
        for found in Suppression.objects.filter(address_hash__in=hashes[start:start + 500]).values_list(
                "address_hash", flat=True):
            blocked.extend(by_hash[found])
    return candidates.exclude(pk__in=blocked) if blocked else candidates


def consent_q(purpose: str | ConsentPurpose, channel: str = "email", prefix: str = "") -> Q:
    """A filter on Person (or on `prefix` + a person path) for valid consent now; no suppression check."""
    purpose_obj = get_purpose(purpose)
    now = timezone.now()
    same = ConsentRecord.objects.filter(purpose=purpose_obj, channel=channel, at__lte=now)
    later = same.filter(person=OuterRef("person")).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk")))
    valid = same.filter(person=OuterRef(f"{prefix}pk"), action=GIVEN)
    if channel == Channel.EMAIL:
        valid = valid.filter(confirmed_at__isnull=False, confirmed_at__lte=now)
    return Q(Exists(valid.filter(~Exists(later))))


# ---------------------------------------------------------------- changes

def proof_from_request(request: Any, form: str) -> dict[str, str]:
    """What proves a consent given or withdrawn on a web page: client address, browser, form."""
    meta = getattr(request, "META", {})
    return {"ip": str(meta.get("REMOTE_ADDR", "")), "user_agent": str(meta.get("HTTP_USER_AGENT", ""))[:300],
            "form": form}


def _latest_wording(purpose: ConsentPurpose) -> ConsentWording | None:
    return ConsentWording.objects.filter(purpose=purpose).order_by("-version").first()


def _append(**fields: Any) -> ConsentRecord:
    record = ConsentRecord(**fields)
    record.full_clean()
    record.save(force_insert=True)
    return record


def _history(record: ConsentRecord, actor: Any, subject: str) -> None:
    from kunde.activities.services import activity_record

    activity_record(actor=actor, kind=CONSENT_CHANGED, subject=subject, person=record.person, related=record,
                    data={"consent_record_id": record.pk, "purpose": record.purpose.key, "channel": record.channel,
                          "action": record.action, "confirmed": record.confirmed_at is not None})
    emit_on_commit(CONSENT_CHANGED, id=record.pk, person_id=record.person_id, purpose=record.purpose.key,
                   channel=record.channel, action=record.action)


def _check_actor(actor: Any, person: Person) -> None:
    if actor is None:
        return
    from kunde.core.permissions import Action, user_can

    if not user_can(actor, Action.CHANGE, person):
        from kunde.core.exceptions import PermissionDenied

        raise PermissionDenied("may not change consent of this person")


@transaction.atomic
def consent_give(*, actor: Any, person: Person, purpose: str | ConsentPurpose, channel: str = "email",
                 address: str = "", source: str = "", proof: dict[str, Any] | None = None,
                 wording: ConsentWording | None = None, confirmed: bool = False,
                 at: dt.datetime | None = None) -> ConsentRecord:
    """Append a "given" record. E-mail consent starts unconfirmed and sends the double opt-in mail.

    `confirmed=True` is for consents whose address was already proven elsewhere (e.g. a
    migration with stored opt-in proof); the caller vouches for it in `source`/`proof`.
    """
    _check_actor(actor, person)
    purpose_obj = get_purpose(purpose)
    _check_channel(channel)
    now = at or timezone.now()
    if channel == Channel.EMAIL:
        address = (address or primary_email(person)).strip()
        if not address:
            raise ValidationError(_("This person has no e-mail address."))
    record = _append(person=person, purpose=purpose_obj, channel=channel, action=GIVEN, at=now,
                     source=source[:100], wording=wording or _latest_wording(purpose_obj), address=address,
                     proof=dict(proof or {}), confirmed_at=now if (confirmed or channel != Channel.EMAIL) else None,
                     actor=actor if getattr(actor, "pk", None) else None)
    if channel == Channel.EMAIL and record.confirmed_at is None:
        _send_opt_in(record)
        label = _("Consent requested (awaiting confirmation): %(purpose)s")
    else:
        label = _("Consent given: %(purpose)s")
    _history(record, actor, label % {"purpose": purpose_obj.name})
    return record


def opt_in_url(record: ConsentRecord) -> str:
    return absolute_url(reverse("audience:consent_confirm", args=[links.make_token(CONFIRM_LINK, record.pk)]))


def _send_opt_in(record: ConsentRecord) -> None:
    suppression = Suppression.objects.filter(address_hash=address_hash(record.address)).first()
    if suppression is not None and suppression.reason != Suppression.Reason.UNSUBSCRIBED:
        return  # a bounced or complaining address gets no mail at all, not even this one
    from kunde.mail.services import outbox_enqueue

    language = record.person.preferred_language or "de"
    with translation.override(language):
        purpose_name = record.purpose.name
        wording = record.wording
        wording_text = (wording.text_de if language == "de" else wording.text_en) if wording else ""
        subject = _("Please confirm: %(purpose)s") % {"purpose": purpose_name}
        text = "\n\n".join(filter(None, [
            _("Please confirm that you want to receive e-mails from us for: %(purpose)s.") % {"purpose": purpose_name},
            wording_text,
            _("Confirm: %(url)s") % {"url": opt_in_url(record)},
            _("If you did not ask for this, ignore this e-mail; you will not hear from us."),
        ]))
    outbox_enqueue(to=record.address, subject=subject, text=text, dedupe_key=f"audience.opt-in.{record.pk}",
                   purpose="consent", person=record.person, related=record)


@transaction.atomic
def consent_confirm(token: str, *, proof: dict[str, Any] | None = None) -> ConsentRecord:
    """Confirm a double opt-in link; idempotent. Raises LinkError for a bad link and
    ValidationError when the consent was withdrawn or replaced meanwhile."""
    pk = int(links.read_token(CONFIRM_LINK, token, max_age=CONFIRM_MAX_AGE))
    pending = ConsentRecord.objects.select_related("person", "purpose").filter(pk=pk).first()
    if pending is None:
        raise links.LinkError("This link is not valid.")
    latest = latest_record(pending.person, pending.purpose, pending.channel)
    if latest is not None and (latest.confirms_id == pending.pk or (latest.pk == pending.pk and latest.confirmed_at)):
        return latest  # confirmed already
    if latest is None or latest.pk != pending.pk:
        raise ValidationError(_("This confirmation link is no longer valid; the consent was changed meanwhile."))
    now = timezone.now()
    record = _append(person=pending.person, purpose=pending.purpose, channel=pending.channel, action=GIVEN, at=now,
                     source="double-opt-in", wording=pending.wording, address=pending.address,
                     proof=dict(proof or {}), confirmed_at=now, confirms=pending)
    Suppression.objects.filter(address_hash=address_hash(pending.address),
                               reason=Suppression.Reason.UNSUBSCRIBED).delete()
    _history(record, None, _("Consent confirmed: %(purpose)s") % {"purpose": pending.purpose.name})
    return record


@transaction.atomic
def consent_withdraw(*, actor: Any, person: Person, purpose: str | ConsentPurpose, channel: str = "email",
                     source: str = "", proof: dict[str, Any] | None = None, suppress: bool = False,
                     at: dt.datetime | None = None) -> ConsentRecord | None:
    """Append a "withdrawn" record (none when already withdrawn or never given: idempotent).

    `suppress=True` (one-click unsubscribe) also puts the person's e-mail addresses on the
    suppression list.
    """
    _check_actor(actor, person)
    purpose_obj = get_purpose(purpose)
    _check_channel(channel)
    if suppress and channel == Channel.EMAIL:
        addresses = list(EmailAddress.objects.filter(person=person).values_list("email", flat=True))
        suppress_addresses(addresses, Suppression.Reason.UNSUBSCRIBED)
    latest = latest_record(person, purpose_obj, channel, now=at)
    if latest is None or latest.action == WITHDRAWN:
        return None
    record = _append(person=person, purpose=purpose_obj, channel=channel, action=WITHDRAWN, at=at or timezone.now(),
                     source=source[:100], address=latest.address, proof=dict(proof or {}),
                     actor=actor if getattr(actor, "pk", None) else None)
    _history(record, actor, _("Consent withdrawn: %(purpose)s") % {"purpose": purpose_obj.name})
    return record


def suppress_addresses(addresses: Iterable[str], reason: str) -> int:
    """Put addresses on the suppression list (idempotent); returns how many were new."""
    added = 0
    for address in {a.strip().lower() for a in addresses if a and a.strip()}:
        _row, created = Suppression.objects.get_or_create(address_hash=address_hash(address),
                                                          defaults={"reason": reason})
        added += created
    return added


def on_message_bounced(event_type: str, payload: dict[str, Any]) -> None:
    """`mail.message_bounced` handler: a permanently refused address is suppressed."""
    address = str(payload.get("address") or "")
    if address:
        suppress_addresses([address], Suppression.Reason.BOUNCED)


# ---------------------------------------------------------------- links

def absolute_url(path: str) -> str:
    return getattr(settings, "KUNDE_BASE_URL", "http://localhost:8000").rstrip("/") + path


def unsubscribe_token(person: Person, purpose: str) -> str:
    return links.make_token(UNSUBSCRIBE_LINK, f"{person.pk}.{purpose}")


def read_unsubscribe_token(token: str) -> tuple[Person, ConsentPurpose]:
    value = links.read_token(UNSUBSCRIBE_LINK, token)
    pk, _sep, key = value.partition(".")
    person = Person.all_objects.filter(pk=int(pk)).first()
    if person is None:
        raise links.LinkError("This link is not valid.")
    try:
        return person, get_purpose(key)
    except ValidationError as error:
        raise links.LinkError("This link is not valid.") from error


def unsubscribe_url(person: Person, purpose: str) -> str:
    return absolute_url(reverse("audience:unsubscribe", args=[unsubscribe_token(person, purpose)]))


def preferences_url(person: Person) -> str:
    return absolute_url(reverse("audience:preferences", args=[links.make_token(PREFERENCES_LINK, person.pk)]))


def read_preferences_token(token: str) -> Person:
    person = Person.objects.filter(pk=int(links.read_token(PREFERENCES_LINK, token))).first()
    if person is None:
        raise links.LinkError("This link is not valid.")
    return person


def unsubscribe_headers(person: Person, purpose: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058 one-click unsubscribe headers for a marketing message."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(person, purpose)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
