"""The cancellation reasons a new installation starts with (administrators can add more)."""

from __future__ import annotations

from typing import Any

DEFAULT_CANCELLATION_REASONS = [
    ("price", "Too expensive", "Zu teuer"),
    ("competitor", "Switched to a competitor", "Zum Wettbewerb gewechselt"),
    ("no_need", "No longer needed", "Kein Bedarf mehr"),
    ("service", "Unhappy with the service", "Unzufrieden mit dem Service"),
    ("business_closed", "Business closed or moved", "Geschäft aufgegeben oder verlegt"),
    ("other", "Other", "Sonstiges"),
]


def ensure_default_cancellation_reasons(model: Any = None) -> None:
    """Create the default reasons that are missing (used by the data migration and tests)."""
    if model is None:
        from kunde.contracts.models import CancellationReason as model
    for position, (key, label_en, label_de) in enumerate(DEFAULT_CANCELLATION_REASONS):
        model.objects.get_or_create(key=key, defaults={"label_en": label_en, "label_de": label_de,
                                                       "position": position})
