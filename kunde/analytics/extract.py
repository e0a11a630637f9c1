# ruff: noqa: S608 - the SQL is built from constant fragments and integers this module computed.
"""Read the refresh's inputs out of the database as columns (polars), fast.

Outside a transaction the rows travel through ADBC straight into Arrow (10M rows in a few
seconds, where `fetchall` takes many times longer): in this process for PostgreSQL, in a
child process for an SQLite file (see `sqlite_bridge` for why never in this one). Inside a
transaction, or on an in-memory SQLite database, another connection would not see the
rows, so the same SQL runs on Django's own connection instead. Dates arrive as integer day numbers (days since
1970-01-01) and amounts as floats, so both databases give the same columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection

from kunde.core.db import epoch_day_sql, float_sql

day = epoch_day_sql
real = float_sql


def customer_key(person: str, organisation: str) -> str:
    """SQL for the paying customer of a row: its organisation (as -id) if set, else its person."""
    return f"CASE WHEN {organisation} IS NOT NULL THEN -{organisation} ELSE {person} END"


@dataclass(frozen=True)
class Query:
    sql: str
    schema: dict[str, Any]


def bulk_mode() -> str | None:
    """"postgresql" or "sqlite" when the bulk path can see committed data; None for Django's cursor."""
    if connection.in_atomic_block:
        return None
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if not name or name == ":memory:" or "mode=memory" in name:
            return None
        return "sqlite"
    return "postgresql" if connection.vendor == "postgresql" else None


def postgres_connection() -> Any:
    import adbc_driver_postgresql.dbapi

    return adbc_driver_postgresql.dbapi.connect(postgres_uri(connection.settings_dict))


def postgres_uri(params: dict[str, Any]) -> str:
    from urllib.parse import quote

    user = quote(str(params.get("USER") or ""))
    password = params.get("PASSWORD")
    auth = f"{user}:{quote(str(password))}@" if password else (f"{user}@" if user else "")
    host = params.get("HOST") or "localhost"
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(str(params['NAME']))}"


def _frame(table: Any, schema: dict[str, Any]) -> pl.DataFrame:
    # Unnamed expressions all arrive as "?column?" on PostgreSQL: name them before polars sees them.
    frame = pl.from_arrow(table.rename_columns(list(schema)))
    assert isinstance(frame, pl.DataFrame)
    return frame.cast(schema)  # type: ignore[arg-type]


def fetch(queries: dict[str, Query]) -> dict[str, pl.DataFrame]:
    """Run every query (no parameters: callers inline only integers they computed) into DataFrames."""
    mode = bulk_mode()
    if mode == "sqlite":
        from kunde.analytics import sqlite_bridge

        tables = sqlite_bridge.read(str(connection.settings_dict["NAME"]),
                                    {name: query.sql for name, query in queries.items()})
        return {name: _frame(tables[name], query.schema) for name, query in queries.items()}
    if mode == "postgresql":
        adbc = postgres_connection()
        try:
            frames = {}
            for name, query in queries.items():
                with adbc.cursor() as cursor:
                    cursor.execute(query.sql)
                    frames[name] = _frame(cursor.fetch_arrow_table(), query.schema)
            return frames
        finally:
            adbc.close()
    frames = {}
    for name, query in queries.items():
        with connection.cursor() as cursor:
            cursor.execute(query.sql)
            rows = cursor.fetchall()
        frames[name] = pl.DataFrame(rows, schema=query.schema, orient="row")
    return frames


CUSTOMER_SCHEMA = {"key": pl.Int64, "owner": pl.Int64, "team": pl.Int64, "stage": pl.Int64, "created": pl.Int64}


def people() -> Query:
    """Every alive person: key (the id), owner, team, lifecycle stage, day created."""
    return Query(f"SELECT id, owner_id, team_id, lifecycle_stage_id, {day('created_at')} FROM contacts_person "
                 "WHERE deleted_at IS NULL", CUSTOMER_SCHEMA)


def organisations() -> Query:
    """Every alive organisation, keyed by -id so that people and organisations share one key space."""
    return Query(f"SELECT -id, owner_id, team_id, lifecycle_stage_id, {day('created_at')} "
                 "FROM contacts_organisation WHERE deleted_at IS NULL", CUSTOMER_SCHEMA)


