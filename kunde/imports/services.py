"""Import runs: prepare (store the file, suggest a mapping), dry run, run, resume, undo."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.contacts.models import Address, EmailAddress, Employment, Person, PhoneNumber
from kunde.contacts.services import PersonEvent, person_delete
from kunde.core import search
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.exceptions import PermissionDenied as ServiceDenied
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, is_admin, user_can
from kunde.core.services import record_update, require_create
from kunde.imports.engine import PERSON, Outcome, execute, importer_for, upsert
from kunde.imports.mapping import OBJECT_TYPES, check_mapping, suggest_mapping
from kunde.imports.models import ExternalReference, ImportChange, ImportRun, SavedMapping
from kunde.imports.reading import UnreadableFile, open_table

MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024
MAX_BULK_RECORDS = 1000


class ImportEvent:
    FINISHED = "imports.run_finished"
    UNDONE = "imports.run_undone"


def run_directory(run: ImportRun) -> Path:
    return Path(settings.DATA_DIR) / "imports" / str(run.pk)


def report_path(run: ImportRun, *, dry_run: bool) -> Path:
    return run_directory(run) / ("dry-run.csv" if dry_run else "report.csv")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _require_importer(actor: User, object_type: str) -> None:
    """Refuse an unknown object type, and a user who may not create records of it (products: administrators)."""
    if object_type not in OBJECT_TYPES:
        raise ValidationError({"object_type": [_("Unknown kind of record: %(type)s.") % {"type": object_type}]})
    require_create(actor)
    if object_type != PERSON:
        from kunde.imports.records import IMPORTERS

        IMPORTERS[object_type].require(actor)


def import_prepare(*, actor: User, source: Path, file_name: str = "", system: str = "import",
                   mapping: dict[str, str] | None = None, object_type: str = PERSON) -> ImportRun:
    """Keep a copy of the file with the run (so it can resume) and suggest a mapping for `object_type`."""
    _require_importer(actor, object_type)
    if source.stat().st_size > MAX_FILE_BYTES:
        raise ValidationError({"file": ["The file is larger than 2 GB."]})
    try:
        table = open_table(source)
    except UnreadableFile as error:
        raise ValidationError({"file": [str(error)]}) from error
    chosen = mapping if mapping is not None else suggest_mapping(table.headers, object_type)
    problems = check_mapping(chosen, table.headers, object_type)
    run = ImportRun.objects.create(created_by=actor, object_type=object_type,
                                   file_name=(file_name or source.name)[:255],
                                   file_hash=_sha256(source), mapping=chosen, system=system.strip() or "import")
    directory = run_directory(run)
    directory.mkdir(parents=True, exist_ok=True)
    stored = directory / "source"
    shutil.copyfile(source, stored)
    run.file_path = str(stored)
    run.save(update_fields=["file_path"])
    if problems and mapping is not None:
        raise ValidationError({"mapping": problems})
    return run


def import_prepare_upload(*, actor: User, upload: UploadedFile, system: str = "import",
                          object_type: str = PERSON) -> ImportRun:
    """`import_prepare` for a file uploaded in the wizard; a saved mapping for the same columns is used if any."""
    from kunde.imports.selectors import saved_mapping_for

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "upload"
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        try:
            headers = open_table(path).headers
        except UnreadableFile as error:
            raise ValidationError({"file": [str(error)]}) from error
        saved = saved_mapping_for(headers)
        if saved is not None and check_mapping(saved.mapping, headers, object_type):
            saved = None  # saved for another kind of record
        return import_prepare(actor=actor, source=path, file_name=upload.name or "", system=system,
                              mapping=saved.mapping if saved else None, object_type=object_type)


def saved_mapping_save(*, actor: User, run: ImportRun, name: str) -> SavedMapping:
    """Keep the run's mapping under `name` (replacing a mapping of that name) for files with the same columns."""
    _require_own(actor, run)
    name = name.strip()
    if not name:
        raise ValidationError({"mapping_name": [_("Give the mapping a name.")]})
    headers = open_table(Path(run.file_path)).headers
    saved, _created = SavedMapping.objects.update_or_create(
        name=name[:100], defaults={"headers": headers, "mapping": run.mapping, "created_by": actor})
    return saved


