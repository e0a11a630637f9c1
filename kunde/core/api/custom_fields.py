"""REST API of custom field definitions: everyone may list them, admins change them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.idempotency import idempotent
from kunde.core.api.schemas import InputSchema, choice_type, patch_schema
from kunde.core.custom_field_services import custom_field_create, custom_field_delete, custom_field_update
from kunde.core.models import CustomFieldDefinition

if TYPE_CHECKING:  # a Literal type built from the choices at run time
    FieldTypeValue = str
else:
    FieldTypeValue = choice_type(CustomFieldDefinition.FieldType)


class CustomFieldDefinitionOut(Schema):
    """An admin-defined extra field; records carry its value under `custom_fields.<key>`."""

    id: int
    object_type: str = Field(description="app_label.model, e.g. contacts.person.")
    key: str
    label: str
    field_type: str
    choices: list[str]
    required: bool
    position: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomFieldDefinitionIn(InputSchema):
    """A new custom field (key, object type and type are fixed once created)."""

    object_type: str = Field(description="contacts.person or contacts.organisation.")
    key: str = Field(max_length=50, description="Letters, digits, - and _; used as cf_<key> in list filters.")
    label: str = Field(max_length=100)
    field_type: FieldTypeValue
    choices: list[str] = Field([], description="The allowed values of a choice field.")
    required: bool = False
    position: int = Field(0, ge=0, le=32767)


class CustomFieldDefinitionChanges(InputSchema):
    label: str = Field(max_length=100)
    choices: list[str]
    required: bool
    position: int = Field(ge=0, le=32767)


if TYPE_CHECKING:
    CustomFieldDefinitionPatch = Schema
else:
    CustomFieldDefinitionPatch = patch_schema(
        CustomFieldDefinitionChanges, "CustomFieldDefinitionPatch",
        doc="Changes to a custom field definition: only the fields sent are changed.",
    )

custom_fields = Router(tags=["custom fields"])


def _definition_get(pk: int) -> CustomFieldDefinition:
    """Definitions are configuration every user may read."""
    try:
        return CustomFieldDefinition.objects.get(pk=pk)
    except CustomFieldDefinition.DoesNotExist:
        raise Http404("No such custom field.") from None


@custom_fields.get("", response={200: list[CustomFieldDefinitionOut], **READ_ERRORS})
def list_custom_fields(request: HttpRequest,
                       object_type: str | None = Query(None, description="Only this object type.")
                       ) -> list[CustomFieldDefinition]:
    """List custom field definitions in display order."""
    definitions = CustomFieldDefinition.objects.all()
    if object_type:
        definitions = definitions.filter(object_type=object_type)
    return list(definitions)


@custom_fields.post("", response={201: CustomFieldDefinitionOut, **CREATE_ERRORS})
@idempotent
def create_custom_field(request: HttpRequest, payload: CustomFieldDefinitionIn) -> Status:
    """Define a custom field (administrators only)."""
    return Status(201, custom_field_create(actor=actor(request), **payload.model_dump()))


@custom_fields.get("/{int:definition_id}", response={200: CustomFieldDefinitionOut, **READ_ERRORS})
def get_custom_field(request: HttpRequest, definition_id: int) -> CustomFieldDefinition:
    """Get a custom field definition."""
    return _definition_get(definition_id)


@custom_fields.patch("/{int:definition_id}", response={200: CustomFieldDefinitionOut, **WRITE_ERRORS})
def update_custom_field(request: HttpRequest, definition_id: int,
                        payload: CustomFieldDefinitionPatch) -> CustomFieldDefinition:
    """Change a custom field's label, choices, required flag or position (administrators only)."""
    return custom_field_update(actor=actor(request), definition=_definition_get(definition_id),
                               changes=payload.model_dump(exclude_unset=True))


@custom_fields.delete("/{int:definition_id}", response={204: None, **WRITE_ERRORS})
def delete_custom_field(request: HttpRequest, definition_id: int) -> Status:
    """Remove a custom field definition; stored values stay (administrators only)."""
    custom_field_delete(actor=actor(request), definition=_definition_get(definition_id))
    return Status(204, None)
