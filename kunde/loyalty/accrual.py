"""Points earned on orders, written set-based: one INSERT … SELECT per kind of customer.

The same SQL serves one order (on `commerce.order_created`) and a million (the backfill of
existing orders), so both paths always agree on what an order earns. Every rule is
self-contained: its entry is `floor(base x points_per_euro x factor) + extra`, where base is the
order's net total in EUR (a category rule, or a per-euro rule limited to a category: the net of
that category's lines), factor is 1 for a
per-euro rule and `multiplier - 1` for a category or bonus rule (the extra on top of the base
points). The partial unique index (order, rule) on earned/bonus entries, together with the
`NOT EXISTS` guard, means re-processing an order never doubles its points.

Points go to the person of an order when it has one, else to its organisation: loyalty is
personal (the portal shows the person's points), unlike revenue analytics, which books a
company's orders to the company.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kunde.loyalty.models import EarningRule, LedgerEntry, Programme

ORDER = "commerce_order"
LINE = "commerce_orderline"
ENTRY = "loyalty_ledgerentry"
ACCOUNT = "loyalty_loyaltyaccount"


@dataclass(frozen=True)
class AccrualResult:
    """What one accrual run wrote: entries, orders and accounts touched (the ids are bounded by the caller)."""

    entries: int
    points: int
    account_ids: list[int]
    order_ids: list[int]


def _floor(expression: str) -> str:
    # SQLite has no FLOOR without the math extension; CAST truncates, which is floor for points >= 0.
    # The tiny epsilon keeps 19.99 x 2.0 at 39 points when the float product lands on 39.97999….
    if connection.vendor == "sqlite":
        return f"CAST({expression} + 0.000001 AS INTEGER)"
    return f"CAST(FLOOR({expression} + 0.000001) AS INTEGER)"


def _expires(column: str, months: int | None) -> str:
    if months is None:
        return "NULL"
    if connection.vendor == "sqlite":
        return f"date({column}, '+{int(months)} months')"
    return f"CAST({column} + interval '{int(months)} months' AS date)"


def _rule_select(rule: EarningRule, order_filter: str) -> tuple[str, list[Any]]:
    """The rows (order, rule, kind, points, date, number, person, organisation) `rule` earns."""
    params: list[Any] = []
    where = [order_filter]
    if rule.starts_on:
        where.append("o.ordered_on >= %s")
        params.append(connection.ops.adapt_datefield_value(rule.starts_on))
    if rule.ends_on:
        where.append("o.ordered_on <= %s")
        params.append(connection.ops.adapt_datefield_value(rule.ends_on))
    if rule.minimum_order_eur is not None:
        where.append("o.net_total_eur >= %s")
        params.append(connection.ops.adapt_decimalfield_value(rule.minimum_order_eur, 12, 2))
    kind = LedgerEntry.Kind.BONUS if rule.kind == EarningRule.Kind.BONUS else LedgerEntry.Kind.EARNED
    factor = rule.points_per_euro * (1 if rule.kind == EarningRule.Kind.PER_EURO else rule.multiplier - 1)
    factor_sql = f"CAST({float(factor)!r} AS {'REAL' if connection.vendor == 'sqlite' else 'double precision'})"
    head = f"SELECT o.id AS order_id, {int(rule.pk)} AS rule_id, '{kind}' AS kind, "
    tail = ", o.ordered_on AS ordered_on, o.number AS number, o.person_id AS person_id, " \
           "o.organisation_id AS organisation_id"
    extra = int(rule.extra_points) if rule.kind == EarningRule.Kind.BONUS else 0
    # A category rule, or a per-euro rule limited to a category, counts only that category's lines.
    if rule.kind == EarningRule.Kind.CATEGORY or (rule.kind == EarningRule.Kind.PER_EURO and rule.category_id):
        if rule.category_id is None:
            return "", []
        points = _floor(f"SUM(l.net_amount_eur) * {factor_sql}")
        sql = (f"{head}{points} AS points{tail} FROM {ORDER} o JOIN {LINE} l ON l.order_id = o.id "
               f"AND l.category_id = {int(rule.category_id)} WHERE {' AND '.join(where)} "
               "GROUP BY o.id, o.ordered_on, o.number, o.person_id, o.organisation_id")
        return sql, params
    points = f"{_floor(f'o.net_total_eur * {factor_sql}')} + {extra}"
    return f"{head}{points} AS points{tail} FROM {ORDER} o WHERE {' AND '.join(where)}", params


def _credits(programme: Programme, order_filter: str, filter_params: Sequence[Any]) -> tuple[str, list[Any]]:
    parts, params = [], []
    for rule in programme.rules.filter(is_active=True).order_by("id"):
        sql, rule_params = _rule_select(rule, order_filter)
        if sql:
            parts.append(sql)
            # The order filter's own parameters come first in each WHERE, then the rule's.
            params += [*filter_params, *rule_params]
    return " UNION ALL ".join(parts), params


def _order_filter(order_ids: Sequence[int] | None, since: dt.date | None) -> tuple[str, list[Any]]:
    clauses, params = ["o.status <> 'cancelled'"], []
    if order_ids is not None:
        clauses.append(f"o.id IN ({', '.join(str(int(pk)) for pk in order_ids) or 'NULL'})")
    if since is not None:
        clauses.append("o.ordered_on >= %s")
        params.append(connection.ops.adapt_datefield_value(since))
    return "(" + " AND ".join(clauses) + ")", params


def _create_accounts(programme: Programme, order_filter: str, params: list[Any], now: Any) -> None:
    common = f"FROM {ORDER} o WHERE {order_filter}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ACCOUNT} (programme_id, person_id, organisation_id, balance, qualifying_points, "  # noqa: S608
            f"created_at, updated_at) SELECT DISTINCT {int(programme.pk)}, o.person_id, CAST(NULL AS bigint), 0, 0, "
            "%s, %s "
            f"{common} AND o.person_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {ACCOUNT} a "
            f"WHERE a.programme_id = {int(programme.pk)} AND a.person_id = o.person_id) ON CONFLICT DO NOTHING",
            [now, now, *params])
        cursor.execute(
            f"INSERT INTO {ACCOUNT} (programme_id, person_id, organisation_id, balance, qualifying_points, "  # noqa: S608
            f"created_at, updated_at) SELECT DISTINCT {int(programme.pk)}, CAST(NULL AS bigint), o.organisation_id, "
            "0, 0, %s, %s "
            f"{common} AND o.person_id IS NULL AND o.organisation_id IS NOT NULL AND NOT EXISTS (SELECT 1 "
            f"FROM {ACCOUNT} a WHERE a.programme_id = {int(programme.pk)} "
            f"AND a.organisation_id = o.organisation_id) ON CONFLICT DO NOTHING",
            [now, now, *params])


@transaction.atomic
def accrue(programme: Programme, *, order_ids: Sequence[int] | None = None,
           since: dt.date | None = None) -> AccrualResult:
    """Write the points every (or each given) order earns that it has not earned yet; update the balances.

    No per-order queries: accounts, entries and balances are three statements per kind of
    customer, whatever the number of orders. Callers that lock an account first (one order)
    serialise against redemptions; the backfill relies on the balance update being relative.
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    order_filter, filter_params = _order_filter(order_ids, since)
    _create_accounts(programme, order_filter, filter_params, now)
    credits, params = _credits(programme, order_filter, filter_params)
    if not credits:
        return AccrualResult(0, 0, [], [])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {ENTRY}")  # noqa: S608
        before = cursor.fetchone()[0]
        for key in ("person_id", "organisation_id"):
            join = "a.person_id = c.person_id" if key == "person_id" else (
                "c.person_id IS NULL AND a.organisation_id = c.organisation_id")
            cursor.execute(
                f"INSERT INTO {ENTRY} (account_id, kind, points, balance_after, reason, occurred_on, "  # noqa: S608
                "created_at, order_id, rule_id, expires_on) "
                "SELECT a.id, c.kind, c.points, a.balance + SUM(c.points) OVER (PARTITION BY a.id "
                "ORDER BY c.ordered_on, c.order_id, c.rule_id ROWS UNBOUNDED PRECEDING), "
                f"c.number || ' · ' || r.name, c.ordered_on, %s, c.order_id, c.rule_id, "
                f"{_expires('c.ordered_on', programme.expiry_months)} "
                f"FROM ({credits}) c JOIN {ACCOUNT} a ON a.programme_id = {int(programme.pk)} AND {join} "
                "JOIN loyalty_earningrule r ON r.id = c.rule_id "
                f"WHERE c.points > 0 AND NOT EXISTS (SELECT 1 FROM {ENTRY} e WHERE e.order_id = c.order_id "
                "AND e.rule_id = c.rule_id AND e.kind IN ('earned', 'bonus'))",
                [now, *params])
        if connection.vendor == "postgresql" and order_ids is None:
            # Fresh statistics after a bulk insert (the backfill only; one order's event needs none).
            cursor.execute(f"ANALYZE {ENTRY}, {ACCOUNT}")
        # Relative, from this run's entries only (id above the mark, this run's timestamp): a redemption
        # committed meanwhile keeps its effect. UPDATE … FROM: SQLite 3.33+, PostgreSQL.
        cursor.execute(
            f"UPDATE {ACCOUNT} SET balance = {ACCOUNT}.balance + d.points, updated_at = %s "  # noqa: S608
            f"FROM (SELECT account_id, SUM(points) AS points FROM {ENTRY} WHERE id > %s AND created_at = %s "
            f"GROUP BY account_id) d WHERE {ACCOUNT}.id = d.account_id",
            [now, before, now])
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(SUM(points), 0) FROM {ENTRY} WHERE id > %s AND created_at = %s",  # noqa: S608
            [before, now])
        count, points = cursor.fetchone()
        accounts: list[int] = []
        orders: list[int] = []
        if order_ids is not None and count:
            cursor.execute(f"SELECT DISTINCT account_id FROM {ENTRY} WHERE id > %s AND created_at = %s",  # noqa: S608
                           [before, now])
            accounts = [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT DISTINCT order_id FROM {ENTRY} WHERE id > %s AND created_at = %s",  # noqa: S608
                           [before, now])
            orders = [row[0] for row in cursor.fetchall()]
    return AccrualResult(int(count), int(points), accounts, orders)
