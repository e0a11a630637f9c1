"""The events card on the 360° page of a person: their invitations and registrations."""

from __future__ import annotations

from typing import Any

from kunde.contacts.models import Person
from kunde.customer_events.selectors import person_events


def customer_panel_context(user: Any, customer: Any) -> dict[str, Any] | None:
    if not isinstance(customer, Person):
        return None
    rows = person_events(user, customer)
    if not rows["registrations"] and not rows["invitations"]:
        return None
    return rows
