"""The analytics refresh: read everything, score every customer, store scores and aggregates.

One run replaces all `CustomerScore` and `ScopeAggregate` rows. A model without enough data
is recorded as "insufficient data (needs …)" in the run's diagnostics and its scores stay
empty; it never stops the rest of the refresh.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from django.db import transaction
from django.utils import timezone

from kunde.analytics import aggregates, clv, extract, rfm
from kunde.analytics import churn as churn_model
from kunde.analytics.models import AnalyticsSettings, RefreshRun, ScopeAggregate
from kunde.analytics.store import replace_scores

logger = logging.getLogger("kunde.analytics")

WEEK = 7.0
WEEKS_PER_MONTH = 365.25 / 12 / 7
# Customers per training cutoff whose features are computed (churn.train subsamples to 200k).
TRAIN_SAMPLE = 250_000
# The classifier's columns, in its order (see churn.FEATURES).
CHURN_FEATURES = list(churn_model.FEATURE_NAMES)


@dataclass
class Data:
    """The extracted inputs, with each row's customer as an index into `customers`."""

    today: int
    customers: pl.DataFrame  # key, owner, team, stage, created, idx, group
    orders: pl.DataFrame  # idx, day, amount, discount
    contacts: pl.DataFrame  # idx, day, mood, minutes
    tickets: pl.DataFrame  # idx, opened, solved, csat, csat_day
    nps: pl.DataFrame  # idx, day, score
    campaign_costs: pl.DataFrame  # idx, day, amount
    other_costs: pl.DataFrame  # group, day, amount
    stage_changes: pl.DataFrame  # idx, day, stage
    pairs: list[tuple[int | None, int | None]]
    stored: pl.DataFrame  # key, churn, segment: the scores of the last refresh
    stage_order: list[int] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.customers.height


# Narrow types for the big event frames: day numbers and indexes fit 32 bits, scores 16, which
# keeps a million customers' ten million orders and contacts well inside the memory budget.
NARROW = {"idx": pl.Int32, "day": pl.Int32, "opened": pl.Int32, "solved": pl.Int32, "csat_day": pl.Int32,
          "minutes": pl.Int32, "mood": pl.Int16, "csat": pl.Int16, "score": pl.Int16}


