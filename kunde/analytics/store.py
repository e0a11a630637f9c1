"""Replace all customer scores at once.

Outside a transaction the new rows go through ADBC into a staging table and replace the old
ones in one transaction of that connection (1M rows in seconds; readers see the old scores
until the commit). Inside a transaction (tests, a caller's atomic block) Django writes them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import polars as pl
from django.db import connection, transaction

from kunde.analytics import extract
from kunde.analytics.aggregates import EPOCH_ORDINAL
from kunde.analytics.models import CustomerScore

STAGING = "analytics_customerscore_staging"
COLUMNS = ["person_id", "organisation_id", "owner_id_at_refresh", "team_id_at_refresh", "first_purchase_on",
           "last_purchase_on", "purchases", "revenue", "recency_days", "rfm_r", "rfm_f", "rfm_m", "rfm_segment",
           "previous_rfm_segment", "probability_alive", "expected_purchases", "next_purchase_probability",
           "expected_order_value", "predicted_clv", "churn_risk", "churn_basis", "churn_factors", "computed_at"]
_TYPES = {"person_id": pl.Int64, "organisation_id": pl.Int64, "owner_id_at_refresh": pl.Int64,
          "team_id_at_refresh": pl.Int64, "purchases": pl.Int64, "revenue": pl.Float64, "recency_days": pl.Int64,
          "rfm_r": pl.Int64, "rfm_f": pl.Int64, "rfm_m": pl.Int64, "probability_alive": pl.Float64,
          "expected_purchases": pl.Float64, "next_purchase_probability": pl.Float64,
          "expected_order_value": pl.Float64, "predicted_clv": pl.Float64, "churn_risk": pl.Float64}
# Typed explicitly: a column that is all null in a small run would otherwise arrive as text.
SCHEMA = {name: _TYPES.get(name, pl.Utf8) for name in COLUMNS}
_CASTS = {
    "postgresql": {"first_purchase_on": "CAST({} AS date)", "last_purchase_on": "CAST({} AS date)",
                   "computed_at": "CAST({} AS timestamptz)", "churn_factors": "CAST({} AS jsonb)"},
    "sqlite": {},
}


def _date_strings(days: np.ndarray) -> list[str]:
    return [dt.date.fromordinal(int(day) + EPOCH_ORDINAL).isoformat() for day in days]


def score_table(customers: pl.DataFrame, scores: pl.DataFrame, *, computed_at: dt.datetime,
                previous: dict[int, str] | None = None) -> pl.DataFrame:
    """The rows to store, one per scored customer, in `COLUMNS` order."""
    if not scores.height:
        return pl.DataFrame(schema=SCHEMA)
    idx = scores.get_column("idx").to_numpy()
    keys = customers.get_column("key").to_numpy()[idx]
    owner = customers.get_column("owner").to_numpy()[idx] if customers.height else []
    team = customers.get_column("team").to_numpy()[idx] if customers.height else []
    previous = previous or {}

    def nullable(name: str) -> list[float | None]:
        values = scores.get_column(name).to_numpy().astype(np.float64)
        return [None if np.isnan(v) else float(v) for v in values]

    def score_int(name: str) -> list[int | None]:
        return [int(v) or None for v in scores.get_column(name).to_numpy()]

    stamp = computed_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return pl.DataFrame({
        "person_id": [int(k) if k > 0 else None for k in keys],
        "organisation_id": [int(-k) if k < 0 else None for k in keys],
        "owner_id_at_refresh": [None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v)
                                for v in owner],
        "team_id_at_refresh": [None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v)
                               for v in team],
        "first_purchase_on": _date_strings(scores.get_column("first").to_numpy()),
        "last_purchase_on": _date_strings(scores.get_column("last").to_numpy()),
        "purchases": scores.get_column("purchases").to_list(),
        "revenue": [round(float(v), 2) for v in scores.get_column("revenue").to_numpy()],
        "recency_days": scores.get_column("recency").to_list(),
        "rfm_r": score_int("rfm_r"), "rfm_f": score_int("rfm_f"), "rfm_m": score_int("rfm_m"),
        "rfm_segment": [str(v) for v in scores.get_column("segment").to_list()],
        "previous_rfm_segment": [previous.get(int(k), "") for k in keys],
        "probability_alive": nullable("p_alive"), "expected_purchases": nullable("expected"),
        "next_purchase_probability": nullable("next_purchase"), "expected_order_value": nullable("order_value"),
        "predicted_clv": nullable("clv"), "churn_risk": nullable("churn"),
        "churn_basis": [str(v) for v in scores.get_column("basis").to_list()],
        "churn_factors": [json.dumps(v) for v in scores.get_column("factors").to_list()],
        "computed_at": [stamp] * scores.height,
    }, schema=SCHEMA, strict=False)


def previous_segments() -> dict[int, str]:
    """Customer key → RFM segment of the scores now stored."""
    return {person if person is not None else -organisation: segment
            for person, organisation, segment in CustomerScore.objects.exclude(rfm_segment="").values_list(
                "person_id", "organisation_id", "rfm_segment").iterator(5000)}


def replace_scores(customers: pl.DataFrame, scores: pl.DataFrame, *, computed_at: dt.datetime) -> int:
    table = score_table(customers, scores, computed_at=computed_at, previous=previous_segments())
    adbc = extract._adbc_connection()
    if adbc is None:
        return _replace_with_django(table)
    try:
        _replace_with_adbc(adbc, table)
    finally:
        adbc.close()
    return table.height


def _replace_with_adbc(adbc: Any, table: pl.DataFrame) -> None:
    casts = _CASTS[connection.vendor]
    selected = ", ".join(casts.get(name, "{}").format(name) for name in COLUMNS)
    with adbc.cursor() as cursor:
        cursor.adbc_ingest(STAGING, table.to_arrow(), mode="replace")
        cursor.execute(f"DELETE FROM {CustomerScore._meta.db_table}")  # noqa: S608 - constant names
        cursor.execute(f"INSERT INTO {CustomerScore._meta.db_table} ({', '.join(COLUMNS)}) "  # noqa: S608
                       f"SELECT {selected} FROM {STAGING}")
        cursor.execute(f"DROP TABLE {STAGING}")
    adbc.commit()


@transaction.atomic
def _replace_with_django(table: pl.DataFrame) -> int:
    CustomerScore.objects.all().delete()
    rows: list[CustomerScore] = []
    for row in table.iter_rows(named=True):
        values: dict[str, Any] = dict(row)
        values["first_purchase_on"] = dt.date.fromisoformat(values["first_purchase_on"])
        values["last_purchase_on"] = dt.date.fromisoformat(values["last_purchase_on"])
        values["computed_at"] = dt.datetime.fromisoformat(values["computed_at"]).replace(tzinfo=dt.UTC)
        values["churn_factors"] = json.loads(values["churn_factors"])
        rows.append(CustomerScore(**values))
    CustomerScore.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
