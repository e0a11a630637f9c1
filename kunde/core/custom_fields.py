"""Custom field validation: the one place that turns raw input into stored values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kunde.core.models import CustomFieldDefinition

FieldType = CustomFieldDefinition.FieldType


def definitions_for(object_type: str) -> list[CustomFieldDefinition]:
    """Return the custom field definitions of `object_type` in display order."""
    return list(CustomFieldDefinition.objects.filter(object_type=object_type))


def _coerce(definition: CustomFieldDefinition, raw: Any) -> Any:
    """Return the stored (JSON) form of `raw`, or raise ValueError with a message."""
    kind = definition.field_type
    if kind == FieldType.TEXT:
        text = str(raw).strip()
        if len(text) > 1000:
            raise ValueError(_("At most 1000 characters."))
        return text
    if kind == FieldType.NUMBER:
        try:
            number = Decimal(str(raw).strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == FieldType.DATE:
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            return dt.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind == FieldType.CHOICE:
        if str(raw) not in definition.choices:
            raise ValueError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(definition.choices)})
        return str(raw)
    if kind == FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        lowered = str(raw).strip().lower()
        if lowered in {"1", "true", "yes", "on", "ja"}:
            return True
        if lowered in {"0", "false", "no", "off", "nein"}:
            return False
        raise ValueError(_("Enter yes or no."))
    raise ValueError(_("Unknown field type."))


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def clean_custom_fields(
    object_type: str, values: dict[str, Any] | None, *, existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Validate `values` against the definitions of `object_type`; return the merged dict.

    Unknown keys and invalid values raise one ValidationError whose keys are field paths
    (`custom_fields.<key>`). `existing` keeps values the input does not mention.
    """
    definitions = {d.key: d for d in definitions_for(object_type)}
    result = dict(existing or {})
    errors: dict[str, list[str]] = {}
    for key, raw in (values or {}).items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom_fields.{key}"] = [_("Unknown custom field.")]
            continue
        if is_empty(raw):
            result.pop(key, None)
            continue
        try:
            result[key] = _coerce(definition, raw)
        except ValueError as exc:
            errors[f"custom_fields.{key}"] = [str(exc)]
    for key, definition in definitions.items():
        if definition.required and key not in result and f"custom_fields.{key}" not in errors:
            errors[f"custom_fields.{key}"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    return result


def parse_filter_value(definition: CustomFieldDefinition, raw: str) -> Any:
    """Return `raw` as the stored form, for filtering on a custom field."""
    try:
        return _coerce(definition, raw)
    except ValueError as exc:
        raise ValidationError({f"cf_{definition.key}": [str(exc)]}) from None