def import_queue(*, actor: User, run: ImportRun, dry_run: bool) -> ImportRun:
    """Hand the dry run or the import of `run` to the worker (the wizard's buttons); the page shows its progress."""
    from kunde.imports.tasks import run_import

    _require_own(actor, run)
    if not dry_run:
        require_create(actor)
    if run.queued:
        raise ValidationError({"status": [_("This import is already waiting for the worker.")]})
    if run.status not in {ImportRun.Status.READY, ImportRun.Status.INTERRUPTED} or (
            dry_run and run.status != ImportRun.Status.READY):
        raise ValidationError({"status": [_("This import is %(status)s.") % {"status": run.get_status_display()}]})
    if problems := mapping_problems(run):
        raise ValidationError({"mapping": problems})
    run.queued = "dry_run" if dry_run else "import"
    if dry_run:
        run.dry_run_rows, run.dry_run_counts = 0, None
    run.save(update_fields=["queued", "dry_run_rows", "dry_run_counts"])
    transaction.on_commit(lambda: run_import.enqueue(run.pk, actor.pk, dry_run))
    return run


def import_set_mapping(*, actor: User, run: ImportRun, mapping: dict[str, str]) -> ImportRun:
    _require_own(actor, run)
    if run.status != ImportRun.Status.READY:
        raise ValidationError({"mapping": ["The import has started; its mapping is fixed."]})
    problems = check_mapping(mapping, open_table(Path(run.file_path)).headers, run.object_type)
    if problems:
        raise ValidationError({"mapping": problems})
    run.mapping = mapping
    run.save(update_fields=["mapping"])
    return run


def _require_own(actor: User, run: ImportRun) -> None:
    if run.created_by_id != actor.pk and not is_admin(actor):
        raise PermissionDenied("not your import")


def mapping_problems(run: ImportRun) -> list[str]:
    return check_mapping(run.mapping, open_table(Path(run.file_path)).headers, run.object_type)


def import_dry_run(*, actor: User, run: ImportRun,
                   on_batch: Callable[[int, Counter[str]], None] | None = None) -> Counter[str]:
    """What the import would do, row by row (written to the dry-run report); nothing is saved."""
    _require_own(actor, run)
    if problems := mapping_problems(run):
        raise ValidationError({"mapping": problems})
    return execute(run, actor, dry_run=True, report=report_path(run, dry_run=True), on_batch=on_batch)


def import_execute(*, actor: User, run: ImportRun,
                   on_batch: Callable[[int, Counter[str]], None] | None = None,
                   batch_size: int | None = None) -> ImportRun:
    """Run (or resume) the import from its checkpoint to the end of the file."""
    _require_own(actor, run)
    _require_importer(actor, run.object_type)
    if run.status in {ImportRun.Status.DONE, ImportRun.Status.UNDONE}:
        raise ValidationError({"status": [f"This import is {run.status}."]})
    if problems := mapping_problems(run):
        raise ValidationError({"mapping": problems})
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    run.status = ImportRun.Status.RUNNING
    options: dict[str, Any] = {"batch_size": batch_size} if batch_size else {}
    try:
        execute(run, actor, dry_run=False, report=report_path(run, dry_run=False), on_batch=on_batch, **options)
    except BaseException as error:
        run.status, run.error = ImportRun.Status.INTERRUPTED, f"{type(error).__name__}: {error}"[:2000]
        ImportRun.objects.filter(pk=run.pk).update(status=run.status, error=run.error)
        raise
    with transaction.atomic():
        run.status, run.error, run.finished_at = ImportRun.Status.DONE, "", timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        emit_on_commit(ImportEvent.FINISHED, id=run.pk)
    (run_directory(run) / "source").unlink(missing_ok=True)  # personal data: kept only while resumable
    return run


@transaction.atomic
def import_undo(*, actor: User, run: ImportRun) -> ImportRun:
    """Take back what the import did to people that are still as it left them and that `actor` may still change.

    A person changed since the import (their version moved on), deleted since, or no longer
    in the actor's scope is left alone; the change row keeps why (`undo_skipped`), so the
    run's answer lists it.
    """
    _require_own(actor, run)
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if run.status == ImportRun.Status.UNDONE:
        raise ValidationError({"status": [_("This import has already been undone.")]})
    skipped = []
    records = importer_for(run, actor, dry_run=True) if run.object_type != PERSON else None
    for change in ImportChange.objects.filter(run=run).order_by("-row_number", "-id").iterator(chunk_size=500):
        if records is not None and change.object_type != PERSON:
            try:
                with transaction.atomic():  # one change at a time: a refusal by a service leaves the others
                    reason = records.undo(change)  # type: ignore[union-attr]
            except (ValidationError, PermissionDenied, ServiceDenied) as error:
                reason = " ".join(getattr(error, "messages", [str(error)]))
            if reason is not None:
                change.undo_skipped = reason
                skipped.append(change)
            continue
        person = Person.all_objects.select_for_update().filter(pk=change.object_id).first()
        if person is None:
            continue  # erased since: nothing left to take back
        reason = _undo_refusal(actor, change, person)
        if reason is None:
            if change.action == ImportChange.Action.UPDATED:
                _revert_update(actor, change, person)
            else:
                reason = _remove_created(actor, person)
        if reason is not None:
            change.undo_skipped = reason
            skipped.append(change)
    ImportChange.objects.bulk_update(skipped, ["undo_skipped"], batch_size=500)
    run.status = ImportRun.Status.UNDONE
    run.save(update_fields=["status"])
    emit_on_commit(ImportEvent.UNDONE, id=run.pk)
    return run


