"""What a column can mean, and which column probably means what — per object type.

Suggestions know the export formats of HubSpot, Salesforce, Odoo, Pipedrive, Outlook and
Google Contacts (people), of the first four for companies, products and activities, and
German and English headers in general. Headers are compared folded
(case, umlauts, punctuation), so "E-Mail-Adresse", "Email Address" and "e_mail" match alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

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


ORGANISATION = "contacts.organisation"
PRODUCT = "commerce.product"
ACTIVITY = "activities.activity"
PERSON = "contacts.person"
DEAL = "sales.deal"

ORGANISATION_FIELDS = {
    "external_id": _("External id"),
    "name": _("Name"),
    "legal_form": _("Legal form"),
    "industry": _("Industry"),
    "size": _("Size (employees)"),
    "website": _("Website"),
    "vat_id": _("VAT id"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "street": _("Street and number"),
    "postal_code": _("Postal code"),
    "city": _("City"),
    "country": _("Country"),
    "lifecycle_stage": _("Lifecycle stage"),
    "customer_group": _("Customer group"),
    "tags": _("Tags"),
    "notes": _("Notes"),
}

ORGANISATION_ALIASES: dict[str, list[str]] = {
    "external_id": ["external id", "externe id", "id", "record id", "company id", "account id", "organization - id",
                    "organisation id", "kundennummer", "customer number", "firmen id", "hubspot id", "odoo id"],
    "name": ["name", "company name", "company", "account name", "organization - name", "organisation", "organization",
             "firma", "firmenname", "unternehmen", "display name", "organization name"],
    "legal_form": ["legal form", "rechtsform", "company type", "gesellschaftsform"],
    "industry": ["industry", "branche", "organization - industry", "sector"],
    "size": ["number of employees", "employees", "mitarbeiter", "mitarbeiterzahl", "anzahl mitarbeiter",
             "organization - number of employees", "company size", "size", "unternehmensgrosse"],
    "website": ["website", "website url", "company domain name", "domain", "webseite", "homepage", "url",
                "organization - website", "internet"],
    "vat_id": ["vat id", "vat", "vat number", "tax id", "ust-idnr", "ust id", "ustid", "ust-id", "umsatzsteuer-id",
               "vat registration number", "organization - vat number"],
    "email": ["email", "e-mail", "email address", "e-mail-adresse", "company email", "organization - email"],
    "phone": ["phone", "phone number", "telefon", "telephone", "company phone", "organization - phone", "tel"],
    "street": ["street", "strasse", "street address", "address", "adresse", "billing street", "address 1",
               "organization - address", "anschrift"],
    "postal_code": ["postal code", "zip", "zip code", "plz", "postleitzahl", "postcode", "billing zip/postal code",
                    "organization - address - zip/postal code"],
    "city": ["city", "ort", "stadt", "billing city", "organization - address - city/town/village/locality"],
    "country": ["country", "land", "country/region", "billing country", "organization - address - country"],
    "lifecycle_stage": ["lifecycle stage", "lebenszyklusphase", "stage", "phase"],
    "customer_group": ["customer group", "kundengruppe", "segment", "customer type", "kundentyp", "type",
                       "account type"],
    "tags": ["tags", "labels", "organization - label", "schlagworter", "categories", "kategorien"],
    "notes": ["notes", "notizen", "description", "beschreibung", "bemerkung", "comment", "kommentar", "about"],
}

PRODUCT_FIELDS = {
    "sku": _("SKU / article number"),
    "external_id": _("External id"),
    "name": _("Name"),
    "description": _("Description"),
    "unit": _("Unit"),
    "net_price": _("Net price"),
    "vat_rate": _("VAT rate (%)"),
    "category": _("Category"),
    "is_active": _("Active"),
}

PRODUCT_ALIASES: dict[str, list[str]] = {
    "sku": ["sku", "product code", "internal reference", "artikelnummer", "art nr", "artikel-nr", "item number",
            "product - product code", "default code", "produktcode", "article number"],
    "external_id": ["external id", "id", "record id", "product id", "product - id", "odoo id", "hubspot id"],
    "name": ["name", "product name", "product - name", "bezeichnung", "artikel", "produkt", "artikelbezeichnung",
             "title"],
    "description": ["description", "product description", "beschreibung", "product - description",
                    "sales description"],
    "unit": ["unit", "einheit", "unit of measure", "product - unit", "mengeneinheit", "uom"],
    "net_price": ["price", "unit price", "net price", "list price", "sales price", "preis", "nettopreis",
                  "verkaufspreis", "product - price", "einzelpreis"],
    "vat_rate": ["vat", "vat rate", "tax", "tax rate", "mwst", "mwst satz", "mehrwertsteuer", "steuersatz",
                 "customer taxes", "product - tax", "ust"],
    "category": ["category", "kategorie", "product category", "product family", "product - category",
                 "warengruppe", "produktkategorie"],
    "is_active": ["active", "aktiv", "is active", "product - active flag", "status"],
}

ACTIVITY_FIELDS = {
    "external_id": _("External id"),
    "person_email": _("Person (e-mail)"),
    "person_external_id": _("Person (external id)"),
    "organisation": _("Organisation (name)"),
    "organisation_external_id": _("Organisation (external id)"),
    "kind": _("Kind (contact, note, task)"),
    "channel": _("Channel"),
    "direction": _("Direction"),
    "occurred_at": _("Date and time"),
    "due_at": _("Due (tasks)"),
    "subject": _("Subject"),
    "notes": _("Notes"),
    "outcome": _("Outcome"),
    "duration_minutes": _("Duration (minutes)"),
    "topic": _("Topic"),
}

ACTIVITY_ALIASES: dict[str, list[str]] = {
    "external_id": ["external id", "id", "record id", "activity id", "activity - id", "engagement id", "task id",
                    "event id", "odoo id", "hubspot id"],
    "person_email": ["email", "e-mail", "contact email", "person - email", "associated contact email",
                     "associated contact", "kontakt e-mail", "e-mail-adresse", "email address", "contact e-mail"],
    "person_external_id": ["contact id", "person id", "person - id", "who id", "name id", "kundennummer",
                           "associated contact id", "kontakt id"],
    "organisation": ["company", "company name", "account name", "organization - name", "organization",
                     "organisation", "firma", "associated company", "related document", "unternehmen"],
    "organisation_external_id": ["company id", "account id", "organization - id", "associated company id",
                                 "what id", "firmen id"],
    "kind": ["kind", "art", "activity kind", "record type"],
    "channel": ["type", "activity type", "activity - type", "channel", "kanal", "kontaktart", "typ",
                "engagement type", "task subtype"],
    "direction": ["direction", "richtung", "call direction", "email direction"],
    "occurred_at": ["date", "datum", "activity date", "activity - due date", "activity - done time",
                    "timestamp", "created date", "zeitpunkt", "call date", "engagement date", "start date"],
    "due_at": ["due date", "fällig", "faellig", "due", "fälligkeit", "deadline", "reminder date"],
    "subject": ["subject", "betreff", "title", "titel", "summary", "activity - subject", "call title",
                "meeting name", "zusammenfassung"],
    "notes": ["notes", "note", "notizen", "body", "comments", "description", "activity - note", "call notes",
              "beschreibung", "inhalt", "bemerkung"],
    "outcome": ["outcome", "ergebnis", "call outcome", "result", "disposition"],
    "duration_minutes": ["duration", "dauer", "duration (minutes)", "activity - duration", "call duration",
                         "dauer (minuten)", "call duration (minutes)"],
    "topic": ["topic", "thema", "category", "kategorie"],
}


# What a file can hold: object type -> what the user calls it (the wizard's and the CLI's choice).
OBJECT_TYPES = {
    PERSON: _("People"),
    ORGANISATION: _("Organisations"),
    PRODUCT: _("Products"),
    ACTIVITY: _("History entries (calls, meetings, notes, tasks)"),
    DEAL: _("Deals"),
}


DEAL_FIELDS = {
    "external_id": _("External id"),
    "title": _("Title"),
    "person_email": _("Person (e-mail)"),
    "person_external_id": _("Person (external id)"),
    "organisation": _("Organisation (name)"),
    "organisation_external_id": _("Organisation (external id)"),
    "amount": _("Amount"),
    "currency": _("Currency"),
    "stage": _("Stage"),
    "expected_close_date": _("Expected close date"),
    "probability": _("Probability (%)"),
    "next_step": _("Next step"),
    "source": _("Source"),
    "notes": _("Notes"),
}

DEAL_ALIASES: dict[str, list[str]] = {
    "external_id": ["external id", "id", "record id", "deal id", "deal - id", "opportunity id", "odoo id",
                    "hubspot id", "chancen id"],
    "title": ["deal name", "deal - title", "opportunity name", "title", "titel", "name", "opportunity", "betreff",
              "chance", "verkaufschance"],
    "person_email": ["email", "e-mail", "contact email", "person - email", "associated contact", "email address",
                     "kontakt e-mail"],
    "person_external_id": ["contact id", "person id", "person - id", "associated contact id", "kontakt id"],
    "organisation": ["company", "company name", "account name", "organization - name", "organization", "customer",
                     "organisation", "firma", "associated company", "kunde"],
    "organisation_external_id": ["company id", "account id", "organization - id", "associated company id",
                                 "firmen id"],
    "amount": ["amount", "deal - value", "value", "betrag", "wert", "expected revenue", "volumen", "deal amount"],
    "currency": ["currency", "deal - currency", "wahrung", "currency iso code"],
    "stage": ["deal stage", "stage", "deal - stage", "phase", "stufe"],
    "expected_close_date": ["close date", "expected close date", "deal - expected close date", "deadline",
                            "expected closing", "abschlussdatum", "voraussichtlicher abschluss"],
    "probability": ["probability", "probability (%)", "deal - probability", "wahrscheinlichkeit",
                    "deal probability"],
    "next_step": ["next step", "nachster schritt", "next activity"],
    "source": ["source", "lead source", "deal - source", "quelle", "herkunft", "original source"],
    "notes": ["notes", "description", "beschreibung", "notizen", "internal notes"],
}


def fields_for(object_type: str) -> Mapping[str, object]:
    """The fields a column of a file of `object_type` can be mapped to (field -> label)."""
    return {PERSON: PERSON_FIELDS, ORGANISATION: ORGANISATION_FIELDS, PRODUCT: PRODUCT_FIELDS,
            ACTIVITY: ACTIVITY_FIELDS, DEAL: DEAL_FIELDS}[object_type]


def _required(object_type: str, chosen: list[str]) -> list[str]:
    """What a mapping of `object_type` must map (the columns no row can do without)."""
    if object_type == PERSON:
        if "last_name" not in chosen and "full_name" not in chosen:
            return ["map a column to the last name (or the full name)"]
        return []
    if object_type == ORGANISATION:
        return [] if "name" in chosen else ["map a column to the organisation's name"]
    if object_type == PRODUCT:
        return [f"map a column to the {label}" for name, label in (("sku", "SKU"), ("name", "name"),
                                                                   ("net_price", "net price"))
                if name not in chosen]
    if object_type == DEAL:
        problems = [] if "title" in chosen else ["map a column to the deal's title"]
    else:
        problems = [] if "subject" in chosen else ["map a column to the subject"]
    if not {"person_email", "person_external_id", "organisation", "organisation_external_id"} & set(chosen):
        problems.append("map a column to the person (e-mail or external id) or the organisation")
    return problems


def fold(header: str) -> str:
    text = unicodedata.normalize("NFKD", header.replace("ß", "ss")).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[\s_.:]+", " ", text).strip()


_LOOKUPS = {
    object_type: {fold(alias): field for field, aliases in table.items() for alias in aliases}
    for object_type, table in ((PERSON, ALIASES), (ORGANISATION, ORGANISATION_ALIASES), (PRODUCT, PRODUCT_ALIASES),
                               (ACTIVITY, ACTIVITY_ALIASES), (DEAL, DEAL_ALIASES))
}
_LOOKUP = _LOOKUPS[PERSON]


def suggest_mapping(headers: list[str], object_type: str = PERSON) -> dict[str, str]:
    """Header -> field for every header that names a known field of `object_type` (each field used once)."""
    lookup = _LOOKUPS[object_type]
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        field = lookup.get(fold(header), "")
        if field and field not in used:
            mapping[header] = field
            used.add(field)
        else:
            mapping[header] = ""
    if "first_name" in used and "last_name" in used and "full_name" in used:
        mapping = {h: ("" if f == "full_name" else f) for h, f in mapping.items()}
    return mapping


def check_mapping(mapping: dict[str, str], headers: list[str], object_type: str = PERSON) -> list[str]:
    """Problems that make a mapping unusable (unknown columns or fields, no name, a field twice)."""
    known = fields_for(object_type)
    problems = []
    unknown_columns = sorted(set(mapping) - set(headers))
    if unknown_columns:
        problems.append(f"columns not in the file: {', '.join(unknown_columns)}")
    unknown_fields = sorted({f for f in mapping.values() if f and f not in known})
    if unknown_fields:
        problems.append(f"unknown fields: {', '.join(unknown_fields)}")
    chosen = [f for f in mapping.values() if f]
    twice = sorted({f for f in chosen if chosen.count(f) > 1})
    if twice:
        problems.append(f"fields mapped twice: {', '.join(twice)}")
    problems += _required(object_type, chosen)
    return problems
