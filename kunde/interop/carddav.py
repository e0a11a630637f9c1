"""The read-only CardDAV address book: who may sync, which cards, their ETags and sync tokens.

The protocol (XML, URLs, status codes) lives in `dav.py`; this module is the domain side
that the protocol calls. Every read starts from `Person.objects.for_user(user)`, so the
address book holds exactly the people the list pages show the user, and a sync token is a
stored snapshot {person id: ETag} of that set (see `CardDavSyncState`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Prefetch, QuerySet, Subquery
from django.http import HttpRequest

from kunde.accounts.models import User
from kunde.accounts.services import api_token_authenticate
from kunde.contacts.models import Employment, Person
from kunde.interop.models import CardDavSyncState
from kunde.interop.vcard import current_employment, person_to_vcard

# Bumped when the vCard serialiser changes what it writes, so every client fetches the cards again.
SERIALISER_REVISION = 1
# Sync tokens kept per user: a client that comes back with an older one gets 403
# valid-sync-token and does a full (initial) sync, which RFC 6578 allows.
KEEP_STATES = 5
CHUNK = 500


# --- authentication ---------------------------------------------------------------------


class Locked(Exception):
    """Too many failed attempts for this username from this address (django-axes)."""


def carddav_authenticate(request: HttpRequest) -> User | None:
    """The user of an HTTP Basic header with username and personal API token, or None.

    A failure is reported to django-axes like a failed login, so repeated guessing locks
    the username for the address (AXES_FAILURE_LIMIT / AXES_COOLOFF_TIME); `Locked` is
    raised while locked, even for the right token.
    """
    username, secret = _basic_credentials(request)
    if username is None:
        return None
    credentials = {"username": username}
    if AxesProxyHandler.is_locked(request, credentials=credentials):
        raise Locked
    token = api_token_authenticate(secret)
    # The username must be the token's: a token alone is not enough to name someone else.
    if token is None or token.user.get_username() != username:
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        return None
    return token.user


def _basic_credentials(request: HttpRequest) -> tuple[str | None, str]:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None, ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None, ""
    username, sep, secret = decoded.partition(":")
    return (username, secret) if sep and username else (None, "")


# --- cards and ETags --------------------------------------------------------------------


def carddav_people(user: User) -> QuerySet[Person]:
    """The people in `user`'s address book: those they may see, not deleted."""
    return Person.objects.for_user(user).order_by("pk")


def _with_signature(people: QuerySet[Person]) -> QuerySet[Person]:
    """Annotate what a card shows besides the person row: the current employment and its organisation.

    Contact points need no annotation: person services replace them through
    `record_update`, which bumps the person's version.
    """
    links = Employment.objects.filter(person=OuterRef("pk")).order_by().values("person")
    return people.annotate(
        dav_link_updated=Subquery(links.annotate(value=Max("updated_at")).values("value")),
        dav_link_count=Subquery(links.annotate(value=Count("pk")).values("value")),
        dav_org_updated=Subquery(links.annotate(value=Max("organisation__updated_at")).values("value")),
    )


def _stamp(value: Any) -> str:
    return f"{value.timestamp():.6f}" if value is not None else "-"


def _etag(pk: int, version: int, updated_at: Any, link_updated: Any, link_count: Any, org_updated: Any) -> str:
    raw = (f"{SERIALISER_REVISION}:{pk}:{version}:{_stamp(updated_at)}:{_stamp(link_updated)}:"
           f"{link_count or 0}:{_stamp(org_updated)}")
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def representation_etag(etag: str, version: str) -> str:
    """The strong ETag of one representation: vCard 3.0 and 4.0 are different bytes."""
    return f'"{etag}"' if version == "3.0" else f'"{etag}-v4"'


def carddav_etags(user: User) -> dict[int, str]:
    """{person id: ETag} of the whole address book, in one query without loading the people."""
    people: Any = _with_signature(carddav_people(user))  # the stubs do not see the annotations
    rows = people.values_list(
        "pk", "version", "updated_at", "dav_link_updated", "dav_link_count", "dav_org_updated",
    )
    return {row[0]: _etag(*row) for row in rows.iterator(chunk_size=5000)}


