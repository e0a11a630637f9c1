"""Import runs (with their checkpoint and what they changed) and external ids of records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.core.personal_data import Category


class ExternalReference(models.Model):
    """A record's id in another system (a shop, an ERP, HubSpot): re-imports and bulk upserts match on it."""

    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.BigIntegerField(_("object id"))
    system = models.CharField(_("system"), max_length=40)
    value = models.CharField(_("external id"), max_length=200)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("external id")
        verbose_name_plural = _("external ids")
        constraints = [
            models.UniqueConstraint(fields=["object_type", "system", "value"], name="external_ref_unique"),
        ]
        indexes = [models.Index(fields=["object_type", "object_id"], name="external_ref_object_idx")]

    def __str__(self) -> str:
        return f"{self.system}:{self.value}"


class ImportRun(models.Model):
    """One import of one file: its mapping, its checkpoint (rows committed) and its counts."""

    class Status(models.TextChoices):
        READY = "ready", _("Ready")
        RUNNING = "running", _("Running")
        INTERRUPTED = "interrupted", _("Interrupted")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=60, default="contacts.person")
    file_name = models.CharField(_("file name"), max_length=255)
    file_path = models.CharField(_("stored file"), max_length=500, blank=True)
    file_hash = models.CharField(_("SHA-256 of the file"), max_length=64)
    mapping = models.JSONField(_("column mapping"), default=dict)
    system = models.CharField(_("source system"), max_length=40, default="import")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.READY)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    counts = models.JSONField(_("counts"), default=dict)
    error = models.TextField(_("error"), blank=True)
    # Started from the web wizard: which step waits for (or runs in) the worker, and the
    # dry run's outcome (the dry run saves nothing else, so the page reads it from here).
    queued = models.CharField(_("waiting for the worker"), max_length=8, blank=True,
                              choices=[("dry_run", _("dry run")), ("import", _("import"))])
    dry_run_rows = models.PositiveIntegerField(_("rows checked in the dry run"), default=0)
    dry_run_counts = models.JSONField(_("dry run counts"), null=True, blank=True)

    personal_data = {"file_name": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"


class ImportChange(models.Model):
    """What one row did to one record, so the import can be undone."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="changes")
    # Which kind of record `object_id` names (a run imports one type; undo looks it up by this).
    object_type = models.CharField(_("object type"), max_length=60, default="contacts.person")
    row_number = models.PositiveIntegerField(_("row"))
    object_id = models.BigIntegerField(_("object id"))
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    # For an update: the previous values of the changed fields, and the ids of the contact
    # points, employments and tag links the row added (removed again on undo).
    before = models.JSONField(_("before"), default=dict)
    # The record's version right after the import: undo leaves a record alone that changed since.
    version = models.PositiveIntegerField(_("version after the import"), null=True, blank=True)
    undo_skipped = models.TextField(_("why undo left it"), blank=True)

    personal_data = {"before": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("import change")
        verbose_name_plural = _("import changes")
        indexes = [models.Index(fields=["run", "row_number"], name="import_change_row_idx")]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.action} {self.object_id}"


class ImportProblem(models.Model):
    """A row that was not imported, and why (the downloadable report lists them)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="problems")
    row_number = models.PositiveIntegerField(_("row"))
    message = models.TextField(_("message"))

    personal_data = {"message": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["row_number", "id"]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.message[:80]}"


class SavedMapping(models.Model):
    """A column mapping kept under a name, offered again for a file with the same columns."""

    name = models.CharField(_("name"), max_length=100)
    headers = models.JSONField(_("columns"), default=list)
    mapping = models.JSONField(_("column mapping"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("saved by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["name"], name="imports_saved_mapping_name")]

    def __str__(self) -> str:
        return self.name
