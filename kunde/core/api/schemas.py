"""Small schema helpers shared by the apps' API modules."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.db import models
from ninja import Schema
from pydantic import ConfigDict, Field, create_model


class InputSchema(Schema):
    """A request body: unknown fields are an error (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


def choice_type(choices: type[models.Choices], *, blank: bool = False) -> Any:
    """A `Literal` of the values of `choices` (plus "" when `blank`), for enums in OpenAPI."""
    values = [c.value for c in choices if c.value != ""]
    if blank:
        values.insert(0, "")
    return Literal[tuple(values)]  # type: ignore[valid-type]


def patch_schema(schema: type[Schema], name: str, *, exclude: tuple[str, ...] = (), doc: str = "") -> type[Schema]:
    """A schema with `schema`'s fields, each optional: only the fields sent are changed.

    Types stay as they are, so an explicit `null` is accepted exactly where the full
    schema accepts it (a nullable field is cleared; a list or text field answers 422).
    """
    fields: dict[str, Any] = {}
    for field_name, info in schema.model_fields.items():
        if field_name in exclude:
            continue
        annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        fields[field_name] = (annotation, Field(None, description=info.description))
    model: type[Schema] = create_model(name, __base__=InputSchema, __doc__=doc or schema.__doc__, **fields)
    return model
