"""The hold-out group: a deterministic, stable pseudo-random share of a plan's customers.

A customer's bucket (0..9999) is a hash of the plan id and the customer id, so it never
changes while the plan exists and needs no stored row. The same arithmetic runs in Python
(one customer), NumPy (the figures task over a million keys) and SQL (a queryset filter for
rules and campaigns), so all three agree. Every intermediate value stays below 2^62, which
both SQLite's and PostgreSQL's 64-bit integers hold without overflow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, QuerySet, Value
from django.db.models.functions import Cast

PRIME = 2_147_483_647  # 2^31 - 1
BUCKETS = 10_000
# Organisations are customers too; their ids are offset so that person 7 and organisation 7
# fall in different buckets.
ORGANISATION_SALT = 1_000_003


def _salt(plan_id: int, organisation: bool) -> int:
    return plan_id * 69_621 + 12_345 + (ORGANISATION_SALT if organisation else 0)


def bucket(plan_id: int, customer_id: int, *, organisation: bool = False) -> int:
    """The customer's bucket 0..9999 for the plan."""
    x0 = ((customer_id % PRIME) * 48_271 + _salt(plan_id, organisation)) % PRIME
    x1 = (x0 * x0) % PRIME
    x2 = (x1 * 16_807 + x0) % PRIME
    return x2 % BUCKETS


def threshold(percent: int) -> int:
    return int(percent) * (BUCKETS // 100)


def is_held_out(plan: Any, customer_id: int, *, organisation: bool = False) -> bool:
    return bool(plan.holdout_percent) and bucket(plan.pk, customer_id, organisation=organisation) < threshold(
        plan.holdout_percent)


def buckets_array(plan_id: int, ids: np.ndarray, *, organisation: bool = False) -> np.ndarray:
    """`bucket` for many ids at once (int64 throughout)."""
    x0 = ((ids.astype(np.int64) % PRIME) * 48_271 + _salt(plan_id, organisation)) % PRIME
    x1 = (x0 * x0) % PRIME
    x2 = (x1 * 16_807 + x0) % PRIME
    return x2 % BUCKETS


def bucket_expression(plan_id: int, *, field: str = "pk", organisation: bool = False) -> Any:
    """The SQL form of `bucket` over `field` of the queried rows."""
    big = BigIntegerField()
    customer = Cast(F(field), big)
    x0 = ExpressionWrapper((customer % Value(PRIME)) * Value(48_271) + Value(_salt(plan_id, organisation)),
                           output_field=big) % Value(PRIME)
    x1 = ExpressionWrapper(x0 * x0, output_field=big) % Value(PRIME)
    x2 = ExpressionWrapper(x1 * Value(16_807) + x0, output_field=big) % Value(PRIME)
    return ExpressionWrapper(x2 % Value(BUCKETS), output_field=big)


def holdout_q(plan: Any, queryset: QuerySet[Any], *, field: str = "pk", organisation: bool = False,
              held_out: bool = True) -> QuerySet[Any]:
    """`queryset` restricted to the plan's hold-out group (or, `held_out=False`, to everyone else)."""
    if not plan.holdout_percent:
        return queryset.none() if held_out else queryset
    annotated = queryset.annotate(_retention_bucket=bucket_expression(plan.pk, field=field,
                                                                       organisation=organisation))
    condition = Q(_retention_bucket__lt=threshold(plan.holdout_percent))
    return annotated.filter(condition) if held_out else annotated.exclude(condition)
