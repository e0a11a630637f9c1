"""Binding causes per customer: derived from registered evidence, NPS and personal contacts; overrides; segments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kunde.activities.models import Activity
from kunde.activities.services import contact_log
from kunde.audience.segments import segment_people
from kunde.campaigns.models import Survey, SurveyAnswer, SurveyInvitation
from kunde.contacts.models import Organisation, Person
from kunde.core.exceptions import PermissionDenied
from kunde.core.testing.factories import make_person
from kunde.retention.causes import BindingCause, CauseSource, register_cause_source, unregister_cause_source
from kunde.retention.derived import customer_causes
from kunde.retention.services import customer_cause_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def technical_source():
    """A source as another app registers it: people tagged by name, organisations by name."""
    source = CauseSource(key="test.installed", cause=BindingCause.TECHNICAL, label="Installed system",
                         people=lambda: Person.objects.filter(last_name="Technik").values("pk"),
                         organisations=lambda: Organisation.objects.filter(name="Gunther Glas").values("pk"),
                         evidence=lambda customer: [f"system installed at {customer}"])
    register_cause_source(source)
    yield source
    unregister_cause_source(source.key)


def bound(customer, cause):
    return next(row for row in customer_causes(customer) if row["cause"] == cause)


def rule(operator, value):
    return {"op": "and", "rules": [{"field": "binding_cause", "operator": operator, "value": value}]}


def names(definition, user=None):
    return set(segment_people(definition, user).values_list("last_name", flat=True))


def nps(person, score, days_ago=10):
    survey = Survey.objects.get_or_create(name="NPS", kind=Survey.Kind.NPS)[0]
    invitation = SurveyInvitation.objects.create(survey=survey, person=person)
    answer = SurveyAnswer.objects.create(survey=survey, invitation=invitation, person=person, score=score)
    SurveyAnswer.objects.filter(pk=answer.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))


def test_a_registered_source_binds_its_customers_and_people_through_their_employer(world, technical_source):
    techie = make_person(world.owner, last_name="Technik")
    loner = make_person(world.owner, last_name="Ohne")
    row = bound(techie, "technical")
    assert row["bound"] and row["derived"] and row["evidence"][0]["evidence"] == [f"system installed at {techie}"]
    assert not bound(loner, "technical")["bound"]
    # world.person works for Gunther Glas, which the source binds.
    via = bound(world.person, "technical")["evidence"]
    assert [entry["via"] for entry in via] == [str(world.organisation)]
    assert names(rule("eq", "technical")) == {"Technik", "Müller"}
    assert "Ohne" in names(rule("neq", "technical")) and "Technik" not in names(rule("neq", "technical"))


def test_high_nps_within_a_year_and_many_personal_contacts_are_psychological(world):
    fan = make_person(world.owner, last_name="Fan")
    old_fan = make_person(world.owner, last_name="Altfan")
    critic = make_person(world.owner, last_name="Kritik")
    friend = make_person(world.owner, last_name="Freund")
    nps(fan, 10)
    nps(old_fan, 10, days_ago=400)
    nps(critic, 5)
    for day in range(4):
        contact_log(actor=world.owner, channel="phone", subject="Gespräch", person=friend,
                    occurred_at=timezone.now() - dt.timedelta(days=20 * day + 1))
    # E-mails and entries without a staff author are no personal contact.
    contact_log(actor=world.owner, channel="email", subject="Mail", person=critic)
    assert names(rule("eq", "psychological")) == {"Fan", "Freund"}
    evidence = bound(fan, "psychological")["evidence"][0]["evidence"][0]
    assert evidence.startswith("NPS 10 on ")
    assert bound(friend, "psychological")["evidence"][0]["evidence"][0].startswith("4 personal contacts in 12 months")
    Activity.objects.filter(person=friend).order_by("occurred_at").first().delete()
    assert "Freund" not in names(rule("eq", "psychological"))


def test_the_owner_overrides_a_cause_in_both_directions_and_it_lands_on_the_timeline(world, technical_source):
    techie = make_person(world.owner, last_name="Technik")
    plain = make_person(world.owner, last_name="Vertrag")
    customer_cause_set(actor=world.owner, customer=techie, cause="technical", is_bound=False, note="System abgebaut")
    customer_cause_set(actor=world.owner, customer=plain, cause="contractual", is_bound=True, note="Rahmenvertrag")
    assert not bound(techie, "technical")["bound"] and bound(techie, "technical")["derived"]
    assert bound(plain, "contractual")["manual"].note == "Rahmenvertrag"
    assert names(rule("eq", "technical")) == {"Müller"}
    assert names(rule("in", ["contractual", "economic"])) == {"Vertrag"}
    entry = Activity.objects.filter(person=plain, kind="retention.binding_cause_set").get()
    assert entry.subject == "Binding cause “Contractual” confirmed" and entry.created_by == world.owner
    customer_cause_set(actor=world.owner, customer=techie, cause="technical", is_bound=None)
    assert bound(techie, "technical")["bound"] and bound(techie, "technical")["manual"] is None


def test_only_who_may_change_the_customer_sets_causes_and_bad_causes_are_refused(world):
    for user in (world.read_only, world.other_team):
        with pytest.raises(PermissionDenied):
            customer_cause_set(actor=user, customer=world.person, cause="economic", is_bound=True)
    with pytest.raises(ValidationError):
        customer_cause_set(actor=world.owner, customer=world.person, cause="magic", is_bound=True)
    with pytest.raises(ValidationError, match="unknown binding cause magic"):
        list(segment_people(rule("eq", "magic")))
    assert not Activity.objects.filter(kind="retention.binding_cause_set").exists()


def test_the_segment_condition_is_one_query(world, technical_source, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(segment_people(rule("in", ["technical", "psychological", "economic", "contractual"])))
