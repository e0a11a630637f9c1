"""Every write of the review queue: dismiss a candidate, merge two records, undo a merge.

A merge moves every row that points at the loser to the survivor, found generically:
each foreign key of any model to `Person` / `Organisation` (the hidden ones and the
tables behind many-to-many fields included), each generic foreign key, and the
label/id references listed in `LABEL_REFERENCES`. Where the survivor already has the
same row (the same tag, segment membership, e-mail address, employment) the loser's
row is removed instead; a colliding row that carries data of its own (a campaign
recipient with its clicks) stays with the loser. `MergeRecord` keeps exactly what was
moved, changed and removed, so `merge_undo` can put everything back.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.contacts import services as contacts
from kunde.contacts.models import Organisation, Person
from kunde.core import search
from kunde.core.audit import audit_record, snapshot
from kunde.core.custom_fields import definitions_for
from kunde.core.events import emit_on_commit
from kunde.core.exceptions import ConflictError, PermissionDenied
from kunde.core.models import AuditEntry, VersionedModel, model_label
from kunde.core.permissions import Action, user_can
from kunde.core.services import lock, record_update, require_permission
from kunde.dedupe import normalize
from kunde.dedupe.models import DuplicateCandidate, Kind, MergeRecord

Record = Person | Organisation


class DedupeEvent:
    PERSON_MERGED = "dedupe.person_merged"
    ORGANISATION_MERGED = "dedupe.organisation_merged"
    PERSON_MERGE_UNDONE = "dedupe.person_merge_undone"
    ORGANISATION_MERGE_UNDONE = "dedupe.organisation_merge_undone"
    CANDIDATE_DISMISSED = "dedupe.candidate_dismissed"


class UndoRefused(Exception):
    """A merge cannot be undone safely any more (the records changed since); the message says why."""


# Fields the merge lets the user pick, per kind; custom fields come as "custom_fields.<key>".
MERGE_FIELDS: dict[str, tuple[str, ...]] = {
    Kind.PERSON: contacts.PERSON_FIELDS,
    Kind.ORGANISATION: contacts.ORGANISATION_FIELDS,
}
SURVIVOR, LOSER, BOTH = "survivor", "loser", "both"
# Text fields whose two values may be kept together.
JOINABLE = frozenset({"notes"})

# References by model label and id without a foreign key: (app label, model, type field, id field).
LABEL_REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("imports", "ExternalReference", "object_type", "object_id"),
)

# Rows that are "the same" although no unique constraint says so: the survivor's copy wins.
# Each function gets the row and the name of the column being moved ("person_id").
SAME_ROW: dict[str, Callable[[Any, str], Any]] = {
    "contacts.emailaddress": lambda row, _column: normalize.email_key(row.email),
    "contacts.phonenumber": lambda row, _column: normalize.phone_key(row.number),
    "contacts.address": lambda row, _column: (normalize.street_key(row.street), normalize.fold(row.postal_code),
                                              normalize.name_key(row.city), row.country),
    # The same person at the same organisation over the same period.
    "contacts.employment": lambda row, column: (row.organisation_id if column == "person_id" else row.person_id,
                                                row.start_date, row.end_date),
}
# Columns that do not make a link row carry data of its own.
_BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "version"})


@dataclass
class MergeOutcome:
    """What a merge did, for the message shown to the user."""

    merge: MergeRecord
    moved: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)


def kind_of(record: Record) -> str:
    return Kind.PERSON if isinstance(record, Person) else Kind.ORGANISATION


def model_for(kind: str) -> type[Person] | type[Organisation]:
    return Person if kind == Kind.PERSON else Organisation


# --- dismiss ---------------------------------------------------------------------------


def _require_change_both(actor: User | None, candidate: DuplicateCandidate) -> None:
    for record in (candidate.first, candidate.second):
        require_permission(actor, Action.CHANGE, record)


@transaction.atomic
def candidate_dismiss(*, actor: User | None, candidate: DuplicateCandidate) -> DuplicateCandidate:
    """Mark a candidate as "not a duplicate"; later scans keep it dismissed."""
    _require_change_both(actor, candidate)
    current = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if current.status == DuplicateCandidate.Status.MERGED:
        raise ValidationError(_("These records have been merged; undo the merge instead."))
    if current.status != DuplicateCandidate.Status.DISMISSED:
        current.status = DuplicateCandidate.Status.DISMISSED
        current.decided_at, current.decided_by = timezone.now(), actor
        current.save(update_fields=["status", "decided_at", "decided_by"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current,
                     before={"status": DuplicateCandidate.Status.OPEN}, after={"status": current.status})
        emit_on_commit(DedupeEvent.CANDIDATE_DISMISSED, id=current.pk)
    return current


@transaction.atomic
def candidate_reopen(*, actor: User | None, candidate: DuplicateCandidate) -> DuplicateCandidate:
    """Put a dismissed candidate back into the queue."""
    _require_change_both(actor, candidate)
    current = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if current.status == DuplicateCandidate.Status.DISMISSED:
        current.status = DuplicateCandidate.Status.OPEN
        current.decided_at, current.decided_by = None, None
        current.save(update_fields=["status", "decided_at", "decided_by"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current,
                     before={"status": DuplicateCandidate.Status.DISMISSED}, after={"status": current.status})
    return current


# --- field choices ---------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def custom_field_keys(kind: str) -> list[str]:
    return [definition.key for definition in definitions_for(model_label(model_for(kind)))]


def default_choices(survivor: Record, loser: Record) -> dict[str, str]:
    """Per field, the record whose value survives by default: the survivor's unless it is empty."""
    kind = kind_of(survivor)
    choices: dict[str, str] = {}
    for name in MERGE_FIELDS[kind]:
        attname = getattr(survivor._meta.get_field(name), "attname", name)
        ours, theirs = getattr(survivor, attname), getattr(loser, attname)
        choices[name] = LOSER if _is_empty(ours) and not _is_empty(theirs) else SURVIVOR
    for key in custom_field_keys(kind):
        ours, theirs = survivor.custom_fields.get(key), loser.custom_fields.get(key)
        choices[f"custom_fields.{key}"] = LOSER if _is_empty(ours) and not _is_empty(theirs) else SURVIVOR
    return choices


