"""Reading subscriptions and deliveries: administrators only (URLs and secrets are configuration)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from kunde.core.services import require_admin
from kunde.webhooks.models import WebhookDelivery, WebhookSubscription

DELIVERIES_SHOWN = 100


def subscription_list(user: Any) -> QuerySet[WebhookSubscription]:
    require_admin(user)
    return WebhookSubscription.objects.all()


def subscription_get(user: Any, pk: Any) -> WebhookSubscription:
    try:
        return subscription_list(user).get(pk=pk)
    except (WebhookSubscription.DoesNotExist, ValueError, TypeError):
        raise Http404("No such webhook subscription.") from None


def recent_deliveries(user: Any, subscription: WebhookSubscription) -> list[WebhookDelivery]:
    require_admin(user)
    return list(subscription.deliveries.order_by("-created_at", "-id")[:DELIVERIES_SHOWN])


def delivery_get(user: Any, pk: Any) -> WebhookDelivery:
    require_admin(user)
    try:
        return WebhookDelivery.objects.select_related("subscription").get(pk=pk)
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError):
        raise Http404("No such delivery.") from None
