"""Replace all customer scores at once.

Outside a transaction the new rows go through ADBC into a staging table and replace the old
ones in one transaction of that connection (1M rows in seconds; readers see the old scores
until the commit). Inside a transaction (tests, a caller's atomic block) Django writes them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl
from django.db import connection, transaction

from kunde.analytics import extract
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


def score_table(customers: pl.DataFrame, scores: pl.DataFrame, *, computed_at: dt.datetime,
                previous: pl.DataFrame | None = None) -> pl.DataFrame:
    """The rows to store, one per scored customer, in `COLUMNS` order (built column-wise)."""
    if not scores.height:
        return pl.DataFrame(schema=SCHEMA)
    keyed = scores.join(customers.select("idx", "key", "owner", "team"), on="idx", how="left")
    epoch = pl.lit(dt.date(1970, 1, 1))
    if previous is None or not previous.height:
        previous = pl.DataFrame(schema={"key": pl.Int64, "segment": pl.Utf8})
    keyed = keyed.join(previous.select("key", pl.col("segment").alias("previous")), on="key", how="left")
    stamp = computed_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def nullable(name: str) -> pl.Expr:
        return pl.when(pl.col(name).is_nan()).then(None).otherwise(pl.col(name)).cast(pl.Float64)

    def score_int(name: str) -> pl.Expr:
        return pl.when(pl.col(name) > 0).then(pl.col(name)).otherwise(None).cast(pl.Int64)

    return keyed.select(
        pl.when(pl.col("key") > 0).then(pl.col("key")).otherwise(None).alias("person_id"),
        pl.when(pl.col("key") < 0).then(-pl.col("key")).otherwise(None).alias("organisation_id"),
        pl.col("owner").alias("owner_id_at_refresh"), pl.col("team").alias("team_id_at_refresh"),
        (epoch + pl.duration(days=pl.col("first"))).cast(pl.Utf8).alias("first_purchase_on"),
        (epoch + pl.duration(days=pl.col("last"))).cast(pl.Utf8).alias("last_purchase_on"),
        pl.col("purchases").cast(pl.Int64), pl.col("revenue").round(2).cast(pl.Float64),
        pl.col("recency").cast(pl.Int64).alias("recency_days"),
        score_int("rfm_r").alias("rfm_r"), score_int("rfm_f").alias("rfm_f"), score_int("rfm_m").alias("rfm_m"),
        pl.col("segment").cast(pl.Utf8).alias("rfm_segment"),
        pl.col("previous").fill_null("").alias("previous_rfm_segment"),
        nullable("p_alive").alias("probability_alive"), nullable("expected").alias("expected_purchases"),
        nullable("next_purchase").alias("next_purchase_probability"),
        nullable("order_value").alias("expected_order_value"), nullable("clv").alias("predicted_clv"),
        nullable("churn").alias("churn_risk"), pl.col("basis").cast(pl.Utf8).alias("churn_basis"),
        pl.col("factors").cast(pl.Utf8).alias("churn_factors"),
        pl.lit(stamp).alias("computed_at"),
    ).cast(SCHEMA)  # type: ignore[arg-type]


def replace_scores(customers: pl.DataFrame, scores: pl.DataFrame, *, computed_at: dt.datetime,
                   previous: pl.DataFrame | None = None) -> int:
    """Replace every stored score by `scores`; `previous` (key, segment) fills previous_rfm_segment."""
    table = score_table(customers, scores, computed_at=computed_at, previous=previous)
    mode = extract.bulk_mode()
    if mode is None:
        return _replace_with_django(table)
    casts = _CASTS[connection.vendor]
    selected = ", ".join(casts.get(name, "{}").format(name) for name in COLUMNS)
    target = CustomerScore._meta.db_table
    insert = f"INSERT INTO {target} ({', '.join(COLUMNS)}) SELECT {selected} FROM {STAGING}"  # noqa: S608
    if mode == "sqlite":
        from kunde.analytics import sqlite_bridge

        # SQLite keeps dates, timestamps and JSON as the text this table already holds.
        sqlite_bridge.replace(str(connection.settings_dict["NAME"]), table.to_arrow(), target=target)
        return table.height
    adbc = extract.postgres_connection()
    try:
        with adbc.cursor() as cursor:
            cursor.adbc_ingest(STAGING, table.to_arrow(), mode="replace")
            cursor.execute(f"DELETE FROM {target}")  # noqa: S608 - constant names
            cursor.execute(insert)
            cursor.execute(f"DROP TABLE {STAGING}")
        adbc.commit()
    finally:
        adbc.close()
    return table.height


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
