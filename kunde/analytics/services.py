"""Writes of analytics: its settings, hand-entered relationship costs, and asking for a refresh."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kunde.analytics.models import AnalyticsSettings, RelationshipCost
from kunde.core.audit import audit_record, snapshot
from kunde.core.models import AuditEntry
from kunde.core.services import record_update, require_admin, require_create, validate

SETTINGS_FIELDS = {"inactivity_days", "hourly_rate", "prediction_days", "clv_horizon_months", "annual_discount_rate"}


def settings_update(*, actor: Any, changes: dict[str, Any], expected_version: int | None) -> AnalyticsSettings:
    """Change the assumptions of KPIs and models (administrators only); audited, version-checked."""
    require_admin(actor)
    unknown = set(changes) - SETTINGS_FIELDS
    if unknown:
        raise ValidationError({name: _("This setting does not exist.") for name in sorted(unknown)})
    errors: dict[str, str] = {}
    if "inactivity_days" in changes and not 7 <= int(changes["inactivity_days"]) <= 3650:
        errors["inactivity_days"] = _("Choose between 7 and 3650 days.")
    if "prediction_days" in changes and not 7 <= int(changes["prediction_days"]) <= 730:
        errors["prediction_days"] = _("Choose between 7 and 730 days.")
    if "clv_horizon_months" in changes and not 1 <= int(changes["clv_horizon_months"]) <= 120:
        errors["clv_horizon_months"] = _("Choose between 1 and 120 months.")
    if "annual_discount_rate" in changes and not Decimal(0) <= Decimal(changes["annual_discount_rate"]) < 100:
        errors["annual_discount_rate"] = _("Choose a rate from 0 to below 100 %.")
    if "hourly_rate" in changes and Decimal(changes["hourly_rate"]) < 0:
        errors["hourly_rate"] = _("The hourly rate cannot be negative.")
    if errors:
        raise ValidationError(errors)
    settings = AnalyticsSettings.load()
    return record_update(actor=actor, instance=settings, changes=changes, expected_version=expected_version,
                         event="analytics.settings_changed", check_permission=False)


@transaction.atomic
def cost_create(*, actor: Any, kind: str, incurred_on: dt.date, amount: Decimal, description: str,
                owner: Any = None, team: Any = None) -> RelationshipCost:
    """Record a cost of the relationship (an event, a loyalty reward, a gift) for Return on Relationship."""
    require_create(actor)
    if amount < 0:
        raise ValidationError({"amount": _("A cost cannot be negative; record a refund as its own entry.")})
    cost = RelationshipCost(kind=kind, incurred_on=incurred_on, amount=amount, description=description,
                            owner=owner if owner is not None else actor, team=team)
    validate(cost)
    cost.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=cost, after=snapshot(cost))
    return cost


def refresh_request(*, actor: Any) -> bool:
    """Queue a refresh unless one is already running; False when one is."""
    from kunde.analytics.selectors import running_refresh
    from kunde.analytics.tasks import refresh_now

    if running_refresh() is not None:
        return False
    refresh_now.enqueue(user_id=getattr(actor, "pk", None))
    return True
