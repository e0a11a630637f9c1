"""Personal-data declarations: each model names its personal fields once.

Export, erasure and retention (the privacy capability) iterate these declarations
instead of knowing every app. A model declares
`personal_data = {"field": Category.IDENTITY, ...}`; a model with none declares `{}`.
"""

from __future__ import annotations

from enum import StrEnum

from django.apps import apps
from django.db import models


class Category(StrEnum):
    IDENTITY = "identity"
    CONTACT = "contact"
    FINANCIAL = "financial"
    FREE_TEXT = "free_text"
    SPECIAL = "special"  # GDPR Art. 9 categories


def declared_models() -> dict[type[models.Model], dict[str, Category]]:
    """Every installed Kunde model with its declaration."""
    return {
        model: dict(model.personal_data)
        for model in apps.get_models()
        if model.__module__.startswith("kunde.") and hasattr(model, "personal_data")
    }
