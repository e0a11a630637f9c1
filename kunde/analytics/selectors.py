"""Reads of analytics, each scoped to what the user may see.

Per-customer scores are scoped through their customer (`CustomerScore.scope_paths`).
Aggregates are summed over the owner/team pairs the user's role reaches, by the same rule
as records: all pairs, the user's own and their teams', or only their own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from kunde.analytics import aggregates, kpis
from kunde.analytics.models import AnalyticsSettings, CustomerScore, RefreshRun, ScopeAggregate
from kunde.contacts.models import Organisation, Person
from kunde.core.permissions import Action, Scope, scope_for, team_ids

STALE_AFTER = dt.timedelta(hours=26)
# A run still "running" after this lost its worker (the periodic job's stale_after is the same).
RUN_LOST_AFTER = dt.timedelta(hours=3)


def running_refresh() -> RefreshRun | None:
    """The refresh in progress, if any; one older than RUN_LOST_AFTER is lost, not running."""
    return RefreshRun.objects.filter(status=RefreshRun.Status.RUNNING,
                                     started_at__gte=timezone.now() - RUN_LOST_AFTER).first()


def pair_filter(user: Any) -> Q | None:
    """The ScopeAggregate rows `user` may add up; None means all."""
    scope = scope_for(user, Action.VIEW)
    if scope is Scope.ALL:
        return None
    if scope is Scope.NONE:
        return Q(pk__in=[])
    condition = Q(owner_id_at_refresh=user.pk)
    if scope is Scope.TEAM:
        condition |= Q(team_id_at_refresh__in=team_ids(user))
    return condition


def summed(user: Any, name: str, *, owner: int | None = None, team: int | None = None,
           prefix: str = "") -> dict[str, Any]:
    rows = ScopeAggregate.objects.filter(name=f"{prefix}{name}")
    visible = pair_filter(user)
    if visible is not None:
        rows = rows.filter(visible)
    if owner is not None:
        rows = rows.filter(owner_id_at_refresh=owner)
    if team is not None:
        rows = rows.filter(team_id_at_refresh=team)
    return aggregates.total(rows.values_list("data", flat=True))


def latest_run() -> RefreshRun | None:
    return RefreshRun.objects.filter(status=RefreshRun.Status.DONE).order_by("-finished_at", "-id").first()


def freshness() -> dict[str, Any]:
    run = latest_run()
    pending = running_refresh() is not None
    computed = run.finished_at if run else None
    return {"run": run, "computed_at": computed, "running": pending,
            "stale": computed is None or timezone.now() - computed > STALE_AFTER}


def period_keys(kind: str, today: dt.date | None = None) -> list[str]:
    return [p.key for p in aggregates.periods(today or timezone.localdate()) if p.kind == kind]


def visible_segment(user: Any, segment_id: int | None) -> Any:
    """The marketing segment `user` may use as a dashboard filter, or None."""
    if segment_id is None:
        return None
    from kunde.audience.models import Segment

    return Segment.objects.for_user(user).filter(pk=segment_id).first()


def dashboard(user: Any, *, kind: str = "month", period: str | None = None, owner: int | None = None,
              team: int | None = None, segment: Any = None) -> dict[str, Any]:
    """KPI tiles with trends, and the data of every chart, for what `user` may see (of `segment`)."""
    if kind not in aggregates.PERIOD_KINDS:
        kind = "month"
    run = latest_run()
    as_of = dt.date.fromisoformat(run.diagnostics["as_of"]) if run and run.diagnostics.get("as_of") else None
    keys = period_keys(kind, as_of)
    key = f"{kind}:{period}" if period and f"{kind}:{period}" in keys else keys[-1]
    scope: dict[str, Any] = {"owner": owner, "team": team, "prefix": ""}
    segment_pending = False
    if segment is not None and run is not None:
        from kunde.analytics import segment_figures

        segment_pending = not segment_figures.request(segment)
        scope["prefix"] = segment_figures.prefix(segment)
    kpi_data = summed(user, "kpi", **scope)
    settings = AnalyticsSettings.load()
    context = {"hourly_rate": settings.hourly_rate}
    series_keys = keys[-12:]
    trend = {name: [(k.split(":", 1)[1], kpis.KPI_BY_KEY[name].value(kpi_data.get(k, {}), context)
                     if kpi_data.get(k) else None) for k in series_keys]
             for name in ("nps", "mood", "revenue", "active_customers", "churn_rate", "retention_rate")}
    rows = kpis.values(kpi_data.get(key, {}), kpi_data.get(aggregates.previous_key(key)), context)
    upto = series_keys[: series_keys.index(key) + 1] if key in series_keys else series_keys
    for row in rows:  # the tile's trend: the same KPI over the periods up to the chosen one
        kpi = kpis.KPI_BY_KEY[row["key"]]
        row["series"] = [kpi.value(kpi_data[k], context) if kpi_data.get(k) else None for k in upto]
    if segment is None:  # contract figures are not kept per segment
        rows += _contract_rows(user, kind, key, upto, owner=owner, team=team, as_of=as_of)
    score_data = summed(user, "scores", **scope)
    return {
        "predicted_clv_average": (score_data["clv_sum"] / score_data["clv_n"]) if score_data.get("clv_n") else None,
        "at_risk_count": score_data.get("at_risk"), "clv_horizon_months": settings.clv_horizon_months,
        "kind": kind, "period": key.split(":", 1)[1], "period_key": key, "periods": [k.split(":", 1)[1] for k in keys],
        "kpis": rows,
        "trend": trend,
        "cohorts": summed(user, "cohort", **scope),
        "funnel": summed(user, "funnel", **scope),
        "scores": score_data, "segment": segment, "segment_pending": segment_pending,
        "clv_edges": (run.diagnostics.get("clv_edges") if run else None) or [],
        "freshness": freshness(), "ror_formula": kpis.ROR_FORMULA, "hourly_rate": settings.hourly_rate,
    }


def _contract_rows(user: Any, kind: str, key: str, upto: list[str], *, owner: int | None, team: int | None,
                   as_of: dt.date | None) -> list[dict[str, Any]]:
    """The contract KPIs (MRR, ARR, contract and revenue churn) of the period, live from the contracts."""
    from kunde.contracts.selectors import kpi_components_cached

    wanted = {*upto, key, aggregates.previous_key(key)}
    bounds = {p.key: (aggregates.to_date(p.start + 1), aggregates.to_date(p.end))
              for p in aggregates.periods(as_of or timezone.localdate()) if p.kind == kind and p.key in wanted}
    data = kpi_components_cached(user, bounds, owner=owner, team=team)
    rows = kpis.values(data.get(key, {}), data.get(aggregates.previous_key(key)), {}, kpis.CONTRACT_KPIS)
    for row in rows:
        kpi = kpis.KPI_BY_KEY[row["key"]]
        row["series"] = [kpi.value(data[k], {}) if data.get(k) else None for k in upto]
    return rows


def scores_for_user(user: Any) -> QuerySet[CustomerScore]:
    return CustomerScore.objects.for_user(user).select_related("person", "organisation")


def customer_score(user: Any, customer: Person | Organisation) -> CustomerScore | None:
    field = "person" if isinstance(customer, Person) else "organisation"
    return scores_for_user(user).filter(**{field: customer}).first()


def at_risk(user: Any, *, threshold: float = 0.5, mine_only: bool = True) -> QuerySet[CustomerScore]:
    """The worklist of account owners: customers likely slipping away, most valuable first."""
    rows = scores_for_user(user).filter(churn_risk__gte=threshold)
    if mine_only:
        rows = rows.filter(Q(person__owner=user) | Q(organisation__owner=user))
    rows = rows.filter(Q(person__isnull=True) | Q(person__deleted_at__isnull=True)).filter(
        Q(organisation__isnull=True) | Q(organisation__deleted_at__isnull=True))
    return rows.order_by("-predicted_clv", "-revenue", "-churn_risk", "id")
