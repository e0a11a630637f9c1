"""What a column can mean, and which column probably means what.

Suggestions know the export formats of HubSpot, Salesforce, Odoo, Pipedrive, Outlook and
Google Contacts, and German and English headers in general. Headers are compared folded
(case, umlauts, punctuation), so "E-Mail-Adresse", "Email Address" and "e_mail" match alike.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

# field -> label; "" in a mapping means: ignore the column
PERSON_FIELDS = {
    "external_id": _("External id"),
    "salutation": _("Salutation"),
    "title": _("Title"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "full_name": _("Full name (split into first and last name)"),
    "email": _("E-mail"),
    "email_2": _("Second e-mail"),
    "phone": _("Phone"),
    "mobile": _("Mobile phone"),
    "street": _("Street and number"),
    "postal_code": _("Postal code"),
    "city": _("City"),
    "country": _("Country"),
    "organisation": _("Organisation"),
    "role": _("Role"),
    "birthday": _("Birthday"),
    "preferred_language": _("Preferred language"),
    "lifecycle_stage": _("Lifecycle stage"),
    "customer_group": _("Customer group"),
    "tags": _("Tags"),
    "notes": _("Notes"),
}

ALIASES: dict[str, list[str]] = {
    "external_id": [
        "external id", "externe id", "id", "record id", "contact id", "kontakt id", "kundennummer", "customer id",
        "customer number", "person id", "person - id", "hubspot id", "salesforce id", "odoo id",
    ],
    "salutation": ["salutation", "anrede", "mr/ms", "prefix"],
    "title": ["title", "titel", "academic title", "akademischer titel"],
    "first_name": ["first name", "firstname", "vorname", "given name", "person - first name", "first"],
    "last_name": ["last name", "lastname", "nachname", "family name", "surname", "person - last name", "last",
                  "name (nachname)"],
    "full_name": ["name", "full name", "person - name", "contact name", "kontakt", "display name",
                  "vollständiger name"],
    "email": ["email", "e-mail", "email address", "e-mail address", "e-mail-adresse", "emailadresse", "mail",
              "e-mail 1 - value", "person - email", "email 1", "primary email", "work email", "e mail"],
    "email_2": ["e-mail 2 - value", "e-mail 2 address", "email 2", "secondary email", "private email",
                "e-mail 2", "private e-mail"],
    "phone": ["phone", "telefon", "phone number", "telephone", "business phone", "work phone", "phone 1 - value",
              "person - phone", "telefonnummer", "tel", "festnetz", "telefon geschäftlich", "geschäftlich"],
    "mobile": ["mobile", "mobile phone", "mobil", "handy", "mobiltelefon", "mobile phone number", "cell",
               "phone 2 - value", "mobilnummer"],
    "street": ["street", "straße", "strasse", "street address", "address", "adresse", "mailing street",
               "business street", "address 1 - street", "address 1 - formatted", "anschrift"],
    "postal_code": ["postal code", "zip", "zip code", "plz", "postleitzahl", "postcode", "mailing zip/postal code",
                    "business postal code", "address 1 - postal code", "zip/postal code"],
    "city": ["city", "ort", "stadt", "town", "mailing city", "business city", "address 1 - city", "wohnort"],
    "country": ["country", "land", "country/region", "mailing country", "business country/region",
                "address 1 - country", "staat"],
    "organisation": ["company", "company name", "organisation", "organization", "firma", "unternehmen",
                     "account name", "associated company", "person - organization", "organization 1 - name",
                     "arbeitgeber", "firmenname"],
    "role": ["job title", "position", "role", "rolle", "funktion", "job position", "organization 1 - title",
             "berufsbezeichnung", "abteilung/position"],
    "birthday": ["birthday", "birth date", "date of birth", "geburtstag", "geburtsdatum", "birthdate"],
    "preferred_language": ["language", "sprache", "preferred language", "bevorzugte sprache"],
    "lifecycle_stage": ["lifecycle stage", "lebenszyklusphase", "lead status", "stage", "phase"],
    "customer_group": ["customer group", "kundengruppe", "segment", "customer type", "kundentyp"],
    "tags": ["tags", "labels", "schlagwörter", "categories", "kategorien", "group membership"],
    "notes": ["notes", "notizen", "bemerkung", "bemerkungen", "description", "beschreibung", "comment",
              "kommentar"],
}


def fold(header: str) -> str:
    text = unicodedata.normalize("NFKD", header.replace("ß", "ss")).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[\s_.:]+", " ", text).strip()


_LOOKUP = {fold(alias): field for field, aliases in ALIASES.items() for alias in aliases}


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """Header -> field for every header that names a known field (each field used once)."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        field = _LOOKUP.get(fold(header), "")
        if field and field not in used:
            mapping[header] = field
            used.add(field)
        else:
            mapping[header] = ""
    if "first_name" in used and "last_name" in used and "full_name" in used:
        mapping = {h: ("" if f == "full_name" else f) for h, f in mapping.items()}
    return mapping


def check_mapping(mapping: dict[str, str], headers: list[str]) -> list[str]:
    """Problems that make a mapping unusable (unknown columns or fields, no name, a field twice)."""
    problems = []
    unknown_columns = sorted(set(mapping) - set(headers))
    if unknown_columns:
        problems.append(f"columns not in the file: {', '.join(unknown_columns)}")
    unknown_fields = sorted({f for f in mapping.values() if f and f not in PERSON_FIELDS})
    if unknown_fields:
        problems.append(f"unknown fields: {', '.join(unknown_fields)}")
    chosen = [f for f in mapping.values() if f]
    twice = sorted({f for f in chosen if chosen.count(f) > 1})
    if twice:
        problems.append(f"fields mapped twice: {', '.join(twice)}")
    if "last_name" not in chosen and "full_name" not in chosen:
        problems.append("map a column to the last name (or the full name)")
    return problems
