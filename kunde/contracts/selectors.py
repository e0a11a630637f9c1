"""Reading contracts, MRR/ARR and contract churn within the user's scope."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from kunde.accounts.models import User
from kunde.contacts.models import Organisation, Person
from kunde.contracts.filters import ContractFilter
from kunde.contracts.models import (
    INTERVAL_MONTHS,
    LIVE_STATUSES,
    BillingInterval,
    CancellationReason,
    Contract,
    ContractChange,
    ContractStatus,
    SubscriptionPlan,
)
from kunde.contracts.terms import add_months
from kunde.core.pagination import Page, keyset_page, page_size
from kunde.core.permissions import Action, scope_branches

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def contract_queryset(user: User, action: Action | str = Action.VIEW) -> QuerySet[Contract]:
    return Contract.objects.for_user(user, action)


def contract_get(user: User, pk: Any, action: Action | str = Action.VIEW) -> Contract:
    """One contract the user may see (or change), else 404 — missing and forbidden look the same."""
    try:
        return contract_queryset(user, action).select_related(
            "person", "organisation", "owner", "plan", "cancellation_reason").get(pk=pk)
    except (Contract.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contract.") from None


def contract_list(user: User, params: Mapping[str, Any]) -> QuerySet[Contract]:
    return ContractFilter(params, queryset=contract_queryset(user)).filtered()


def contract_page(user: User, params: Mapping[str, Any]) -> tuple[Page, ContractFilter]:
    filterset = ContractFilter(params, queryset=contract_queryset(user))
    queryset = filterset.filtered().select_related("person", "organisation", "owner", "plan")
    page = keyset_page(queryset, ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")), branches=scope_branches(user, Action.VIEW, Contract))
    return page, filterset


def contract_changes(user: User, contract: Contract) -> QuerySet[ContractChange]:
    """The change log of a contract the user may see, oldest first."""
    return ContractChange.objects.for_user(user).filter(contract=contract).select_related(
        "reason", "actor").order_by("effective_on", "id")


def plans(*, active_only: bool = False) -> QuerySet[SubscriptionPlan]:
    rows = SubscriptionPlan.objects.all()
    return rows.filter(is_active=True) if active_only else rows


def cancellation_reasons(*, active_only: bool = True) -> QuerySet[CancellationReason]:
    rows = CancellationReason.objects.all()
    return rows.filter(is_active=True) if active_only else rows


def expiring_contracts(user: User, *, days: int = 90, mine_only: bool = False) -> QuerySet[Contract]:
    """The worklist: live contracts whose notice deadline or term end is within `days`, soonest first."""
    rows = ContractFilter({"expiring_within": str(days), "sort": "term_end"},
                          queryset=contract_queryset(user)).filtered()
    if mine_only:
        rows = rows.filter(owner=user)
    return rows.select_related("person", "organisation", "owner", "plan").order_by("notice_deadline", "id")


# --- MRR / ARR ----------------------------------------------------------------------------


@dataclass
class MrrSummary:
    """MRR and ARR of the contracts in a scope, in EUR (quarterly ÷ 3, yearly ÷ 12, paused counts 0)."""

    mrr: Decimal
    arr: Decimal
    counting: int
    paused: int
    by_interval: dict[str, Decimal] = field(default_factory=dict)


def mrr_of(rows: Iterable[tuple[str, Decimal | None]]) -> tuple[Decimal, Decimal]:
    """MRR and ARR from (billing interval, summed amount) pairs, rounded half-up to cents once at the end."""
    exact = sum((Decimal(total or 0) / INTERVAL_MONTHS[BillingInterval(interval)] for interval, total in rows),
                Decimal(0))
    return cents(exact), cents(exact * 12)


def _counting(queryset: QuerySet[Contract]) -> QuerySet[Contract]:
    """Contracts billed today: active, or cancelled and running to their end, and not paused."""
    return queryset.filter(status__in=(ContractStatus.ACTIVE, ContractStatus.CANCELLED), paused_on__isnull=True)


def mrr_summary(user: User, *, owner: int | None = None, queryset: QuerySet[Contract] | None = None) -> MrrSummary:
    """Today's MRR and ARR over the contracts `user` may see (optionally one owner's)."""
    rows = queryset if queryset is not None else contract_queryset(user)
    if owner is not None:
        rows = rows.filter(owner_id=owner)
    sums = list(_counting(rows).values("billing_interval").annotate(total=Sum("amount")).order_by(
        "billing_interval").values_list("billing_interval", "total"))
    mrr, arr = mrr_of(sums)
    by_interval = {interval: cents(Decimal(total or 0) / INTERVAL_MONTHS[BillingInterval(interval)])
                   for interval, total in sums}
    return MrrSummary(mrr=mrr, arr=arr, counting=_counting(rows).count(),
                      paused=rows.filter(status__in=LIVE_STATUSES, paused_on__isnull=False).count(),
                      by_interval=by_interval)


def customer_contracts(user: User, customer: Person | Organisation) -> dict[str, Any] | None:
    """The 360° panel: the customer's live contracts the user may see, and their MRR."""
    field_name = "person" if isinstance(customer, Person) else "organisation"
    rows = contract_queryset(user).filter(**{field_name: customer})
    live = list(rows.filter(status__in=LIVE_STATUSES).select_related("plan").order_by("current_term_end", "id"))
    if not live and not rows.exists():
        return None
    return {"contracts": live, "mrr": mrr_summary(user, queryset=rows).mrr,
            "ended": rows.filter(status=ContractStatus.ENDED).count()}


