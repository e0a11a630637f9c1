"""Duplicate candidates, the matching keys that find them, and the record of each merge."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Organisation, Person
from kunde.core.personal_data import Category


class Kind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class MatchKey(models.Model):
    """One blocking key of a record ("e:anna@example.de", "n:657:j"): records sharing a key are compared.

    Written by the nightly scan and by the check of new and changed records; derived data
    only (rebuilt from the records at every scan).
    """

    kind = models.CharField(max_length=12, choices=Kind.choices)
    object_id = models.BigIntegerField()
    key = models.CharField(max_length=200)

    # Keys are folded e-mail addresses, phone numbers and name codes of the record.
    personal_data = {"key": Category.CONTACT}

    class Meta:
        verbose_name = _("matching key")
        verbose_name_plural = _("matching keys")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id", "key"], name="dedupe_key_once")]
        indexes = [models.Index(fields=["kind", "key"], name="dedupe_key_lookup")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.object_id}: {self.key}"


class DuplicateCandidate(models.Model):
    """Two people (or two organisations) that may be the same, with a score and the reasons.

    The pair is stored with the lower id first. A dismissed pair stays dismissed: later
    scans update its score but never reopen it.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        MERGED = "merged", _("merged")
        DISMISSED = "dismissed", _("dismissed")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    person_a = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    organisation_a = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organisation_b = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField(_("found"), default=timezone.now)
    checked_at = models.DateTimeField(_("last checked"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Reasons are codes and scores ("same_email", "similar_name": 92), never the values.
    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("duplicate candidate")
        verbose_name_plural = _("duplicate candidates")
        ordering = ["-score", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="dedupe_person_pair_once"),
            models.UniqueConstraint(fields=["organisation_a", "organisation_b"], name="dedupe_org_pair_once"),
            models.CheckConstraint(
                condition=Q(kind="person", person_a__isnull=False, person_b__isnull=False,
                            organisation_a__isnull=True, organisation_b__isnull=True, person_a__lt=F("person_b"))
                | Q(kind="organisation", organisation_a__isnull=False, organisation_b__isnull=False,
                    person_a__isnull=True, person_b__isnull=True, organisation_a__lt=F("organisation_b")),
                name="dedupe_candidate_ordered_pair",
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="dedupe_candidate_score_range"),
        ]
        indexes = [
            models.Index(fields=["kind", "status", "-score", "-id"], name="dedupe_queue"),
            models.Index(fields=["status", "-score", "-id"], name="dedupe_queue_all"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.first_id}/{self.second_id} ({self.score})"

    @property
    def first_id(self) -> int:
        return int((self.person_a_id if self.kind == Kind.PERSON else self.organisation_a_id) or 0)

    @property
    def second_id(self) -> int:
        return int((self.person_b_id if self.kind == Kind.PERSON else self.organisation_b_id) or 0)

    @property
    def first(self) -> Person | Organisation:
        return self.person_a if self.kind == Kind.PERSON else self.organisation_a  # type: ignore[return-value]

    @property
    def second(self) -> Person | Organisation:
        return self.person_b if self.kind == Kind.PERSON else self.organisation_b  # type: ignore[return-value]


class MergeRecord(models.Model):
    """One merge: what moved from the loser to the survivor, so that undo can take it back.

    `moves` lists each related row that was changed ({"model", "pk", "field", "old"}, plus
    "also": other fields changed with it, e.g. a primary flag); `removed` holds the rows
    deleted because the survivor already had the same one (a tag, a segment membership,
    an identical e-mail address), with all their values; `survivor_before` the survivor's
    fields before the merge and `loser_values` the loser's.
    """

    class Status(models.TextChoices):
        DONE = "done", _("merged")
        UNDONE = "undone", _("undone")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    survivor_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    loser_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    survivor_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    loser_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    candidate = models.ForeignKey(
        DuplicateCandidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DONE)
    merged_at = models.DateTimeField(_("merged"), default=timezone.now)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    field_choices = models.JSONField(default=dict, blank=True)
    survivor_before = models.JSONField(default=dict, blank=True)
    survivor_after = models.JSONField(default=dict, blank=True)
    loser_values = models.JSONField(default=dict, blank=True)
    moves = models.JSONField(default=list, blank=True)
    removed = models.JSONField(default=list, blank=True)
    # The versions the merge left behind: undo refuses when either record changed since.
    survivor_version = models.PositiveIntegerField()
    loser_version = models.PositiveIntegerField()
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Copies of both records' fields and of removed rows (addresses, notes).
    personal_data = {
        "survivor_before": Category.FREE_TEXT, "survivor_after": Category.FREE_TEXT,
        "loser_values": Category.FREE_TEXT, "removed": Category.FREE_TEXT, "moves": Category.FREE_TEXT,
    }

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-merged_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="person", survivor_person__isnull=False, loser_person__isnull=False)
                | Q(kind="organisation", survivor_organisation__isnull=False, loser_organisation__isnull=False),
                name="dedupe_merge_has_records",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.loser_id} → {self.survivor_id}"

    @property
    def survivor(self) -> Person | Organisation:
        return self.survivor_person if self.kind == Kind.PERSON else self.survivor_organisation  # type: ignore[return-value]

    @property
    def loser(self) -> Person | Organisation:
        return self.loser_person if self.kind == Kind.PERSON else self.loser_organisation  # type: ignore[return-value]

    @property
    def survivor_id(self) -> int:
        return int((self.survivor_person_id if self.kind == Kind.PERSON else self.survivor_organisation_id) or 0)

    @property
    def loser_id(self) -> int:
        return int((self.loser_person_id if self.kind == Kind.PERSON else self.loser_organisation_id) or 0)