def _clean_choices(kind: str, given: Mapping[str, str]) -> dict[str, str]:
    allowed_fields = set(MERGE_FIELDS[kind]) | {f"custom_fields.{key}" for key in custom_field_keys(kind)}
    errors: dict[str, list[str]] = {}
    for name, choice in given.items():
        if name not in allowed_fields:
            errors[f"fields.{name}"] = [_("This field cannot be chosen in a merge.")]
        elif choice not in (SURVIVOR, LOSER) and not (choice == BOTH and name in JOINABLE):
            allowed = "survivor, loser, both" if name in JOINABLE else "survivor, loser"
            errors[f"fields.{name}"] = [_("Choose one of: %(allowed)s.") % {"allowed": allowed}]
    if errors:
        raise ValidationError(errors)
    return dict(given)


def _survivor_changes(survivor: Record, loser: Record, choices: Mapping[str, str]) -> tuple[dict[str, Any],
                                                                                           dict[str, Any]]:
    """The field changes (by field name, model instances for keys) and custom field values to take over."""
    changes: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name, choice in choices.items():
        if name.startswith("custom_fields."):
            key = name.split(".", 1)[1]
            if choice == LOSER and survivor.custom_fields.get(key) != loser.custom_fields.get(key):
                custom[key] = loser.custom_fields.get(key)
            continue
        ours, theirs = getattr(survivor, name), getattr(loser, name)
        if choice == LOSER and ours != theirs:
            changes[name] = theirs
        elif choice == BOTH and theirs and theirs != ours:
            changes[name] = f"{ours}\n\n{theirs}".strip() if ours else theirs
    if isinstance(survivor, Organisation):
        parent = changes.get("parent", survivor.parent)
        if parent is not None and parent.pk in (loser.pk, survivor.pk):
            # The survivor hung below the loser (or would below itself): it takes the loser's place.
            loser_parent = getattr(loser, "parent", None)
            replacement = loser_parent if loser_parent is not None and loser_parent.pk != survivor.pk else None
            if replacement != survivor.parent:
                changes["parent"] = replacement
            else:
                changes.pop("parent", None)
    return changes, custom


# --- moving related rows ---------------------------------------------------------------


def _relations(model: type[models.Model]) -> list[models.ForeignKey]:
    """Every foreign key of another model (or the same) that points at `model`, through tables included."""
    found = []
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        remote: Any = relation.remote_field  # the ForeignKey on the other model
        if remote.model._meta.app_label == "dedupe":
            continue  # candidates and merge records are about the pair, not the customer's data
        found.append(remote)
    return found


