"""REST API of webhooks: subscriptions and their deliveries (administrators only)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.idempotency import idempotent
from kunde.core.api.schemas import InputSchema, patch_schema
from kunde.webhooks.models import WebhookDelivery, WebhookSubscription
from kunde.webhooks.selectors import delivery_get, recent_deliveries, subscription_get, subscription_list
from kunde.webhooks.services import (
    delivery_replay,
    subscription_create,
    subscription_delete,
    subscription_update,
)


class SubscriptionOut(Schema):
    """A URL subscribed to domain events; deliveries are signed with `secret` (see the docs)."""

    id: int
    name: str
    url: str
    event_types: list[str] = Field(description='Event types such as "sales.deal_won", or "*" for all.')
    is_active: bool
    secret: str = Field(description="HMAC-SHA256 key of the X-Kunde-Signature header.")
    created_at: dt.datetime


class SubscriptionIn(InputSchema):
    name: str = Field(max_length=100)
    url: str = Field(max_length=500, description="http(s) URL on a public address.")
    event_types: list[str] = Field(description='Event types, or ["*"] for all.')
    is_active: bool = True


class SubscriptionChanges(InputSchema):
    name: str = Field(max_length=100)
    url: str = Field(max_length=500)
    event_types: list[str]
    is_active: bool


if TYPE_CHECKING:
    SubscriptionPatch = Schema
else:
    SubscriptionPatch = patch_schema(SubscriptionChanges, "SubscriptionPatch",
                                     doc="Changes to a webhook subscription: only the fields sent are changed.")


class DeliveryOut(Schema):
    """One event sent (or being sent) to one subscription."""

    id: int
    subscription: int = Field(alias="subscription_id")
    event_id: uuid.UUID
    event_type: str
    payload: dict[str, object]
    status: str = Field(description="pending, succeeded or failed.")
    attempts: int
    next_attempt_at: dt.datetime
    last_status_code: int | None
    last_error: str
    delivered_at: dt.datetime | None
    replay_of: int | None = Field(alias="replay_of_id")
    created_at: dt.datetime


webhooks = Router(tags=["webhooks"])


@webhooks.get("", response={200: list[SubscriptionOut], **READ_ERRORS})
def list_webhooks(request: HttpRequest) -> list[WebhookSubscription]:
    """List webhook subscriptions (administrators only)."""
    return list(subscription_list(actor(request)))


@webhooks.post("", response={201: SubscriptionOut, **CREATE_ERRORS})
@idempotent
def create_webhook(request: HttpRequest, payload: SubscriptionIn) -> Status:
    """Subscribe a URL to events (administrators only). Internal addresses are refused (422)."""
    return Status(201, subscription_create(actor=actor(request), **payload.model_dump()))


@webhooks.get("/{int:subscription_id}", response={200: SubscriptionOut, **READ_ERRORS})
def get_webhook(request: HttpRequest, subscription_id: int) -> WebhookSubscription:
    """Get a webhook subscription."""
    return subscription_get(actor(request), subscription_id)


@webhooks.patch("/{int:subscription_id}", response={200: SubscriptionOut, **WRITE_ERRORS})
def update_webhook(request: HttpRequest, subscription_id: int, payload: SubscriptionPatch) -> WebhookSubscription:
    """Change a webhook subscription."""
    user = actor(request)
    return subscription_update(actor=user, subscription=subscription_get(user, subscription_id),
                               changes=payload.model_dump(exclude_unset=True))


@webhooks.delete("/{int:subscription_id}", response={204: None, **WRITE_ERRORS})
def delete_webhook(request: HttpRequest, subscription_id: int) -> Status:
    """Remove a webhook subscription and its delivery record."""
    user = actor(request)
    subscription_delete(actor=user, subscription=subscription_get(user, subscription_id))
    return Status(204, None)


@webhooks.get("/{int:subscription_id}/deliveries", response={200: list[DeliveryOut], **READ_ERRORS})
def list_webhook_deliveries(request: HttpRequest, subscription_id: int) -> list[WebhookDelivery]:
    """The latest 100 deliveries of a subscription, newest first."""
    user = actor(request)
    return recent_deliveries(user, subscription_get(user, subscription_id))


@webhooks.post("/deliveries/{int:delivery_id}/replay", response={201: DeliveryOut, **READ_ERRORS})
@idempotent
def replay_webhook_delivery(request: HttpRequest, delivery_id: int) -> Status:
    """Send a delivery's event again as a new delivery."""
    user = actor(request)
    return Status(201, delivery_replay(actor=user, delivery=delivery_get(user, delivery_id)))


routers: list[tuple[str, Router]] = [("/webhooks", webhooks)]
