"""Finding duplicates: profiles of records, blocking keys, pair scores with reasons.

A *profile* is what matching knows of a record (folded name, e-mail keys, phone numbers,
address keys, birthday, VAT id, web domain). Each profile yields a few *blocking keys*;
only records that share a key are compared, so the work grows with the number of
records, not with its square. A pair then gets a score from 0 to 100 and the reasons
behind it (see `docs/duplicates.md` for the weights and the limits).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from kunde.contacts.models import Address, EmailAddress, Organisation, Person, PhoneNumber
from kunde.dedupe import normalize
from kunde.dedupe.models import Kind

# A pair scoring at least this much is stored as a candidate.
MIN_SCORE = 60
# A block with more records than this (a common surname initial, a shared switchboard
# number) is not compared all against all: its records are sorted by name and each is
# compared with the next WINDOW only (sorted neighbourhood).
MAX_BLOCK = 50
WINDOW = 10
# Ids per query when loading contact points for a list of records (SQLite's parameter limit).
ID_CHUNK = 900

# Free-mail domains say nothing about which company an address belongs to.
FREEMAIL = frozenset({
    "gmail.com", "googlemail.com", "web.de", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "t-online.de",
    "yahoo.com", "yahoo.de", "outlook.com", "outlook.de", "hotmail.com", "hotmail.de", "live.com", "live.de",
    "icloud.com", "me.com", "aol.com", "freenet.de", "posteo.de", "mail.de", "protonmail.com", "proton.me",
    "bluewin.ch", "gmx.com", "arcor.de", "online.de", "email.de", "msn.com",
})


@dataclass(slots=True)
class Profile:
    """What matching knows of one person or organisation."""

    id: int
    name: str
    first: str = ""  # canonical given names (people): Hans → johannes
    given: str = ""  # the given names as written, folded (people)
    last: str = ""  # folded surname (people)
    raw_name: str = ""  # given names as written and surname (people)
    emails: set[str] = field(default_factory=set)
    mailboxes: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    birthday: dt.date | None = None
    vat_id: str = ""


@dataclass(frozen=True)
class Reason:
    """Why a pair looks like a duplicate: a code and, for similarities, a score."""

    code: str
    value: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code} if self.value is None else {"code": self.code, "value": self.value}


# --- profiles --------------------------------------------------------------------------


def _chunks(ids: Sequence[int], size: int = ID_CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _add_contact_points(profiles: dict[int, Profile], holder: str, ids: Sequence[int] | None) -> None:
    """Add e-mails, phones and addresses of `holder` ("person"/"organisation") to `profiles`."""
    column = f"{holder}_id"

    def rows(model: Any, *fields: str) -> Iterable[tuple[Any, ...]]:
        base = model.objects.filter(**{f"{column}__isnull": False})
        if ids is None:
            yield from base.values_list(column, *fields).iterator(chunk_size=5000)
            return
        for chunk in _chunks(ids):
            yield from base.filter(**{f"{column}__in": chunk}).values_list(column, *fields)

    for owner_id, email in rows(EmailAddress, "email"):
        profile = profiles.get(owner_id)
        if profile is not None and email:
            profile.emails.add(normalize.email_key(email))
            profile.mailboxes.add(normalize.mailbox_key(email))
            if holder == "organisation":
                domain = normalize.email_domain(email)
                if domain and domain not in FREEMAIL:
                    profile.domains.add(domain)
    for owner_id, number in rows(PhoneNumber, "number"):
        profile = profiles.get(owner_id)
        key = normalize.phone_key(number) if number else ""
        if profile is not None and key:
            profile.phones.add(key)
    for owner_id, street, postal_code, city, country in rows(
            Address, "street", "postal_code", "city", "country"):
        profile = profiles.get(owner_id)
        if profile is None:
            continue
        key = normalize.address_key(street, postal_code, city, country)
        if key:
            profile.addresses.add(key)
        place = normalize.fold(postal_code).replace(" ", "") or normalize.name_key(city).replace(" ", "")
        if place:
            profile.places.add(place)


def person_profiles(ids: Sequence[int] | None = None) -> dict[int, Profile]:
    """Profiles of the (not deleted) people `ids`, or of all people."""
    people = Person.objects.order_by("id").values_list("id", "first_name", "last_name", "birthday")
    if ids is None:
        source: Iterable[tuple[Any, ...]] = people.iterator(chunk_size=5000)
    else:
        source = (row for chunk in _chunks(sorted(set(ids))) for row in people.filter(id__in=chunk))
    profiles: dict[int, Profile] = {}
    for pk, first_name, last_name, birthday in source:
        first = normalize.canonical_first_name(first_name or "")
        given = normalize.name_key(first_name or "")
        last = normalize.name_key(last_name or "")
        profiles[pk] = Profile(id=pk, name=f"{first} {last}".strip(), first=first, given=given, last=last,
                               raw_name=f"{given} {last}".strip(), birthday=birthday)
    _add_contact_points(profiles, "person", None if ids is None else list(profiles))
    return profiles


def organisation_profiles(ids: Sequence[int] | None = None) -> dict[int, Profile]:
    """Profiles of the (not deleted) organisations `ids`, or of all organisations."""
    organisations = Organisation.objects.order_by("id").values_list("id", "name", "website", "vat_id")
    if ids is None:
        source: Iterable[tuple[Any, ...]] = organisations.iterator(chunk_size=5000)
    else:
        source = (row for chunk in _chunks(sorted(set(ids))) for row in organisations.filter(id__in=chunk))
    profiles: dict[int, Profile] = {}
    for pk, name, website, vat_id in source:
        profile = Profile(id=pk, name=normalize.organisation_name(name or ""), vat_id=(vat_id or "").upper())
        domain = normalize.website_domain(website or "")
        if domain:
            profile.domains.add(domain)
        profiles[pk] = profile
    _add_contact_points(profiles, "organisation", None if ids is None else list(profiles))
    return profiles


def profiles_for(kind: str, ids: Sequence[int] | None = None) -> dict[int, Profile]:
    return person_profiles(ids) if kind == Kind.PERSON else organisation_profiles(ids)


# --- blocking keys ---------------------------------------------------------------------


def person_keys(profile: Profile) -> set[str]:
    """The blocking keys of a person.

    e-mail mailbox, phone, address; the surname's sound code with the given name's
    initial (nicknames are canonical first: Hans → J); the sorted sound codes of both
    names (swapped first and last name); the surname's code with each postal code (a
    different given name at the same place); the canonical given name with each postal
    code (a misspelt surname at the same place).
    """
    keys = {f"e:{mailbox}" for mailbox in profile.mailboxes}
    keys |= {f"p:{phone}" for phone in profile.phones}
    keys |= {f"a:{address}" for address in profile.addresses}
    last_code = normalize.cologne_phonetics(profile.last)
    first_code = normalize.cologne_phonetics(profile.first.split(" ")[0]) if profile.first else ""
    if last_code:
        keys.add(f"n:{last_code}:{profile.first[:1]}")
        keys |= {f"z:{last_code}:{place}" for place in profile.places}
    if last_code and first_code:
        keys.add("s:" + ":".join(sorted((first_code, last_code))))
    if profile.first:
        keys |= {f"f:{profile.first.split(' ')[0]}:{place}" for place in profile.places}
    return {key[:200] for key in keys}


def organisation_keys(profile: Profile) -> set[str]:
    """The blocking keys of an organisation.

    The name without legal forms; its sound code; its first word with each postal code;
    e-mail mailbox, phone, address, VAT id and web/e-mail domain.
    """
    keys = {f"e:{mailbox}" for mailbox in profile.mailboxes}
    keys |= {f"p:{phone}" for phone in profile.phones}
    keys |= {f"a:{address}" for address in profile.addresses}
    keys |= {f"d:{domain}" for domain in profile.domains}
    if profile.vat_id:
        keys.add(f"v:{profile.vat_id}")
    if profile.name:
        keys.add(f"o:{profile.name}")
        code = normalize.cologne_phonetics(profile.name.replace(" ", ""))
        if code:
            keys.add(f"c:{code[:12]}")
        first_word = profile.name.split(" ")[0]
        if len(first_word) >= 3:
            keys |= {f"t:{first_word}:{place}" for place in profile.places}
    return {key[:200] for key in keys}


def keys_for(kind: str, profile: Profile) -> set[str]:
    return person_keys(profile) if kind == Kind.PERSON else organisation_keys(profile)


def block_pairs(members: Sequence[int], profiles: dict[int, Profile]) -> Iterator[tuple[int, int]]:
    """The pairs to compare within one block, lower id first (sorted neighbourhood when big)."""
    if len(members) <= MAX_BLOCK:
        for index, first in enumerate(members):
            for second in members[index + 1:]:
                yield (first, second) if first < second else (second, first)
        return
    ordered = sorted(members, key=lambda pk: (profiles[pk].name, pk))
    for index, first in enumerate(ordered):
        for second in ordered[index + 1:index + 1 + WINDOW]:
            yield (first, second) if first < second else (second, first)


# --- scores ----------------------------------------------------------------------------


def _given_names_fit(one: str, other: str) -> bool:
    if len(one) == 1 or len(other) == 1:
        return one[0] == other[0]  # an initial fits its name
    if one.startswith(other) or other.startswith(one):
        return True  # a short form: Alex / Alexander, Pete / Peter
    return fuzz.ratio(one, other) >= 70


def _first_names_agree(a: Profile, b: Profile) -> bool | None:
    """Whether two given names fit, as written or as canonical names; None when one is missing."""
    if not a.given or not b.given:
        return None
    return _given_names_fit(a.first, b.first) or _given_names_fit(a.given, b.given)


def _swapped(a: Profile, b: Profile) -> bool:
    return bool(a.given and b.given and a.last and b.last) and (
        fuzz.ratio(a.given, b.last) >= 85 and fuzz.ratio(a.last, b.given) >= 85)


def _name_similarity(a: Profile, b: Profile) -> int:
    """Token-order-free similarity of the names, with canonical and with written given names."""
    if not a.name or not b.name:
        return 0
    return round(max(fuzz.token_sort_ratio(a.name, b.name), fuzz.token_sort_ratio(a.raw_name, b.raw_name)))


def score_people(a: Profile, b: Profile) -> tuple[int, list[Reason]]:
    """Score two people 0 to 100 and say why.

    55 % of the score is the name (token order ignored, nicknames canonical); an equal
    e-mail adds 35 (the same mailbox in another spelling 30), a phone 30, an address 20
    (or the same postal code 4), the same birthday 15. Given names that clearly differ
    (Anna / Hans at one address and phone: a household) take 30 off, and two different
    birthdays 40.
    """
    reasons: list[Reason] = []
    name = _name_similarity(a, b)
    points = 0.55 * name
    if name >= 60:
        reasons.append(Reason("same_name" if name == 100 else "similar_name", None if name == 100 else name))
    if a.emails & b.emails:
        points += 35
        reasons.append(Reason("same_email"))
    elif a.mailboxes & b.mailboxes:
        points += 30
        reasons.append(Reason("same_mailbox"))
    if a.phones & b.phones:
        points += 30
        reasons.append(Reason("same_phone"))
    if a.addresses & b.addresses:
        points += 20
        reasons.append(Reason("same_address"))
    elif a.places & b.places:
        # Deliberately small: an equal name at the same postal code alone (two Thomas Müller in
        # one district) stays below the threshold; it only lifts a pair with other evidence.
        points += 4
        reasons.append(Reason("same_postal_code"))
    if a.birthday and b.birthday:
        if a.birthday == b.birthday:
            points += 15
            reasons.append(Reason("same_birthday"))
        else:
            points -= 40
            reasons.append(Reason("different_birthday"))
    if _first_names_agree(a, b) is False and not _swapped(a, b):
        points -= 30
        reasons.append(Reason("different_first_name"))
    return max(0, min(100, round(points))), reasons


def score_organisations(a: Profile, b: Profile) -> tuple[int, list[Reason]]:
    """Score two organisations 0 to 100 and say why.

    60 % is the name without legal forms (GmbH = GmbH & Co. KG); the same VAT id adds 40
    (two different ones take 40 off), the same e-mail 25 (else the same web or e-mail
    domain 15), a phone 25, an address 20 (or the postal code 5).
    """
    reasons: list[Reason] = []
    name = 0
    if a.name and b.name:
        name = round(max(fuzz.token_sort_ratio(a.name, b.name), 0.9 * fuzz.token_set_ratio(a.name, b.name)))
    points = 0.6 * name
    if name >= 60:
        reasons.append(Reason("same_name" if name == 100 else "similar_name", None if name == 100 else name))
    if a.vat_id and b.vat_id:
        if a.vat_id == b.vat_id:
            points += 40
            reasons.append(Reason("same_vat_id"))
        else:
            points -= 40
            reasons.append(Reason("different_vat_id"))
    if a.emails & b.emails:
        points += 25
        reasons.append(Reason("same_email"))
    elif a.domains & b.domains:
        points += 15
        reasons.append(Reason("same_domain"))
    if a.phones & b.phones:
        points += 25
        reasons.append(Reason("same_phone"))
    if a.addresses & b.addresses:
        points += 20
        reasons.append(Reason("same_address"))
    elif a.places & b.places:
        points += 5
        reasons.append(Reason("same_postal_code"))
    return max(0, min(100, round(points))), reasons


def score(kind: str, a: Profile, b: Profile) -> tuple[int, list[Reason]]:
    return score_people(a, b) if kind == Kind.PERSON else score_organisations(a, b)
