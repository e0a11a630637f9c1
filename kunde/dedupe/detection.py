"""Writing what matching finds: the nightly full scan and the check of new or changed records.

Both keep `MatchKey` (each record's blocking keys) and `DuplicateCandidate` current.
Candidates are upserted: a new pair is opened, a known pair gets its new score and
reasons, a dismissed or merged pair keeps its status. Only the full scan closes the
loop the other way: an open pair it no longer finds (the data changed, a record was
deleted) is removed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from kunde.contacts.models import EmailAddress, PhoneNumber
from kunde.dedupe.matching import MAX_BLOCK, MIN_SCORE, Profile, block_pairs, keys_for, profiles_for, score
from kunde.dedupe.models import DuplicateCandidate, Kind, MatchKey

logger = logging.getLogger(__name__)

KEY_CHUNK = 5000
WRITE_CHUNK = 2000

Pair = tuple[int, int]
Found = dict[Pair, tuple[int, list[dict[str, Any]]]]


@dataclass
class ScanResult:
    kind: str
    records: int
    keys_added: int
    keys_removed: int
    pairs_compared: int
    candidates: int
    opened: int
    updated: int
    removed: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _pair_fields(kind: str, first: int, second: int) -> dict[str, int]:
    if kind == Kind.PERSON:
        return {"person_a_id": first, "person_b_id": second}
    return {"organisation_a_id": first, "organisation_b_id": second}


def _pair_columns(kind: str) -> tuple[str, str]:
    return ("person_a_id", "person_b_id") if kind == Kind.PERSON else ("organisation_a_id", "organisation_b_id")


def _score_pairs(kind: str, pairs: Iterable[Pair], profiles: dict[int, Profile]) -> tuple[Found, int]:
    found: Found = {}
    compared = 0
    for first, second in pairs:
        a, b = profiles.get(first), profiles.get(second)
        if a is None or b is None:
            continue
        compared += 1
        value, reasons = score(kind, a, b)
        if value >= MIN_SCORE:
            found[(first, second)] = (value, [reason.as_json() for reason in reasons])
    return found, compared


def _store_candidates(kind: str, found: Found, existing: dict[Pair, DuplicateCandidate]) -> tuple[int, int]:
    """Open new pairs and rescore known ones; return (opened, updated)."""
    now = timezone.now()
    new = [DuplicateCandidate(kind=kind, score=value, reasons=reasons, found_at=now, checked_at=now,
                              **_pair_fields(kind, *pair))
           for pair, (value, reasons) in found.items() if pair not in existing]
    changed = []
    for pair, (value, reasons) in found.items():
        candidate = existing.get(pair)
        if candidate is not None and (candidate.score != value or candidate.reasons != reasons):
            candidate.score, candidate.reasons, candidate.checked_at = value, reasons, now
            changed.append(candidate)
    for start in range(0, len(new), WRITE_CHUNK):
        with transaction.atomic():
            # A creation check running at the same time may have stored one of these pairs.
            DuplicateCandidate.objects.bulk_create(new[start:start + WRITE_CHUNK], ignore_conflicts=True)
    for start in range(0, len(changed), WRITE_CHUNK):
        with transaction.atomic():
            DuplicateCandidate.objects.bulk_update(changed[start:start + WRITE_CHUNK],
                                                   ["score", "reasons", "checked_at"])
    return len(new), len(changed)


def _existing_candidates(kind: str, pairs: Iterable[Pair] | None = None) -> dict[Pair, DuplicateCandidate]:
    first_column, second_column = _pair_columns(kind)
    queryset = DuplicateCandidate.objects.filter(kind=kind).only(
        "id", "kind", "status", "score", "reasons", first_column, second_column)
    if pairs is None:
        rows: Iterable[DuplicateCandidate] = queryset.iterator(chunk_size=5000)
    else:
        wanted = set(pairs)
        firsts = sorted({first for first, _second in wanted})
        rows = (row for start in range(0, len(firsts), 900)
                for row in queryset.filter(**{f"{first_column}__in": firsts[start:start + 900]}))
        return {pair: row for row in rows
                if (pair := (getattr(row, first_column), getattr(row, second_column))) in wanted}
    return {(getattr(row, first_column), getattr(row, second_column)): row for row in rows}


# --- keys ------------------------------------------------------------------------------


def _sync_keys(kind: str, profiles: dict[int, Profile], *, full: bool) -> tuple[int, int]:
    """Make the stored keys of `profiles` (with `full`, of every record) what they compute to.

    The full sync walks the ids in chunks; each chunk owns the id range up to its last id
    (the last chunk everything above), so keys of records deleted since are removed too.
    """
    ids = sorted(profiles)
    chunks = ([ids[start:start + KEY_CHUNK] for start in range(0, len(ids), KEY_CHUNK)] or [[]]) if full else [ids]
    added = removed = 0
    for index, chunk_ids in enumerate(chunks):
        stored = MatchKey.objects.filter(kind=kind)
        if not full:
            stored = stored.filter(object_id__in=chunk_ids)
        else:
            if index > 0:
                stored = stored.filter(object_id__gt=chunks[index - 1][-1])
            if index < len(chunks) - 1:
                stored = stored.filter(object_id__lte=chunk_ids[-1])
        wanted = {(pk, key) for pk in chunk_ids for key in keys_for(kind, profiles[pk])}
        have = {(pk, key): row_id for row_id, pk, key in stored.values_list("id", "object_id", "key")}
        stale = [row_id for pair, row_id in have.items() if pair not in wanted]
        missing = [MatchKey(kind=kind, object_id=pk, key=key) for pk, key in wanted if (pk, key) not in have]
        with transaction.atomic():
            for start in range(0, len(stale), 900):
                MatchKey.objects.filter(id__in=stale[start:start + 900]).delete()
            MatchKey.objects.bulk_create(missing, batch_size=WRITE_CHUNK, ignore_conflicts=True)
        added += len(missing)
        removed += len(stale)
    return added, removed


def _blocks_from_keys(kind: str) -> Iterator[list[int]]:
    """Stream the stored keys in key order; each run of equal keys is a block."""
    current_key: str | None = None
    members: list[int] = []
    rows = MatchKey.objects.filter(kind=kind).order_by("key", "object_id").values_list("key", "object_id")
    for key, object_id in rows.iterator(chunk_size=20000):
        if key != current_key:
            if len(members) > 1:
                yield members
            current_key, members = key, []
        members.append(object_id)
    if len(members) > 1:
        yield members


# --- the full scan ---------------------------------------------------------------------


def duplicates_scan(kind: str) -> ScanResult:
    """Compare every record of `kind` with those sharing a blocking key; store what scores high enough."""
    started = time.perf_counter()
    profiles = profiles_for(kind)
    keys_added, keys_removed = _sync_keys(kind, profiles, full=True)
    pairs: set[Pair] = set()
    for members in _blocks_from_keys(kind):
        pairs.update(block_pairs(members, profiles))
    found, compared = _score_pairs(kind, pairs, profiles)
    del pairs
    existing = _existing_candidates(kind)
    opened, updated = _store_candidates(kind, found, existing)
    gone = [candidate.pk for pair, candidate in existing.items()
            if pair not in found and candidate.status == DuplicateCandidate.Status.OPEN]
    for start in range(0, len(gone), 900):
        with transaction.atomic():
            DuplicateCandidate.objects.filter(pk__in=gone[start:start + 900],
                                              status=DuplicateCandidate.Status.OPEN).delete()
    DuplicateCandidate.objects.filter(kind=kind, status=DuplicateCandidate.Status.OPEN).update(
        checked_at=timezone.now())
    result = ScanResult(
        kind=kind, records=len(profiles), keys_added=keys_added, keys_removed=keys_removed,
        pairs_compared=compared, candidates=len(found), opened=opened, updated=updated, removed=len(gone),
        seconds=round(time.perf_counter() - started, 2),
    )
    logger.info("duplicate scan of %s: %s", kind, result.as_dict())
    return result


def duplicates_scan_all() -> dict[str, Any]:
    """Scan people and organisations for duplicates (the nightly job)."""
    return {kind: duplicates_scan(kind).as_dict() for kind in (Kind.PERSON, Kind.ORGANISATION)}


# --- the check of new and changed records ----------------------------------------------


def _direct_matches(kind: str, profiles: Iterable[Profile]) -> dict[str, list[int]]:
    """Holders of the same e-mail addresses and phone numbers, read from the contact tables.

    Finds the strongest matches even among records that have no stored keys yet (created
    before the first scan, or written without announcing it).
    """
    holder = "person_id" if kind == Kind.PERSON else "organisation_id"
    emails = sorted({email for profile in profiles for email in profile.emails})
    phones = sorted({phone for profile in profiles for phone in profile.phones})
    found: dict[str, list[int]] = {}
    for start in range(0, len(emails), 900):
        rows = (EmailAddress.objects.annotate(email_lower=Lower("email"))
                .filter(email_lower__in=emails[start:start + 900], **{f"{holder}__isnull": False})
                .values_list("email_lower", holder))
        for email, pk in rows[:MAX_BLOCK * 40]:
            found.setdefault(f"direct-e:{email}", []).append(pk)
    for start in range(0, len(phones), 900):
        phone_rows = (PhoneNumber.objects.filter(number__in=phones[start:start + 900], **{f"{holder}__isnull": False})
                      .values_list("number", holder))
        for number, pk in phone_rows[:MAX_BLOCK * 40]:
            found.setdefault(f"direct-p:{number}", []).append(pk)
    return found


def duplicates_check(kind: str, ids: Sequence[int]) -> list[DuplicateCandidate]:
    """Compare the records `ids` with every record sharing a key; store and return the open candidates.

    Keys shared by more than `MAX_BLOCK * 4` records (a very common name at a large postal
    code) are not followed here: the record meets its likely twins through its other keys,
    and the nightly scan compares big blocks by sorted neighbourhood.
    """
    profiles = profiles_for(kind, ids)
    if not profiles:
        return []
    _sync_keys(kind, profiles, full=False)
    own_keys = {key for profile in profiles.values() for key in keys_for(kind, profile)}
    sharing: dict[str, list[int]] = {}
    key_list = sorted(own_keys)
    for start in range(0, len(key_list), 900):
        rows = MatchKey.objects.filter(kind=kind, key__in=key_list[start:start + 900]).values_list("key", "object_id")
        for key, object_id in rows[: MAX_BLOCK * 40]:
            sharing.setdefault(key, []).append(object_id)
    for key, holders in _direct_matches(kind, profiles.values()).items():
        sharing.setdefault(key, []).extend(holders)
    usable = [members for members in sharing.values() if len(members) <= MAX_BLOCK * 4]
    checked = set(profiles)
    others = {pk for members in usable for pk in members} - checked
    profiles.update(profiles_for(kind, sorted(others)))
    pairs: set[Pair] = set()
    for members in usable:
        for own in checked.intersection(members):
            pairs.update((min(own, other), max(own, other)) for other in members if other != own)
    found, _compared = _score_pairs(kind, pairs, profiles)
    existing = _existing_candidates(kind, found)
    _store_candidates(kind, found, existing)
    stored = _existing_candidates(kind, found)
    return sorted((c for c in stored.values() if c.status == DuplicateCandidate.Status.OPEN),
                  key=lambda c: (-c.score, c.pk))
