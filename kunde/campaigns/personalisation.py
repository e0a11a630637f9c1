"""The context of a template: plain dicts about one person, built here and nowhere else.

Empty values are left out, so `{{ person.first_name|default("…") }}` falls back and a plain
`{{ person.first_name }}` renders empty; no model object ever reaches the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation

from kunde.activities.models import Activity
from kunde.campaigns import integration
from kunde.campaigns.models import EmailTemplate
from kunde.campaigns.templating import render
from kunde.contacts.models import Person

GREETINGS = {
    "de": {"mr": "Sehr geehrter Herr {last}", "ms": "Sehr geehrte Frau {last}", "": "Guten Tag {full}"},
    "en": {"mr": "Dear Mr {last}", "ms": "Dear Ms {last}", "": "Dear {full}"},
}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "", [])}


def choose_language(template: EmailTemplate, person: Person) -> str:
    languages = template.languages()
    if person.preferred_language in languages:
        return person.preferred_language
    return template.fallback_language if template.fallback_language in languages or not languages else languages[0]


def person_context(
    person: Person,
    *,
    language: str,
    purpose: str = "",
    sender: Any = None,
    campaign_name: str = "",
    survey_url: str = "",
    categories: dict[str, str] | None = None,
) -> dict[str, Any]:
    full = person.full_name
    greeting = GREETINGS.get(language, GREETINGS["de"])
    greeting_text = greeting.get(person.salutation if person.salutation in ("mr", "ms") else "", greeting[""])
    with translation.override(language):
        salutation = str(person.get_salutation_display()) if person.salutation else ""
    purchases = [_clean(p) for p in integration.purchases(person)]
    names = categories if categories is not None else integration.category_names()
    interests = []
    seen: set[str] = set()
    for topic, occurred_at in (
        Activity.objects.filter(person=person).exclude(topic="").order_by("-occurred_at", "-id")
        .values_list("topic", "occurred_at")[:20]
    ):
        if topic in seen:
            continue
        seen.add(topic)
        interests.append(_clean({"topic": topic, "topic_name": names.get(topic, topic), "date": occurred_at.date()}))
        if len(interests) == 5:
            break
    context: dict[str, Any] = {
        "person": _clean({
            "salutation": salutation, "title": person.title, "first_name": person.first_name,
            "last_name": person.last_name, "full_name": full, "language": language,
            "greeting": greeting_text.format(last=" ".join(p for p in (person.title, person.last_name) if p),
                                             full=full),
        }),
        "purchases": purchases,
        "interests": interests,
        "sender": _clean({
            "name": (sender.get_full_name() or sender.get_username()) if sender is not None else "",
            "email": getattr(sender, "email", "") if sender is not None else "",
            "company": getattr(settings, "KUNDE_COMPANY_NAME", "") or getattr(settings, "KUNDE_INSTANCE_NAME", ""),
        }),
        "links": _clean({
            "unsubscribe": integration.unsubscribe_url(person, purpose) if purpose else "",
            "preferences": integration.preferences_url(person),
            "survey": survey_url,
        }),
        "campaign": _clean({"name": campaign_name}),
    }
    if purchases:
        context["last_purchase"] = purchases[0]
    if interests:
        context["last_interest"] = interests[0]
    return context


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    text: str
    html: str


def render_for(template: EmailTemplate, person: Person, **context_kwargs: Any) -> Rendered:
    """The template's subject, text and HTML for `person`, in their language."""
    language = choose_language(template, person)
    context = person_context(person, language=language, purpose=template.purpose, **context_kwargs)
    return render_with(template, language, context)


def render_with(template: EmailTemplate, language: str, context: dict[str, Any]) -> Rendered:
    subject = render(getattr(template, f"subject_{language}"), context).strip()
    return Rendered(
        language=language,
        subject=" ".join(subject.split()),
        text=render(getattr(template, f"text_{language}"), context),
        html=render(getattr(template, f"html_{language}"), context, html=True),
    )
