"""Writes of custom field definitions (admins only), audited like every other change."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kunde.core.audit import audit_record, snapshot
from kunde.core.models import AuditEntry, CustomFieldDefinition, OwnedRecord, model_label
from kunde.core.services import require_admin

FieldType = CustomFieldDefinition.FieldType
# Key and type stay fixed once defined: stored values were validated against them.
_CHANGEABLE = frozenset({"label", "choices", "required", "position"})


def custom_field_object_types() -> list[tuple[str, str]]:
    """(label, verbose name) of every model that stores custom fields."""
    types = [
        (model_label(model), capfirst(str(model._meta.verbose_name)))
        for model in apps.get_models()
        if issubclass(model, OwnedRecord)
    ]
    return sorted(types, key=lambda pair: pair[1])


def _clean_choices(definition: CustomFieldDefinition) -> None:
    choices = [str(c).strip() for c in definition.choices or [] if str(c).strip()]
    if definition.field_type == FieldType.CHOICE:
        if not choices:
            raise ValidationError({"choices": [_("A choice field needs at least one choice.")]})
        if len(set(choices)) != len(choices):
            raise ValidationError({"choices": [_("Each choice may appear only once.")]})
    elif choices:
        raise ValidationError({"choices": [_("Only a choice field has choices.")]})
    definition.choices = choices


@transaction.atomic
def custom_field_create(*, actor: Any, object_type: str, key: str, label: str, field_type: str,
                        choices: list[str] | None = None, required: bool = False,
                        position: int = 0) -> CustomFieldDefinition:
    """Define a custom field on `object_type`."""
    require_admin(actor)
    if object_type not in dict(custom_field_object_types()):
        raise ValidationError({"object_type": [_("This object type has no custom fields.")]})
    definition = CustomFieldDefinition(object_type=object_type, key=key, label=label.strip(),
                                       field_type=field_type, choices=choices or [], required=required,
                                       position=position)
    _clean_choices(definition)
    definition.full_clean()
    definition.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=definition, after=snapshot(definition))
    return definition


@transaction.atomic
def custom_field_update(*, actor: Any, definition: CustomFieldDefinition,
                        changes: dict[str, Any]) -> CustomFieldDefinition:
    """Change a definition's label, choices, required flag or position."""
    require_admin(actor)
    unknown = set(changes) - _CHANGEABLE
    if unknown:
        raise ValidationError({name: [_("This cannot be changed once the field exists.")] for name in unknown})
    current = CustomFieldDefinition.objects.select_for_update().get(pk=definition.pk)
    before = snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    _clean_choices(current)
    current.full_clean()
    current.save()
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current, before=before,
                 after=snapshot(current))
    return current


@transaction.atomic
def custom_field_delete(*, actor: Any, definition: CustomFieldDefinition) -> None:
    """Delete a definition; values already stored stay in the records but are no longer shown."""
    require_admin(actor)
    current = CustomFieldDefinition.objects.select_for_update().get(pk=definition.pk)
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=current, before=snapshot(current))
    current.delete()
