"""The default lifecycle stages and customer groups, created by data migrations and re-creatable after a flush."""

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


DEFAULT_CUSTOMER_GROUPS = [
    ("retail", "Retail customers", "Endkunden", 10),
    ("business", "Business customers", "Geschäftskunden", 20),
    ("dealer", "Dealers", "Händler", 30),
    ("key_account", "Key accounts", "Key Accounts", 40),
]


def ensure_default_customer_groups(group_model: Any = None) -> None:
    """Create the default customer groups that are missing."""
    if group_model is None:
        from kunde.contacts.models import CustomerGroup as group_model
    for key, label_en, label_de, position in DEFAULT_CUSTOMER_GROUPS:
        group_model.objects.get_or_create(
            key=key, defaults={"label_en": label_en, "label_de": label_de, "position": position}
        )
