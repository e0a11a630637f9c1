"""The default lifecycle stages, created by a data migration and re-creatable after a flush."""

from __future__ import annotations

from typing import Any

DEFAULT_STAGES = [
    ("subscriber", "Subscriber", "Abonnent", 10),
    ("lead", "Lead", "Lead", 20),
    ("prospect", "Prospect", "Interessent", 30),
    ("customer", "Customer", "Kunde", 40),
    ("former_customer", "Former customer", "Ehemaliger Kunde", 50),
]


def ensure_default_stages(stage_model: Any = None) -> None:
    """Create the default lifecycle stages that are missing."""
    if stage_model is None:
        from kunde.contacts.models import LifecycleStage as stage_model
    for key, label_en, label_de, position in DEFAULT_STAGES:
        stage_model.objects.get_or_create(
            key=key, defaults={"label_en": label_en, "label_de": label_de, "position": position}
        )
