"""The consent purposes every installation starts with (data migration and tests)."""

from __future__ import annotations

from typing import Any

DEFAULT_PURPOSES: list[dict[str, str]] = [
    {"key": "newsletter", "name_de": "Newsletter", "name_en": "Newsletter",
     "text_de": "Ja, ich möchte den Newsletter per E-Mail erhalten. Ich kann mich jederzeit abmelden.",
     "text_en": "Yes, I want to receive the newsletter by e-mail. I can unsubscribe at any time."},
    {"key": "offers", "name_de": "Angebote", "name_en": "Offers",
     "text_de": "Ja, ich möchte persönliche Angebote erhalten. Ich kann das jederzeit widerrufen.",
     "text_en": "Yes, I want to receive personal offers. I can withdraw this at any time."},
    {"key": "surveys", "name_de": "Umfragen", "name_en": "Surveys",
     "text_de": "Ja, Sie dürfen mich zu Umfragen einladen. Ich kann das jederzeit widerrufen.",
     "text_en": "Yes, you may invite me to surveys. I can withdraw this at any time."},
]


def ensure_default_purposes(purpose_model: Any = None, wording_model: Any = None) -> None:
    """Create the default purposes and their first wording unless they exist (idempotent)."""
    if purpose_model is None or wording_model is None:
        from kunde.audience.models import ConsentPurpose, ConsentWording

        purpose_model, wording_model = ConsentPurpose, ConsentWording
    for row in DEFAULT_PURPOSES:
        purpose, _created = purpose_model.objects.get_or_create(
            key=row["key"], defaults={"name_de": row["name_de"], "name_en": row["name_en"]})
        wording_model.objects.get_or_create(
            purpose=purpose, version=1, defaults={"text_de": row["text_de"], "text_en": row["text_en"]})