def _unique_sets(model: type[models.Model], field_name: str) -> list[tuple[str, ...]]:
    """The other fields of each unconditional unique set of `model` that contains `field_name`."""
    meta: Any = model._meta
    sets = [tuple(fields) for fields in meta.unique_together]
    sets += [tuple(c.fields) for c in meta.constraints
             if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None]
    if meta.get_field(field_name).unique:
        sets.append((field_name,))
    return [tuple(getattr(meta.get_field(name), "attname", name) for name in fields if name != field_name)
            for fields in sets if field_name in fields]


def _is_link(model: type[models.Model]) -> bool:
    """Whether rows of `model` are mere links (foreign keys and bookkeeping, no data of their own)."""
    return all(isinstance(f, models.ForeignKey) or f.attname in _BOOKKEEPING or f.primary_key
               for f in model._meta.concrete_fields)


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def _row_values(row: models.Model) -> dict[str, Any]:
    return {f.attname: _json(getattr(row, f.attname)) for f in row._meta.concrete_fields}


@dataclass
class _Moves:
    moves: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)
    reindex: list[models.Model] = field(default_factory=list)


def _collision_key(model: type[models.Model], fk: models.ForeignKey, row: models.Model,
                   unique_sets: list[tuple[str, ...]]) -> list[Any]:
    keys: list[Any] = [("unique", index, tuple(getattr(row, name) for name in names))
                       for index, names in enumerate(unique_sets)]
    same = SAME_ROW.get(model._meta.label_lower)
    if same is not None:
        keys.append(("same", same(row, fk.attname)))
    return keys


def _move_foreign_key(fk: models.ForeignKey, survivor: Record, loser: Record, result: _Moves) -> None:
    model: Any = fk.model
    manager = model._base_manager
    rows = manager.filter(**{fk.attname: loser.pk})
    if model is type(survivor):
        rows = rows.exclude(pk=survivor.pk)  # the survivor below the loser: its parent is a field choice
    rows = list(rows)
    if not rows:
        return
    label = model._meta.label_lower
    unique_sets = _unique_sets(model, fk.name)
    same = SAME_ROW.get(label)
    taken: set[Any] = set()
    has_primary = "is_primary" in {f.attname for f in model._meta.concrete_fields}
    survivor_has_primary = False
    if unique_sets or same is not None or has_primary:
        for row in manager.filter(**{fk.attname: survivor.pk}):
            taken.update(_collision_key(model, fk, row, unique_sets))
            survivor_has_primary = survivor_has_primary or bool(has_primary and row.is_primary)
    link = _is_link(model)
    moved_ids: list[Any] = []
    demoted: list[Any] = []
    for row in rows:
        keys = _collision_key(model, fk, row, unique_sets)
        if any(key in taken for key in keys):
            if link or same is not None:
                result.removed.append({"model": label, "pk": row.pk, "values": _row_values(row)})
            else:
                result.kept.append({"model": label, "pk": row.pk})
            continue
        taken.update(keys)
        move: dict[str, Any] = {"model": label, "pk": row.pk, "field": fk.attname, "old": loser.pk}
        if has_primary and row.is_primary and survivor_has_primary:
            move["also"] = {"is_primary": True}
            demoted.append(row.pk)
        result.moves.append(move)
        moved_ids.append(row.pk)
    removed_ids = [entry["pk"] for entry in result.removed if entry["model"] == label]
    if removed_ids:
        manager.filter(pk__in=removed_ids).delete()
    if moved_ids:
        update: dict[str, Any] = {fk.attname: survivor.pk}
        if issubclass(model, VersionedModel):
            update["version"] = F("version") + 1
        for start in range(0, len(moved_ids), 900):
            manager.filter(pk__in=moved_ids[start:start + 900]).update(**update)
        if demoted:
            manager.filter(pk__in=demoted).update(is_primary=False)
        if any(registration.model is model for registration in search.registrations()):
            result.reindex.extend(manager.filter(pk__in=moved_ids[:500]))


def _generic_relations() -> list[tuple[type[models.Model], GenericForeignKey]]:
    found = []
    for model in apps.get_models():
        for private in model._meta.private_fields:
            if isinstance(private, GenericForeignKey):
                found.append((model, private))
    return found


