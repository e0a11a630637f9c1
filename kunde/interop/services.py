"""vCard import and calendar feed tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kunde.accounts.models import User
from kunde.contacts.models import EmailAddress, Organisation, Person
from kunde.contacts.selectors import organisation_queryset, person_queryset
from kunde.contacts.services import organisation_create, person_create
from kunde.core.services import require_create
from kunde.interop.models import CalendarFeed
from kunde.interop.vcard import ParsedCard, parse_vcards

MAX_VCARD_BYTES = 10 * 1024 * 1024
_KUNDE_UID = re.compile(r"^kunde-person-(\d+)@")


@dataclass
class CardResult:
    number: int
    name: str
    outcome: str  # created, existing, failed
    detail: str = ""
    person_id: int | None = None
    problems: list[str] = field(default_factory=list)


def _birthday(value: str, card: ParsedCard) -> dt.date | None:
    digits = value.replace("-", "")
    if not value:
        return None
    if len(digits) >= 8 and digits[:8].isdigit() and not value.startswith("--"):
        try:
            return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        except ValueError:
            pass
    card.problems.append(f"birthday {value!r}: no full date; left out")
    return None


def _existing(user: User, card: ParsedCard) -> Person | None:
    """The visible person this card describes: by Kunde's own UID, else by an e-mail address."""
    visible = person_queryset(user)
    if match := _KUNDE_UID.match(card.uid):
        found = visible.filter(pk=int(match.group(1))).first()
        if found is not None:
            return found
    addresses = [email["email"].strip().lower() for email in card.emails if email["email"].strip()]
    if not addresses:
        return None
    holders = EmailAddress.objects.filter(email__in=addresses, person__isnull=False).values("person_id")
    return visible.filter(pk__in=holders).order_by("id").first()


def _organisation(user: User, name: str) -> Organisation | None:
    if not name:
        return None
    existing = organisation_queryset(user).filter(name__iexact=name).order_by("id").first()
    return existing or organisation_create(actor=user, name=name)


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(str(m) for m in messages)}"
                         for field, messages in error.message_dict.items())
    return " ".join(error.messages)


def vcards_import(*, actor: User, data: bytes) -> list[CardResult]:
    """Create a person per card that is not yet in Kunde; each card in its own transaction.

    A card that matches a visible person (Kunde's UID or an e-mail address) is left as it is,
    so importing the same file twice creates nothing the second time.
    """
    require_create(actor)
    if len(data) > MAX_VCARD_BYTES:
        raise ValidationError({"file": [f"The file is larger than {MAX_VCARD_BYTES // (1024 * 1024)} MB."]})
    results = []
    for card in parse_vcards(data):
        result = CardResult(number=card.number, name=card.display_name, outcome="failed")
        if card.error:
            result.detail = card.error
        elif not card.last_name:
            result.detail = "no name"
        else:
            _import_card(actor, card, result)
        result.problems = card.problems
        results.append(result)
    return results


def _import_card(actor: User, card: ParsedCard, result: CardResult) -> None:
    existing = _existing(actor, card)
    if existing is not None:
        result.outcome, result.person_id, result.detail = "existing", existing.pk, existing.full_name
        return
    try:
        with transaction.atomic():
            person = person_create(
                actor=actor, first_name=card.first_name, last_name=card.last_name, title=card.title[:40],
                birthday=_birthday(card.birthday, card), emails=card.emails, phones=card.phones,
                addresses=card.addresses, organisation=_organisation(actor, card.organisation),
                role=card.role[:100], notes=card.notes,
            )
    except ValidationError as error:
        result.detail = _messages(error)
        return
    result.outcome, result.person_id = "created", person.pk


# --- calendar feeds ---------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, actor: User) -> tuple[CalendarFeed, str]:
    """A new feed URL token for `actor` (returned once; only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=actor, token_hash=hash_token(token))
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, actor: User, feed: CalendarFeed) -> CalendarFeed:
    if feed.user_id != actor.pk:
        raise ValidationError("not your calendar feed")
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed


def calendar_feed_user(token: str) -> Any:
    """The active user a feed token belongs to, or None (revoked, unknown, or user deactivated)."""
    feed = (CalendarFeed.objects.select_related("user")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True).first())
    if feed is None or not feed.user.is_active:
        return None
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > dt.timedelta(minutes=10):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed.user
