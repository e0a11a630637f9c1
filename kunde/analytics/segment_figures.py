"""Dashboard figures of one marketing segment, computed once per refresh in the worker.

The same additive figures as the refresh stores for everyone (`aggregates`), restricted to
the segment's people and still split by owner/team pair, so a user sees only the pairs
their role reaches — a segment is a filter, never a way around visibility. They are stored
as `ScopeAggregate` rows named `seg<id>:<name>`, which the next refresh deletes with the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from kunde.analytics import aggregates
from kunde.analytics.models import CustomerScore, ScopeAggregate
from kunde.audience.models import Segment

NAMES = ("kpi", "cohort", "funnel", "scores")


def prefix(segment: Segment) -> str:
    return f"seg{segment.pk}:"


def ready(segment: Segment) -> bool:
    return ScopeAggregate.objects.filter(name=f"{prefix(segment)}kpi").exists()


def request(segment: Segment) -> bool:
    """True when the figures are there; otherwise queue their computation and say False.

    Computing them reads every order and contact (seconds and a gigabyte at a million
    customers), which belongs in the worker, not in a web request.
    """
    if ready(segment):
        return True
    from kunde.analytics.tasks import compute_segment_figures

    compute_segment_figures.enqueue(segment_id=segment.pk)
    return ready(segment)  # an immediate task backend (tests, development) has them already


def ensure(segment: Segment, *, today: dt.date | None = None) -> None:
    """Compute and store the segment's figures unless this refresh already has them."""
    if ready(segment):
        return
    from kunde.analytics import refresh
    from kunde.analytics.models import AnalyticsSettings
    from kunde.analytics.selectors import latest_run
    from kunde.audience.segments import segment_people

    run = latest_run()
    if run is None:
        return
    as_of = today or (dt.date.fromisoformat(run.diagnostics["as_of"]) if run.diagnostics.get("as_of")
                      else timezone.localdate())
    members = set(segment_people(segment).values_list("pk", flat=True))
    data = refresh.load(as_of)
    keys = data.customers.get_column("key").to_numpy()
    inside = np.isin(keys, np.fromiter(members, dtype=np.int64, count=len(members)))
    inputs = refresh.aggregate_inputs(data)
    excluded = inputs.n_groups  # one extra pair collects everyone outside the segment, then is dropped
    inputs.group = np.where(inside, inputs.group, excluded)
    inputs.n_groups = excluded + 1
    inputs.other_cost_group = np.full(inputs.other_cost_group.shape, excluded)  # costs are not per person
    settings = AnalyticsSettings.load()
    figures: dict[str, list[Any]] = {
        "kpi": aggregates.kpi_components(inputs, as_of, settings.inactivity_days),
        "cohort": aggregates.cohorts(inputs, as_of),
        "funnel": aggregates.funnel(inputs, as_of),
        "scores": _score_figures(segment, data, inputs, run.diagnostics.get("clv_edges") or []),
    }
    rows = [ScopeAggregate(name=f"{prefix(segment)}{name}", owner_id_at_refresh=owner, team_id_at_refresh=team,
                           data=figures[name][index])
            for name in NAMES for index, (owner, team) in enumerate(data.pairs)]
    with transaction.atomic():
        ScopeAggregate.objects.filter(name__startswith=prefix(segment)).delete()
        ScopeAggregate.objects.bulk_create(rows, batch_size=500)


def _score_figures(segment: Segment, data: Any, inputs: aggregates.Inputs, edges: list[float]) -> list[dict]:
    from kunde.audience.segments import segment_people

    index_of = {int(key): index for index, key in enumerate(data.customers.get_column("key").to_list())}
    rows = list(CustomerScore.objects.filter(person__in=segment_people(segment)).values_list(
        "person_id", "rfm_segment", "previous_rfm_segment", "revenue", "rfm_r", "rfm_f", "predicted_clv",
        "churn_risk"))
    customer = np.array([index_of.get(row[0], -1) for row in rows], dtype=np.int64)
    known = customer >= 0
    group = np.where(known, inputs.group[np.where(known, customer, 0)], inputs.n_groups - 1)

    def column(position: int, dtype: Any, fill: Any) -> np.ndarray:
        return np.array([fill if row[position] is None else row[position] for row in rows], dtype=dtype)

    return aggregates.score_figures(
        group, inputs.n_groups, segment=column(1, object, ""), previous=column(2, object, ""),
        revenue=column(3, np.float64, 0.0), rfm_r=column(4, np.int64, 0), rfm_f=column(5, np.int64, 0),
        clv=column(6, np.float64, np.nan), churn=column(7, np.float64, np.nan),
        clv_edges=np.array(edges, dtype=np.float64))