def _move_generic(survivor: Record, loser: Record, result: _Moves) -> None:
    content_type = ContentType.objects.get_for_model(type(survivor))
    for model, relation in _generic_relations():
        manager: Any = model._base_manager
        type_column = model._meta.get_field(relation.ct_field).attname  # type: ignore[union-attr]
        id_field: Any = model._meta.get_field(relation.fk_field)
        old, new = id_field.to_python(loser.pk), id_field.to_python(survivor.pk)
        ids = list(manager.filter(**{type_column: content_type.pk, relation.fk_field: old})
                   .values_list("pk", flat=True))
        for pk in ids:
            result.moves.append({"model": model._meta.label_lower, "pk": pk, "field": id_field.attname, "old": old})
        if ids:
            manager.filter(pk__in=ids).update(**{id_field.attname: new})


def _move_label_references(survivor: Record, loser: Record, result: _Moves) -> None:
    label = model_label(survivor)
    for app_label, model_name, type_field, id_field in LABEL_REFERENCES:
        try:
            model: Any = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        ids = list(model._base_manager.filter(**{type_field: label, id_field: loser.pk}).values_list("pk", flat=True))
        for pk in ids:
            result.moves.append({"model": model._meta.label_lower, "pk": pk, "field": id_field, "old": loser.pk})
        if ids:
            model._base_manager.filter(pk__in=ids).update(**{id_field: survivor.pk})


def _move_everything(survivor: Record, loser: Record) -> _Moves:
    result = _Moves()
    for fk in _relations(type(survivor)):
        _move_foreign_key(fk, survivor, loser, result)
    _move_generic(survivor, loser, result)
    _move_label_references(survivor, loser, result)
    return result


def _count(entries: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["model"]] = counts.get(entry["model"], 0) + 1
    return dict(sorted(counts.items()))


# --- merge -----------------------------------------------------------------------------


def _update_record(actor: User | None, record: Record, changes: dict[str, Any], custom: dict[str, Any]) -> Record:
    """Take over the chosen values through the contacts service (validation, audit, search, event)."""
    if isinstance(record, Person):
        return contacts.person_update(actor=actor, person=record, expected_version=None, changes=changes,
                                      custom_fields=custom or None)
    return contacts.organisation_update(actor=actor, organisation=record, expected_version=None, changes=changes,
                                        custom_fields=custom or None)


def _delete_record(actor: User | None, record: Record) -> Record:
    if isinstance(record, Person):
        return contacts.person_delete(actor=actor, person=record)
    return contacts.organisation_delete(actor=actor, organisation=record)


def _restore_record(actor: User | None, record: Record) -> Record:
    if isinstance(record, Person):
        return contacts.person_restore(actor=actor, person=record)
    return contacts.organisation_restore(actor=actor, organisation=record)


def _lock_pair(survivor: Record, loser: Record) -> tuple[Record, Record]:
    """Lock both rows, lower id first (two merges of the same pair cannot deadlock)."""
    first, second = sorted((survivor, loser), key=lambda record: record.pk)
    locked = {record.pk: lock(record) for record in (first, second)}
    return locked[survivor.pk], locked[loser.pk]


def _check_version(record: Record, expected: int | None) -> None:
    if expected is not None and record.version != expected:
        raise ConflictError(expected=expected, current=record)


