"""Private calendar feed URLs (one per user, revocable)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.core.personal_data import Category


class CalendarFeed(models.Model):
    """A secret URL under which a calendar app reads the user's tasks and meetings.

    Only a hash of the token is stored: the URL is shown once when created. Revoking keeps
    the row (when, by whom) and the URL stops working at once.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="calendar_feeds")
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CardDavSyncState(models.Model):
    """What one user's CardDAV address book held when a sync token was issued.

    The snapshot maps person id to ETag (zlib-compressed JSON); a sync-collection REPORT
    diffs the current visible set against it, so people who left the user's scope (other
    team, deleted, merged away) are reported as removed. Only ids and hashes are stored.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="carddav_sync_states")
    digest = models.CharField(_("digest"), max_length=32, editable=False)
    card_count = models.PositiveIntegerField(_("cards"), default=0, editable=False)
    snapshot = models.BinaryField(_("snapshot"), editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("CardDAV sync state")
        verbose_name_plural = _("CardDAV sync states")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-id"])]

    def __str__(self) -> str:
        return f"{self.user} #{self.pk} ({self.card_count})"