@dataclass(frozen=True)
class Card:
    """One person's vCard as served, with the ETag of the base (vCard 3.0) representation."""

    person_id: int
    etag: str
    person: Person

    def render(self, version: str) -> str:
        organisation, role = current_employment(self.person)
        return person_to_vcard(self.person, version=version, organisation=organisation, role=role)


def carddav_cards(user: User, ids: Iterable[int] | None = None) -> Iterator[Card]:
    """The cards of `user`'s book (or of those `ids` in it), read in chunks so memory stays flat."""
    people = _with_signature(carddav_people(user)).prefetch_related(
        "emails", "phones", "addresses",
        Prefetch("employments", queryset=Employment.objects.select_related("organisation")),
    )
    if ids is None:
        yield from _cards(people.iterator(chunk_size=CHUNK))
        return
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), CHUNK):
        yield from _cards(people.filter(pk__in=wanted[start:start + CHUNK]))


def _cards(people: Iterable[Person]) -> Iterator[Card]:
    for person in people:
        row: Any = person
        etag = _etag(person.pk, person.version, person.updated_at, row.dav_link_updated, row.dav_link_count,
                     row.dav_org_updated)
        yield Card(person_id=person.pk, etag=etag, person=person)


def carddav_card(user: User, person_id: int) -> Card | None:
    """One card of `user`'s book, or None when the person is not (or no longer) in it."""
    return next(carddav_cards(user, [person_id]), None)


# --- sync tokens ------------------------------------------------------------------------


def _digest(etags: dict[int, str]) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    for pk in sorted(etags):
        hasher.update(f"{pk}={etags[pk]};".encode())
    return hasher.hexdigest()


def _pack(etags: dict[int, str]) -> bytes:
    return zlib.compress(json.dumps(sorted(etags.items()), separators=(",", ":")).encode(), 6)


def sync_state_snapshot(state: CardDavSyncState) -> dict[int, str]:
    """The {person id: ETag} the state recorded."""
    return {int(pk): str(etag) for pk, etag in json.loads(zlib.decompress(bytes(state.snapshot)))}


def carddav_sync_state_issue(*, user: User, etags: dict[int, str]) -> CardDavSyncState:
    """The sync state for the book as it is now: the latest one if nothing changed, else a new one.

    Reusing the latest state keeps the token (and getctag) stable while nothing changes, so
    a client polling every few minutes neither stores new rows nor downloads anything.
    """
    digest = _digest(etags)
    latest = CardDavSyncState.objects.filter(user=user).only("pk", "digest", "user_id", "card_count").first()
    if latest is not None and latest.digest == digest:
        return latest
    with transaction.atomic():
        state = CardDavSyncState.objects.create(user=user, digest=digest, card_count=len(etags),
                                                snapshot=_pack(etags))
        keep = list(CardDavSyncState.objects.filter(user=user).values_list("pk", flat=True)[:KEEP_STATES])
        CardDavSyncState.objects.filter(user=user).exclude(pk__in=keep).delete()
    return state


def sync_state_token(state: CardDavSyncState) -> str:
    """The opaque sync token (a URI, as RFC 6578 asks) naming `state`."""
    return f"http://kunde.invalid/ns/sync/{state.pk}-{state.digest[:16]}"


def sync_state_get(user: User, token: str) -> CardDavSyncState | None:
    """The state `token` names if it is `user`'s and still kept, else None."""
    prefix = "http://kunde.invalid/ns/sync/"
    if not token.startswith(prefix):
        return None
    pk, _sep, digest = token.removeprefix(prefix).partition("-")
    if not pk.isdigit() or len(digest) != 16:
        return None
    state = CardDavSyncState.objects.filter(user=user, pk=int(pk)).first()
    return state if state is not None and state.digest.startswith(digest) else None


def sync_states_prune() -> int:
    """Delete sync states older than 90 days, except each user's newest; return how many."""
    import datetime as dt

    from django.utils import timezone

    cutoff = timezone.now() - dt.timedelta(days=90)
    newest = CardDavSyncState.objects.filter(user=OuterRef("user")).order_by("-id").values("pk")[:1]
    stale = CardDavSyncState.objects.filter(created_at__lt=cutoff).exclude(pk=Subquery(newest))
    deleted, _rows = stale.delete()
    return deleted
