"""Templates: the allowlist refuses unknown placeholders and sandbox escapes at save time;
rendering personalises with plain dicts, conditionals and fallbacks, in the person's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kunde.activities.services import contact_log
from kunde.campaigns.personalisation import person_context, render_for
from kunde.campaigns.services import template_create, template_update
from kunde.campaigns.templating import template_errors
from kunde.core.exceptions import PermissionDenied
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db

GOOD = """{{ person.greeting }},
{% if last_purchase %}thank you for your {{ last_purchase.product }} ({{ last_purchase.category }}).{% endif %}
{% for i in interests %}{{ loop.index }}. {{ i.topic_name|default(i.topic) }}{% endfor %}
{% set name = person.first_name|default("dear customer") %}Hello {{ name|title }}!
{{ purchases|length }} {{ purchases[0].product if purchases else "" }} {{ links.unsubscribe }}
{{ purchases|map(attribute="product")|join(", ") }} {{ purchases|length + 1 }}"""


def test_valid_template_has_no_errors():
    assert template_errors(GOOD) == []


@pytest.mark.parametrize(("source", "fragment"), [
    ("{{ customer.name }}", "customer"),
    ("{{ person.email }}", "email"),
    ("{{ person.first_name.upper() }}", "Calling"),
    ("{{ person.__class__ }}", "__class__"),
    ("{{ ''.__class__.__mro__ }}", "__class__"),
    ("{{ purchases.append(1) }}", "Calling"),
    ("{{ range(10) }}", "Calling"),
    ("{{ cycler }}", "cycler"),
    ("{% include 'base.html' %}", "include"),
    ("{% extends 'base.html' %}", "extends"),
    ("{% macro m() %}x{% endmacro %}", "macro"),
    ("{{ person|attr('__class__') }}", "attr"),
    ("{{ person.first_name|format('%s') }}", "format"),
    ("{{ person.first_name is callable }}", "callable"),
    ("{{ person['__init__'] }}", "__init__"),
    ("{{ person.first_name ", "Line 1"),
    ("{{ lipsum() }}", "Calling"),
    ("{{ 'x' * 1000000000 }}", "arithmetic"),
    ("{% autoescape false %}{{ person.first_name }}{% endautoescape %}", "not allowed"),
    ("{{ person.first_name|safe }}", "safe"),
    ("{{ 9 ** 9 ** 9 }}", "arithmetic"),
    ("{{ '%s' % person }}", "arithmetic"),
    ("{{ person.first_name|center(1000000000) }}", "center"),
    ("{{ purchases|map(attribute='__class__')|list }}", "__class__"),
    ("{{ purchases|sort(attribute='_x') }}", "_x"),
])
def test_unknown_placeholders_and_escapes_are_refused(source, fragment):
    errors = template_errors(source)
    assert errors, source
    assert any(fragment in error for error in errors), errors


def test_saving_refuses_a_bad_template_with_a_clear_error(world):
    with pytest.raises(ValidationError) as caught:
        template_create(actor=world.owner, name="Bad", subject_de="Hallo {{ person.vorname }}", text_de="x")
    assert "vorname" in str(caught.value.message_dict["subject_de"])
    template = template_create(actor=world.owner, name="Good", subject_de="Hallo", text_de=GOOD)
    with pytest.raises(ValidationError) as caught:
        template_update(actor=world.owner, template=template, changes={"text_de": "{{ secret }}"})
    assert "text_de" in caught.value.message_dict


def test_read_only_users_may_not_write_templates(world):
    with pytest.raises(PermissionDenied):
        template_create(actor=world.read_only, name="T", subject_de="Hallo", text_de="x")


def test_render_personalises_in_the_persons_language(world):
    anna = make_person(world.owner, first_name="Anna", last_name="Schmidt", salutation="ms",
                       preferred_language="en")
    contact_log(actor=world.owner, channel="chat", subject="Ring material?", person=anna, topic="rings")
    template = template_create(
        actor=world.owner, name="Offer", fallback_language="de",
        subject_de="Neu für {{ person.first_name }}", text_de="{{ person.greeting }}",
        subject_en="New for {{ person.first_name }}",
        text_en="{{ person.greeting }},\n"
                "{% if last_interest %}you asked about {{ last_interest.topic_name }}.{% endif %}"
                "\n{{ person.title|default('(no title)') }}",
        html_en="<p>Hi {{ person.first_name }} & <b>co</b></p>",
    )
    rendered = render_for(template, anna)
    assert rendered.language == "en"
    assert rendered.subject == "New for Anna"
    assert "Dear Ms Schmidt" in rendered.text
    assert "you asked about rings." in rendered.text
    assert "(no title)" in rendered.text
    assert rendered.html == "<p>Hi Anna & <b>co</b></p>"
    # A German speaker gets German; somebody without a language gets the fallback.
    bernd = make_person(world.owner, first_name="Bernd", last_name="Koch", salutation="mr")
    assert render_for(template, bernd).text.startswith("Sehr geehrter Herr Koch")


def test_values_are_escaped_in_html_not_in_text(world):
    person = make_person(world.owner, first_name="<script>", last_name="O'Neil")
    template = template_create(actor=world.owner, name="E", subject_de="Hi {{ person.first_name }}",
                               text_de="{{ person.first_name }}", html_de="<p>{{ person.first_name }}</p>")
    rendered = render_for(template, person)
    assert rendered.text == "<script>"
    assert rendered.html == "<p>&lt;script&gt;</p>"


def test_context_holds_plain_values_only(world):
    context = person_context(world.person, language="de", purpose="offers")

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return isinstance(value, str | int | float | dt.date | type(None)) or type(value).__name__ == "Decimal"

    assert plain(context)
    assert context["person"]["last_name"] == "Müller"


MISSING = """Hallo {{ person.first_name }}!
Zuletzt: {{ last_purchase.product }} / {{ purchases[0].category }} / {{ last_interest.topic_name|upper }}.
{% if last_purchase.amount > 100 %}Danke für Ihre Treue.{% else %}Willkommen.{% endif %}
{{ last_purchase.product|default("unsere Neuheiten") }} {{ last_purchase.amount|round }}{{ last_purchase.amount+1 }}"""


def test_missing_optional_data_renders_empty_for_people_without_it(world):
    """Placeholders of a purchase or interest outside an {% if %} are empty for a new customer."""
    assert template_errors(MISSING) == []
    template = template_create(actor=world.owner, name="T", subject_de="{{ last_purchase.product }} für Sie",
                               text_de=MISSING, html_de="<p>{{ last_interest.topic }}</p>" + MISSING)
    newcomer = make_person(world.owner, first_name="Nina", last_name="Neu")
    rendered = render_for(template, newcomer)
    assert rendered.subject == "für Sie"
    assert rendered.text == "Hallo Nina!\nZuletzt:  /  / .\nWillkommen.unsere Neuheiten "
    assert rendered.html.startswith("<p></p>Hallo Nina!")


def test_a_template_that_cannot_be_filled_in_is_a_clear_error_in_the_preview(client, world):
    """The preview names the problem (API 422, page message), it never crashes."""
    from kunde.core.testing.api import client_for

    template = template_create(actor=world.owner, name="T", subject_de="Hallo {{ person.first_name|round }}",
                               text_de="x", html_de="<p>{{ person.first_name|round }}</p>")
    response = client_for(world, "owner").get(f"/templates/{template.pk}/preview/{world.person.pk}")
    assert response.status_code == 422 and "could not be filled in" in str(response.json())
    client.force_login(world.owner)
    page = client.get(f"/campaigns/templates/{template.pk}/preview", {"person": world.person.pk})
    assert page.status_code == 200
    assert "The template cannot be shown as Jürgen Müller would get it" in page.content.decode()
    html = client.get(f"/campaigns/templates/{template.pk}/preview/{world.person.pk}/html")
    assert html.status_code == 422 and "could not be filled in" in html.content.decode()


def test_the_sandbox_still_refuses_unsafe_attributes_at_render_time():
    from kunde.campaigns.templating import TemplateRenderError, render

    with pytest.raises(TemplateRenderError, match="unsafe"):
        render("{{ person.__class__ }}", {"person": {}})
