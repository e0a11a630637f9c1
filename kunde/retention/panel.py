"""The binding-causes card on the 360° page of a person or organisation."""

from __future__ import annotations

from typing import Any

from kunde.contacts.models import Person
from kunde.core.permissions import Action, user_can
from kunde.retention.causes import BindingCause


def customer_panel_context(user: Any, customer: Any) -> dict[str, Any] | None:
    from kunde.retention.selectors import customer_binding_causes

    causes = customer_binding_causes(user, customer, with_evidence=False)  # loaded by the card itself
    if causes is None:
        return None
    return {"causes": causes, "can_change": user_can(user, Action.CHANGE, customer),
            "kind": "person" if isinstance(customer, Person) else "organisation", "customer": customer,
            "choices": BindingCause.choices}
