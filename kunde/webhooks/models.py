"""Webhook subscriptions and the record of every delivery attempt."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.core.models import TimeStampedModel
from kunde.core.personal_data import Category


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(TimeStampedModel):
    """A URL that receives the domain events it subscribes to ("*" = all)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret, editable=False)
    event_types = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event for one subscription: its payload, and how sending it went so far."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    event_type = models.CharField(_("event"), max_length=80)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(_("last response code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    replay_of = models.ForeignKey(
        "self", verbose_name=_("replay of"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    # Payloads carry ids only (see core.events); nothing personal is stored here.
    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx"),
            models.Index(fields=["subscription", "-created_at", "-id"], name="webhook_sub_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription}"