def orders(until_day: int) -> Query:
    """Orders that count: not cancelled, not deleted, dated up to `until_day` (later ones are not yet)."""
    sql = (f"SELECT {customer_key('person_id', 'organisation_id')}, {day('ordered_on')}, {real('net_total_eur')}, "
           f"{real('net_total_eur')} * {real('discount_percent')} / "
           f"(CASE WHEN discount_percent < 100 THEN 100 - {real('discount_percent')} ELSE 1 END) "
           "FROM commerce_order WHERE deleted_at IS NULL AND status <> 'cancelled' "
           f"AND (person_id IS NOT NULL OR organisation_id IS NOT NULL) AND {day('ordered_on')} <= {int(until_day)}")
    return Query(sql, {"key": pl.Int64, "day": pl.Int64, "amount": pl.Float64, "discount": pl.Float64})


def contacts(until_day: int) -> Query:
    """History entries that are contacts with the customer: day, mood (1-5 or null), minutes."""
    sql = (f"SELECT {customer_key('person_id', 'organisation_id')}, {day('occurred_at')}, mood, duration_minutes "
           "FROM activities_activity WHERE (person_id IS NOT NULL OR organisation_id IS NOT NULL) "
           f"AND kind = 'contact' AND {day('occurred_at')} <= {int(until_day)}")
    return Query(sql, {"key": pl.Int64, "day": pl.Int64, "mood": pl.Int64, "minutes": pl.Int64})


def tickets() -> Query:
    """Tickets: opened and solved day (null while open), CSAT 1-5 and its day."""
    sql = (f"SELECT {customer_key('person_id', 'organisation_id')}, {day('created_at')}, {day('solved_at')}, "
           f"csat_score, {day('csat_answered_at')} FROM service_ticket WHERE deleted_at IS NULL "
           "AND (person_id IS NOT NULL OR organisation_id IS NOT NULL)")
    return Query(sql, {"key": pl.Int64, "opened": pl.Int64, "solved": pl.Int64, "csat": pl.Int64,
                       "csat_day": pl.Int64})


def nps_answers() -> Query:
    """Answers to NPS surveys (0-10) by person and day."""
    sql = (f"SELECT a.person_id, {day('a.created_at')}, a.score FROM campaigns_surveyanswer a "
           "JOIN campaigns_survey s ON s.id = a.survey_id WHERE s.kind = 'nps' AND a.score IS NOT NULL")
    return Query(sql, {"key": pl.Int64, "day": pl.Int64, "score": pl.Int64})


def campaign_costs() -> Query:
    """Each sent campaign's cost spread evenly over the people it reached, on the day they got it."""
    sql = (f"SELECT r.person_id, {day('r.sent_at')}, {real('c.cost')} / n.sent FROM campaigns_campaignrecipient r "
           "JOIN campaigns_campaign c ON c.id = r.campaign_id "
           "JOIN (SELECT campaign_id, COUNT(*) AS sent FROM campaigns_campaignrecipient WHERE status = 'sent' "
           "GROUP BY campaign_id) n ON n.campaign_id = r.campaign_id "
           "WHERE r.status = 'sent' AND r.sent_at IS NOT NULL AND c.cost > 0")
    return Query(sql, {"key": pl.Int64, "day": pl.Int64, "amount": pl.Float64})


def other_costs() -> Query:
    """Costs entered by hand (events, loyalty, gifts) with their owner/team."""
    sql = (f"SELECT owner_id, team_id, {day('incurred_on')}, {real('amount')} FROM analytics_relationshipcost")
    return Query(sql, {"owner": pl.Int64, "team": pl.Int64, "day": pl.Int64, "amount": pl.Float64})


def stored_scores() -> Query:
    """The scores stored by the last refresh: customer key, churn risk, RFM segment."""
    return Query(f"SELECT {customer_key('person_id', 'organisation_id')}, churn_risk, rfm_segment "
                 "FROM analytics_customerscore", {"key": pl.Int64, "churn": pl.Float64, "segment": pl.Utf8})


def stage_changes() -> pl.DataFrame:
    """Lifecycle stage changes of people and organisations from the audit trail, oldest first."""
    from kunde.core.models import AuditEntry

    rows: list[tuple[int, int, int | None]] = []
    entries = (AuditEntry.objects.filter(object_type__in=["contacts.person", "contacts.organisation"],
                                         changes__has_key="lifecycle_stage_id")
               .order_by("at", "id").values_list("object_type", "object_id", "at", "changes").iterator(2000))
    for object_type, object_id, at, changes in entries:
        key = int(object_id) if object_type == "contacts.person" else -int(object_id)
        new = changes["lifecycle_stage_id"][1]
        rows.append((key, at.date().toordinal() - 719163, int(new) if new is not None else None))
    return pl.DataFrame(rows, schema={"key": pl.Int64, "day": pl.Int64, "stage": pl.Int64}, orient="row")
