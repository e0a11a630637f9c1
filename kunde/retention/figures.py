"""A plan's effect figures, computed in the worker from the analytics refresh's inputs and stored.

The same additive KPI components as the analytics dashboard (`aggregates.kpi_components`),
for three cohorts of customers: the plan's members (its segment's people and the
organisations they currently work for, minus the hold-out group), the hold-out group and
everyone else. Like the dashboard they stay split by owner/team pair, so a reader sees only
the customers their role reaches. The plan page and the API read these rows only.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from kunde.analytics import aggregates
from kunde.retention import holdout
from kunde.retention.models import Cohort, PlanFigureRow, PlanFigures, PlanStatus, RetentionPlan

logger = logging.getLogger(__name__)

COHORTS = (Cohort.MEMBERS, Cohort.HOLDOUT, Cohort.REST)
MONTHS = 12


def _latest_run() -> Any:
    from kunde.analytics.selectors import latest_run

    return latest_run()


def ready(plan: RetentionPlan) -> bool:
    """Whether the stored figures belong to the latest refresh and the plan as it is now."""
    run = _latest_run()
    stored = PlanFigures.objects.filter(plan=plan).first()
    return (run is not None and stored is not None and stored.refresh_run_id == run.pk
            and stored.plan_version == plan.version)


def request(plan: RetentionPlan) -> bool:
    """True when the figures are current; otherwise queue their computation and say False."""
    if ready(plan) or _latest_run() is None:
        return ready(plan)
    from kunde.retention.tasks import compute_plan_figures

    compute_plan_figures.enqueue(plan_id=plan.pk)
    return ready(plan)  # an immediate task backend (tests, development) has them already


def member_keys(plan: RetentionPlan) -> tuple[np.ndarray, np.ndarray]:
    """The plan's people ids and the ids of the organisations they currently work for."""
    from kunde.audience.segments import segment_people
    from kunde.contacts.models import Employment

    people = segment_people(plan.segment)
    person_ids = np.fromiter(people.values_list("pk", flat=True), dtype=np.int64)
    employers = Employment.objects.current().filter(person__in=people, organisation__deleted_at__isnull=True)
    organisation_ids = np.unique(np.fromiter(employers.values_list("organisation_id", flat=True), dtype=np.int64))
    return person_ids, organisation_ids


def cohort_of(plan: RetentionPlan, keys: np.ndarray, person_ids: np.ndarray, organisation_ids: np.ndarray
              ) -> np.ndarray:
    """Per analytics customer key (person id, or -organisation id): 0 members, 1 hold-out, 2 rest."""
    is_person = keys > 0
    inside = np.where(is_person, np.isin(keys, person_ids), np.isin(-keys, organisation_ids))
    held = np.zeros(keys.shape, dtype=bool)
    if plan.holdout_percent:
        limit = holdout.threshold(plan.holdout_percent)
        person_bucket = holdout.buckets_array(plan.pk, np.abs(keys))
        organisation_bucket = holdout.buckets_array(plan.pk, np.abs(keys), organisation=True)
        held = inside & (np.where(is_person, person_bucket, organisation_bucket) < limit)
    return np.where(held, 1, np.where(inside, 0, 2)).astype(np.int64)


