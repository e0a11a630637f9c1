"""Factories of retention tests: through the real services."""

from __future__ import annotations

from typing import Any

from kunde.audience.services import segment_create
from kunde.retention.models import RetentionPlan
from kunde.retention.services import plan_create


def fixed_segment(actor: Any, people: list[Any], name: str = "Zielgruppe") -> Any:
    return segment_create(actor=actor, name=name, definition={"person_ids": [person.pk for person in people]})


def make_plan(actor: Any, segment: Any, **fields: Any) -> RetentionPlan:
    fields.setdefault("name", "Treue für Stammkunden")
    return plan_create(actor=actor, segment=segment, **fields)