@transaction.atomic
def record_merge(
    *,
    actor: User | None,
    survivor: Record,
    loser: Record,
    survivor_version: int | None,
    loser_version: int | None,
    choices: Mapping[str, str] | None = None,
) -> MergeOutcome:
    """Merge `loser` into `survivor`: chosen fields taken over, every related row moved, loser soft-deleted.

    Needs the right to change both records and to delete the loser. A version that is
    not the stored one raises ConflictError (someone changed the record meanwhile).
    """
    if type(survivor) is not type(loser):
        raise ValidationError({"loser": [_("Only two people or two organisations can be merged.")]})
    if survivor.pk == loser.pk:
        raise ValidationError({"loser": [_("A record cannot be merged with itself.")]})
    kind = kind_of(survivor)
    require_permission(actor, Action.CHANGE, survivor)
    require_permission(actor, Action.CHANGE, loser)
    require_permission(actor, Action.DELETE, loser)
    survivor, loser = _lock_pair(survivor, loser)
    if survivor.deleted_at is not None or loser.deleted_at is not None:
        raise ValidationError(_("A deleted record cannot be merged; restore it first."))
    _check_version(survivor, survivor_version)
    _check_version(loser, loser_version)
    merged_choices = default_choices(survivor, loser) | _clean_choices(kind, choices or {})
    changes, custom = _survivor_changes(survivor, loser, merged_choices)
    survivor_before, loser_values = snapshot(survivor), snapshot(loser)
    loser_values["version"] = loser.version
    moved = _move_everything(survivor, loser)
    survivor = _update_record(actor, survivor, changes, custom)
    loser = _delete_record(actor, loser)
    for row in moved.reindex:
        search.reindex(row)
    candidate = _candidate_for(kind, survivor.pk, loser.pk)
    merge = MergeRecord.objects.create(
        kind=kind, candidate=candidate, merged_by=actor, field_choices=merged_choices,
        survivor_before=survivor_before, survivor_after=snapshot(survivor), loser_values=loser_values,
        moves=moved.moves, removed=moved.removed, survivor_version=survivor.version, loser_version=loser.version,
        **{f"survivor_{kind}": survivor, f"loser_{kind}": loser},
    )
    if candidate is not None:
        candidate.status, candidate.decided_at, candidate.decided_by = (
            DuplicateCandidate.Status.MERGED, timezone.now(), actor)
        candidate.save(update_fields=["status", "decided_at", "decided_by"])
    outcome = MergeOutcome(merge=merge, moved=_count(moved.moves), removed=_count(moved.removed),
                           kept=_count(moved.kept))
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=survivor, extra={
        "merge": merge.pk, "merged_from": loser.pk, "moved": outcome.moved, "removed": outcome.removed,
        "kept_on_merged_record": outcome.kept,
    })
    event = DedupeEvent.PERSON_MERGED if kind == Kind.PERSON else DedupeEvent.ORGANISATION_MERGED
    emit_on_commit(event, id=survivor.pk, merged_id=loser.pk, merge=merge.pk)
    return outcome


def _candidate_for(kind: str, first: int, second: int) -> DuplicateCandidate | None:
    low, high = min(first, second), max(first, second)
    pair = {"person_a_id": low, "person_b_id": high} if kind == Kind.PERSON else {
        "organisation_a_id": low, "organisation_b_id": high}
    return DuplicateCandidate.objects.select_for_update().filter(kind=kind, **pair).first()


# --- undo ------------------------------------------------------------------------------


def _refuse(message: str) -> None:
    raise UndoRefused(message)


def _check_moves_in_place(merge: MergeRecord) -> None:
    """Refuse when a moved row is gone or points elsewhere now (undo would lose track of it)."""
    by_column: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for move in merge.moves:
        by_column.setdefault((move["model"], move["field"]), []).append(move)
    missing = 0
    for (label, field_name), moves in by_column.items():
        model: Any = apps.get_model(label)
        current = dict(model._base_manager.filter(pk__in=[m["pk"] for m in moves]).values_list("pk", field_name))
        for move in moves:
            value = current.get(move["pk"])
            if value is None or str(value) != str(merge.survivor_id):
                missing += 1
    if missing:
        _refuse(_("%(count)s of the moved entries were deleted or moved on since the merge; undo is no longer "
                  "possible. Move them back by hand if needed.") % {"count": missing})


def _restore_removed(merge: MergeRecord) -> list[dict[str, Any]]:
    """Insert the rows the merge removed again; rows whose links are gone (a deleted tag) are skipped."""
    skipped = []
    for entry in merge.removed:
        model: Any = apps.get_model(entry["model"])
        values: dict[str, Any] = {}
        missing_target = False
        for model_field in model._meta.concrete_fields:
            raw = entry["values"].get(model_field.attname)
            value = model_field.to_python(raw) if raw is not None else None
            if isinstance(model_field, models.ForeignKey) and value is not None:
                target: Any = model_field.related_model
                if not target._base_manager.filter(pk=value).exists():
                    missing_target = True
            values[model_field.attname] = value
        if missing_target or model._base_manager.filter(pk=entry["pk"]).exists():
            skipped.append({"model": entry["model"], "pk": entry["pk"]})
            continue
        model(**values).save(force_insert=True)
    return skipped


def _move_back(merge: MergeRecord) -> None:
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for move in merge.moves:
        grouped.setdefault((move["model"], move["field"], str(move["old"])), []).append(move)
    for (label, field_name, _old), moves in grouped.items():
        model: Any = apps.get_model(label)
        update: dict[str, Any] = {field_name: moves[0]["old"]}
        if issubclass(model, VersionedModel):
            update["version"] = F("version") + 1
        ids = [m["pk"] for m in moves]
        for start in range(0, len(ids), 900):
            model._base_manager.filter(pk__in=ids[start:start + 900]).update(**update)
        for move in moves:
            if move.get("also"):
                model._base_manager.filter(pk=move["pk"]).update(**move["also"])


