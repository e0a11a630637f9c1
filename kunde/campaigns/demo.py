"""Demo rules the demo data calls (additively, from kunde/demo): the Fidelis quarterly review and
the HandelBlitz "asked about a category, not bought within 7 days → matching offer"."""

from __future__ import annotations

from typing import Any

from kunde.campaigns.models import Rule
from kunde.campaigns.services import rule_create


def fidelis_quarterly_review_rule(*, segment_id: int | None = None, segment_definition: dict[str, Any] | None = None,
                                  actor: Any = None) -> Rule:
    """Every quarter, a review task for the advisor (the owner) of each client in the segment."""
    return rule_create(
        actor=actor, name="Fidelis: Quartalsgespräch", trigger=Rule.Trigger.QUARTERLY,
        segment_id=segment_id, segment_definition=segment_definition or {},
        action=Rule.Action.CREATE_TASK,
        params={"subject": "Quartalsgespräch (quarterly review) vereinbaren", "due_days": 14},
    )


def handelblitz_offer_rule(*, templates_by_topic: dict[str, int], days: int = 7, actor: Any = None,
                           segment_id: int | None = None, segment_definition: dict[str, Any] | None = None) -> Rule:
    """N days after a history entry about a category, send that category's offer unless it was bought."""
    return rule_create(
        actor=actor, name="HandelBlitz: Angebot zur Anfrage", trigger=Rule.Trigger.AFTER_EVENT,
        event_type="activities.activity_recorded", delay_days=days,
        segment_id=segment_id, segment_definition=segment_definition or {},
        conditions={"topic_required": True, "topics": sorted(templates_by_topic), "not_bought_topic": True},
        action=Rule.Action.SEND_TEMPLATE, params={"templates_by_topic": templates_by_topic},
    )
