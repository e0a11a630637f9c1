"""Every Kunde model says which of its fields hold personal data."""

from __future__ import annotations

from django.apps import apps

from kunde.core.personal_data import Category, declared_models


def test_every_kunde_model_declares_its_personal_data():
    undeclared = [
        model._meta.label
        for model in apps.get_models()
        if model.__module__.startswith("kunde.") and not hasattr(model, "personal_data")
    ]
    assert undeclared == [], f"add `personal_data = {{...}}` (or {{}}) to: {undeclared}"


def test_declarations_name_real_fields_and_known_categories():
    for model, fields in declared_models().items():
        names = {f.name for f in model._meta.get_fields()}
        for name, category in fields.items():
            assert name in names, f"{model._meta.label}.{name} is not a field"
            assert Category(category)