def _survivor_revert(merge: MergeRecord) -> dict[str, Any]:
    """The survivor's fields the merge changed, back to their values before it (by attname)."""
    revert: dict[str, Any] = {}
    survivor = merge.survivor
    for attname, before in merge.survivor_before.items():
        if merge.survivor_after.get(attname) == before or attname in ("deleted_at",):
            continue
        model_field = next(f for f in survivor._meta.concrete_fields if f.attname == attname)
        revert[attname] = model_field.to_python(before) if before is not None else None
    return revert


@transaction.atomic
def merge_undo(*, actor: User | None, merge: MergeRecord) -> MergeRecord:
    """Take a merge back: the loser restored, every moved row returned, the survivor's fields reverted.

    Refused (UndoRefused) when either record changed since the merge, or a moved row is
    gone: undoing then would overwrite or lose later work.
    """
    merge = MergeRecord.objects.select_for_update().get(pk=merge.pk)
    if merge.status == MergeRecord.Status.UNDONE:
        _refuse(_("This merge has already been undone."))
    model = model_for(merge.kind)
    survivor = model.all_objects.get(pk=merge.survivor_id)
    loser = model.all_objects.get(pk=merge.loser_id)
    require_permission(actor, Action.CHANGE, survivor)
    if actor is not None and not model.all_objects.for_user(actor, Action.DELETE).filter(pk=loser.pk).exists():
        raise PermissionDenied("restore not allowed")
    survivor, loser = _lock_pair(survivor, loser)
    if survivor.deleted_at is not None:
        _refuse(_("The surviving record has been deleted since the merge; restore it first."))
    if survivor.version != merge.survivor_version:
        _refuse(_("The surviving record was changed after the merge (now version %(now)s, the merge left version "
                  "%(then)s); undo would overwrite those changes.") % {
            "now": survivor.version, "then": merge.survivor_version})
    if loser.deleted_at is None or loser.version != merge.loser_version:
        _refuse(_("The merged record was restored or changed after the merge; undo is no longer possible."))
    _check_moves_in_place(merge)
    _move_back(merge)
    skipped = _restore_removed(merge)
    _restore_record(actor, loser)
    revert = _survivor_revert(merge)
    survivor = record_update(actor=actor, instance=survivor, changes=revert, expected_version=None,
                             event=(contacts.PersonEvent.UPDATED if merge.kind == Kind.PERSON
                                    else contacts.OrganisationEvent.UPDATED))
    search.reindex(survivor)
    for label in {move["model"] for move in merge.moves}:
        moved_model: Any = apps.get_model(label)
        if any(registration.model is moved_model for registration in search.registrations()):
            ids = [move["pk"] for move in merge.moves if move["model"] == label][:500]
            for row in moved_model._base_manager.filter(pk__in=ids):
                search.reindex(row)
    merge.status, merge.undone_at, merge.undone_by = MergeRecord.Status.UNDONE, timezone.now(), actor
    merge.save(update_fields=["status", "undone_at", "undone_by"])
    if merge.candidate_id:
        DuplicateCandidate.objects.filter(pk=merge.candidate_id).update(
            status=DuplicateCandidate.Status.OPEN, decided_at=None, decided_by=None)
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=survivor, extra={
        "merge_undone": merge.pk, "restored": loser.pk, "rows_not_restored": skipped})
    event = DedupeEvent.PERSON_MERGE_UNDONE if merge.kind == Kind.PERSON else DedupeEvent.ORGANISATION_MERGE_UNDONE
    emit_on_commit(event, id=survivor.pk, restored_id=loser.pk, merge=merge.pk)
    return merge


def may_merge(user: User, survivor: Record, loser: Record) -> bool:
    """Whether `user` may merge `loser` into `survivor` (change both, delete the loser)."""
    return (user_can(user, Action.CHANGE, survivor) and user_can(user, Action.CHANGE, loser)
            and user_can(user, Action.DELETE, loser))


def may_undo(user: User, merge: MergeRecord) -> bool:
    """Whether `user` may undo `merge` (change the survivor, restore the loser)."""
    model = model_for(merge.kind)
    return (merge.status == MergeRecord.Status.DONE and user_can(user, Action.CHANGE, merge.survivor)
            and model.all_objects.for_user(user, Action.DELETE).filter(pk=merge.loser_id).exists())
