"""The KPIs: each one's definition, and its value formed from summed components.

`aggregates.kpi_components` stores counts and sums per owner/team pair and period; here the
sums of the pairs a user may see become rates, with the previous period for the trend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

Components = dict[str, float]


@dataclass(frozen=True)
class Kpi:
    key: str
    label: Any
    definition: Any
    value: Callable[[Components, dict[str, Any]], float | None]
    unit: str = "count"  # count | percent | eur | score | number
    higher_is_better: bool = True


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _ror(c: Components, context: dict[str, Any]) -> float | None:
    return _ratio(c.get("revenue", 0.0), relationship_cost(c, context))


def relationship_cost(c: Components, context: dict[str, Any]) -> float:
    """Contact time x hourly rate + campaign costs + discounts + other costs (events, loyalty, gifts)."""
    hourly = float(context.get("hourly_rate", 0))
    return (c.get("contact_minutes", 0.0) / 60 * hourly + c.get("campaign_costs", 0.0) + c.get("discounts", 0.0)
            + c.get("other_costs", 0.0))


KPIS: list[Kpi] = [
    Kpi("customers", _("Customers"), _("Customers with at least one purchase up to the end of the period."),
        lambda c, _x: c.get("customers", 0)),
    Kpi("new_customers", _("New customers"), _("Customers whose first purchase falls in the period."),
        lambda c, _x: c.get("new", 0)),
    Kpi("active_customers", _("Active customers"),
        _("Customers with a purchase within the inactivity window before the end of the period."),
        lambda c, _x: c.get("active_end", 0)),
    Kpi("churned_customers", _("Churned customers"),
        _("Customers active at the start of the period who were no longer active at its end."),
        lambda c, _x: c.get("active_start", 0) - c.get("retained", 0), higher_is_better=False),
    Kpi("churn_rate", _("Churn rate"),
        _("Churned customers divided by the customers active at the start of the period."),
        lambda c, _x: _ratio(c.get("active_start", 0) - c.get("retained", 0), c.get("active_start", 0)),
        unit="percent", higher_is_better=False),
    Kpi("retention_rate", _("Retention rate"),
        _("Customers active at both the start and the end of the period divided by those active at the start."),
        lambda c, _x: _ratio(c.get("retained", 0), c.get("active_start", 0)), unit="percent"),
    Kpi("repurchase_rate", _("Repurchase rate"),
        _("Share of customers with purchases on at least two different days, up to the end of the period."),
        lambda c, _x: _ratio(c.get("repeaters", 0), c.get("customers", 0)), unit="percent"),
    Kpi("purchase_frequency", _("Purchase frequency"),
        _("Purchases in the period per customer who bought in the period."),
        lambda c, _x: _ratio(c.get("orders", 0), c.get("buyers", 0)), unit="number"),
    Kpi("average_order_value", _("Average order value"),
        _("Net revenue in the period (returns deducted) divided by the purchases in the period."),
        lambda c, _x: _ratio(c.get("revenue", 0), c.get("orders", 0)), unit="eur"),
    Kpi("revenue_per_customer", _("Revenue per customer"),
        _("Net revenue in the period divided by the customers who bought in the period."),
        lambda c, _x: _ratio(c.get("revenue", 0), c.get("buyers", 0)), unit="eur"),
    Kpi("revenue", _("Revenue"), _("Net revenue of all orders in the period, in EUR, returns deducted."),
        lambda c, _x: c.get("revenue", 0), unit="eur"),
    Kpi("nps", _("Net Promoter Score"),
        _("Share of promoters (9–10) minus share of detractors (0–6) among NPS answers of the period, "
          "from −100 to 100."),
        lambda c, _x: (None if not c.get("nps_n") else
                       100 * (c.get("nps_promoters", 0) - c.get("nps_detractors", 0)) / c["nps_n"]), unit="score"),
    Kpi("csat", _("Customer satisfaction (CSAT)"),
        _("Share of ticket ratings of the period that were 4 or 5 on the 1–5 scale."),
        lambda c, _x: _ratio(c.get("csat_satisfied", 0), c.get("csat_n", 0)), unit="percent"),
    Kpi("mood", _("Average mood"), _("Average mood recorded at contacts in the period, 1 (very negative) to 5."),
        lambda c, _x: _ratio(c.get("mood_sum", 0), c.get("mood_n", 0)), unit="number"),
    Kpi("historical_clv", _("Historical CLV"),
        _("Net revenue per customer from their first purchase to the end of the period."),
        lambda c, _x: _ratio(c.get("revenue_to_date", 0), c.get("customers", 0)), unit="eur"),
    Kpi("relationship_cost", _("Relationship cost"),
        _("Logged contact time × hourly rate, campaign costs, order discounts and other costs of the period."),
        lambda c, x: relationship_cost(c, x), unit="eur", higher_is_better=False),
    Kpi("return_on_relationship", _("Return on Relationship"),
        _("Relationship revenue (orders of the period) divided by relationship cost."), _ror, unit="number"),
]


def _contract_kpis() -> list[Kpi]:
    """MRR, ARR, contract churn and revenue churn, from the live contract figures (`contracts.selectors`)."""
    from kunde.contracts.kpis import LABELS

    def label(key: str) -> tuple[object, object]:
        return LABELS[key]

    def has(c: Components) -> bool:
        return "contract_mrr" in c

    return [
        Kpi("mrr", *label("mrr"), lambda c, _x: c["contract_mrr"] if has(c) else None, unit="eur"),
        Kpi("arr", *label("arr"), lambda c, _x: c["contract_mrr"] * 12 if has(c) else None, unit="eur"),
        Kpi("contract_churn_rate", *label("contract_churn_rate"),
            lambda c, _x: _ratio(c.get("contract_churned", 0), c.get("contract_base", 0)), unit="percent",
            higher_is_better=False),
        Kpi("revenue_churn_rate", *label("revenue_churn_rate"),
            lambda c, _x: _ratio(c.get("contract_mrr_lost", 0), c.get("contract_mrr_start", 0)), unit="percent",
            higher_is_better=False),
    ]


# Computed from contracts at request time (not by the refresh), so they are added to the rows separately.
CONTRACT_KPIS: list[Kpi] = _contract_kpis()
KPI_BY_KEY = {kpi.key: kpi for kpi in [*KPIS, *CONTRACT_KPIS]}
ROR_FORMULA = _("RoR = revenue ÷ (contact minutes ÷ 60 × hourly rate + campaign costs + discounts + other costs)")


def values(current: Components, previous: Components | None, context: dict[str, Any],
           kpi_list: list[Kpi] | None = None) -> list[dict[str, Any]]:
    """Every KPI of a period (or those of `kpi_list`): value, previous value, change, and whether it is good."""
    rows = []
    for kpi in KPIS if kpi_list is None else kpi_list:
        value = kpi.value(current, context)
        before = kpi.value(previous, context) if previous else None
        change = None if value is None or before is None else value - before
        rows.append({"key": kpi.key, "label": kpi.label, "definition": kpi.definition, "unit": kpi.unit,
                     "value": value, "previous": before, "change": change,
                     "good": None if not change else (change > 0) == kpi.higher_is_better})
    return rows
