"""People as vCards (3.0 and 4.0) and vCards as people.

Export writes what a phone's address book shows: name, organisation and role, typed e-mails,
phones and addresses, birthday, and a stable UID so a re-import or a CardDAV client
recognises the card. Import reads the cards Apple Contacts, Google Contacts and Outlook
write (folded lines, several addresses with labels, non-ASCII names, quoted-printable from
old Outlook versions); each card is parsed on its own, so one broken card is reported and
the others still import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import vobject
from django.conf import settings

from kunde.contacts.models import Person

VERSIONS = ("3.0", "4.0")
_TYPE_MAP_OUT = {"work": "work", "home": "home", "mobile": "cell", "fax": "fax", "other": "other"}
_BEGIN = re.compile(rb"^BEGIN:VCARD\s*$", re.IGNORECASE | re.MULTILINE)


def uid_of(person: Person) -> str:
    host = getattr(settings, "KUNDE_MAIL_DOMAIN", "") or "kunde.local"
    return f"kunde-person-{person.pk}@{host}"


def current_employment(person: Person) -> tuple[str, str]:
    """(organisation name, role) of the person's current employment, the primary contact first.

    Reads `person.employments` (prefetch it with the organisation for lists).
    """
    current = [link for link in person.employments.all() if link.is_current]
    current.sort(key=lambda link: (not link.is_primary_contact, link.pk))
    return (current[0].organisation.name, current[0].role) if current else ("", "")


def _types(kind: str, version: str, extra: Iterable[str] = ()) -> list[str]:
    values = [_TYPE_MAP_OUT.get(kind, kind), *extra]
    return values if version == "4.0" else [value.upper() for value in values]


def person_to_vcard(person: Person, *, version: str = "3.0", organisation: str = "", role: str = "") -> str:
    """One person as a vCard; `organisation`/`role` are the current primary employment, if any."""
    if version not in VERSIONS:
        raise ValueError(f"vCard version must be one of {VERSIONS}")
    card = vobject.vCard()
    card.add("version").value = version
    card.add("uid").value = uid_of(person)
    card.add("n").value = vobject.vcard.Name(family=person.last_name, given=person.first_name,
                                             prefix=person.title)
    card.add("fn").value = person.full_name or person.last_name
    if organisation:
        card.add("org").value = [organisation]
    if role:
        card.add("title").value = role
    for email in person.emails.all():
        line = card.add("email")
        line.value = email.email
        line.type_param = _types(email.kind, version, ["pref"] if email.is_primary else [])
    for phone in person.phones.all():
        line = card.add("tel")
        line.value = f"tel:{phone.number}" if version == "4.0" else phone.number
        if version == "4.0":
            line.params["VALUE"] = ["uri"]
        line.type_param = _types(phone.kind, version, ["voice"] if phone.kind in {"work", "home", "mobile"} else [])
    for address in person.addresses.all():
        line = card.add("adr")
        line.value = vobject.vcard.Address(street=" ".join(p for p in (address.street, address.extra) if p),
                                           city=address.city, region=address.region, code=address.postal_code,
                                           country=address.country)
        line.type_param = _types(address.kind if address.kind in {"home", "work"} else "work", version)
    if person.birthday:
        # vCard 4.0 (RFC 6350) writes dates in the basic ISO form; 3.0 readers expect the extended one.
        card.add("bday").value = person.birthday.strftime("%Y%m%d") if version == "4.0" else person.birthday.isoformat()
    if person.preferred_language in {"de", "en", "fr", "it", "es"} and version == "4.0":
        card.add("lang").value = person.preferred_language
    card.add("rev").value = person.updated_at.strftime("%Y%m%dT%H%M%SZ")
    return str(card.serialize())


# --- import -----------------------------------------------------------------------------


@dataclass
class ParsedCard:
    """What one vCard says, in Kunde's terms; `problems` lists what was left out and why."""

    number: int
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    organisation: str = ""
    role: str = ""
    birthday: str = ""
    emails: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    uid: str = ""
    notes: str = ""
    problems: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.organisation


def _kind(line: Any, allowed: set[str], default: str) -> str:
    types = {str(value).lower() for value in line.params.get("TYPE", []) for value in str(value).split(",")}
    if "cell" in types or "iphone" in types:
        types.add("mobile")
    for candidate in ("mobile", "fax", "home", "work"):
        if candidate in types and candidate in allowed:
            return candidate
    return default


def _is_preferred(line: Any) -> bool:
    types = {str(value).lower() for value in line.params.get("TYPE", [])}
    return "pref" in types or bool(line.params.get("PREF"))


def _split_cards(data: bytes) -> list[bytes]:
    starts = [match.start() for match in _BEGIN.finditer(data)]
    return [data[start:end] for start, end in zip(starts, [*starts[1:], len(data)], strict=True)]


