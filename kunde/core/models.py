"""Framework models shared by every app: base mixins, audit trail, tags, custom fields,
saved list views and API idempotency records. No domain lives here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.core.permissions import ScopedQuerySet
from kunde.core.personal_data import Category


class TimeStampedModel(models.Model):
    """Creation and last-change times."""

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """A version column that services bump on every change; stale writes conflict."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class SoftDeleteQuerySet(ScopedQuerySet):
    def alive(self) -> SoftDeleteQuerySet:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> SoftDeleteQuerySet:
        return self.filter(deleted_at__isnull=False)


class AliveManager(models.Manager.from_queryset(SoftDeleteQuerySet)):  # type: ignore[misc]
    """The default manager: soft-deleted rows are invisible unless asked for."""

    def get_queryset(self) -> SoftDeleteQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


AllRowsManager = models.Manager.from_queryset(SoftDeleteQuerySet)


class OwnedRecord(TimeStampedModel, VersionedModel):
    """A customer-facing record with an owner, a team, soft delete and a version.

    `owner` and `team` decide visibility (see `core.permissions`); `deleted_at` marks a
    soft delete that `restore` can undo.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)

    objects = AliveManager()
    all_objects = AllRowsManager()

    scope_paths: tuple[str, ...] = ("",)

    class Meta:
        abstract = True
        base_manager_name = "all_objects"


class AuditEntry(models.Model):
    """One create, update, delete or restore done through a service: who, when, what."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")
        RESTORE = "restore", _("restored")
        EXPORT = "export", _("exported")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    # Before/after snapshots repeat the audited record's personal fields.
    personal_data = {"object_repr": Category.FREE_TEXT, "changes": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_type}#{self.object_id}"


class Tag(TimeStampedModel):
    """A free label shared by every taggable record."""

    name = models.CharField(_("name"), max_length=60, unique=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomFieldDefinition(TimeStampedModel):
    """An admin-defined extra field on one object type, stored in `custom_fields`."""

    class FieldType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        BOOLEAN = "boolean", _("Yes/no")

    object_type = models.CharField(_("object type"), max_length=60)
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=16, choices=FieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("custom field definition")
        verbose_name_plural = _("custom field definitions")
        ordering = ["object_type", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "key"], name="uniq_custom_field_key"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}.{self.key}"


class SavedView(TimeStampedModel):
    """A user's named filter + sort for one list page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    list_key = models.CharField(max_length=60)
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(max_length=2000, blank=True)

    personal_data = {"query": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "list_key", "name"], name="uniq_saved_view"),
        ]

    def __str__(self) -> str:
        return self.name


class IdempotencyRecord(models.Model):
    """The stored answer to a POST carrying an `Idempotency-Key`, replayed on retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    # A replayed response body holds whatever the API returned, names included.
    personal_data = {"response_body": Category.FREE_TEXT}
    # How long a key is remembered; older records are purged by a periodic job.
    RETENTION = dt.timedelta(hours=24)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_key"),
        ]

    def __str__(self) -> str:
        return self.key


def model_label(model: type[models.Model] | models.Model) -> str:
    """`app_label.modelname`, the name audit and custom fields use for a model."""
    meta: Any = model._meta
    return meta.label_lower


class PeriodicJobRun(models.Model):
    """One claimed interval of a periodic job: at most one row per job and interval start.

    The unique (job, due_at) pair is the claim: several workers may try to schedule the
    same interval, only the first insert wins and enqueues the task.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    job = models.CharField(max_length=100)
    due_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")
        ordering = ["-due_at", "job"]
        constraints = [
            models.UniqueConstraint(fields=["job", "due_at"], name="uniq_periodic_job_interval"),
        ]
        indexes = [models.Index(fields=["job", "-due_at"], name="periodic_job_latest")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.due_at:%Y-%m-%d %H:%M} ({self.status})"


class SearchEntry(models.Model):
    """One record's search document, kept by `core.search` in the writer's transaction.

    `names` and `other` hold folded words (see `core.search.fold`); the full-text index
    over them is vendor-specific (`core.db`): an FTS5 table kept in sync by triggers on
    SQLite, a generated tsvector column on PostgreSQL. A table rebuild by a later
    migration on SQLite drops those triggers: recreate them in the same migration.
    """

    object_type = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    # Copies of the record's owner and team: visibility is applied inside the query.
    owner_id = models.BigIntegerField(null=True, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300)
    subtitle = models.CharField(max_length=300, blank=True)
    names = models.TextField(blank=True)
    other = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    personal_data = {
        "title": Category.IDENTITY,
        "subtitle": Category.CONTACT,
        "names": Category.IDENTITY,
        "other": Category.CONTACT,
    }

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(fields=["object_type", "object_id"], name="uniq_search_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}#{self.object_id}: {self.title}"
