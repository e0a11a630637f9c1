"""Models of ideas: customers' suggestions about products, their votes and the customers who asked for them."""

from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Organisation, Person
from kunde.core.models import TimeStampedModel, VersionedModel
from kunde.core.permissions import Action, Scope, ScopedQuerySet, scope_for
from kunde.core.personal_data import Category


class IdeaQuerySet(ScopedQuerySet):
    """Ideas are company-wide knowledge: every staff user sees all of them; triage is narrower."""

    def for_user(self, user: Any, action: Action | str = Action.VIEW) -> Self:
        """All ideas to view; to change: all for managers and administrators, the own ones for members."""
        scope = scope_for(user, action)
        if scope is Scope.NONE:
            return self.none()
        if Action(action) is Action.VIEW or scope in (Scope.ALL, Scope.TEAM):
            # A manager's "team" edit scope means triage of every idea: an idea belongs to no team.
            return self
        return self.filter(owner_id=user.pk)


class Idea(TimeStampedModel, VersionedModel):
    """A customer's (or a staff member's) suggestion, voted on in the portal and triaged by staff."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        UNDER_REVIEW = "under_review", _("Under review")
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DECLINED = "declined", _("Declined")

    class Source(models.TextChoices):
        PORTAL = "portal", _("Customer portal")
        STAFF = "staff", _("Staff")
        API = "api", _("API")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    product = models.ForeignKey("commerce.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="ideas")
    category = models.ForeignKey("commerce.ProductCategory", verbose_name=_("product category"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="ideas")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    status_note = models.TextField(_("answer to customers"), max_length=5000, blank=True,
                                   help_text=_("Shown in the customer portal with the status."))
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    is_public = models.BooleanField(_("visible in the portal"), default=True,
                                    help_text=_("Other customers see and vote on public ideas; the submitter "
                                                "always sees their own."))
    source = models.CharField(_("submitted via"), max_length=10, choices=Source.choices, default=Source.STAFF)
    submitted_by = models.ForeignKey(Person, verbose_name=_("submitted by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="submitted_ideas")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    # No plain index: "merged_into IS NULL" matches nearly every row, and SQLite would pick that index
    # over the portal's sorted ones; the partial index below serves "the duplicates of an idea".
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="duplicates", db_index=False)
    # Denormalised so that the portal list sorts by votes without a COUNT per row; only the
    # vote services change it, in the same transaction as the vote rows.
    vote_count = models.PositiveIntegerField(_("votes"), default=0, editable=False)

    objects = IdeaQuerySet.as_manager()

    personal_data = {"title": Category.FREE_TEXT, "description": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-vote_count", "-id"], name="idea_votes"),
            models.Index(fields=["status", "-created_at"], name="idea_status"),
            models.Index(fields=["submitted_by", "created_at"], name="idea_submitter"),
            # The portal's two sorts over what every customer may see, walked in order up to the page size.
            models.Index(fields=["-vote_count", "-id"], name="idea_public_votes",
                         condition=models.Q(is_public=True, merged_into__isnull=True)),
            models.Index(fields=["-created_at", "-id"], name="idea_public_newest",
                         condition=models.Q(is_public=True, merged_into__isnull=True)),
            models.Index(fields=["merged_into"], name="idea_duplicates", condition=models.Q(merged_into__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("ideas:idea_detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.DECLINED) or self.merged_into_id is not None


class Vote(TimeStampedModel):
    """One person's vote for an idea; the unique constraint keeps it at one, also under a double click."""

    idea = models.ForeignKey(Idea, verbose_name=_("idea"), on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="idea_votes")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+",
                                    help_text=_("Empty when the customer voted in the portal."))

    objects = ScopedQuerySet.as_manager()

    scope_paths = ("person__",)
    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["idea", "person"], name="idea_vote_once")]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.idea_id}"


class IdeaLink(TimeStampedModel):
    """A customer (person or organisation) who asked for an idea, linked by a staff member."""

    idea = models.ForeignKey(Idea, verbose_name=_("idea"), on_delete=models.CASCADE, related_name="links")
    person = models.ForeignKey(Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.CASCADE,
                               related_name="idea_links")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="idea_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("linked by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()

    scope_paths = ("person__", "organisation__")
    personal_data = {"note": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("idea link")
        verbose_name_plural = _("idea links")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(person__isnull=False, organisation__isnull=True)
                           | models.Q(person__isnull=True, organisation__isnull=False)),
                name="idea_link_one_customer"),
            models.UniqueConstraint(fields=["idea", "person"], name="idea_link_person_once"),
            models.UniqueConstraint(fields=["idea", "organisation"], name="idea_link_organisation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.idea_id} ← {self.customer}"

    @property
    def customer(self) -> Person | Organisation | None:
        return self.person or self.organisation
