"""People and organisations in the search index: what each is found by.

A person is found by name, e-mail addresses, phone numbers (E.164 digits and the
national form, so "030 1234567", "+49 30 1234567" and "0049301234567" all match), the
names of the organisations they currently work at, and city and postal code; an
organisation by name, contact points, places, website, VAT ID and industry. Tags are
searchable on both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Employment, Organisation, Person
from kunde.core import search
from kunde.core.search import Document

# --- phone numbers ---------------------------------------------------------------------


@lru_cache(maxsize=512)
def _trunk_prefix(country_code: int) -> str | None:
    """The national dialling prefix of a calling code ("0" for 49), or None if irregular.

    Regular means: the national format of the region's example number is the prefix
    followed by the national significant number; then no per-number parsing is needed.
    """
    region = phonenumbers.region_code_for_country_code(country_code)
    example = phonenumbers.example_number(region)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
    if example is None or metadata is None:
        return None
    prefix = metadata.national_prefix or ""
    national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    regular = "".join(ch for ch in national if ch.isdigit()) == prefix + (
        phonenumbers.national_significant_number(example)
    )
    return prefix if regular else None


def _split_country_code(digits: str) -> tuple[int, str] | None:
    for length in (1, 2, 3):
        code = int(digits[:length])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return code, digits[length:]
    return None


def phone_forms(e164: str) -> list[str]:
    """The digit strings a stored E.164 number is found by: international and national."""
    digits = e164.lstrip("+")
    if not digits.isdigit():
        return [digits]
    forms = [digits]
    split = _split_country_code(digits)
    if split is None:
        return forms
    country_code, national_number = split
    trunk = _trunk_prefix(country_code)
    if trunk is None:
        # Countries with unusual national rules: ask the library (slower, rarely needed).
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return forms
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        national_digits = "".join(ch for ch in national if ch.isdigit())
    else:
        national_digits = trunk + national_number
    if national_digits and national_digits != digits:
        forms.append(national_digits)
    return forms


# --- documents from plain values (shared with bulk loaders) -----------------------------


def _join(parts: Iterable[str | None], separator: str = " · ") -> str:
    return separator.join(part for part in parts if part)


def person_document_from_values(
    *,
    first_name: str,
    last_name: str,
    title: str = "",
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    organisations: Sequence[str] = (),
    cities: Sequence[str] = (),
    postal_codes: Sequence[str] = (),
    tags: Sequence[str] = (),
) -> Document:
    """The search document of a person given plain values (first e-mail = primary)."""
    phone_words = [form for number in phones for form in phone_forms(number)]
    return Document(
        title=_join((title, first_name, last_name), " "),
        subtitle=_join((organisations[0] if organisations else "", emails[0] if emails else "",
                        cities[0] if cities else "")),
        names=[first_name, last_name],
        other=[title, *emails, *phone_words, *organisations, *postal_codes, *cities, *tags],
    )


def organisation_document_from_values(
    *,
    name: str,
    display_name: str = "",
    legal_form: str = "",
    industry: str = "",
    website: str = "",
    vat_id: str = "",
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    cities: Sequence[str] = (),
    postal_codes: Sequence[str] = (),
    tags: Sequence[str] = (),
) -> Document:
    """The search document of an organisation given plain values."""
    host = (urlsplit(website).hostname or "") if website else ""
    phone_words = [form for number in phones for form in phone_forms(number)]
    return Document(
        title=display_name or name,
        subtitle=_join((cities[0] if cities else "", industry, host)),
        names=[name],
        other=[legal_form, industry, host, vat_id, *emails, *phone_words, *postal_codes, *cities, *tags],
    )


# --- documents from model instances ----------------------------------------------------


def _current_employers() -> Prefetch:
    today = timezone.localdate()
    return Prefetch(
        "employments",
        queryset=Employment.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(organisation__deleted_at__isnull=True)
        .select_related("organisation")
        .order_by("-is_primary_contact", "id"),
        to_attr="search_employments",
    )


def person_queryset() -> QuerySet[Person]:
    """Living people with everything their document needs."""
    return Person.objects.prefetch_related("emails", "phones", "addresses", "tags", _current_employers())


def person_document(person: Any) -> Document:
    """What a person is found by."""
    addresses = list(person.addresses.all())
    return person_document_from_values(
        first_name=person.first_name,
        last_name=person.last_name,
        title=person.title,
        emails=[e.email for e in person.emails.all()],
        phones=[p.number for p in person.phones.all()],
        organisations=[e.organisation.name for e in person.search_employments],
        cities=[a.city for a in addresses],
        postal_codes=[a.postal_code for a in addresses],
        tags=[t.name for t in person.tags.all()],
    )


def organisation_queryset() -> QuerySet[Organisation]:
    """Living organisations with everything their document needs."""
    return Organisation.objects.prefetch_related("emails", "phones", "addresses", "tags")


def organisation_document(organisation: Any) -> Document:
    """What an organisation is found by."""
    addresses = list(organisation.addresses.all())
    return organisation_document_from_values(
        name=organisation.name,
        display_name=str(organisation),
        legal_form=organisation.legal_form if organisation.legal_form not in ("sole", "other") else "",
        industry=organisation.industry,
        website=organisation.website,
        vat_id=organisation.vat_id,
        emails=[e.email for e in organisation.emails.all()],
        phones=[p.number for p in organisation.phones.all()],
        cities=[a.city for a in addresses],
        postal_codes=[a.postal_code for a in addresses],
        tags=[t.name for t in organisation.tags.all()],
    )


def organisation_people(organisation: Any) -> QuerySet[Person]:
    """People whose documents quote `organisation`'s name."""
    return Person.objects.filter(employments__organisation_id=organisation.pk).distinct()


search.register(
    Person, person_document, type="person", label=_("Person"), queryset=person_queryset,
    url=lambda pk: reverse("contacts:person_detail", args=[pk]),
)
search.register(
    Organisation, organisation_document, type="organisation", label=_("Organisation"),
    queryset=organisation_queryset,
    url=lambda pk: reverse("contacts:organisation_detail", args=[pk]), dependents=organisation_people,
)
