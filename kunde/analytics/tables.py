"""The data behind each dashboard chart as a table: the chart draws it, the export downloads it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kunde.analytics import rfm


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]


def kpi_table(dash: dict[str, Any]) -> Table:
    return Table(_("KPIs"), [_("KPI"), _("Period"), _("Value"), _("Previous period"), _("Definition")],
                 [[str(k["label"]), dash["period"], k["value"], k["previous"], str(k["definition"])]
                  for k in dash["kpis"]])


def trend_table(dash: dict[str, Any]) -> Table:
    names = list(dash["trend"])
    periods = [label for label, _value in next(iter(dash["trend"].values()), [])]
    rows = [[period, *[dash["trend"][name][index][1] for name in names]] for index, period in enumerate(periods)]
    return Table(_("Trends"), [_("Period"), *names], rows)


def cohort_table(dash: dict[str, Any]) -> Table:
    cohorts = dash["cohorts"]
    width = max((len(values) for values in cohorts.values()), default=1)
    columns = [_("First purchase"), _("Customers"), *[_("Month %(n)s") % {"n": n} for n in range(1, width)]]
    rows = []
    for month in sorted(cohorts):
        size, *later = cohorts[month]
        shares = [round(count / size, 4) if size else None for count in later]
        # Later cohorts have had fewer months: the triangle's empty cells stay empty.
        rows.append([month, size, *shares, *([None] * (width - 1 - len(shares)))])
    return Table(_("Cohort retention"), columns, rows)


def rfm_table(dash: dict[str, Any]) -> Table:
    segments = dash["scores"].get("segments", {})
    customers = sum(entry["count"] for entry in segments.values()) or 1
    revenue = sum(entry["revenue"] for entry in segments.values()) or 1.0
    rows = [[str(rfm.segment_label(key, key)), entry["count"], round(entry["count"] / customers, 4),
             round(entry["revenue"], 2), round(entry["revenue"] / revenue, 4)]
            for key, entry in sorted(segments.items(), key=lambda item: -item[1]["count"])]
    return Table(_("RFM segments"), [_("Segment"), _("Customers"), _("Share of customers"), _("Revenue"),
                                     _("Share of revenue")], rows)


def rfm_grid(dash: dict[str, Any]) -> Table:
    grid = dash["scores"].get("grid", {})
    rows = [[f"R{r}", *[grid.get(f"{r},{f}", 0) for f in range(1, 6)]] for r in range(5, 0, -1)]
    return Table(_("RFM grid (recency × frequency)"), [_("Recency"), *[f"F{f}" for f in range(1, 6)]], rows)


def movement_table(dash: dict[str, Any]) -> Table:
    moves = dash["scores"].get("moves", {})
    rows = []
    for key, count in sorted(moves.items(), key=lambda item: -item[1]):
        before, after = key.split(">", 1)
        if before == after:
            continue
        rows.append([str(rfm.segment_label(before, before)) if before != "-" else _("(not scored)"),
                     str(rfm.segment_label(after, after)), count])
    return Table(_("Movement between RFM segments since the last refresh"), [_("From"), _("To"), _("Customers")],
                 rows)


def clv_table(dash: dict[str, Any]) -> Table:
    edges = dash["clv_edges"]
    counts = dash["scores"].get("clv", [])
    rows = []
    for index, count in enumerate(counts):
        low = edges[index] if index < len(edges) else None
        high = edges[index + 1] if index + 1 < len(edges) else None
        label = f"{low:,.0f} €+" if high is None and low is not None else (
            f"{low:,.0f}–{high:,.0f} €" if low is not None else str(index))
        rows.append([label, count])
    return Table(_("Predicted CLV distribution"), [_("Predicted CLV"), _("Customers")], rows)


def funnel_table(dash: dict[str, Any], stages: list[Any]) -> Table:
    funnel = dash["funnel"]
    rows = []
    previous = None
    for stage in stages:
        entry = funnel.get(str(stage.pk), {"reached": 0, "days": 0.0, "spells": 0})
        reached = entry["reached"]
        conversion: float | None = round(reached / previous, 4) if previous else None
        average_days = round(entry["days"] / entry["spells"], 1) if entry["spells"] else None
        rows.append([str(stage), reached, conversion, average_days])
        previous = reached
    return Table(_("Lifecycle funnel"), [_("Stage"), _("Reached"), _("Conversion from previous stage"),
                                         _("Average days in stage")], rows)


def all_tables(dash: dict[str, Any], stages: list[Any]) -> dict[str, Table]:
    return {"kpis": kpi_table(dash), "trends": trend_table(dash), "cohorts": cohort_table(dash),
            "rfm": rfm_table(dash), "rfm_grid": rfm_grid(dash), "movement": movement_table(dash),
            "clv": clv_table(dash), "funnel": funnel_table(dash, stages)}
