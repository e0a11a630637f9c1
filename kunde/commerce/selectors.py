"""Reading orders and purchases within the user's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from kunde.accounts.models import User
from kunde.commerce.filters import OrderFilter
from kunde.commerce.models import Order, OrderLine
from kunde.contacts.models import Organisation, Person
from kunde.core.pagination import Page, keyset_page, page_size
from kunde.core.permissions import Action, scope_branches


def order_queryset(user: User, action: Action | str = Action.VIEW) -> QuerySet[Order]:
    return Order.objects.for_user(user, action)


def order_get(user: User, pk: Any) -> Order:
    try:
        return order_queryset(user).select_related("person", "organisation", "owner").prefetch_related(
            "lines__product").get(pk=pk)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise Http404("No such order.") from None


def order_list(user: User, params: Mapping[str, Any]) -> QuerySet[Order]:
    return OrderFilter(params, queryset=order_queryset(user)).filtered()


def order_page(user: User, params: Mapping[str, Any]) -> tuple[Page, OrderFilter]:
    filterset = OrderFilter(params, queryset=order_queryset(user))
    queryset = filterset.filtered().select_related("person", "organisation", "owner")
    page = keyset_page(queryset, ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")), branches=scope_branches(user, Action.VIEW, Order))
    return page, filterset


def purchases(*, person: Person | None = None, organisation: Organisation | None = None, category: str | None = None,
              since: dt.date | None = None) -> QuerySet[OrderLine]:
    """Order lines of a customer (unscoped: for services that already checked the customer)."""
    lines = OrderLine.objects.exclude(order__status=Order.Status.CANCELLED)
    if person is not None:
        lines = lines.filter(person=person)
    if organisation is not None:
        lines = lines.filter(organisation=organisation)
    if category is not None:
        lines = lines.filter(category__key=category)
    if since is not None:
        lines = lines.filter(ordered_on__gte=since)
    return lines


def customer_orders(user: User, customer: Person | Organisation, limit: int = 5) -> dict[str, Any]:
    """The latest orders of a customer the user may see, and their count and net revenue in EUR."""
    orders = order_queryset(user).filter(**{"person" if isinstance(customer, Person) else "organisation": customer})
    summary = orders.exclude(status=Order.Status.CANCELLED).aggregate(count=Count("id"), revenue=Sum("net_total_eur"))
    return {"orders": list(orders.order_by("-ordered_on", "-id")[:limit]), "count": summary["count"],
            "revenue": summary["revenue"] or Decimal(0)}
