"""REST API of analytics: KPIs, per-customer scores, model diagnostics, asking for a refresh.

Scores are scoped through their customer; KPIs add up only the owner/team pairs the
caller may see, as on the dashboard.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from kunde.analytics import selectors, services
from kunde.analytics.models import CustomerScore
from kunde.contacts.models import Organisation, Person
from kunde.core.api.auth import actor
from kunde.core.api.errors import AUTH_ERRORS, LIST_ERRORS, READ_ERRORS
from kunde.core.api.idempotency import idempotent
from kunde.core.exceptions import PermissionDenied
from kunde.core.permissions import is_admin

analytics = Router(tags=["analytics"])


class KpiOut(Schema):
    key: str
    label: str
    definition: str = Field(description="One sentence: what the number is.")
    unit: str = Field(description="count, percent (0..1), eur, score or number.")
    value: float | None = Field(description="None: insufficient data for this period.")
    previous: float | None = Field(description="The value of the period before.")
    change: float | None
    series: list[float | None] = Field(description="The KPI over up to 12 periods ending with this one (the trend).")


class KpisOut(Schema):
    kind: str
    period: str
    computed_at: dt.datetime | None
    stale: bool = Field(description="True when the last refresh is more than a day old (or never ran).")
    segment_pending: bool = Field(False, description="The segment's figures are being computed; ask again shortly.")
    kpis: list[KpiOut]


class KpiQuery(Schema):
    kind: str = Field("month", pattern="^(month|quarter|year)$")
    period: str | None = Field(None, description="e.g. 2026-11, 2026-Q4 or 2026; default the current one.")
    owner: int | None = None
    team: int | None = None
    segment: int | None = Field(None, description="A marketing segment you may see: its customers only.")


class ScoreOut(Schema):
    person: int | None = Field(None, alias="person_id")
    organisation: int | None = Field(None, alias="organisation_id")
    first_purchase_on: dt.date | None
    last_purchase_on: dt.date | None
    purchases: int = Field(description="Purchase days (same-day orders count once).")
    revenue: float = Field(description="Net EUR of all orders, returns deducted.")
    recency_days: int | None
    rfm_r: int | None
    rfm_f: int | None
    rfm_m: int | None
    rfm_segment: str
    previous_rfm_segment: str
    probability_alive: float | None
    expected_purchases: float | None = Field(description="Expected purchases in the prediction horizon.")
    next_purchase_probability: float | None
    expected_order_value: float | None
    predicted_clv: float | None
    churn_risk: float | None
    churn_basis: str = Field(description="bgnbd, classifier or inactivity: where the risk comes from.")
    churn_factors: list[list[Any]] = Field(description="[feature, log-odds contribution], strongest first.")
    computed_at: dt.datetime


class ScoreListQuery(Schema):
    rfm_segment: str | None = None
    min_churn_risk: float | None = Field(None, ge=0, le=1)
    after: int = Field(0, ge=0, description="Cursor: the `next` of the previous page.")
    limit: int = Field(100, ge=1, le=500)


class ScorePageOut(Schema):
    items: list[ScoreOut]
    next: int | None = Field(description="Pass as `after` for the next page; None on the last page.")


class RefreshOut(Schema):
    queued: bool = Field(description="False when a refresh is already running.")


@analytics.get("/kpis", response={200: KpisOut, **LIST_ERRORS})
def kpis(request: HttpRequest, query: Query[KpiQuery]) -> dict[str, Any]:
    """Every KPI of one period with the previous period's value, over the customers you may see."""
    user = actor(request)
    segment = selectors.visible_segment(user, query.segment)
    if query.segment is not None and segment is None:
        raise Http404("No such segment.")
    dash = selectors.dashboard(user, kind=query.kind, period=query.period, owner=query.owner, team=query.team,
                               segment=segment)
    fresh = dash["freshness"]
    return {"kind": dash["kind"], "period": dash["period"], "computed_at": fresh["computed_at"],
            "stale": fresh["stale"], "segment_pending": dash["segment_pending"],
            "kpis": [{**row, "label": str(row["label"]), "definition": str(row["definition"])}
                     for row in dash["kpis"]]}


@analytics.get("/scores", response={200: ScorePageOut, **LIST_ERRORS})
def scores(request: HttpRequest, query: Query[ScoreListQuery]) -> dict[str, Any]:
    """The scores of the customers you may see, by id; filter by segment or minimum churn risk."""
    rows = selectors.scores_for_user(actor(request)).filter(pk__gt=query.after).order_by("pk")
    if query.rfm_segment:
        rows = rows.filter(rfm_segment=query.rfm_segment)
    if query.min_churn_risk is not None:
        rows = rows.filter(churn_risk__gte=query.min_churn_risk)
    page = list(rows[: query.limit + 1])
    more = len(page) > query.limit
    page = page[: query.limit]
    return {"items": page, "next": page[-1].pk if more else None}


def _score(request: HttpRequest, customer: Person | Organisation | None) -> CustomerScore:
    score = selectors.customer_score(actor(request), customer) if customer is not None else None
    if score is None:
        raise Http404("No scores for this customer (unknown, not visible, or no purchase yet).")
    return score


@analytics.get("/people/{int:person_id}/scores", response={200: ScoreOut, **READ_ERRORS})
def person_scores(request: HttpRequest, person_id: int) -> CustomerScore:
    """One person's scores as of the last refresh."""
    return _score(request, Person.objects.filter(pk=person_id).first())


@analytics.get("/organisations/{int:organisation_id}/scores", response={200: ScoreOut, **READ_ERRORS})
def organisation_scores(request: HttpRequest, organisation_id: int) -> CustomerScore:
    """One organisation's scores as of the last refresh."""
    return _score(request, Organisation.objects.filter(pk=organisation_id).first())


@analytics.get("/models", response={200: dict[str, Any], **AUTH_ERRORS})
def models(request: HttpRequest) -> dict[str, Any]:
    """The last refresh's model diagnostics: parameters, holdout check, churn AUC, missing data."""
    actor(request)
    run = selectors.latest_run()
    if run is None:
        return {"computed_at": None, "diagnostics": {}}
    return {"computed_at": run.finished_at, "seconds": run.seconds, "customers": run.customers,
            "diagnostics": run.diagnostics}


@analytics.post("/refresh", response={202: RefreshOut, **AUTH_ERRORS})
@idempotent
def refresh(request: HttpRequest) -> Status:
    """Queue a refresh of every score and KPI (administrators)."""
    user = actor(request)
    if not is_admin(user):
        raise PermissionDenied("only administrators may start a refresh")
    return Status(202, {"queued": services.refresh_request(actor=user)})


routers: list[tuple[str, Router]] = [("/analytics", analytics)]