def _undo_refusal(actor: User, change: ImportChange, person: Person) -> str | None:
    """Why undo must leave `person` alone, or None."""
    if person.deleted_at is not None:
        return _("deleted since the import")
    if not user_can(actor, Action.CHANGE, person):
        return _("you may no longer change this person")
    # Runs recorded before versions were kept (version None) are taken back unchecked.
    if change.version is not None and person.version != change.version:
        return _("changed since the import; undo would overwrite the newer values")
    return None


def _revert_update(actor: User, change: ImportChange, person: Person) -> None:
    """Restore the fields the row changed and remove what it added (contact points, links, tags, external ids)."""
    before = change.before
    removed: dict[str, list[Any]] = {}
    for name, model in (("emails", EmailAddress), ("phones", PhoneNumber), ("addresses", Address)):
        points = model.objects.filter(person=person, pk__in=before.get(name, []))
        if values := [str(point) for point in points]:
            removed[name] = values
            points.delete()
    employments = Employment.objects.filter(person=person, pk__in=before.get("employments", []))
    if organisations := list(employments.values_list("organisation_id", flat=True)):
        removed["organisations"] = organisations
        employments.delete()
    links = Person.tags.through.objects.filter(person_id=person.pk, tag_id__in=before.get("tags", []))
    if tags := sorted(links.values_list("tag__name", flat=True)):
        removed["tags"] = tags
        links.delete()
    ExternalReference.objects.filter(pk__in=before.get("references", []), object_id=person.pk).delete()
    if before.get("fields"):
        person = record_update(actor=actor, instance=person, changes=_restored(before["fields"]),
                               expected_version=change.version, event=PersonEvent.UPDATED)
    if removed:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=person, before=removed,
                     after={name: [] for name in removed}, extra={"import_undone": change.run_id})
        if not before.get("fields"):
            emit_on_commit(PersonEvent.UPDATED, id=person.pk)
    search.reindex(person)


def _restored(fields: dict[str, Any]) -> dict[str, Any]:
    """Stored previous values (JSON) as model values again."""
    return {name: dt.date.fromisoformat(value) if name == "birthday" and value else value
            for name, value in fields.items()}


def _remove_created(actor: User, person: Person) -> str | None:
    """A person the import created goes away, unless something was recorded on them since: then soft-deleted.

    Returns why the person stays, or None.
    """
    from kunde.activities.models import Activity

    if not Activity.objects.filter(person=person).exists():
        try:
            with transaction.atomic():
                audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=person, before=snapshot(person),
                             extra={"import_undone": True})
                search.remove(person)
                person_id = person.pk
                ExternalReference.objects.filter(object_type=PERSON, object_id=person_id).delete()
                person.delete()
                emit_on_commit(PersonEvent.DELETED, id=person_id)
            return None
        except ProtectedError:
            pass  # another app's record (a deal, a ticket) points at the person
    if not user_can(actor, Action.DELETE, person):
        return _("has history or other records since the import; only a user who may delete people can remove them")
    ExternalReference.objects.filter(object_type=PERSON, object_id=person.pk).delete()
    person_delete(actor=actor, person=person)  # soft delete: what refers to them stays reachable
    return None


def people_upsert_bulk(*, actor: User, records: list[dict[str, str]], system: str = "api",
                       fingerprint: str = "") -> tuple[ImportRun, list[Outcome]]:
    """Create or update up to 1,000 people by external id / e-mail in one transaction, as one undoable run."""
    require_create(actor)
    if not 1 <= len(records) <= MAX_BULK_RECORDS:
        raise ValidationError({"records": [f"Send between 1 and {MAX_BULK_RECORDS} records."]})
    run = ImportRun.objects.create(created_by=actor, file_name="API bulk request", file_hash=fingerprint,
                                   system=system.strip() or "api", status=ImportRun.Status.RUNNING)
    outcomes = upsert(run, actor, records)
    emit_on_commit(ImportEvent.FINISHED, id=run.pk)
    return run, outcomes
