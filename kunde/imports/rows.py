"""One file row as clean values, or the reasons it cannot be imported."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from kunde.contacts.validators import normalize_email, normalize_phone, validate_postal_code
from kunde.imports.reading import MAX_CELL
from kunde.interop.vcard import country_code

SALUTATIONS = {"herr": "mr", "mr": "mr", "mr.": "mr", "frau": "ms", "ms": "ms", "mrs": "ms", "mrs.": "ms",
               "ms.": "ms", "divers": "mx", "mx": "mx"}
LANGUAGES = {"de": "de", "deutsch": "de", "german": "de", "en": "en", "englisch": "en", "english": "en",
             "fr": "fr", "französisch": "fr", "french": "fr", "it": "it", "italienisch": "it", "italian": "it",
             "es": "es", "spanisch": "es", "spanish": "es"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%m/%d/%Y", "%d/%m/%Y", "%Y%m%d")


@dataclass
class CleanRow:
    number: int
    external_id: str = ""
    person: dict[str, Any] = field(default_factory=dict)  # scalar Person fields (keys: model field names)
    emails: list[str] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (E.164, kind)
    address: dict[str, str] | None = None
    organisation: str = ""
    role: str = ""
    tags: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _date(value: str) -> dt.date | None:
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def _split_name(full: str) -> tuple[str, str]:
    if "," in full:  # "Müller, Jürgen"
        last, _comma, first = full.partition(",")
        return first.strip(), last.strip()
    parts = full.rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])


def clean_row(number: int, values: dict[str, str], *, stages: dict[str, int], groups: dict[str, int]) -> CleanRow:
    """Validate and normalise one row (`values`: field -> cell text). `stages`/`groups`: key or label -> id."""
    row = CleanRow(number=number)
    cells = {name: (text or "").strip() for name, text in values.items()}
    too_long = sorted(name for name, text in cells.items() if len(text) > MAX_CELL)
    if too_long:
        row.errors.append(f"cell too long ({', '.join(too_long)}; at most {MAX_CELL} characters)")
        return row
    person = row.person
    first, last = cells.get("first_name", ""), cells.get("last_name", "")
    if not last and cells.get("full_name"):
        first, last = _split_name(cells["full_name"])
    if not last:
        row.errors.append("no last name")
    person["first_name"], person["last_name"] = first[:100], last[:100]
    if len(first) > 100 or len(last) > 100:
        row.errors.append("name longer than 100 characters")
    row.external_id = cells.get("external_id", "")[:200]
    if title := cells.get("title"):
        person["title"] = title[:40]
    if salutation := cells.get("salutation"):
        if salutation.lower() in SALUTATIONS:
            person["salutation"] = SALUTATIONS[salutation.lower()]
        else:
            row.errors.append(f"unknown salutation {salutation!r}")
    if birthday := cells.get("birthday"):
        parsed = _date(birthday)
        if parsed is None:
            row.errors.append(f"birthday {birthday!r} is not a date (use 2024-03-31 or 31.03.2024)")
        else:
            person["birthday"] = parsed
    if language := cells.get("preferred_language"):
        if language.lower() in LANGUAGES:
            person["preferred_language"] = LANGUAGES[language.lower()]
        else:
            row.errors.append(f"unknown language {language!r}")
    for name, known, label in (("lifecycle_stage", stages, "lifecycle stage"),
                               ("customer_group", groups, "customer group")):
        if value := cells.get(name):
            if value.lower() in known:
                person[f"{name}_id"] = known[value.lower()]
            else:
                row.errors.append(f"unknown {label} {value!r}")
    if notes := cells.get("notes"):
        person["notes"] = notes
    for name in ("email", "email_2"):
        if value := cells.get(name):
            try:
                address = normalize_email(value)
            except ValidationError as error:
                row.errors.append(f"{name.replace('_', ' ')}: {' '.join(error.messages)} ({value!r})")
            else:
                if address.lower() not in {e.lower() for e in row.emails}:
                    row.emails.append(address)
    region = (cells.get("country") and country_code(cells["country"])) or settings.KUNDE_DEFAULT_REGION
    for name, kind in (("phone", "work"), ("mobile", "mobile")):
        if value := cells.get(name):
            try:
                number_e164 = normalize_phone(value, region)
            except ValidationError:
                row.errors.append(f"{name}: not a valid phone number ({value!r})")
            else:
                if number_e164 not in {p for p, _kind in row.phones}:
                    row.phones.append((number_e164, kind))
    _address(row, cells)
    row.organisation = cells.get("organisation", "")[:200]
    row.role = cells.get("role", "")[:100]
    row.tags = sorted({tag.strip()[:50] for tag in re.split(r"[,;]", cells.get("tags", "")) if tag.strip()})
    return row


def _address(row: CleanRow, cells: dict[str, str]) -> None:
    row.address, errors = address_from(cells)
    row.errors += errors


def address_from(cells: dict[str, str]) -> tuple[dict[str, str] | None, list[str]]:
    """The address the cells give (street, postal_code, city, country), or None, and what is wrong with it."""
    street, city = cells.get("street", ""), cells.get("city", "")
    postal_code, country_text = cells.get("postal_code", ""), cells.get("country", "")
    if not (street or city or postal_code):
        if country_text and country_code(country_text) is None:
            return None, [f"unknown country {country_text!r}"]
        return None, []
    country = country_code(country_text) if country_text else settings.KUNDE_DEFAULT_REGION
    if country is None:
        return None, [f"unknown country {country_text!r}"]
    if not street or not city:
        return None, ["an address needs a street and a city"]
    try:
        validate_postal_code(country, postal_code)
    except ValidationError as error:
        return None, [f"postal code {postal_code!r}: {' '.join(error.messages)}"]
    return {"street": street[:200], "postal_code": postal_code[:12], "city": city[:100],
            "country": country or settings.KUNDE_DEFAULT_REGION}, []
