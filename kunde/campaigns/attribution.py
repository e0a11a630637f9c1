"""Conversions: an order counts for the campaign that reached its buyer within the window."""

from __future__ import annotations

from typing import Any

from kunde.core.events import subscribe


def on_order_created(event_type: str, payload: dict[str, Any]) -> None:
    from kunde.campaigns.dispatch import attribute_order

    order_id = payload.get("id")
    if order_id is not None:
        attribute_order(int(order_id))


def on_mail_event(event_type: str, payload: dict[str, Any]) -> None:
    """Note delivery or bounce of a campaign message on its recipient (payload: the outbound id)."""
    from django.utils import timezone

    from kunde.campaigns.models import CampaignRecipient

    outbound_id = payload.get("id") or payload.get("outbound_id")
    if outbound_id is None:
        return
    field = "bounced_at" if event_type == "mail.message_bounced" else "delivered_at"
    CampaignRecipient.objects.filter(outbound_id=outbound_id, **{f"{field}__isnull": True}).update(
        **{field: timezone.now()})


def connect() -> None:
    subscribe("commerce.order_created", on_order_created)
    subscribe("mail.message_sent", on_mail_event)
    subscribe("mail.message_bounced", on_mail_event)
