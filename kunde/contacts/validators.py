"""Normalisation and validation of contact data: e-mail, phone, VAT ID, postal code.

Everything here works offline: `email-validator` without DNS, `phonenumbers` metadata
and `python-stdnum` checksums ship with the packages.
"""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email
from stdnum.eu import vat as eu_vat

_POSTAL_CODE = {
    "DE": re.compile(r"^\d{5}$"),
    "AT": re.compile(r"^\d{4}$"),
    "CH": re.compile(r"^\d{4}$"),
    "LI": re.compile(r"^\d{4}$"),
    "NL": re.compile(r"^\d{4} ?[A-Z]{2}$"),
    "FR": re.compile(r"^\d{5}$"),
    "US": re.compile(r"^\d{5}(-\d{4})?$"),
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$"),
}


def normalize_email(value: str) -> str:
    """Return `value` as a syntactically valid address with a lower-cased domain."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(_("Enter a valid e-mail address (%(reason)s).") % {"reason": exc}) from None
    local, _sep, domain = result.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_phone(value: str, region: str | None = None) -> str:
    """Return `value` in E.164; national numbers are read in `region` (default DE)."""
    region = (region or settings.KUNDE_DEFAULT_REGION).upper()
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a valid phone number.")) from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_query_digits(value: str, region: str | None = None) -> str | None:
    """Return E.164 digits for a search string that looks like a phone number, else None."""
    if sum(ch.isdigit() for ch in value) < 5 or re.search(r"[A-Za-z@]", value):
        return None
    try:
        number = phonenumbers.parse(value.strip(), (region or settings.KUNDE_DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", value) or None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def format_phone(e164: str) -> str:
    """Return an E.164 number in international display format."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_vat_id(value: str) -> str:
    """Return a compact, checksum-valid EU VAT id (or a Swiss UID with MWST)."""
    compact = re.sub(r"[\s.\-]", "", value).upper()
    if compact.startswith("CHE"):
        from stdnum.ch import vat as ch_vat

        if ch_vat.is_valid(value):
            return ch_vat.compact(value)
        raise ValidationError(_("Enter a valid Swiss VAT number (CHE-123.456.789 MWST)."))
    if not eu_vat.is_valid(compact):
        raise ValidationError(_("Enter a valid VAT ID with country prefix, e.g. DE136695976."))
    return eu_vat.compact(compact)


def validate_postal_code(country: str, postal_code: str) -> None:
    """Raise ValidationError when `postal_code` does not fit `country`'s format."""
    pattern = _POSTAL_CODE.get(country.upper())
    if pattern and postal_code and not pattern.match(postal_code.strip().upper()):
        raise ValidationError(_("This postal code does not match the format of %(country)s.") % {"country": country})
