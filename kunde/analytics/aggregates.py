"""Additive figures per owner/team pair, computed by the refresh from the extracted columns.

Everything here is a count or a sum, so the figures of several pairs add up (a team lead
sees the sum of their team's pairs) and rates are formed only when a dashboard reads
them (`kpis.kpi_values`). Customers are indexed 0..n-1; `group` maps each customer to
its pair.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
PERIOD_KINDS = ("month", "quarter", "year")
HISTORY = {"month": 24, "quarter": 8, "year": 5}
COHORT_MONTHS = 24
CLV_BINS = 12


def to_day(value: dt.date) -> int:
    return value.toordinal() - EPOCH_ORDINAL


def to_date(day: int) -> dt.date:
    return dt.date.fromordinal(int(day) + EPOCH_ORDINAL)


@dataclass(frozen=True)
class Period:
    """A calendar period as the days (start, end]: `start` is the last day before it."""

    kind: str
    label: str
    start: int
    end: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.label}"


def _month_start(year: int, month: int) -> dt.date:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, 1)


def periods(today: dt.date) -> list[Period]:
    """The months, quarters and years up to the one containing `today`, newest last per kind."""
    found: list[Period] = []
    for back in range(HISTORY["month"] - 1, -1, -1):
        first = _month_start(today.year, today.month - back)
        after = _month_start(first.year, first.month + 1)
        found.append(Period("month", f"{first:%Y-%m}", to_day(first) - 1, to_day(after) - 1))
    quarter = (today.month - 1) // 3
    for back in range(HISTORY["quarter"] - 1, -1, -1):
        first = _month_start(today.year, quarter * 3 + 1 - 3 * back)
        after = _month_start(first.year, first.month + 3)
        found.append(Period("quarter", f"{first.year}-Q{(first.month - 1) // 3 + 1}",
                            to_day(first) - 1, to_day(after) - 1))
    for back in range(HISTORY["year"] - 1, -1, -1):
        year = today.year - back
        found.append(Period("year", str(year), to_day(dt.date(year, 1, 1)) - 1, to_day(dt.date(year + 1, 1, 1)) - 1))
    return found


def previous_key(key: str) -> str:
    """The key of the period before `key` ("month:2026-11" → "month:2026-10")."""
    kind, label = key.split(":", 1)
    if kind == "month":
        year, month = map(int, label.split("-"))
        first = _month_start(year, month - 1)
        return f"month:{first:%Y-%m}"
    if kind == "quarter":
        year, quarter = int(label[:4]), int(label[-1])
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
        return f"quarter:{year}-Q{quarter}"
    return f"year:{int(label) - 1}"


@dataclass
class Inputs:
    """The extracted columns, already mapped to customer indexes (-1 = unknown customer, dropped)."""

    n_customers: int
    group: np.ndarray  # customer → pair index
    n_groups: int
    stage: np.ndarray  # customer → lifecycle stage id, -1 for none
    order_customer: np.ndarray
    order_day: np.ndarray
    order_amount: np.ndarray
    order_discount: np.ndarray
    contact_customer: np.ndarray
    contact_day: np.ndarray
    contact_mood: np.ndarray  # 0 = not recorded
    contact_minutes: np.ndarray
    ticket_customer: np.ndarray
    csat_day: np.ndarray  # -1 = not answered
    csat_score: np.ndarray
    nps_customer: np.ndarray
    nps_day: np.ndarray
    nps_score: np.ndarray
    campaign_cost_customer: np.ndarray
    campaign_cost_day: np.ndarray
    campaign_cost_amount: np.ndarray
    other_cost_group: np.ndarray
    other_cost_day: np.ndarray
    other_cost_amount: np.ndarray
    stage_change_customer: np.ndarray
    stage_change_day: np.ndarray
    stage_change_stage: np.ndarray
    stage_order: list[int]  # stage ids by position


def _sum(group: np.ndarray, n_groups: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(group, weights=weights, minlength=n_groups)


def _any_per_customer(customers: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(customers[mask], minlength=n) > 0


def purchase_days(inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """First and second purchase day per customer (a large number when there is none).

    A purchase is an order with a positive amount; returns (negative) and zero orders change
    revenue but are no purchase occasion.
    """
    never = np.iinfo(np.int64).max // 4
    first = np.full(inputs.n_customers, never, dtype=np.int64)
    second = np.full(inputs.n_customers, never, dtype=np.int64)
    buying = inputs.order_amount > 0
    customers, days = inputs.order_customer[buying], inputs.order_day[buying]
    if customers.size:
        order = np.lexsort((days, customers))
        customers, days = customers[order], days[order]
        # One row per (customer, day): same-day orders are one purchase occasion.
        distinct = np.r_[True, (customers[1:] != customers[:-1]) | (days[1:] != days[:-1])]
        customers, days = customers[distinct], days[distinct]
        opens = np.r_[True, customers[1:] != customers[:-1]]
        first[customers[opens]] = days[opens]
        follows = np.r_[False, opens[:-1]] & ~opens  # the row right after a customer's first
        second[customers[follows]] = days[follows]
    return first, second


def kpi_components(inputs: Inputs, today: dt.date, inactivity_days: int) -> list[dict[str, dict[str, float]]]:
    """Per pair: {period key: {component: value}} for every period of `periods(today)`."""
    n, g, groups = inputs.n_customers, inputs.group, inputs.n_groups
    first, second = purchase_days(inputs)
    buying = inputs.order_amount > 0
    active_at: dict[int, np.ndarray] = {}

    def active(at: int) -> np.ndarray:
        if at not in active_at:
            window = buying & (inputs.order_day > at - inactivity_days) & (inputs.order_day <= at)
            active_at[at] = _any_per_customer(inputs.order_customer, window, n)
        return active_at[at]

    result: list[dict[str, dict[str, float]]] = [{} for _ in range(groups)]
    for period in periods(today):
        start, end = period.start, period.end
        at_start, at_end = active(start), active(end)
        in_period = (inputs.order_day > start) & (inputs.order_day <= end)
        purchase_in = in_period & buying
        buyers = _any_per_customer(inputs.order_customer, purchase_in, n)
        revenue_until = inputs.order_day <= end
        per_customer_revenue = np.bincount(inputs.order_customer[revenue_until],
                                           weights=inputs.order_amount[revenue_until], minlength=n)
        contact_in = (inputs.contact_day > start) & (inputs.contact_day <= end)
        mood_in = contact_in & (inputs.contact_mood > 0)
        csat_in = (inputs.csat_day > start) & (inputs.csat_day <= end)
        nps_in = (inputs.nps_day > start) & (inputs.nps_day <= end)
        campaign_in = (inputs.campaign_cost_day > start) & (inputs.campaign_cost_day <= end)
        other_in = (inputs.other_cost_day > start) & (inputs.other_cost_day <= end)
        customers_end = first <= end
        columns = {
            "customers": _sum(g, groups, customers_end.astype(float)),
            "new": _sum(g, groups, ((first > start) & (first <= end)).astype(float)),
            "active_start": _sum(g, groups, at_start.astype(float)),
            "active_end": _sum(g, groups, at_end.astype(float)),
            "retained": _sum(g, groups, (at_start & at_end).astype(float)),
            "repeaters": _sum(g, groups, (second <= end).astype(float)),
            "buyers": _sum(g, groups, buyers.astype(float)),
            "revenue_to_date": _sum(g, groups, np.where(customers_end, per_customer_revenue, 0.0)),
            "orders": _sum(g[inputs.order_customer[purchase_in]], groups),
            "revenue": _sum(g[inputs.order_customer[in_period]], groups, inputs.order_amount[in_period]),
            "discounts": _sum(g[inputs.order_customer[in_period]], groups, inputs.order_discount[in_period]),
            "contacts": _sum(g[inputs.contact_customer[contact_in]], groups),
            "contact_minutes": _sum(g[inputs.contact_customer[contact_in]], groups,
                                    inputs.contact_minutes[contact_in].astype(float)),
            "mood_sum": _sum(g[inputs.contact_customer[mood_in]], groups, inputs.contact_mood[mood_in].astype(float)),
            "mood_n": _sum(g[inputs.contact_customer[mood_in]], groups),
            "csat_sum": _sum(g[inputs.ticket_customer[csat_in]], groups, inputs.csat_score[csat_in].astype(float)),
            "csat_n": _sum(g[inputs.ticket_customer[csat_in]], groups),
            "csat_satisfied": _sum(g[inputs.ticket_customer[csat_in & (inputs.csat_score >= 4)]], groups),
            "nps_n": _sum(g[inputs.nps_customer[nps_in]], groups),
            "nps_promoters": _sum(g[inputs.nps_customer[nps_in & (inputs.nps_score >= 9)]], groups),
            "nps_detractors": _sum(g[inputs.nps_customer[nps_in & (inputs.nps_score <= 6)]], groups),
            "campaign_costs": _sum(g[inputs.campaign_cost_customer[campaign_in]], groups,
                                   inputs.campaign_cost_amount[campaign_in]),
            "other_costs": _sum(inputs.other_cost_group[other_in], groups, inputs.other_cost_amount[other_in]),
        }
        for index in range(groups):
            result[index][period.key] = {name: round(float(values[index]), 4) for name, values in columns.items()}
    return result


def cohorts(inputs: Inputs, today: dt.date) -> list[dict[str, list[int]]]:
    """Per pair: {first-purchase month: [customers, buying in month +1, +2, …]} for the last 24 cohorts."""
    first, _second = purchase_days(inputs)
    buying = inputs.order_amount > 0
    month_of = _month_index
    horizon = _month_index(to_day(today)) - COHORT_MONTHS + 1
    has_first = first < np.iinfo(np.int64).max // 4
    cohort = np.where(has_first, month_of(np.where(has_first, first, 0)), -1)
    customers = inputs.order_customer[buying]
    offset = month_of(inputs.order_day[buying]) - cohort[customers]
    keep = (cohort[customers] >= horizon) & (offset >= 0)
    pairs = np.unique(np.stack([customers[keep], offset[keep]]), axis=1) if keep.any() else np.zeros((2, 0), int)
    result: list[dict[str, list[int]]] = [{} for _ in range(inputs.n_groups)]
    now = _month_index(to_day(today))
    for month in range(horizon, now + 1):
        members = cohort == month
        width = now - month + 1
        label = f"{month // 12}-{month % 12 + 1:02d}"
        sizes = _sum(inputs.group[members], inputs.n_groups)
        in_cohort = cohort[pairs[0]] == month
        counts = np.zeros((inputs.n_groups, width), dtype=np.int64)
        if in_cohort.any():
            np.add.at(counts, (inputs.group[pairs[0][in_cohort]], pairs[1][in_cohort]), 1)
        for index in range(inputs.n_groups):
            if sizes[index]:
                result[index][label] = [int(sizes[index]), *map(int, counts[index, 1:])]
    return result


def _month_index(days: Any) -> Any:
    """Months since year 0 of day numbers (vectorised)."""
    dates = np.asarray(days, dtype="datetime64[D]")
    months = dates.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return months + 1970 * 12


def funnel(inputs: Inputs, today: dt.date) -> list[dict[str, Any]]:
    """Per pair, per stage: customers who reached it (now at or beyond it, or passed through), days spent."""
    position = {stage: index for index, stage in enumerate(inputs.stage_order)}
    n_stages = len(inputs.stage_order)
    reached = np.zeros((inputs.n_customers, max(n_stages, 1)), dtype=bool)
    days_in = np.zeros((inputs.n_groups, max(n_stages, 1)))
    spells = np.zeros((inputs.n_groups, max(n_stages, 1)))
    current = np.array([position.get(int(s), -1) for s in inputs.stage], dtype=np.int64) if n_stages else None
    if current is not None:
        for index in range(n_stages):
            reached[:, index] = current >= index
    order = np.lexsort((inputs.stage_change_day, inputs.stage_change_customer))
    customers = inputs.stage_change_customer[order]
    days = inputs.stage_change_day[order]
    stages = inputs.stage_change_stage[order]
    for row in range(customers.size):
        customer, stage = customers[row], position.get(int(stages[row]), -1)
        if customer < 0 or stage < 0:
            continue
        reached[customer, stage] = True
        same_next = row + 1 < customers.size and customers[row + 1] == customer
        left = days[row + 1] if same_next else to_day(today)
        if same_next or (current is not None and current[customer] == stage):
            days_in[inputs.group[customer], stage] += max(0, int(left - days[row]))
            spells[inputs.group[customer], stage] += 1
    result: list[dict[str, Any]] = [{} for _ in range(inputs.n_groups)]
    everything = reached.all(axis=1) if n_stages else np.zeros(inputs.n_customers, dtype=bool)
    for index, stage in enumerate(inputs.stage_order):
        counts = _sum(inputs.group[reached[:, index]], inputs.n_groups)
        for pair in range(inputs.n_groups):
            result[pair][str(stage)] = {"reached": int(counts[pair]), "days": float(days_in[pair, index]),
                                        "spells": int(spells[pair, index])}
    through = _sum(inputs.group[everything], inputs.n_groups)
    total = _sum(inputs.group, inputs.n_groups)
    for pair in range(inputs.n_groups):
        result[pair]["through_all"] = int(through[pair])
        result[pair]["customers"] = int(total[pair])
    return result


def score_figures(group: np.ndarray, n_groups: int, *, segment: np.ndarray, previous: np.ndarray,
                  revenue: np.ndarray, rfm_r: np.ndarray, rfm_f: np.ndarray, clv: np.ndarray,
                  churn: np.ndarray, clv_edges: np.ndarray) -> list[dict[str, Any]]:
    """Per pair: RFM segment counts and revenue, the r x f grid, movements, CLV histogram, risk counts."""
    result: list[dict[str, Any]] = [{"segments": {}, "grid": {}, "moves": {}, "clv": [0] * CLV_BINS,
                                     "clv_sum": 0.0, "clv_n": 0, "at_risk": 0, "scored": 0}
                                    for _ in range(n_groups)]
    for index in np.flatnonzero(segment != ""):
        pair = result[group[index]]
        name = str(segment[index])
        entry = pair["segments"].setdefault(name, {"count": 0, "revenue": 0.0})
        entry["count"] += 1
        entry["revenue"] += float(revenue[index])
        cell = f"{int(rfm_r[index])},{int(rfm_f[index])}"
        pair["grid"][cell] = pair["grid"].get(cell, 0) + 1
        move = f"{previous[index] or '-'}>{name}"
        pair["moves"][move] = pair["moves"].get(move, 0) + 1
        pair["scored"] += 1
    valid = ~np.isnan(clv)
    if valid.any() and clv_edges.size:
        bins = np.clip(np.searchsorted(clv_edges, clv[valid], side="right") - 1, 0, CLV_BINS - 1)
        np.add.at(counts := np.zeros((n_groups, CLV_BINS), dtype=np.int64), (group[valid], bins), 1)
        sums = _sum(group[valid], n_groups, clv[valid])
        ns = _sum(group[valid], n_groups)
        for pair in range(n_groups):
            result[pair]["clv"] = [int(v) for v in counts[pair]]
            result[pair]["clv_sum"] = round(float(sums[pair]), 2)
            result[pair]["clv_n"] = int(ns[pair])
    risky = ~np.isnan(churn) & (churn >= 0.5)
    risk_counts = _sum(group[risky], n_groups)
    for pair in range(n_groups):
        result[pair]["at_risk"] = int(risk_counts[pair])
    return result


def add(into: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Add `other` into `into` in place, key by key, recursing into dicts and lists of numbers."""
    for key, value in other.items():
        if isinstance(value, dict):
            add(into.setdefault(key, {}), value)
        elif isinstance(value, list):
            current = into.get(key) or []
            width = max(len(current), len(value))
            current = [*current, *([0] * (width - len(current)))]
            into[key] = [a + b for a, b in zip(current, [*value, *([0] * (width - len(value)))], strict=True)]
        else:
            into[key] = into.get(key, 0) + value
    return into


def total(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    combined: dict[str, Any] = {}
    for row in rows:
        add(combined, row)
    return combined
