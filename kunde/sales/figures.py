"""Sales figures: pipeline value and weighted forecast, win rate, lead conversion, time to close,
time per stage and lost reasons, all through the user's scope and the dashboard's filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, CharField, Count, DecimalField, ExpressionWrapper, F, QuerySet, Sum
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from kunde.accounts.models import User
from kunde.sales.models import Deal, DealStatus, LeadStatus, StageVisit
from kunde.sales.selectors import deal_queryset, lead_queryset

ZERO = Decimal("0")
WEIGHTED = ExpressionWrapper(F("amount_eur") * F("probability") / 100,
                             output_field=DecimalField(max_digits=20, decimal_places=4))


@dataclass
class Period:
    start: dt.date
    end: dt.date  # exclusive
    owner: int | None = None
    team: int | None = None
    pipeline: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any], today: dt.date | None = None) -> Period:
        """?period=quarter|month|year|last12 (default: this quarter), ?owner=, ?team=, ?pipeline=."""
        today = today or timezone.localdate()
        kind = params.get("period") or "quarter"
        if kind == "month":
            start = today.replace(day=1)
            end = (start + dt.timedelta(days=32)).replace(day=1)
        elif kind == "year":
            start, end = today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1)
        elif kind == "last12":
            end = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
            start = end.replace(year=end.year - 1)
        else:
            first_month = (today.month - 1) // 3 * 3 + 1
            start = today.replace(month=first_month, day=1)
            end = (start + dt.timedelta(days=95)).replace(day=1)

        def number(name: str) -> int | None:
            value = str(params.get(name) or "")
            return int(value) if value.isdigit() else None

        return cls(start=start, end=end, owner=number("owner"), team=number("team"), pipeline=number("pipeline"))

    @property
    def start_dt(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def end_dt(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.end, dt.time.min))


def _deals(user: User, period: Period) -> QuerySet[Deal]:
    deals = deal_queryset(user)
    if period.owner:
        deals = deals.filter(owner_id=period.owner)
    if period.team:
        deals = deals.filter(team_id=period.team)
    if period.pipeline:
        deals = deals.filter(pipeline_id=period.pipeline)
    return deals


@dataclass
class Row:
    label: str
    value: Decimal = ZERO
    weighted: Decimal = ZERO
    count: int = 0


@dataclass
class Figures:
    period: Period
    open_value: Decimal = ZERO
    open_weighted: Decimal = ZERO
    open_count: int = 0
    forecast_by_month: list[Row] = field(default_factory=list)
    by_owner: list[Row] = field(default_factory=list)
    by_pipeline: list[Row] = field(default_factory=list)
    won_count: int = 0
    won_value: Decimal = ZERO
    lost_count: int = 0
    lost_value: Decimal = ZERO
    leads: int = 0
    leads_converted: int = 0
    days_to_close: float | None = None
    stage_days: list[Row] = field(default_factory=list)
    lost_reasons: list[Row] = field(default_factory=list)

    @property
    def win_rate(self) -> float | None:
        closed = self.won_count + self.lost_count
        return None if closed == 0 else 100 * self.won_count / closed

    @property
    def conversion_rate(self) -> float | None:
        return None if self.leads == 0 else 100 * self.leads_converted / self.leads


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def sales_figures(user: User, period: Period) -> Figures:
    """Every figure of the dashboard for `period` and what `user` may see."""
    from kunde.accounts.models import User as UserModel
    from kunde.sales.models import LostReason, Pipeline, Stage

    deals = _deals(user, period)
    figures = Figures(period=period)
    open_deals = deals.filter(status=DealStatus.OPEN)
    totals = open_deals.aggregate(value=Sum("amount_eur"), weighted=Sum(WEIGHTED), n=Count("id"))
    figures.open_value, figures.open_weighted, figures.open_count = (
        _money(totals["value"]), _money(totals["weighted"]), totals["n"])

    # Forecast: open deals expected to close in the period, by month.
    months = (
        open_deals.filter(expected_close_date__gte=period.start, expected_close_date__lt=period.end)
        # "YYYY-MM" by string, not a per-row date function (SQLite runs those in Python).
        .annotate(month=Substr(Cast("expected_close_date", CharField()), 1, 7)).values("month")
        .annotate(value=Sum("amount_eur"), weighted=Sum(WEIGHTED), n=Count("id")).order_by("month")
    )
    figures.forecast_by_month = [
        Row(label=row["month"], value=_money(row["value"]), weighted=_money(row["weighted"]),
            count=row["n"]) for row in months
    ]
    owners = list(open_deals.values("owner_id").annotate(value=Sum("amount_eur"), weighted=Sum(WEIGHTED),
                                                         n=Count("id")).order_by("-weighted")[:15])
    names = {u.pk: str(u.get_full_name() or u.username) for u in UserModel.objects.filter(
        pk__in=[row["owner_id"] for row in owners if row["owner_id"]])}
    figures.by_owner = [Row(label=names.get(row["owner_id"], "—"), value=_money(row["value"]),
                            weighted=_money(row["weighted"]), count=row["n"]) for row in owners]
    pipelines = {p.pk: str(p) for p in Pipeline.objects.all()}
    figures.by_pipeline = [
        Row(label=pipelines.get(row["pipeline_id"], "?"), value=_money(row["value"]), weighted=_money(row["weighted"]),
            count=row["n"])
        for row in open_deals.values("pipeline_id").annotate(value=Sum("amount_eur"), weighted=Sum(WEIGHTED),
                                                             n=Count("id")).order_by("-weighted")
    ]

    won = deals.filter(status=DealStatus.WON, won_at__gte=period.start_dt, won_at__lt=period.end_dt)
    lost = deals.filter(status=DealStatus.LOST, lost_at__gte=period.start_dt, lost_at__lt=period.end_dt)
    won_totals = won.aggregate(value=Sum("amount_eur"), n=Count("id"))
    lost_totals = lost.aggregate(value=Sum("amount_eur"), n=Count("id"))
    figures.won_count, figures.won_value = won_totals["n"], _money(won_totals["value"])
    figures.lost_count, figures.lost_value = lost_totals["n"], _money(lost_totals["value"])

    durations = [(won_at - created).total_seconds() for created, won_at in
                 won.values_list("created_at", "won_at").iterator(chunk_size=2000) if won_at is not None]
    figures.days_to_close = sum(durations) / len(durations) / 86400 if durations else None

    reasons = {r.pk: str(r) for r in LostReason.objects.all()}
    figures.lost_reasons = [
        Row(label=reasons.get(row["lost_reason_id"], "—"), value=_money(row["value"]), count=row["n"])
        for row in lost.values("lost_reason_id").annotate(value=Sum("amount_eur"), n=Count("id")).order_by("-n")
    ]

    visits = StageVisit.objects.filter(left_at__gte=period.start_dt, left_at__lt=period.end_dt,
                                       deal__in=deals.values("pk"))
    stages = {s.pk: s for s in Stage.objects.select_related("pipeline")}
    stage_rows = visits.values("stage_id").annotate(seconds=Avg("seconds"), n=Count("id"))
    ordered = sorted(stage_rows, key=lambda row: (stages[row["stage_id"]].pipeline_id, stages[row["stage_id"]].position)
                     if row["stage_id"] in stages else (0, 0))
    figures.stage_days = [
        Row(label=str(stages[row["stage_id"]]) if row["stage_id"] in stages else "?",
            value=Decimal(row["seconds"] or 0) / Decimal(86400), count=row["n"])
        for row in ordered
    ]

    leads = lead_queryset(user).filter(created_at__gte=period.start_dt, created_at__lt=period.end_dt)
    if period.owner:
        leads = leads.filter(owner_id=period.owner)
    if period.team:
        leads = leads.filter(team_id=period.team)
    lead_totals = leads.aggregate(n=Count("id"))
    figures.leads = lead_totals["n"]
    figures.leads_converted = leads.filter(status=LeadStatus.CONVERTED).count()
    return figures


def bars(rows: list[Row], *, attr: str = "value", second: str | None = None, width: int = 600,
         row_height: int = 26, label_width: int = 170) -> dict[str, Any]:
    """Geometry of a horizontal bar chart (SVG in the template): one bar per row, optional second bar."""
    values = [float(getattr(row, attr)) for row in rows]
    if second:
        values += [float(getattr(row, second)) for row in rows]
    top = max(values, default=0) or 1
    plot = width - label_width - 90
    items = []
    for index, row in enumerate(rows):
        y = index * row_height
        value = float(getattr(row, attr))
        item = {"row": row, "y": y, "text_y": y + row_height / 2, "w": round(plot * value / top, 1),
                "value": getattr(row, attr)}
        if second:
            other = float(getattr(row, second))
            item["w2"] = round(plot * other / top, 1)
            item["value2"] = getattr(row, second)
        item["end_x"] = label_width + max(item["w"], item.get("w2", 0)) + 6
        items.append(item)
    return {"items": items, "width": width, "height": max(len(rows), 1) * row_height, "x": label_width,
            "bar_h": row_height - 8 if not second else (row_height - 8) / 2, "second": bool(second)}
