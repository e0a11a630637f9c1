"""Loyalty pages: programme settings (administrators), a customer's ledger, the redeem action, the portal page."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kunde.commerce.models import Order, ProductCategory, Quote
from kunde.core.permissions import Action, is_admin, user_can
from kunde.core.views.ui import actor, denied_as_403, login_required
from kunde.loyalty import services
from kunde.loyalty.models import EarningRule, LoyaltyAccount
from kunde.loyalty.selectors import account_get, account_summary, ledger, programme_settings


def _decimal(value: str | None, field: str) -> Decimal | None:
    text = (value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationError({field: [_("Enter a number.")]}) from None


def _int(value: str | None, field: str) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.lstrip("-").isdigit():
        raise ValidationError({field: [_("Enter a whole number.")]})
    return int(text)


def _programme_form(user: Any, post: Any) -> None:
    context = programme_settings()
    fields = {"name": post.get("name", "").strip(), "point_value_eur": _decimal(post.get("point_value_eur"),
                                                                                 "point_value_eur"),
              "expiry_months": _int(post.get("expiry_months"), "expiry_months"),
              "is_active": post.get("is_active") == "on"}
    if context["programme"] is None:
        services.programme_create(actor=user, **{k: v for k, v in fields.items() if v is not None})
    else:
        services.programme_update(actor=user, programme=context["programme"], changes=fields,
                                  expected_version=_int(post.get("version"), "version"))


def _rule_form(user: Any, post: Any) -> None:
    programme = programme_settings()["programme"]
    if programme is None:
        raise ValidationError({"programme": [_("Set up the programme first.")]})
    category = None
    if post.get("category"):
        category = ProductCategory.objects.filter(key=post["category"]).first()
    fields: dict[str, Any] = {"category": category, "starts_on": post.get("starts_on") or None,
                              "ends_on": post.get("ends_on") or None,
                              "minimum_order_eur": _decimal(post.get("minimum_order_eur"), "minimum_order_eur")}
    for name in ("points_per_euro", "multiplier"):
        value = _decimal(post.get(name), name)
        if value is not None:
            fields[name] = value
    fields["extra_points"] = _int(post.get("extra_points"), "extra_points") or 0
    services.rule_create(actor=user, programme=programme, name=post.get("name", ""), kind=post.get("kind", ""),
                         **fields)


def _tier_form(user: Any, post: Any) -> None:
    programme = programme_settings()["programme"]
    if programme is None:
        raise ValidationError({"programme": [_("Set up the programme first.")]})
    threshold = _int(post.get("threshold"), "threshold")
    if threshold is None or threshold < 0:
        raise ValidationError({"threshold": [_("Give the threshold as points (0 or more).")]})
    services.tier_create(actor=user, programme=programme, name=post.get("name", ""), threshold=threshold,
                         benefits=post.get("benefits", "").strip())


FORMS = {"programme": _programme_form, "rule": _rule_form, "tier": _tier_form}


@login_required
@require_http_methods(["GET", "POST"])
@denied_as_403
def settings_view(request: HttpRequest) -> HttpResponse:
    """The programme, its earning rules and tiers (administrators)."""
    user = actor(request)
    if not is_admin(user):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    form = request.POST.get("form", "")
    if request.method == "POST" and form in FORMS:
        try:
            FORMS[form](user, request.POST)
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("Saved."))
            return redirect("loyalty:settings")
    context = programme_settings()
    context.update({"errors": errors, "failed_form": form if errors else "", "posted": request.POST,
                    "kinds": EarningRule.Kind.choices,
                    "categories": ProductCategory.objects.order_by("key")})
    return render(request, "loyalty/settings.html", context, status=422 if errors else 200)


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A customer's full points ledger."""
    account = account_get(actor(request), pk)
    context = account_summary(account)
    context["entries"] = ledger(account)
    return render(request, "loyalty/account_detail.html", context)


def _target(user: Any, value: str) -> dict[str, Any]:
    kind, _sep, pk = value.partition(":")
    model = {"quote": Quote, "order": Order}.get(kind)
    if model is None or not pk.isdigit():
        raise ValidationError({"target": [_("Choose a quote or an order.")]})
    record = model.objects.for_user(user).filter(pk=int(pk)).first()  # type: ignore[attr-defined]
    if record is None:
        raise ValidationError({"target": [_("Unknown quote or order.")]})
    return {kind: record}


@login_required
@require_POST
@denied_as_403
def redeem(request: HttpRequest, pk: int) -> HttpResponse:
    """Redeem points on one of the customer's open quotes or orders (staff who may change the customer)."""
    user = actor(request)
    account: LoyaltyAccount = account_get(user, pk)
    if not user_can(user, Action.CHANGE, account.customer):  # type: ignore[arg-type]
        raise PermissionDenied
    try:
        target = _target(user, request.POST.get("target", ""))
        entry = services.points_redeem(actor=user, account=account, points=_int(request.POST.get("points"), "points"),
                                       **target)
    except ValidationError as error:
        messages.error(request, " ".join(message for messages_ in error.message_dict.values()
                                         for message in messages_))
    else:
        messages.success(request, _("%(points)s points redeemed: %(amount)s EUR off.") % {
            "points": -entry.points, "amount": entry.amount_eur})
    return redirect(account.customer.get_absolute_url())  # type: ignore[union-attr]


def portal_points(request: HttpRequest) -> HttpResponse:
    """The signed-in portal person's own points and full ledger."""
    from kunde.service.portal import portal_person_or_login

    person = portal_person_or_login(request)
    if isinstance(person, HttpResponse):
        return person
    programme = services.active_programme()
    account = LoyaltyAccount.objects.filter(programme=programme, person=person).select_related(
        "programme", "tier").first() if programme else None
    if account is None:
        raise Http404("No loyalty account.")
    context = account_summary(account)
    context["entries"] = ledger(account)
    return render(request, "loyalty/portal_points.html", context)
