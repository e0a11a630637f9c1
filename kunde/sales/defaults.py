"""The default pipeline, its stages and the lost reasons, created by a data migration and re-creatable after a flush."""

from __future__ import annotations

from typing import Any

DEFAULT_PIPELINE = ("Sales", "Vertrieb")

# name_en, name_de, probability, rotting days, kind
DEFAULT_STAGES = [
    ("Qualification", "Qualifizierung", 10, 14, "open"),
    ("Needs analysis", "Bedarfsanalyse", 25, 14, "open"),
    ("Proposal", "Angebot", 50, 21, "open"),
    ("Negotiation", "Verhandlung", 75, 14, "open"),
    ("Won", "Gewonnen", 100, None, "won"),
    ("Lost", "Verloren", 0, None, "lost"),
]

DEFAULT_LOST_REASONS = [
    ("price", "Price too high", "Preis zu hoch", 10),
    ("competitor", "Chose a competitor", "Wettbewerber gewählt", 20),
    ("no_budget", "No budget", "Kein Budget", 30),
    ("no_need", "No need", "Kein Bedarf", 40),
    ("timing", "Bad timing", "Falscher Zeitpunkt", 50),
    ("no_response", "No response", "Keine Rückmeldung", 60),
    ("other", "Other", "Sonstiges", 100),
]


def ensure_default_pipeline(pipeline_model: Any = None, stage_model: Any = None) -> Any:
    """Create the default pipeline with its stages unless a default pipeline exists; return it."""
    if pipeline_model is None:
        from kunde.sales.models import Pipeline as pipeline_model
        from kunde.sales.models import Stage as stage_model
    existing = pipeline_model.objects.filter(is_default=True).first()
    if existing is not None:
        return existing
    name_en, name_de = DEFAULT_PIPELINE
    pipeline = pipeline_model.objects.create(name_en=name_en, name_de=name_de, is_default=True, position=0)
    for index, (stage_en, stage_de, probability, rotting, kind) in enumerate(DEFAULT_STAGES):
        stage_model.objects.create(
            pipeline=pipeline,
            name_en=stage_en,
            name_de=stage_de,
            position=(index + 1) * 10,
            probability=probability,
            rotting_days=rotting,
            kind=kind,
        )
    return pipeline


def ensure_default_lost_reasons(reason_model: Any = None) -> None:
    """Create the default lost reasons that are missing."""
    if reason_model is None:
        from kunde.sales.models import LostReason as reason_model
    for key, label_en, label_de, position in DEFAULT_LOST_REASONS:
        reason_model.objects.get_or_create(
            key=key, defaults={"label_en": label_en, "label_de": label_de, "position": position}
        )


def ensure_sales_defaults() -> None:
    ensure_default_pipeline()
    ensure_default_lost_reasons()
