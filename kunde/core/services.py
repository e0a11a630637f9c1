"""Generic write helpers that every app's services build on.

Each helper runs inside the caller's transaction, checks the actor's permission by the
same scoping rule the lists use, validates with `full_clean`, bumps the version,
writes the audit entry and queues the domain event. `actor=None` means a system
process (demo data, migrations of data); every request path passes a real user.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.exceptions import ConflictError, PermissionDenied
from kunde.core.models import AuditEntry, OwnedRecord, VersionedModel, model_label
from kunde.core.permissions import Action, can_create, is_admin, user_can

M = TypeVar("M", bound=models.Model)
R = TypeVar("R", bound=OwnedRecord)
V = TypeVar("V", bound=VersionedModel)


def require_permission(actor: Any, action: Action, instance: models.Model) -> None:
    """Raise PermissionDenied unless `actor` (or the system) may act on `instance`."""
    if actor is None:
        return
    if not user_can(actor, action, instance):
        raise PermissionDenied(f"{action} not allowed on {model_label(instance)} #{instance.pk}")


def require_create(actor: Any) -> None:
    if actor is not None and not can_create(actor):
        raise PermissionDenied("this role may not create records")


def require_admin(actor: Any) -> None:
    """Raise PermissionDenied unless `actor` is an administrator (system processes pass)."""
    if actor is not None and not is_admin(actor):
        raise PermissionDenied("only administrators may do this")


def lock(instance: M) -> M:
    """Re-read `instance` under a row lock (SQLite: the IMMEDIATE writer lock)."""
    manager = type(instance)._base_manager
    return manager.select_for_update().get(pk=instance.pk)


def validate(instance: models.Model) -> None:
    """`full_clean`, except that a foreign key the caller set to a model instance is not looked
    up again (Django's check costs a query per key; the database's foreign key still holds).
    Errors are collected as `full_clean` collects them."""
    given = {field.name for field in instance._meta.concrete_fields
             if isinstance(field, models.ForeignKey) and getattr(instance, field.attname) is not None
             and field.is_cached(instance)}
    errors: dict[str, Any] = {}
    try:
        instance.clean_fields(exclude=given)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    try:
        instance.clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    failed = set(errors)  # as in full_clean: no uniqueness checks on fields already in error
    for check in (instance.validate_unique, instance.validate_constraints):
        try:
            check(exclude=failed)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def record_create(*, actor: Any, instance: M, event: str) -> M:
    """Validate and insert `instance`, audit it and queue `event`."""
    require_create(actor)
    validate(instance)
    instance.save(force_insert=True)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=instance, after=snapshot(instance))
    emit_on_commit(event, id=instance.pk)
    return instance


@transaction.atomic
def record_update(
    *,
    actor: Any,
    instance: V,
    changes: dict[str, Any],
    expected_version: int | None,
    event: str,
    check_permission: bool = True,
) -> V:
    """Apply `changes` to the locked current row if it is still at `expected_version`.

    `expected_version=None` skips the check (only for system processes and merges that
    have just locked the row themselves). `check_permission=False` is for services that
    have applied a narrower rule of their own (an assignee completing their task).
    """
    if check_permission:
        require_permission(actor, Action.CHANGE, instance)
    current = lock(instance)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(expected=expected_version, current=current)
    before = snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    validate(current)
    current.version += 1
    current.save()
    after = snapshot(current)
    if before != after:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current, before=before, after=after)
        emit_on_commit(event, id=current.pk)
    return current


@transaction.atomic
def record_soft_delete(*, actor: Any, instance: R, event: str) -> R:
    """Mark `instance` deleted (restorable); nothing related is touched."""
    require_permission(actor, Action.DELETE, instance)
    current = lock(instance)
    if current.deleted_at is None:
        current.deleted_at = timezone.now()
        current.version += 1
        current.save(update_fields=["deleted_at", "version", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=current)
        emit_on_commit(event, id=current.pk)
    return current


@transaction.atomic
def record_restore(*, actor: Any, instance: R, event: str) -> R:
    """Undo a soft delete of `instance`."""
    if actor is not None:
        # A deleted row is invisible to the default manager: check on the full table.
        manager: Any = type(instance).all_objects
        if not manager.for_user(actor, Action.DELETE).filter(pk=instance.pk).exists():
            raise PermissionDenied("restore not allowed")
    current = lock(instance)
    if current.deleted_at is not None:
        current.deleted_at = None
        current.version += 1
        current.save(update_fields=["deleted_at", "version", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.RESTORE, instance=current)
        emit_on_commit(event, id=current.pk)
    return current
