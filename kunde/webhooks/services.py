"""Webhook subscriptions (admins only), recording events as deliveries, and sending due ones."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.core.audit import audit_record, snapshot
from kunde.core.models import AuditEntry
from kunde.core.services import require_admin
from kunde.webhooks.delivery import attempt
from kunde.webhooks.guard import UnsafeURL, check_url
from kunde.webhooks.models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

CLAIM_FOR = dt.timedelta(minutes=5)  # longer than one attempt can take (timeouts 5 + 10 s)
SUBSCRIPTION_FIELDS = ("name", "url", "event_types", "is_active")


def _clean(name: str, url: str, event_types: Iterable[str]) -> tuple[str, str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the subscription a name.")]
    try:
        check_url(url)
    except UnsafeURL as refused:
        errors["url"] = [str(refused)]
    types = sorted({event.strip() for event in event_types if event.strip()})
    if not types:
        errors["event_types"] = [_("Choose at least one event, or * for all.")]
    if errors:
        raise ValidationError(errors)
    return name.strip(), url.strip(), types


@transaction.atomic
def subscription_create(*, actor: Any, name: str, url: str, event_types: Iterable[str],
                        is_active: bool = True) -> WebhookSubscription:
    require_admin(actor)
    name, url, types = _clean(name, url, event_types)
    subscription = WebhookSubscription.objects.create(name=name, url=url, event_types=types, is_active=is_active,
                                                      created_by=actor)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=subscription, after=snapshot(subscription))
    return subscription


@transaction.atomic
def subscription_update(*, actor: Any, subscription: WebhookSubscription, changes: dict[str, Any]
                        ) -> WebhookSubscription:
    require_admin(actor)
    unknown = set(changes) - set(SUBSCRIPTION_FIELDS)
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed here.")] for field in sorted(unknown)})
    merged = {field: changes.get(field, getattr(subscription, field)) for field in SUBSCRIPTION_FIELDS}
    name, url, types = _clean(merged["name"], merged["url"], merged["event_types"])
    before = snapshot(subscription)
    subscription.name, subscription.url, subscription.event_types = name, url, types
    subscription.is_active = bool(merged["is_active"])
    subscription.save()
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=subscription, before=before,
                 after=snapshot(subscription))
    return subscription


@transaction.atomic
def subscription_delete(*, actor: Any, subscription: WebhookSubscription) -> None:
    require_admin(actor)
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=subscription, before=snapshot(subscription))
    subscription.delete()


@transaction.atomic
def delivery_replay(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery (the old one keeps its record)."""
    require_admin(actor)
    replay = WebhookDelivery.objects.create(
        subscription=delivery.subscription, event_id=delivery.event_id, event_type=delivery.event_type,
        payload=delivery.payload, replay_of=delivery,
    )
    transaction.on_commit(_send_soon)
    return replay


def record_event(event_type: str, payload: dict[str, Any]) -> None:
    """Event handler (after commit): one pending delivery per active subscription that wants the event."""
    subscriptions = [s for s in WebhookSubscription.objects.filter(is_active=True) if s.wants(event_type)]
    if not subscriptions:
        return
    data = {key: value for key, value in payload.items() if key != "request_id"}
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(subscription=s, event_type=event_type, payload=data) for s in subscriptions
        )
        transaction.on_commit(_send_soon)


def _send_soon() -> None:
    from kunde.webhooks.tasks import deliver_due_webhooks

    try:
        deliver_due_webhooks.enqueue()
    except Exception:  # the periodic job picks the deliveries up anyway
        logger.exception("could not enqueue webhook delivery")


def deliver_due(limit: int = 200) -> int:
    """Attempt every pending delivery whose time has come; return how many were attempted.

    Each delivery is claimed by pushing its next attempt into the future inside a short
    transaction, so two workers never send the same one at the same time.
    """
    done = 0
    while done < limit:
        with transaction.atomic():
            delivery = (
                WebhookDelivery.objects.select_for_update(skip_locked=True)
                .select_related("subscription")
                .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
                .order_by("next_attempt_at", "id")
                .first()
            )
            if delivery is None:
                break
            delivery.next_attempt_at = timezone.now() + CLAIM_FOR
            delivery.save(update_fields=["next_attempt_at"])
        attempt(delivery)
        done += 1
    return done