def compute(plan: RetentionPlan) -> PlanFigures | None:
    """Compute and store the plan's figures as of the latest refresh (None: no refresh yet)."""
    from kunde.analytics import refresh
    from kunde.analytics.models import AnalyticsSettings, CustomerScore

    run = _latest_run()
    if run is None:
        return None
    started = time.perf_counter()
    as_of = dt.date.fromisoformat(run.diagnostics["as_of"]) if run.diagnostics.get("as_of") else timezone.localdate()
    version = plan.version
    person_ids, organisation_ids = member_keys(plan)
    data = refresh.load(as_of)
    keys = data.customers.get_column("key").to_numpy().astype(np.int64)
    cohort = cohort_of(plan, keys, person_ids, organisation_ids)
    inputs = refresh.aggregate_inputs(data)
    pairs = inputs.n_groups
    dropped = len(COHORTS) * pairs  # costs not booked on a customer cannot be split by cohort
    inputs.group = cohort * pairs + inputs.group
    inputs.n_groups = dropped + 1
    inputs.other_cost_group = np.full(inputs.other_cost_group.shape, dropped)
    components = aggregates.kpi_components(inputs, as_of, AnalyticsSettings.load().inactivity_days)
    months = [period.key for period in aggregates.periods(as_of) if period.kind == "month"][-MONTHS:]
    clv_sum, clv_n = _clv_by_group(CustomerScore, keys, inputs.group, inputs.n_groups)
    customers = np.bincount(inputs.group, minlength=inputs.n_groups)
    rows = []
    for index, cohort_name in enumerate(COHORTS):
        for pair, (owner, team) in enumerate(data.pairs):
            group = index * pairs + pair
            if not customers[group]:
                continue
            rows.append(PlanFigureRow(plan=plan, cohort=cohort_name, owner_id_at_refresh=owner,
                                      team_id_at_refresh=team, data={
                                          "kpi": {key.split(":", 1)[1]: components[group][key] for key in months},
                                          "clv_sum": round(float(clv_sum[group]), 2), "clv_n": int(clv_n[group]),
                                          "customers": int(customers[group])}))
    counts = np.bincount(cohort, minlength=3)
    with transaction.atomic():
        PlanFigureRow.objects.filter(plan=plan).delete()
        PlanFigureRow.objects.bulk_create(rows, batch_size=500)
        figures, _created = PlanFigures.objects.update_or_create(plan=plan, defaults={
            "refresh_run_id": run.pk, "plan_version": version, "as_of": as_of, "computed_at": timezone.now(),
            "members": int(counts[0]), "holdout": int(counts[1]),
            "seconds": round(time.perf_counter() - started, 2)})
    from kunde.core.events import emit_on_commit
    from kunde.retention.services import RetentionEvent

    emit_on_commit(RetentionEvent.FIGURES_COMPUTED, id=plan.pk)
    return figures


def _clv_by_group(score_model: Any, keys: np.ndarray, group: np.ndarray, n_groups: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Sum and count of predicted CLV per group, from the scores of the last refresh."""
    rows = np.array([(person if person is not None else -organisation, clv) for person, organisation, clv in
                     score_model.objects.filter(predicted_clv__isnull=False)
                     .values_list("person_id", "organisation_id", "predicted_clv").iterator(chunk_size=20_000)],
                    dtype=np.float64).reshape(-1, 2)
    if not rows.size:
        return np.zeros(n_groups), np.zeros(n_groups)
    score_keys = rows[:, 0].astype(np.int64)
    position = np.searchsorted(keys, score_keys)  # keys are sorted (the refresh sorts customers by key)
    position = np.clip(position, 0, len(keys) - 1)
    known = keys[position] == score_keys if len(keys) else np.zeros(score_keys.shape, dtype=bool)
    sums = np.bincount(group[position[known]], weights=rows[known, 1], minlength=n_groups)
    counts = np.bincount(group[position[known]], minlength=n_groups).astype(np.float64)
    return sums, counts


def compute_due(*, limit: int | None = None) -> list[int]:
    """Compute the figures of every active plan whose stored ones are older than the latest refresh."""
    if _latest_run() is None:
        return []
    done: list[int] = []
    plans = RetentionPlan.objects.filter(status=PlanStatus.ACTIVE).select_related("segment").order_by("pk")
    for plan in plans:
        if limit is not None and len(done) >= limit:
            break
        if not ready(plan):
            try:
                compute(plan)
            except Exception:  # one broken segment must not keep the other plans' figures old
                logger.exception("retention figures of plan %s failed", plan.pk)
                continue
            done.append(plan.pk)
    return done
