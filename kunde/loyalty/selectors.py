"""Reads of loyalty, each scoped to what the user may see (accounts and entries through their customer)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from kunde.commerce.deductions import Deduction
from kunde.contacts.models import Organisation, Person
from kunde.core.permissions import Action
from kunde.loyalty.models import LedgerEntry, LoyaltyAccount, Programme, Tier

RECENT = 5


def account_queryset(user: Any, action: Action | str = Action.VIEW) -> QuerySet[LoyaltyAccount]:
    return LoyaltyAccount.objects.for_user(user, action).select_related("programme", "tier", "person",
                                                                        "organisation")


def customer_account(user: Any, customer: Person | Organisation) -> LoyaltyAccount | None:
    """The customer's account in the active programme, if `user` may see the customer and it has one."""
    # One query, also when there is no programme: the 360° page has a query budget per panel.
    field = "person" if isinstance(customer, Person) else "organisation"
    return account_queryset(user).filter(programme__is_active=True, **{field: customer}).first()


def account_get(user: Any, pk: int, action: Action | str = Action.VIEW) -> LoyaltyAccount:
    account = account_queryset(user, action).filter(pk=pk).first()
    if account is None:
        raise Http404("No such loyalty account.")
    return account


def ledger(account: LoyaltyAccount, limit: int | None = None) -> list[LedgerEntry]:
    """The account's entries, newest first (the caller has got the account through a scoped selector)."""
    entries = account.entries.select_related("order", "quote", "rule").order_by("-id")
    return list(entries[:limit] if limit else entries)


def next_tier(account: LoyaltyAccount) -> tuple[Tier | None, int]:
    """The next tier up and the qualifying points still missing (None, 0 at the top)."""
    tier = account.programme.tiers.filter(threshold__gt=account.qualifying_points).order_by("threshold").first()
    return tier, (tier.threshold - account.qualifying_points) if tier else 0


def account_summary(account: LoyaltyAccount) -> dict[str, Any]:
    tier, missing = next_tier(account)
    value = (account.balance * account.programme.point_value_eur).quantize(account.programme.point_value_eur)
    return {"account": account, "next_tier": tier, "points_to_next": missing,
            "balance_value": value.quantize(value.__class__("0.01")), "entries": ledger(account, RECENT)}


def programme_settings() -> dict[str, Any]:
    programme = Programme.objects.filter(is_active=True).first() or Programme.objects.order_by("-id").first()
    if programme is None:
        return {"programme": None, "rules": [], "tiers": []}
    return {"programme": programme, "rules": list(programme.rules.select_related("category")),
            "tiers": list(programme.tiers.all())}


def redemption_deductions(record: Any) -> list[Deduction]:
    """Commerce's deduction provider: the points redeemed on a quote, or on an order (or its quote)."""
    from django.utils.translation import gettext as _

    from kunde.commerce.models import Order, Quote

    if isinstance(record, Quote):
        entries = LedgerEntry.objects.filter(quote=record, kind=LedgerEntry.Kind.REDEEMED)
    elif isinstance(record, Order):
        quote_id = Quote.objects.filter(order=record).values_list("id", flat=True).first()
        entries = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REDEEMED, order=record)
        if quote_id is not None:
            entries = entries | LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REDEEMED, quote_id=quote_id)
    else:
        return []
    return [Deduction(label=_("%(points)s loyalty points redeemed") % {"points": -entry.points},
                      amount=entry.amount_eur or 0)  # type: ignore[arg-type]
            for entry in entries.order_by("id")]
