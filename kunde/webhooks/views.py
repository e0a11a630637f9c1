"""Administration pages of webhooks: subscriptions, their recent deliveries, replay."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kunde.core.views.admin_area import admin_required
from kunde.core.views.ui import KundeForm, apply_validation_error
from kunde.webhooks.models import WebhookSubscription
from kunde.webhooks.selectors import delivery_get, recent_deliveries, subscription_get, subscription_list
from kunde.webhooks.services import delivery_replay, subscription_create, subscription_delete, subscription_update


class SubscriptionForm(KundeForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    url = forms.CharField(label=gettext_lazy("URL"), max_length=500,
                          help_text=gettext_lazy("An http(s) address on the internet; internal addresses are refused."))
    event_types = forms.CharField(
        label=gettext_lazy("Events"), initial="*", max_length=1000,
        help_text=gettext_lazy("Event types separated by commas, e.g. sales.deal_won, commerce.order_created; "
                               "* for all."),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def clean_event_types(self) -> list[str]:
        return [event.strip() for event in self.cleaned_data["event_types"].split(",") if event.strip()]


def _initial(subscription: WebhookSubscription) -> dict[str, Any]:
    return {"name": subscription.name, "url": subscription.url, "is_active": subscription.is_active,
            "event_types": ", ".join(subscription.event_types)}


@admin_required
def subscription_list_view(request: HttpRequest) -> HttpResponse:
    """The subscriptions and a form for a new one."""
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = subscription_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Subscribed “%(name)s”.") % {"name": subscription.name})
            return redirect("webhooks:subscription_detail", subscription.pk)
    return render(request, "webhooks/subscription_list.html", {
        "admin_section": "webhooks", "form": form, "subscriptions": subscription_list(request.user),
    }, status=400 if form.errors else 200)


@admin_required
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A subscription: its settings (editable), signing secret and recent deliveries."""
    subscription = subscription_get(request.user, pk)
    form = SubscriptionForm(request.POST or None, initial=_initial(subscription))
    if request.method == "POST" and form.is_valid():
        try:
            subscription_update(actor=request.user, subscription=subscription, changes=form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("webhooks:subscription_detail", subscription.pk)
    return render(request, "webhooks/subscription_detail.html", {
        "admin_section": "webhooks", "subscription": subscription, "form": form,
        "deliveries": recent_deliveries(request.user, subscription),
    }, status=400 if form.errors else 200)


@admin_required
@require_POST
def subscription_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = subscription_get(request.user, pk)
    subscription_delete(actor=request.user, subscription=subscription)
    messages.success(request, _("Removed “%(name)s”.") % {"name": subscription.name})
    return redirect("webhooks:subscription_list")


@admin_required
@require_POST
def delivery_replay_view(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = delivery_get(request.user, pk)
    delivery_replay(actor=request.user, delivery=delivery)
    messages.success(request, _("The event is being sent again."))
    return redirect("webhooks:subscription_detail", delivery.subscription_id)
