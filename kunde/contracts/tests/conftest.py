"""Fixtures of the contract tests: the world of the permission matrix plus a plan and the reasons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kunde.contracts.defaults import ensure_default_cancellation_reasons
from kunde.contracts.models import BillingInterval, NoticeUnit, SubscriptionPlan
from kunde.contracts.services import plan_create


@pytest.fixture
def reasons(db) -> None:
    ensure_default_cancellation_reasons()


@pytest.fixture
def plan(world, reasons) -> SubscriptionPlan:
    return plan_create(actor=world.admin, name="Service contract for office furniture",
                       billing_interval=BillingInterval.YEARLY, amount=Decimal("1200.00"), default_term_months=12,
                       default_notice_period=3, default_notice_unit=NoticeUnit.MONTHS, default_auto_renew=True)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