# --- churn ---------------------------------------------------------------------------------


@dataclass
class ChurnMonth:
    """Contract and revenue churn of one calendar month."""

    month: str  # "2026-03"
    contracts_at_start: int
    contracts_churned: int
    contracts_new: int
    mrr_at_start: Decimal
    mrr_churned: Decimal  # MRR of the contracts that ended in the month
    mrr_contraction: Decimal  # downgrades and pauses of the contracts of the start
    mrr_expansion: Decimal  # upgrades and resumes of the contracts of the start
    mrr_new: Decimal

    @property
    def contract_churn_rate(self) -> Decimal | None:
        """Contracts that ended in the month ÷ contracts live at its start."""
        if not self.contracts_at_start:
            return None
        return Decimal(self.contracts_churned) / Decimal(self.contracts_at_start)

    @property
    def mrr_lost(self) -> Decimal:
        return self.mrr_churned + self.mrr_contraction

    @property
    def revenue_churn_rate(self) -> Decimal | None:
        """Lost MRR (ended contracts, downgrades, pauses) ÷ MRR at the start of the month."""
        return self.mrr_lost / self.mrr_at_start if self.mrr_at_start else None

    @property
    def net_revenue_churn_rate(self) -> Decimal | None:
        """Lost MRR minus expansion (upgrades, resumes) ÷ MRR at the start; negative when expansion wins."""
        return (self.mrr_lost - self.mrr_expansion) / self.mrr_at_start if self.mrr_at_start else None


ENDING_KINDS = (ContractChange.Kind.CANCELLED, ContractChange.Kind.ENDED)


def _mrr_before(changes: list[_Change], day: dt.date) -> Decimal:
    """The MRR of a contract at the start of `day`: the last change that applies before it."""
    value = Decimal(0)
    for change in changes:
        if change.mrr_applies_from < day:
            value = change.mrr_after
    return value


def _month(contract: _Contract, changes: list[_Change], start: dt.date, end: dt.date,
           figures: dict[str, Any]) -> None:
    live_at_start = contract.start_date < start and (contract.ends_on is None or contract.ends_on >= start)
    if start <= contract.start_date <= end:
        figures["contracts_new"] += 1
        figures["mrr_new"] += _mrr_before(changes, end + dt.timedelta(days=1)) if (
            contract.ends_on is None or contract.ends_on > end) else Decimal(0)
    if not live_at_start:
        return
    figures["contracts_at_start"] += 1
    figures["mrr_at_start"] += _mrr_before(changes, start)
    for change in changes:
        # Creation is new business and the end is counted below; renewals keep the amount.
        if change.kind in ENDING_KINDS or change.kind == ContractChange.Kind.CREATED:
            continue
        if start <= change.effective_on <= end:
            delta = change.mrr_after - change.mrr_before
            if delta > 0:
                figures["mrr_expansion"] += delta
            elif delta < 0:
                figures["mrr_contraction"] -= delta
    if contract.ends_on is not None and start <= contract.ends_on <= end:
        figures["contracts_churned"] += 1
        # The MRR in effect on its last day: what the month loses with it.
        figures["mrr_churned"] += _mrr_before([c for c in changes if c.kind not in ENDING_KINDS],
                                              contract.ends_on + dt.timedelta(days=1))


@dataclass(slots=True)
class _Change:
    """The part of a change-log row the figures need (plain values: tens of thousands are read at once)."""

    id: int
    kind: str
    effective_on: dt.date
    mrr_before: Decimal
    mrr_after: Decimal
    mrr_applies_from: dt.date


@dataclass(slots=True)
class _Contract:
    id: int
    start_date: dt.date
    ends_on: dt.date | None
    sorted_changes: list[_Change] = field(default_factory=list)


