"""The loyalty card on the 360° page, the card on the customer portal, and the binding-cause evidence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from kunde.commerce.models import Order, Quote
from kunde.core.permissions import Action, user_can
from kunde.loyalty.models import LoyaltyAccount, Tier
from kunde.loyalty.selectors import account_summary, customer_account


def redeem_targets(user: Any, account: LoyaltyAccount) -> dict[str, list[Any]]:
    """The customer's open quotes and orders `user` may see: where points can be redeemed."""
    field = "person" if account.person_id else "organisation"
    customer = account.customer
    quotes = Quote.objects.for_user(user).filter(
        **{field: customer}, status__in=[Quote.Status.DRAFT, Quote.Status.SENT],
        currency=account.programme.currency).order_by("-issued_on", "-id")[:10]
    orders = Order.objects.for_user(user).filter(
        **{field: customer}, status=Order.Status.OPEN, currency=account.programme.currency).order_by(
        "-ordered_on", "-id")[:10]
    return {"quotes": list(quotes), "orders": list(orders)}


def customer_panel_context(user: Any, customer: Any) -> dict[str, Any] | None:
    account = customer_account(user, customer)
    if account is None:
        return None
    context = account_summary(account)
    context["can_redeem"] = account.balance > 0 and user_can(user, Action.CHANGE, customer)
    if context["can_redeem"]:
        context.update(redeem_targets(user, account))
    return context


def portal_card_context(person: Any) -> dict[str, Any] | None:
    """The signed-in portal person's own points (never anyone else's: the account is looked up by them)."""
    from kunde.loyalty.services import active_programme

    programme = active_programme()
    if programme is None or person is None:
        return None
    account = LoyaltyAccount.objects.filter(programme=programme, person=person).select_related(
        "programme", "tier").first()
    if account is None:
        return None
    return account_summary(account)


def tier_holders(field: str) -> Callable[[], QuerySet[Any]]:
    """Ids (`person_id` or `organisation_id`) of customers holding a tier above the programme's base tier."""

    def query() -> QuerySet[Any]:
        base = Tier.objects.filter(programme=OuterRef("programme")).order_by("threshold").values("threshold")[:1]
        return (LoyaltyAccount.objects.filter(programme__is_active=True, tier__isnull=False,
                                              **{f"{field}__isnull": False})
                .filter(tier__threshold__gt=Subquery(base)).values(field))

    return query
