"""Segment definitions compiled to one query: master data, history, purchases, consent, errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kunde.activities.services import contact_log
from kunde.audience import consent, segments
from kunde.audience.models import Segment
from kunde.audience.services import segment_create, segment_refreeze
from kunde.contacts.models import CustomerGroup, LifecycleStage, Person
from kunde.core.models import CustomFieldDefinition
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db


def rule(field, operator, value=None):
    return {"op": "and", "rules": [{"field": field, "operator": operator, "value": value}]}


def ids(definition, user=None):
    return set(segments.segment_people(definition, user).values_list("pk", flat=True))


@pytest.fixture
def people(world):
    stage = LifecycleStage.objects.order_by("position").first()
    group = CustomerGroup.objects.order_by("position").first()
    berlin = make_person(world.owner, first_name="Bea", last_name="Berlin", preferred_language="en",
                         addresses=[{"street": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin"}],
                         tags=["VIP"], lifecycle_stage=stage, customer_group=group,
                         emails=[{"email": "bea@example.org"}])
    hamburg = make_person(world.owner, first_name="Hanno", last_name="Hamburg",
                          addresses=[{"street": "Alster 2", "postal_code": "20095", "city": "Hamburg",
                                      "country": "DE"}])
    vienna = make_person(world.owner, first_name="Vera", last_name="Wien",
                         addresses=[{"street": "Ring 3", "postal_code": "1010", "city": "Wien", "country": "AT"}],
                         tags=["vip", "Presse"], emails=[{"email": "vera@example.at"}])
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="shoe_size", label="Schuhgröße",
                                         field_type="number")
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="club", label="Club", field_type="text")
    Person.objects.filter(pk=berlin.pk).update(custom_fields={"shoe_size": 38, "club": "gold"})
    Person.objects.filter(pk=vienna.pk).update(custom_fields={"shoe_size": 44})
    return {"berlin": berlin, "hamburg": hamburg, "vienna": vienna, "stage": stage, "group": group}


def test_master_data_fields(world, people):
    b, h, v = people["berlin"].pk, people["hamburg"].pk, people["vienna"].pk
    assert ids(rule("city", "eq", "berlin")) == {b}
    assert ids(rule("city", "in", ["Berlin", "Wien"])) == {b, v}
    assert ids(rule("country", "eq", "AT")) == {v}
    assert ids(rule("country", "neq", "AT")) == {b, h, world.person.pk}
    assert ids(rule("postal_code", "starts_with", "1")) == {b, v}
    assert ids(rule("preferred_language", "eq", "en")) == {b}
    assert ids(rule("lifecycle_stage", "eq", people["stage"].key)) == {b}
    assert ids(rule("customer_group", "in", [people["group"].key])) == {b}
    assert ids(rule("tag", "eq", "vip")) == {b, v}
    assert ids(rule("tag", "not_in", ["Presse"])) == {b, h, world.person.pk}
    assert ids(rule("name", "contains", "ann")) == {h}
    assert ids(rule("name", "eq", "Vera Wien")) == {v}
    assert ids(rule("email", "contains", "@example.org")) == {b}
    assert ids(rule("cf_shoe_size", "gte", 40)) == {v}
    assert ids(rule("cf_club", "eq", "gold")) == {b}
    assert ids(rule("cf_shoe_size", "is_set")) == {b, v}


@pytest.mark.parametrize(("field", "value"), [
    ("cf_a__regex", "^x"), ("cf_shoe_size__regex", ".*"), ("cf_unknown", "x"), ("cf_", "x"),
    ("cf_club__isnull", True),
])
def test_only_defined_custom_fields_are_accepted(people, field, value):
    """An undefined `cf_` key is a clear error naming the rule and the defined keys, never a lookup."""
    with pytest.raises(ValidationError) as error:
        segments.segment_count(rule(field, "eq", value))
    message = error.value.messages[0]
    assert message.startswith("rules[0]: unknown custom field") and "cf_club, cf_shoe_size" in message


def test_custom_field_values_follow_the_fields_type(world, people):
    b, h, v = people["berlin"].pk, people["hamburg"].pk, people["vienna"].pk
    assert ids(rule("cf_shoe_size", "lt", "40")) == {b}
    assert ids(rule("cf_club", "neq", "gold")) == {h, v, world.person.pk}
    assert ids(rule("cf_shoe_size", "not_in", [38])) == {h, v, world.person.pk}
    with pytest.raises(ValidationError, match="rules\\[0\\]: Enter a number"):
        segments.segment_count(rule("cf_shoe_size", "gte", "big"))


def test_nested_groups(world, people):
    definition = {"op": "or", "rules": [
        {"field": "city", "operator": "eq", "value": "Hamburg"},
        {"op": "and", "rules": [{"field": "tag", "operator": "eq", "value": "VIP"},
                                {"field": "country", "operator": "eq", "value": "AT"}]},
    ]}
    assert ids(definition) == {people["hamburg"].pk, people["vienna"].pk}
    assert segments.segment_count(definition) == 2


def test_history_fields(world, people):
    b, h = people["berlin"], people["hamburg"]
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=100)):
        contact_log(actor=world.owner, channel="phone", subject="old", person=h, topic="rings")
    contact_log(actor=world.owner, channel="chat", subject="a", person=b, topic="rings", mood=1)
    contact_log(actor=world.owner, channel="chat", subject="b", person=b, topic="rings")
    contact_log(actor=world.owner, channel="email", subject="c", person=h, topic="rings")
    assert ids(rule("activity", "at_least", {"topic": "rings"})) == {b.pk, h.pk}
    assert ids(rule("activity", "at_least", {"topic": "rings", "days": 30, "times": 2})) == {b.pk}
    assert ids(rule("activity", "at_least", {"topic": "rings", "times": 2})) == {b.pk, h.pk}
    assert ids(rule("activity", "at_least", {"channel": "chat", "mood": [1, 2]})) == {b.pk}
    assert ids(rule("activity", "fewer_than", {"topic": "rings", "days": 30, "times": 2})) == {
        h.pk, people["vienna"].pk, world.person.pk}
    assert ids(rule("activity", "none", {"topic": "rings"})) == {people["vienna"].pk, world.person.pk}


def test_purchase_fields(world, people):
    commerce = pytest.importorskip("kunde.commerce.services")
    from kunde.commerce.models import Product, ProductCategory

    rings = ProductCategory.objects.create(key="rings", name_en="Rings", name_de="Ringe")
    ring = Product.objects.create(sku="R-1", name="Ring", net_price=Decimal("100.00"), category=rings)
    today = timezone.now().date()
    commerce.order_create(actor=world.owner, person=people["berlin"], lines=[{"product": ring, "quantity": 2}],
                          ordered_on=today - dt.timedelta(days=10))
    commerce.order_create(actor=world.owner, person=people["vienna"], lines=[{"product": ring, "quantity": 1}],
                          ordered_on=today - dt.timedelta(days=400))
    b, v = people["berlin"].pk, people["vienna"].pk
    assert ids(rule("purchase", "at_least", {"category": "rings"})) == {b, v}
    assert ids(rule("purchase", "at_least", {"category": "rings", "days": 365})) == {b}
    assert ids(rule("purchase", "at_least", {"category": "rings", "min_total": "150"})) == {b}
    assert ids(rule("purchase", "none", {"category": "rings", "days": 365})) == {
        v, people["hamburg"].pk, world.person.pk}


def test_consent_field(world, people):
    consent.consent_give(actor=None, person=people["berlin"], purpose="newsletter", confirmed=True)
    consent.consent_give(actor=None, person=people["vienna"], purpose="newsletter")  # unconfirmed
    consent.consent_give(actor=None, person=people["hamburg"], purpose="surveys", channel="phone")
    assert ids(rule("consent", "valid", "newsletter")) == {people["berlin"].pk}
    assert ids(rule("consent", "valid", {"purpose": "surveys", "channel": "phone"})) == {people["hamburg"].pk}
    assert people["berlin"].pk not in ids(rule("consent", "not_valid", "newsletter"))


@pytest.mark.parametrize(("definition", "fragment"), [
    (rule("shoe", "eq", "x"), "unknown field"),
    (rule("city", "gt", "x"), "does not apply"),
    (rule("city", "eq", ""), "non-empty"),
    (rule("city", "in", "Berlin"), "list"),
    (rule("activity", "at_least", {"topic": "x", "weeks": 3}), "unknown keys"),
    (rule("activity", "at_least", {"times": 0}), "times"),
    (rule("consent", "valid", "spam"), "Unknown consent purpose"),
    ({"op": "xor", "rules": [{"field": "city", "operator": "eq", "value": "x"}]}, "xor"),
    ({"op": "and", "rules": [{"op": "or", "rules": []}]}, "non-empty"),
    ({"op": "and", "rules": ["city"]}, "must be an object"),
    ([], "must be an object"),
])
def test_bad_definitions_are_refused_clearly(world, definition, fragment):
    with pytest.raises(ValidationError) as error:
        segments.segment_people(definition)
    assert fragment in " ".join(error.value.messages)


def test_too_deep(world):
    definition = {"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "x"}]}
    for _ in range(6):
        definition = {"op": "and", "rules": [definition]}
    with pytest.raises(ValidationError):
        segments.segment_people(definition)


def test_empty_definition_is_nobody_and_person_ids_work(world, people):
    assert ids({}) == set()
    assert ids({"person_ids": [people["berlin"].pk]}) == {people["berlin"].pk}


def test_scoped_to_the_user(world, people):
    foreign = make_person(world.other_team, last_name="Fremd",
                          addresses=[{"street": "x 1", "postal_code": "10115", "city": "Berlin"}])
    assert ids(rule("city", "eq", "Berlin")) == {people["berlin"].pk, foreign.pk}
    assert ids(rule("city", "eq", "Berlin"), world.owner) == {people["berlin"].pk}
    assert ids(rule("city", "eq", "Berlin"), world.other_team) == {foreign.pk}


def test_one_query(world, people):
    definition = {"op": "and", "rules": [
        {"field": "city", "operator": "in", "value": ["Berlin", "Wien"]},
        {"field": "activity", "operator": "fewer_than", "value": {"topic": "x", "times": 3}},
        {"field": "consent", "operator": "not_valid", "value": "offers"},
        {"field": "tag", "operator": "eq", "value": "vip"},
    ]}
    segments.segment_count(definition)  # purposes exist
    with CaptureQueriesContext(connection) as queries:
        assert segments.segment_count(definition) == 2
    assert len(queries) <= 2


def test_frozen_segment_keeps_its_snapshot(world, people):
    segment = segment_create(actor=world.owner, name="Berlin", kind=Segment.Kind.FROZEN,
                             definition=rule("city", "eq", "Berlin"))
    later = make_person(world.owner, addresses=[{"street": "y 2", "postal_code": "10117", "city": "Berlin"}])
    assert ids(segment) == {people["berlin"].pk}
    dynamic = segment_create(actor=world.owner, name="Berlin live", definition=rule("city", "eq", "Berlin"))
    assert ids(dynamic) == {people["berlin"].pk, later.pk}
    segment_refreeze(actor=world.owner, segment=segment)
    assert ids(segment) == {people["berlin"].pk, later.pk}


def test_campaigns_adapter_uses_segments(world, people):
    from kunde.campaigns import integration

    segment = segment_create(actor=world.owner, name="AT", definition=rule("country", "eq", "AT"))
    assert set(integration.segment_people(segment_id=segment.pk).values_list("pk", flat=True)) == {
        people["vienna"].pk}
    assert integration.person_in_segment(people["vienna"], segment_id=None, definition=rule("tag", "eq", "VIP"))


def test_binding_cause_selects_people_bound_themselves_or_through_their_employer(world):
    """A cause set on the organisation binds its people; a person's own "does not bind" wins; bad keys are named."""
    from kunde.retention.services import customer_cause_set

    private = make_person(world.owner, first_name="Pia", last_name="Privat")
    customer_cause_set(actor=world.owner, customer=world.organisation, cause="contractual", is_bound=True)
    customer_cause_set(actor=world.owner, customer=private, cause="economic", is_bound=True)
    assert ids(rule("binding_cause", "eq", "contractual")) == {world.person.pk}
    assert ids(rule("binding_cause", "in", ["economic", "contractual"])) == {world.person.pk, private.pk}
    assert private.pk in ids(rule("binding_cause", "neq", "contractual"))
    customer_cause_set(actor=world.owner, customer=world.person, cause="contractual", is_bound=False)
    assert ids(rule("binding_cause", "eq", "contractual")) == set()
    assert ids(rule("binding_cause", "eq", "economic"), world.other_team) == set()
    with pytest.raises(ValidationError, match="unknown binding cause loyal"):
        ids(rule("binding_cause", "eq", "loyal"))
