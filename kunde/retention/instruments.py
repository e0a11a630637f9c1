"""What executes each instrument kind, resolved lazily: the apps that own those models may not exist yet.

Retention never imports contracts, loyalty or customer events; it names their models by
label and asks `django.apps` at run time, so a plan works (its links just are not offered)
before those apps land.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from kunde.retention.models import InstrumentKind

# The model that executes a kind; kinds not named here have no executing object in Kunde.
EXECUTED_BY: dict[str, str] = {
    InstrumentKind.RULE: "campaigns.rule",
    InstrumentKind.CAMPAIGN: "campaigns.campaign",
    InstrumentKind.LOYALTY: "loyalty.programme",
    InstrumentKind.EVENT_SERIES: "customer_events.eventseries",
    InstrumentKind.SUBSCRIPTION: "contracts.subscriptionplan",
    InstrumentKind.CARE: "retention.carecadence",
}


def model_for(kind: str) -> type[models.Model] | None:
    """The executing model of `kind`, or None (no such kind, or its app is not there yet)."""
    label = EXECUTED_BY.get(kind)
    if label is None:
        return None
    app_label, model_name = label.split(".")
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None


def available_kinds() -> list[str]:
    """Kinds whose executing object can be linked now."""
    return [kind for kind in EXECUTED_BY if model_for(kind) is not None]


def content_type_for(kind: str) -> ContentType | None:
    model = model_for(kind)
    return ContentType.objects.get_for_model(model) if model is not None else None


def check_link(instrument: Any) -> None:
    """Refuse a link to an object of the wrong model, or to one that does not exist."""
    if instrument.linked_id is None and instrument.linked_type_id is None:
        return
    expected = EXECUTED_BY.get(instrument.kind)
    if expected is None:
        raise ValidationError({"linked_id": _("A “%(kind)s” instrument is not executed by a Kunde object; "
                                              "leave the link empty.") % {"kind": instrument.get_kind_display()}})
    linked_type = instrument.linked_type
    actual = f"{linked_type.app_label}.{linked_type.model}" if linked_type is not None else ""
    if actual != expected:
        raise ValidationError({"linked_type": _("A “%(kind)s” instrument is executed by %(expected)s, not by "
                                                "%(actual)s.") % {"kind": instrument.get_kind_display(),
                                                                  "expected": expected, "actual": actual or "—"}})
    model = linked_type.model_class()
    if model is None or not model._default_manager.filter(pk=instrument.linked_id).exists():
        raise ValidationError({"linked_id": _("There is no %(model)s #%(id)s.") % {"model": expected,
                                                                                  "id": instrument.linked_id}})


def linked_object(instrument: Any) -> models.Model | None:
    if instrument.linked_type_id is None or instrument.linked_id is None:
        return None
    model = instrument.linked_type.model_class()
    if model is None:
        return None
    return model._default_manager.filter(pk=instrument.linked_id).first()


def linked_url(obj: models.Model | None) -> str:
    """The page of the executing object, when it has one."""
    if obj is None:
        return ""
    getter = getattr(obj, "get_absolute_url", None)
    if getter is None:
        return ""
    try:
        return str(getter())
    except Exception:  # an app's URL not wired yet must not break the plan page
        return ""


def choices_for(kind: str, user: Any = None, limit: int = 200) -> list[tuple[int, str]]:
    """Objects of the executing model a form can offer (scoped when the model is)."""
    model = model_for(kind)
    if model is None:
        return []
    rows: Any = model._default_manager.all()
    if user is not None and hasattr(rows, "for_user"):
        rows = rows.for_user(user)
    return [(obj.pk, str(obj)) for obj in rows.order_by("pk")[:limit]]