def _indexed(frame: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """`frame` with its `key` column replaced by the customer index; rows of unknown customers dropped."""
    joined = frame.join(keys, on="key", how="inner").drop("key")
    return joined.cast({name: kind for name, kind in NARROW.items() if name in joined.columns})


def load(today: dt.date) -> Data:
    from kunde.contacts.models import LifecycleStage

    day = aggregates.to_day(today)
    # Biggest first, alternating, so that two parallel readers get about equal shares.
    frames = extract.fetch({
        "orders": extract.orders(day), "contacts": extract.contacts(day), "people": extract.people(),
        "stored": extract.stored_scores(), "organisations": extract.organisations(), "tickets": extract.tickets(),
        "nps": extract.nps_answers(), "campaign_costs": extract.campaign_costs(),
        "other_costs": extract.other_costs(),
    })
    customers = pl.concat([frames["people"], frames["organisations"]]).sort("key").with_row_index(
        "idx").with_columns(pl.col("idx").cast(pl.Int64))
    other = frames["other_costs"]
    pair_frame = pl.concat([customers.select("owner", "team"), other.select("owner", "team")]).unique(
        maintain_order=True).with_row_index("group").with_columns(pl.col("group").cast(pl.Int64))
    customers = customers.join(pair_frame, on=["owner", "team"], how="left", nulls_equal=True).sort("idx")
    keys = customers.select("key", "idx")
    return Data(
        today=day,
        customers=customers,
        # Popped, so that each raw frame is freed as soon as its indexed copy exists.
        orders=_indexed(frames.pop("orders"), keys),
        contacts=_indexed(frames.pop("contacts"), keys),
        tickets=_indexed(frames.pop("tickets"), keys),
        nps=_indexed(frames.pop("nps"), keys),
        campaign_costs=_indexed(frames.pop("campaign_costs"), keys),
        other_costs=other.join(pair_frame, on=["owner", "team"], how="left", nulls_equal=True).select(
            "group", "day", "amount"),
        stage_changes=_indexed(extract.stage_changes(), keys),
        pairs=[(row["owner"], row["team"]) for row in pair_frame.iter_rows(named=True)],
        stored=frames["stored"],
        stage_order=list(LifecycleStage.objects.filter(is_active=True).values_list("id", flat=True)),
    )


def _array(frame: pl.DataFrame, column: str, fill: int | float = 0, dtype: Any = None) -> np.ndarray:
    values = frame.get_column(column).fill_null(fill).to_numpy()
    return values if dtype is None else values.astype(dtype, copy=False)


def aggregate_inputs(data: Data) -> aggregates.Inputs:
    customers = data.customers
    return aggregates.Inputs(
        n_customers=data.n,
        group=_array(customers, "group"),
        n_groups=len(data.pairs),
        stage=_array(customers, "stage", -1),
        order_customer=_array(data.orders, "idx"), order_day=_array(data.orders, "day"),
        order_amount=_array(data.orders, "amount", 0.0, np.float64),
        order_discount=_array(data.orders, "discount", 0.0, np.float64),
        contact_customer=_array(data.contacts, "idx"), contact_day=_array(data.contacts, "day"),
        contact_mood=_array(data.contacts, "mood"), contact_minutes=_array(data.contacts, "minutes"),
        ticket_customer=_array(data.tickets, "idx"), csat_day=_array(data.tickets, "csat_day", -1),
        csat_score=_array(data.tickets, "csat"),
        nps_customer=_array(data.nps, "idx"), nps_day=_array(data.nps, "day"), nps_score=_array(data.nps, "score"),
        campaign_cost_customer=_array(data.campaign_costs, "idx"),
        campaign_cost_day=_array(data.campaign_costs, "day"),
        campaign_cost_amount=_array(data.campaign_costs, "amount", 0.0, np.float64),
        other_cost_group=_array(data.other_costs, "group"), other_cost_day=_array(data.other_costs, "day"),
        other_cost_amount=_array(data.other_costs, "amount", 0.0, np.float64),
        stage_change_customer=_array(data.stage_changes, "idx", -1),
        stage_change_day=_array(data.stage_changes, "day"),
        stage_change_stage=_array(data.stage_changes, "stage", -1),
        stage_order=data.stage_order,
    )


# ---------------------------------------------------------------- per-customer scores

def buyer_summary(data: Data) -> pl.DataFrame:
    """Per customer with a purchase: first/last purchase day, purchases (days), revenue (incl. returns)."""
    purchases = data.orders.filter(pl.col("amount") > 0)
    per_customer = purchases.group_by("idx").agg(
        pl.col("day").min().alias("first"), pl.col("day").max().alias("last"),
        pl.col("day").n_unique().alias("purchases"))
    revenue = data.orders.group_by("idx").agg(pl.col("amount").sum().alias("revenue"))
    return per_customer.join(revenue, on="idx", how="left").sort("idx")


def churn_features(data: Data, cutoff: int, customers: np.ndarray) -> np.ndarray:
    """The classifier's features (CHURN_FEATURES) of `customers` as of day `cutoff`."""
    base = pl.DataFrame({"idx": customers})
    if customers.size < data.n // 2:  # a training sample: aggregate only its customers' rows
        data = dataclasses.replace(data, orders=data.orders.join(base, on="idx", how="semi"),
                                   contacts=data.contacts.join(base, on="idx", how="semi"),
                                   tickets=data.tickets.join(base, on="idx", how="semi"),
                                   nps=data.nps.join(base, on="idx", how="semi"))

    # One lazy pass per source with conditional aggregates: polars fuses filter and group-by,
    # so no filtered copy of the eight million contacts is ever materialised.
    day, mood = pl.col("day"), pl.col("mood")
    purchases = data.orders.lazy().filter((pl.col("amount") > 0) & (day <= cutoff)).group_by("idx").agg(
        (cutoff - day.max()).alias("days_since_last_order"), day.min().alias("first"),
        (day > cutoff - 365).sum().alias("orders_last_365_days"))
    felt = mood.is_not_null() & (mood > 0)
    contacts = data.contacts.lazy().filter(day <= cutoff).group_by("idx").agg(
        (cutoff - day.max()).alias("days_since_last_contact"),
        (day > cutoff - 90).sum().alias("contacts_last_90_days"),
        mood.filter(felt & (day > cutoff - 90)).mean().alias("recent_mood"),
        mood.filter(felt & (day <= cutoff - 90)).mean().alias("earlier_mood"))
    tickets = data.tickets.lazy().filter(
        (pl.col("opened") <= cutoff) & (pl.col("solved").is_null() | (pl.col("solved") > cutoff))).group_by(
        "idx").agg(pl.len().alias("open_tickets"))
    nps = data.nps.lazy().filter(day <= cutoff).sort("day").group_by("idx").agg(
        pl.col("score").last().alias("last_nps"))
    frame = (base.lazy().join(purchases, on="idx", how="left").join(contacts, on="idx", how="left")
             .join(tickets, on="idx", how="left").join(nps, on="idx", how="left")
             .with_columns((pl.col("recent_mood") - pl.col("earlier_mood")).alias("mood_trend"),
                           (cutoff - pl.col("first")).alias("customer_age_days"),
                           pl.col("orders_last_365_days").fill_null(0), pl.col("contacts_last_90_days").fill_null(0),
                           pl.col("open_tickets").fill_null(0))
             .sort("idx").select(CHURN_FEATURES).collect())
    return frame.to_numpy().astype(np.float64)


def _churn(data: Data, horizon: int, diagnostics: dict[str, Any], buyers: np.ndarray) -> tuple[Any, np.ndarray]:
    """Train on two past cutoffs (validated on the later), then explain today's customers."""
    purchases = data.orders.filter(pl.col("amount") > 0)
    rows, labels, times = [], [], []
    for cutoff in (data.today - 2 * horizon, data.today - horizon):
        known = purchases.filter(pl.col("day") <= cutoff).get_column("idx").unique().sort().to_numpy()
        if not known.size:
            continue
        if known.size > TRAIN_SAMPLE:
            # The classifier fits on at most 200k rows anyway; a fixed sample keeps this step flat.
            known = np.sort(np.random.default_rng(cutoff).choice(known, TRAIN_SAMPLE, replace=False))
        later = purchases.filter((pl.col("day") > cutoff) & (pl.col("day") <= cutoff + horizon))
        bought = np.isin(known, later.get_column("idx").unique().to_numpy())
        rows.append(churn_features(data, cutoff, known))
        labels.append((~bought).astype(np.int64))
        times.append(np.full(known.size, cutoff))
    if not rows:
        raise churn_model.InsufficientData("needs purchases before the training cutoffs", needed=1, has=0)
    model = churn_model.train(np.vstack(rows), np.concatenate(labels), CHURN_FEATURES,
                              split_time=np.concatenate(times))
    diagnostics["churn"] = {"auc": model.auc, "n_train": model.n_train, "n_validation": model.n_validation,
                            "base_rate": model.base_rate, "horizon_days": horizon}
    return model, churn_features(data, data.today, buyers)


# A contribution below this (in log-odds) is noise, not a reason worth showing a user.
MIN_FACTOR = 0.1


def top_factors(contributions: np.ndarray, names: list[str], k: int = 3) -> list[str]:
    """Per row, up to `k` features pushing most towards churn, as JSON [[name, log-odds], ...].

    Built column-wise in polars (a Python loop over a million rows would take seconds).
    """
    rows = contributions.shape[0]
    if not contributions.size:
        return ["[]"] * rows
    order = np.argsort(-contributions, axis=1)[:, :k]
    values = np.take_along_axis(contributions, order, axis=1)
    labels = np.array(names, dtype=object)
    frame = pl.DataFrame({**{f"n{j}": labels[order[:, j]].astype(str) for j in range(order.shape[1])},
                          **{f"v{j}": np.round(values[:, j], 3) for j in range(order.shape[1])}})
    parts = [pl.when(pl.col(f"v{j}") >= MIN_FACTOR).then(
        pl.concat_str([pl.lit('["'), pl.col(f"n{j}"), pl.lit('", '), pl.col(f"v{j}").cast(pl.Utf8), pl.lit("]")]))
        for j in range(order.shape[1])]
    joined = frame.select(pl.concat_str(parts, separator=", ", ignore_nulls=True).alias("json"))
    return ("[" + joined.get_column("json").fill_null("") + "]").to_list()


def score_customers(data: Data, settings: AnalyticsSettings, diagnostics: dict[str, Any],
                    timings: dict[str, float]) -> pl.DataFrame:
    """One row per customer with a purchase: every score, NaN where a model had too little data."""
    started = time.perf_counter()
    summary = buyer_summary(data)
    buyers = summary.get_column("idx").to_numpy()
    n = buyers.size
    out: dict[str, Any] = {"idx": buyers}
    recency = (data.today - summary.get_column("last").to_numpy()).astype(np.float64)
    frequency = summary.get_column("purchases").to_numpy().astype(np.float64)
    revenue = summary.get_column("revenue").to_numpy().astype(np.float64)
    out.update(first=summary.get_column("first").to_numpy(), last=summary.get_column("last").to_numpy(),
               purchases=frequency.astype(np.int64), revenue=revenue, recency=recency.astype(np.int64))
    nan = np.full(n, np.nan)
    out.update(rfm_r=np.zeros(n, np.int64), rfm_f=np.zeros(n, np.int64), rfm_m=np.zeros(n, np.int64),
               segment=np.full(n, "", dtype=object))
    if n:
        scores = rfm.score(recency, frequency, revenue)
        out.update(rfm_r=scores.r, rfm_f=scores.f, rfm_m=scores.m, segment=rfm.segment_keys(scores.r, scores.f))
    timings["rfm"] = time.perf_counter() - started
    _peak(diagnostics, "rfm")

    started = time.perf_counter()
    out.update(p_alive=nan.copy(), expected=nan.copy(), next_purchase=nan.copy(), order_value=nan.copy(),
               clv=nan.copy())
    _predict(data, settings, diagnostics, out, buyers)
    timings["clv"] = time.perf_counter() - started
    _peak(diagnostics, "clv")

    started = time.perf_counter()
    # BG/NBD lets a customer drop out only after a repeat purchase, so P(alive) is 1 for every
    # one-time buyer however long ago: their risk comes from the classifier, or else from the
    # inactivity window (recency / window, capped at 1).
    repeat = (frequency > 1) & ~np.isnan(out["p_alive"])
    out["churn"] = np.where(repeat, 1.0 - np.nan_to_num(out["p_alive"]),
                            np.minimum(1.0, recency / max(1, settings.inactivity_days)))
    out["basis"] = np.where(repeat, "bgnbd", "inactivity").astype(object)
    out["factors"] = ["[]"] * n
    try:
        model, features = _churn(data, max(30, settings.prediction_days), diagnostics, buyers)
        probability = model.predict(features)
        out["churn"] = np.where(repeat, out["churn"], probability)
        out["basis"] = np.where(repeat, out["basis"], "classifier").astype(object)
        out["factors"] = top_factors(model.contributions(features), CHURN_FEATURES)
    except churn_model.InsufficientData as exc:
        diagnostics.setdefault("insufficient", {})["churn"] = str(exc)
    timings["churn"] = time.perf_counter() - started
    _peak(diagnostics, "churn")
    out["segment"] = np.asarray(out["segment"]).astype(str)
    out["basis"] = np.asarray(out["basis"]).astype(str)
    return pl.DataFrame(out, strict=False)


def _predict(data: Data, settings: AnalyticsSettings, diagnostics: dict[str, Any], out: dict[str, Any],
             buyers: np.ndarray) -> None:
    """BG/NBD and Gamma-Gamma on purchase days (in weeks): P(alive), expected purchases, CLV."""
    purchases = data.orders.filter(pl.col("amount") > 0)
    position = np.full(data.n, -1, dtype=np.int64)
    position[buyers] = np.arange(buyers.size)
    customer = position[purchases.get_column("idx").to_numpy()]
    days = purchases.get_column("day").to_numpy()
    values = purchases.get_column("amount").to_numpy().astype(np.float64)
    try:
        summary = clv.summarise(customer, days, values, n_customers=buyers.size, observation_end=data.today,
                                unit_days=WEEK)
        bg = clv.fit_bgnbd(summary.frequency, summary.recency, summary.T)
    except clv.InsufficientData as exc:
        diagnostics.setdefault("insufficient", {})["bgnbd"] = str(exc)
        return
    diagnostics["bgnbd"] = {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b,
                            "log_likelihood": bg.log_likelihood, "converged": bg.converged}
    horizon = settings.prediction_days / WEEK
    alive = clv.probability_alive(bg, summary.frequency, summary.recency, summary.T)
    expected = clv.conditional_expected_purchases(bg, horizon, summary.frequency, summary.recency, summary.T)
    out["p_alive"], out["expected"] = alive, expected
    # P(at least one purchase in the horizon) ≈ P(alive) · P(a Poisson purchase | alive), ignoring a
    # drop-out during the horizon (so a slight over-estimate); lambda | history ~ Gamma(r + x, alpha + T).
    stays_silent = ((bg.alpha + summary.T) / (bg.alpha + summary.T + horizon)) ** (bg.r + summary.frequency)
    out["next_purchase"] = alive * (1.0 - stays_silent)
    try:
        gg = clv.fit_gamma_gamma(summary.frequency, summary.monetary)
    except clv.InsufficientData as exc:
        diagnostics.setdefault("insufficient", {})["gamma_gamma"] = str(exc)
    else:
        # The model assumes order value does not depend on how often someone buys; say how true that is.
        independence = clv.frequency_monetary_correlation(summary.frequency, summary.monetary)
        diagnostics["gamma_gamma"] = {"p": gg.p, "q": gg.q, "v": gg.v, "log_likelihood": gg.log_likelihood,
                                      "frequency_value_correlation": independence.correlation,
                                      "independence_doubtful": independence.warn}
        out["order_value"] = clv.expected_average_value(gg, summary.frequency, summary.monetary)
        monthly = (1 + float(settings.annual_discount_rate) / 100) ** (1 / 12) - 1
        out["clv"] = clv.predicted_clv(bg, gg, summary.frequency, summary.recency, summary.T, summary.monetary,
                                       horizon=settings.clv_horizon_months * WEEKS_PER_MONTH,
                                       discount_rate_per_period=monthly, step=WEEKS_PER_MONTH)
    holdout = max(settings.prediction_days, 91)
    try:
        check = clv.calibration_holdout(customer, days, values, n_customers=buyers.size,
                                        calibration_end=data.today - holdout, holdout_end=data.today,
                                        unit_days=WEEK)
        diagnostics["calibration"] = {
            "rows": [{"group": row.label, "customers": row.customers, "actual": row.mean_actual,
                      "predicted": row.mean_predicted} for row in check.rows],
            "customers": check.customers, "total_actual": check.total_actual,
            "total_predicted": check.total_predicted, "holdout_weeks": check.holdout_length}
    except clv.InsufficientData as exc:
        diagnostics.setdefault("insufficient", {})["calibration"] = str(exc)


# ---------------------------------------------------------------- the run

def _clv_edges(values: np.ndarray) -> np.ndarray:
    valid = values[~np.isnan(values)]
    if not valid.size:
        return np.zeros(0)
    top = float(np.quantile(valid, 0.99)) or 1.0
    step = 10 ** max(0, math.floor(math.log10(top / aggregates.CLV_BINS)))
    width = math.ceil(top / aggregates.CLV_BINS / step) * step
    return np.arange(aggregates.CLV_BINS) * float(width)


def store_aggregates(data: Data, scores: pl.DataFrame, settings: AnalyticsSettings,
                     today: dt.date, diagnostics: dict[str, Any]) -> None:
    inputs = aggregate_inputs(data)
    kpis = aggregates.kpi_components(inputs, today, settings.inactivity_days)
    cohorts = aggregates.cohorts(inputs, today)
    funnel = aggregates.funnel(inputs, today)
    idx = scores.get_column("idx").to_numpy() if scores.height else np.zeros(0, np.int64)
    previous = previous_segments(data, idx)
    clv_values = scores.get_column("clv").to_numpy().astype(np.float64) if scores.height else np.zeros(0)
    edges = _clv_edges(clv_values)
    diagnostics["clv_edges"] = [float(edge) for edge in edges]
    figures = aggregates.score_figures(
        inputs.group[idx], inputs.n_groups,
        segment=scores.get_column("segment").to_numpy() if scores.height else np.zeros(0, dtype=object),
        previous=previous, revenue=scores.get_column("revenue").to_numpy() if scores.height else np.zeros(0),
        rfm_r=scores.get_column("rfm_r").to_numpy() if scores.height else np.zeros(0, np.int64),
        rfm_f=scores.get_column("rfm_f").to_numpy() if scores.height else np.zeros(0, np.int64),
        clv=clv_values, churn=scores.get_column("churn").to_numpy().astype(np.float64) if scores.height
        else np.zeros(0), clv_edges=edges)
    rows = []
    for index, (owner, team) in enumerate(data.pairs):
        for name, data_ in (("kpi", kpis[index]), ("cohort", cohorts[index]), ("funnel", funnel[index]),
                            ("scores", figures[index])):
            rows.append(ScopeAggregate(name=name, owner_id_at_refresh=owner, team_id_at_refresh=team, data=data_))
    with transaction.atomic():
        ScopeAggregate.objects.all().delete()
        ScopeAggregate.objects.bulk_create(rows, batch_size=500)


def previous_segments(data: Data, idx: np.ndarray) -> np.ndarray:
    """Each scored customer's RFM segment of the last refresh ('' when it had none)."""
    keys = data.customers.get_column("key").to_numpy()[idx] if idx.size else np.zeros(0, np.int64)
    known = pl.DataFrame({"key": keys}).join(data.stored.select("key", "segment"), on="key", how="left")
    return known.get_column("segment").fill_null("").to_numpy().astype(object)


AT_RISK = 0.5
# A refresh after a big change of data or settings must not flood rules and webhooks.
MAX_RISK_EVENTS = 10_000


def announce_new_risks(data: Data, scores: pl.DataFrame, *, run_id: int) -> int:
    """Emit `analytics.customer_at_risk` for customers whose risk rose across 50 % since the last refresh.

    Only a rise counts: a first refresh (no earlier score) announces nobody, so rules
    ("customer at risk → task for the owner", "→ send the win-back offer") act on change.
    """
    from kunde.core.events import emit_on_commit

    if not data.stored.height or not scores.height:
        return 0
    keys = data.customers.get_column("key").to_numpy()[scores.get_column("idx").to_numpy()]
    now = pl.DataFrame({"key": keys, "risk": scores.get_column("churn").to_numpy().astype(np.float64)})
    rising = now.join(data.stored.select("key", "churn").drop_nulls("churn"), on="key", how="inner").filter(
        (pl.col("churn") < AT_RISK) & (pl.col("risk") >= AT_RISK))
    if rising.height > MAX_RISK_EVENTS:
        logger.warning("%s customers became at risk; announcing the first %s", rising.height, MAX_RISK_EVENTS)
    announced = 0
    for key, risk in rising.head(MAX_RISK_EVENTS).select("key", "risk").iter_rows():
        ids = {"person_id": int(key)} if key > 0 else {"organisation_id": int(-key)}
        emit_on_commit("analytics.customer_at_risk", id=run_id, churn_risk=round(float(risk), 3), **ids)
        announced += 1
    return announced


def run(*, trigger: str = "nightly", actor: Any = None, today: dt.date | None = None,
        progress: Callable[[str], None] | None = None) -> RefreshRun:
    """Refresh every score and aggregate; the run row records the outcome, even a failure."""
    now = timezone.now()
    today = today or timezone.localdate()
    record = RefreshRun.objects.create(started_at=now, trigger=trigger, requested_by=actor if actor else None)
    settings = AnalyticsSettings.load()
    timings: dict[str, float] = {}
    diagnostics: dict[str, Any] = {"timings": timings, "as_of": today.isoformat()}
    started = time.perf_counter()
    try:
        step = time.perf_counter()
        data = load(today)
        timings["extract"] = time.perf_counter() - step
        _peak(diagnostics, "extract")
        scores = score_customers(data, settings, diagnostics, timings)
        step = time.perf_counter()
        store_aggregates(data, scores, settings, today, diagnostics)
        timings["aggregates"] = time.perf_counter() - step
        _peak(diagnostics, "aggregates")
        step = time.perf_counter()
        replace_scores(data.customers, scores, computed_at=now, previous=data.stored)
        timings["write"] = time.perf_counter() - step
        _peak(diagnostics, "write")
        step = time.perf_counter()
        diagnostics["became_at_risk"] = announce_new_risks(data, scores, run_id=record.pk)
        timings["announce"] = time.perf_counter() - step
    except Exception as exc:
        logger.exception("analytics refresh failed")
        RefreshRun.objects.filter(pk=record.pk).update(status=RefreshRun.Status.FAILED, error=str(exc)[:2000],
                                                        finished_at=timezone.now(), diagnostics=diagnostics)
        record.refresh_from_db()
        return record
    record.status = RefreshRun.Status.DONE
    record.finished_at = timezone.now()
    record.seconds = round(time.perf_counter() - started, 2)
    record.customers = scores.height
    record.orders = data.orders.height
    record.diagnostics = _json_safe(diagnostics)
    record.save()
    return record


def _peak(diagnostics: dict[str, Any], phase: str) -> None:
    """The process's peak memory so far (MB), after each phase: where a refresh needs its memory."""
    import resource

    diagnostics.setdefault("peak_rss_mb", {})[phase] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else round(number, 6)
    if isinstance(value, np.integer):
        return int(value)
    return value
