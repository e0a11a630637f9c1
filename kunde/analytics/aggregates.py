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
    purchase_days_cache: tuple[np.ndarray, np.ndarray] | None = None


def _sum(group: np.ndarray, n_groups: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(group, weights=weights, minlength=n_groups)


def purchase_days(inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """First and second purchase day per customer (a large number when there is none).

    A purchase is an order with a positive amount; returns (negative) and zero orders change
    revenue but are no purchase occasion.
    """
    if inputs.purchase_days_cache is not None:
        return inputs.purchase_days_cache
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
    inputs.purchase_days_cache = (first, second)
    return first, second


class _Running:
    """Per pair, the running total of a dated quantity, so any period's sum is two lookups.

    One bincount over (pair, day) replaces a pass over all rows per period; days before
    `first_day` fall into its bucket (they only matter for totals "up to"), later ones than
    `last_day` are dropped.
    """

    def __init__(self, group: np.ndarray, day: np.ndarray, weights: np.ndarray | None, n_groups: int,
                 first_day: int, last_day: int) -> None:
        self.first_day, width = first_day, last_day - first_day + 1
        keep = day <= last_day
        index = group[keep] * width + (np.maximum(day[keep], first_day) - first_day)
        counts = np.bincount(index, weights=None if weights is None else weights[keep].astype(np.float64),
                             minlength=n_groups * width)
        self.totals = np.cumsum(counts.reshape(n_groups, width), axis=1)

    def upto(self, day: int) -> np.ndarray:
        return self.totals[:, day - self.first_day]

    def between(self, start: int, end: int) -> np.ndarray:
        return self.upto(end) - self.upto(start)


def last_purchase_before(inputs: Inputs, boundaries: list[int]) -> np.ndarray:
    """[customer, boundary]: the customer's last purchase day on or before each boundary (-inf: none).

    From purchases sorted by (customer, day), the last one of each (customer, boundary
    bucket) is written once, then a running maximum along the boundaries fills the rest.
    """
    lowest = np.iinfo(np.int32).min // 4  # day numbers fit 32 bits: half the memory of this matrix
    result = np.full((inputs.n_customers, len(boundaries)), lowest, dtype=np.int32)
    buying = inputs.order_amount > 0
    customers, days = inputs.order_customer[buying], inputs.order_day[buying]
    if not customers.size:
        return result
    order = np.lexsort((days, customers))
    customers, days = customers[order], days[order]
    bucket = np.searchsorted(np.asarray(boundaries), days, side="left")  # first boundary on or after the day
    inside = bucket < len(boundaries)
    customers, days, bucket = customers[inside], days[inside], bucket[inside]
    last_of_bucket = np.r_[(customers[1:] != customers[:-1]) | (bucket[1:] != bucket[:-1]), True]
    result[customers[last_of_bucket], bucket[last_of_bucket]] = days[last_of_bucket]
    return np.maximum.accumulate(result, axis=1)


def kpi_components(inputs: Inputs, today: dt.date, inactivity_days: int) -> list[dict[str, dict[str, float]]]:
    """Per pair: {period key: {component: value}} for every period of `periods(today)`."""
    g, groups = inputs.group, inputs.n_groups
    all_periods = periods(today)
    first_day = min(p.start for p in all_periods)
    last_day = max(p.end for p in all_periods)
    first, second = purchase_days(inputs)
    boundaries = sorted({p.start for p in all_periods} | {p.end for p in all_periods})
    column_of = {day: index for index, day in enumerate(boundaries)}
    last_before = last_purchase_before(inputs, boundaries)
    buying = inputs.order_amount > 0

    def running(owner_group: np.ndarray, day: np.ndarray, weights: np.ndarray | None = None) -> _Running:
        return _Running(owner_group, day, weights, groups, first_day, last_day)

    has_first = first < np.iinfo(np.int64).max // 4
    has_second = second < np.iinfo(np.int64).max // 4
    order_group = g[inputs.order_customer]
    contact_group = g[inputs.contact_customer]
    mood = inputs.contact_mood > 0
    rated = inputs.csat_day >= 0
    ticket_group = g[inputs.ticket_customer]
    nps_group = g[inputs.nps_customer]
    sums = {
        "customers": running(g[has_first], first[has_first]),
        "repeaters": running(g[has_second], second[has_second]),
        "revenue_to_date": running(order_group, inputs.order_day, inputs.order_amount),
        "orders": running(order_group[buying], inputs.order_day[buying]),
        "revenue": running(order_group, inputs.order_day, inputs.order_amount),
        "discounts": running(order_group, inputs.order_day, inputs.order_discount),
        "contacts": running(contact_group, inputs.contact_day),
        "contact_minutes": running(contact_group, inputs.contact_day, inputs.contact_minutes),
        "mood_sum": running(contact_group[mood], inputs.contact_day[mood], inputs.contact_mood[mood]),
        "mood_n": running(contact_group[mood], inputs.contact_day[mood]),
        "csat_sum": running(ticket_group[rated], inputs.csat_day[rated], inputs.csat_score[rated]),
        "csat_n": running(ticket_group[rated], inputs.csat_day[rated]),
        "csat_satisfied": running(ticket_group[rated & (inputs.csat_score >= 4)],
                                  inputs.csat_day[rated & (inputs.csat_score >= 4)]),
        "nps_n": running(nps_group, inputs.nps_day),
        "nps_promoters": running(nps_group[inputs.nps_score >= 9], inputs.nps_day[inputs.nps_score >= 9]),
        "nps_detractors": running(nps_group[inputs.nps_score <= 6], inputs.nps_day[inputs.nps_score <= 6]),
        "campaign_costs": running(g[inputs.campaign_cost_customer], inputs.campaign_cost_day,
                                  inputs.campaign_cost_amount),
        "other_costs": running(inputs.other_cost_group, inputs.other_cost_day, inputs.other_cost_amount),
    }
    to_date = {"customers", "repeaters", "revenue_to_date"}
    result: list[dict[str, dict[str, float]]] = [{} for _ in range(groups)]
    for period in all_periods:
        start, end = period.start, period.end
        at_start = last_before[:, column_of[start]] > start - inactivity_days
        at_end = last_before[:, column_of[end]] > end - inactivity_days
        columns = {name: (total.upto(end) if name in to_date else total.between(start, end))
                   for name, total in sums.items()}
        columns |= {
            "new": sums["customers"].between(start, end),
            "active_start": _sum(g, groups, at_start.astype(float)),
            "active_end": _sum(g, groups, at_end.astype(float)),
            "retained": _sum(g, groups, (at_start & at_end).astype(float)),
            "buyers": _sum(g, groups, (last_before[:, column_of[end]] > start).astype(float)),
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
    # One (customer, month offset) per customer and month: a packed 1-D key sorts much faster.
    packed = np.unique(customers[keep].astype(np.int64) * 4096 + offset[keep])
    pairs = np.stack([packed // 4096, packed % 4096]) if packed.size else np.zeros((2, 0), np.int64)
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
    scored = np.flatnonzero(segment != "")
    if scored.size:
        # Counted per (pair, label) with np.unique and bincount: a Python loop over a million
        # customers took seconds.
        names, name_code = np.unique(segment[scored].astype(str), return_inverse=True)
        earlier = np.where(previous[scored] == "", "-", previous[scored]).astype(str)
        before_names, before_code = np.unique(earlier, return_inverse=True)
        owners = group[scored]
        segment_counts = np.bincount(owners * len(names) + name_code,
                                     minlength=n_groups * len(names)).reshape(n_groups, -1)
        money = np.bincount(owners * len(names) + name_code, weights=revenue[scored].astype(np.float64),
                            minlength=n_groups * len(names)).reshape(n_groups, -1)
        cells = np.bincount(owners * 36 + rfm_r[scored].astype(np.int64) * 6 + rfm_f[scored].astype(np.int64),
                            minlength=n_groups * 36).reshape(n_groups, 6, 6)
        width = len(names) * len(before_names)
        moves = np.bincount(owners * width + before_code * len(names) + name_code,
                            minlength=n_groups * width).reshape(n_groups, len(before_names), len(names))
        for index in range(n_groups):
            entry = result[index]
            for code in np.flatnonzero(segment_counts[index]):
                entry["segments"][str(names[code])] = {"count": int(segment_counts[index, code]),
                                                       "revenue": float(money[index, code])}
            for r, f in zip(*np.nonzero(cells[index]), strict=True):
                entry["grid"][f"{r},{f}"] = int(cells[index, r, f])
            for before, after in zip(*np.nonzero(moves[index]), strict=True):
                entry["moves"][f"{before_names[before]}>{names[after]}"] = int(moves[index, before, after])
            entry["scored"] = int(segment_counts[index].sum())
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