def _decode(chunk: bytes) -> str:
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError:
        return chunk.decode("cp1252", errors="replace")  # old Outlook exports


KNOWN = {"VERSION", "N", "FN", "ORG", "TITLE", "ROLE", "EMAIL", "TEL", "ADR", "BDAY", "UID", "PRODID", "REV",
         "LABEL", "CATEGORIES", "NOTE", "URL", "X-ABLABEL", "X-ABUID", "KIND", "LANG", "NICKNAME"}


def parse_vcards(data: bytes) -> list[ParsedCard]:
    """Every card in `data`, each parsed on its own; a card that cannot be read has `error` set."""
    cards = []
    for number, chunk in enumerate(_split_cards(data), start=1):
        card = ParsedCard(number=number)
        try:
            component = vobject.readOne(_decode(chunk), ignoreUnreadable=True)
            _fill(card, component)
        except Exception as error:  # vobject raises many types on malformed input
            card.error = f"{type(error).__name__}: {error}"[:300]
        cards.append(card)
    return cards


COUNTRIES = {
    "de": "DE", "deutschland": "DE", "germany": "DE", "bundesrepublik deutschland": "DE",
    "at": "AT", "österreich": "AT", "oesterreich": "AT", "austria": "AT",
    "ch": "CH", "schweiz": "CH", "switzerland": "CH", "suisse": "CH",
    "nl": "NL", "niederlande": "NL", "netherlands": "NL", "fr": "FR", "frankreich": "FR", "france": "FR",
    "it": "IT", "italien": "IT", "italy": "IT", "es": "ES", "spanien": "ES", "spain": "ES",
    "be": "BE", "belgien": "BE", "belgium": "BE", "lu": "LU", "luxemburg": "LU", "luxembourg": "LU",
    "pl": "PL", "polen": "PL", "poland": "PL", "dk": "DK", "dänemark": "DK", "denmark": "DK",
    "gb": "GB", "uk": "GB", "united kingdom": "GB", "großbritannien": "GB", "vereinigtes königreich": "GB",
    "us": "US", "usa": "US", "united states": "US", "united states of america": "US", "vereinigte staaten": "US",
}


def country_code(name: str) -> str | None:
    """The ISO code of a country as address books write it (a code or a German/English name)."""
    cleaned = name.strip().lower()
    if not cleaned:
        return ""
    if len(cleaned) == 2 and cleaned.isalpha():
        return cleaned.upper()
    return COUNTRIES.get(cleaned)


def _fill(card: ParsedCard, component: Any) -> None:
    contents = component.contents
    if "n" in contents:
        name = contents["n"][0].value
        card.last_name, card.first_name = str(name.family or "").strip(), str(name.given or "").strip()
        card.title = str(name.prefix or "").strip()
    if not card.last_name and "fn" in contents:
        parts = str(contents["fn"][0].value).strip().rsplit(" ", 1)
        card.first_name, card.last_name = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
    if "org" in contents:
        value = contents["org"][0].value
        card.organisation = (value[0] if isinstance(value, list) and value else str(value)).strip()
    if "title" in contents:
        card.role = str(contents["title"][0].value).strip()
    if "bday" in contents:
        card.birthday = str(contents["bday"][0].value).strip()
    if "note" in contents:
        card.notes = "\n".join(str(line.value).strip() for line in contents["note"])
    if "uid" in contents:
        card.uid = str(contents["uid"][0].value).strip()
    for line in contents.get("email", []):
        card.emails.append({"email": str(line.value).strip(), "kind": _kind(line, {"home", "work"}, "work"),
                            "is_primary": _is_preferred(line)})
    for line in contents.get("tel", []):
        number = str(line.value).strip().removeprefix("tel:")
        card.phones.append({"number": number, "kind": _kind(line, {"mobile", "fax", "home", "work"}, "work"),
                            "is_primary": _is_preferred(line)})
    for line in contents.get("adr", []):
        address = line.value
        street = " ".join(address.street) if isinstance(address.street, list) else str(address.street or "")
        country = country_code(str(address.country or ""))
        if country is None:
            card.problems.append(f"address in {address.city}: unknown country {address.country!r}; left out")
            continue
        card.addresses.append({
            "street": street.strip(), "postal_code": str(address.code or "").strip(),
            "city": str(address.city or "").strip(), "region": str(address.region or "").strip(),
            "country": country or getattr(settings, "KUNDE_DEFAULT_REGION", "DE"),
            "kind": _kind(line, {"home", "work"}, "postal"),
        })
    if "photo" in contents:
        card.problems.append("photo: Kunde keeps no photos of people; left out")
    unknown = sorted({key.upper() for key in contents} - KNOWN - {"PHOTO"})
    if unknown:
        card.problems.append("not imported: " + ", ".join(unknown))
