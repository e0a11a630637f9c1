"""The audit trail: services call `audit_record` inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from kunde.core.context import current_request_id
from kunde.core.models import AuditEntry, model_label

# Fields that change on every save and carry no information for a reader.
_SKIPPED = {"updated_at", "version"}


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """Return the concrete field values of `instance`, JSON-safe, keyed by attname.

    Fields a model lists in `audit_secret_fields` (passwords of mailboxes, …) are recorded
    only as set or not set: the audit trail is read by many and must not hand out secrets.
    """
    secret = set(getattr(instance, "audit_secret_fields", ()))
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.attname in _SKIPPED:
            continue
        value = getattr(instance, field.attname)
        data[field.attname] = ("********" if value else "") if field.attname in secret else _json_value(value)
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for every field whose value differs."""
    keys = before.keys() | after.keys()
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def audit_record(
    *,
    actor: Any,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record that `actor` did `action` to `instance`, with the field-level change."""
    changes: dict[str, Any] = {}
    if action == AuditEntry.Action.UPDATE:
        changes = diff(before or {}, after or {})
    elif action == AuditEntry.Action.CREATE:
        changes = {k: [None, v] for k, v in (after or {}).items() if v not in (None, "", [], {})}
    if extra:
        changes["_extra"] = extra
    actor_id = getattr(actor, "pk", None)
    return AuditEntry.objects.create(
        actor_id=actor_id,
        actor_label=getattr(actor, "username", "") or "system",
        action=action,
        object_type=model_label(instance),
        object_id=str(instance.pk),
        object_repr=str(instance)[:300],
        changes=changes,
        request_id=current_request_id(),
    )