def _contracts_for(user: User, first: dt.date, last: dt.date, *, owner: int | None = None,
                   team: int | None = None) -> list[_Contract]:
    """The user's contracts that may count between `first` and `last`, with their change logs, as plain rows."""
    rows = contract_queryset(user).filter(start_date__lte=last).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=first - dt.timedelta(days=1)))
    if owner is not None:
        rows = rows.filter(owner_id=owner)
    if team is not None:
        rows = rows.filter(team_id=team)
    contracts = {pk: _Contract(pk, start, ends) for pk, start, ends in rows.values_list("id", "start_date", "ends_on")}
    changes = ContractChange.objects.filter(contract__in=rows.values("id")).values_list(
        "id", "contract_id", "kind", "effective_on", "mrr_before", "mrr_after")
    ending = {ContractChange.Kind.CANCELLED.value, ContractChange.Kind.ENDED.value}
    for pk, contract_id, kind, effective_on, mrr_before, mrr_after in changes.iterator(chunk_size=5000):
        applies_from = effective_on + dt.timedelta(days=1) if kind in ending else effective_on
        contract = contracts.get(contract_id)
        if contract is not None:
            contract.sorted_changes.append(_Change(pk, kind, effective_on, mrr_before, mrr_after, applies_from))
    for contract in contracts.values():
        contract.sorted_changes.sort(key=lambda c: (c.mrr_applies_from, c.id))
    return list(contracts.values())


def _period(contracts: list[_Contract], label: str, start: dt.date, end: dt.date) -> ChurnMonth:
    figures: dict[str, Any] = {"contracts_at_start": 0, "contracts_churned": 0, "contracts_new": 0,
                               "mrr_at_start": Decimal(0), "mrr_churned": Decimal(0),
                               "mrr_contraction": Decimal(0), "mrr_expansion": Decimal(0), "mrr_new": Decimal(0)}
    for contract in contracts:
        _month(contract, contract.sorted_changes, start, end, figures)
    return ChurnMonth(month=label, **figures)


def _mrr_on(contracts: list[_Contract], day: dt.date) -> Decimal:
    """The MRR in effect at the start of `day` over `contracts` (exact, four places per contract)."""
    total = Decimal(0)
    for contract in contracts:
        if contract.start_date < day and (contract.ends_on is None or contract.ends_on >= day):
            total += _mrr_before(contract.sorted_changes, day)
    return total


def churn_by_month(user: User, *, months: int = 12, today: dt.date | None = None,
                   owner: int | None = None) -> list[ChurnMonth]:
    """Contract churn and revenue churn of the last `months` calendar months (the current one last)."""
    today = today or timezone.localdate()
    first = add_months(today.replace(day=1), -(months - 1))
    contracts = _contracts_for(user, first, today, owner=owner)
    result = []
    for index in range(months):
        start = add_months(first, index)
        end = add_months(start, 1) - dt.timedelta(days=1)
        result.append(_period(contracts, f"{start:%Y-%m}", start, end))
    return result


def kpi_components(user: User, periods: Mapping[str, tuple[dt.date, dt.date]], *, owner: int | None = None,
                   team: int | None = None, today: dt.date | None = None) -> dict[str, dict[str, float]]:
    """Per period key (first day, last day): the contract figures the analytics KPIs are formed from.

    `contract_mrr` is the MRR at the period's end (today for the running period); the
    others are the churn components of `ChurnMonth`.
    """
    if not periods:
        return {}
    today = today or timezone.localdate()
    first = min(start for start, _end in periods.values())
    last = min(max(end for _start, end in periods.values()), today)
    contracts = _contracts_for(user, first, last, owner=owner, team=team)
    result: dict[str, dict[str, float]] = {}
    for key, (start, end) in periods.items():
        if start > today:
            continue
        figures = _period(contracts, key, start, end)
        result[key] = {
            "contract_mrr": float(_mrr_on(contracts, min(end, today) + dt.timedelta(days=1))),
            "contract_base": float(figures.contracts_at_start), "contract_churned": float(figures.contracts_churned),
            "contract_mrr_start": float(figures.mrr_at_start), "contract_mrr_lost": float(figures.mrr_lost),
            "contract_mrr_expansion": float(figures.mrr_expansion),
        }
    return result


KPI_CACHE_SECONDS = 600


def kpi_components_cached(user: User, periods: Mapping[str, tuple[dt.date, dt.date]], *, owner: int | None = None,
                          team: int | None = None) -> dict[str, dict[str, float]]:
    """`kpi_components`, kept until a contract or its change log changes (or for 10 minutes).

    The analytics dashboard asks on every load; reading every contract of the year each
    time would cost about a second per 10,000 contracts. The stamp (count and last change of
    the contracts, last change-log row) is one indexed aggregate.
    """
    stamp = Contract.objects.aggregate(n=Count("pk"), changed=Max("updated_at"))
    last_change = ContractChange.objects.aggregate(last=Max("pk"))["last"]
    parts = (user.pk, owner, team, timezone.localdate(), stamp["n"], stamp["changed"], last_change,
             sorted(periods.items()))
    key = "contracts.kpis:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    cached = cache.get(key)
    if cached is None:
        cached = kpi_components(user, periods, owner=owner, team=team)
        cache.set(key, cached, KPI_CACHE_SECONDS)
    return cached
