"""The 360° page panel of campaigns: survey answer, campaigns received, rule runs of a person."""

from __future__ import annotations

from typing import Any

from kunde.campaigns.selectors import person_marketing
from kunde.contacts.models import Person


def customer_panel_context(user: Any, customer: Any) -> dict[str, Any] | None:
    if not isinstance(customer, Person):
        return None
    figures = person_marketing(customer)
    if figures["answer"] is None and not figures["received"] and not figures["runs"]:
        return None
    return figures
