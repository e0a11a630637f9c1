"""Plans through the services: all six answers, validation that refuses and keeps what is stored."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from kunde.campaigns.models import Rule
from kunde.core.exceptions import ConflictError, PermissionDenied
from kunde.core.testing.factories import make_organisation
from kunde.retention.models import CareCadence, PlanCause, PlanInstrument, PlanPartner, RetentionPlan
from kunde.retention.services import care_cadence_create, plan_create, plan_delete, plan_update
from kunde.retention.tests.factories import fixed_segment, make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(world):
    return fixed_segment(world.owner, [world.person])


def test_a_plan_records_the_six_answers(world, segment):
    partner = make_organisation(world.owner, name="Montage Meier")
    plan = make_plan(world.owner, segment, binding_object="brand", binding_brand="Topp Desk", cadence="quarterly",
                     interval_days=90, budget_per_year=Decimal("1200.00"), holdout_percent=10,
                     causes=[{"cause": "contractual", "weight": 70, "note": "Servicevertrag"},
                             {"cause": "technical", "weight": 30}],
                     instruments=[{"kind": "service", "name": "Hotline", "monthly_cost": "50.00"},
                                  {"kind": "other", "name": "Geschenk", "one_off_cost": "200"}],
                     partners=[{"organisation": partner.pk, "role": "Montage"}])
    assert plan.owner == world.owner and plan.team == world.team_a and plan.status == "draft"
    assert [(c.cause, c.weight) for c in plan.causes.all()] == [("contractual", 70), ("technical", 30)]
    assert [(i.name, i.monthly_cost, i.one_off_cost) for i in plan.instruments.all()] == [
        ("Hotline", Decimal("50.00"), Decimal("0")), ("Geschenk", Decimal("0"), Decimal("200"))]
    assert [(p.organisation, p.role) for p in plan.partners.all()] == [(partner, "Montage")]


def test_an_instrument_links_to_what_executes_it_and_the_kind_must_match(world, segment):
    rule = Rule.objects.create(name="Quartalsgespräch", trigger="quarterly", action="create_task")
    plan = make_plan(world.owner, segment, instruments=[{"kind": "rule", "linked_id": rule.pk}])
    instrument = plan.instruments.get()
    assert instrument.linked_type == ContentType.objects.get_for_model(Rule) and instrument.linked_id == rule.pk
    with pytest.raises(ValidationError) as error:
        make_plan(world.owner, segment, name="Falsch",
                  instruments=[{"kind": "campaign", "linked_type": "campaigns.rule", "linked_id": rule.pk}])
    assert "executed by campaigns.campaign, not by campaigns.rule" in str(error.value.message_dict[
        "instruments.0.linked_type"])
    with pytest.raises(ValidationError) as error:
        make_plan(world.owner, segment, name="Fehlt", instruments=[{"kind": "rule", "linked_id": 999999}])
    assert "There is no campaigns.rule #999999" in str(error.value.message_dict["instruments.0.linked_id"])
    with pytest.raises(ValidationError) as error:
        make_plan(world.owner, segment, name="Ohne", instruments=[{"kind": "community", "linked_type": "campaigns.rule",
                                                                   "linked_id": rule.pk}])
    assert "leave the link empty" in str(error.value)
    assert RetentionPlan.objects.count() == 1  # the refused plans left nothing behind


@pytest.mark.parametrize(("fields", "key", "message"), [
    ({"holdout_percent": 60}, "holdout_percent", "less than or equal to 50"),
    ({"causes": [{"cause": "economic", "weight": 101}]}, "causes.0.weight", "0 to 100"),
    ({"causes": [{"cause": "magic", "weight": 5}]}, "causes.0.cause", "Unknown binding cause"),
    ({"causes": [{"cause": "economic"}, {"cause": "economic"}]}, "causes.1.cause", "twice"),
    ({"instruments": [{"kind": "other", "monthly_cost": "-5"}]}, "instruments.0.monthly_cost", "negative"),
    ({"instruments": [{"kind": "other", "monthly_cost": "viel"}]}, "instruments.0.monthly_cost", "amount"),
    ({"partners": [{"organisation": 999999, "role": "x"}]}, "partners.0.organisation", "Unknown organisation"),
    ({"name": "  "}, "name", "cannot be blank"),
])
def test_bad_input_is_refused_with_the_place_and_nothing_is_stored(world, segment, fields, key, message):
    with pytest.raises(ValidationError) as error:
        make_plan(world.owner, segment, **fields)
    assert message in " ".join(error.value.message_dict[key])
    assert not RetentionPlan.all_objects.exists() and not PlanCause.objects.exists()


def test_update_replaces_the_lists_and_a_bad_row_changes_nothing(world, segment):
    plan = make_plan(world.owner, segment, causes=[{"cause": "economic", "weight": 40}])
    plan = plan_update(actor=world.owner, plan=plan, changes={"status": "active"}, expected_version=plan.version,
                       causes=[{"cause": "psychological", "weight": 80}])
    assert plan.status == "active" and list(plan.causes.values_list("cause", flat=True)) == ["psychological"]
    with pytest.raises(ValidationError):
        plan_update(actor=world.owner, plan=plan, changes={"name": "Neu"},
                    causes=[{"cause": "economic", "weight": 500}])
    plan.refresh_from_db()
    assert plan.name == "Treue für Stammkunden" and list(plan.causes.values_list("cause", flat=True)) == [
        "psychological"]
    with pytest.raises(ConflictError):
        plan_update(actor=world.owner, plan=plan, changes={"name": "Alt"}, expected_version=1)


def test_only_who_may_change_the_plan_changes_it(world, segment):
    plan = make_plan(world.owner, segment)
    for user in (world.read_only, world.other_team):
        with pytest.raises(PermissionDenied):
            plan_update(actor=user, plan=plan, changes={"name": "Übernahme"})
    with pytest.raises(PermissionDenied):
        plan_create(actor=world.read_only, name="Leser", segment=segment)
    with pytest.raises(PermissionDenied):  # members may not delete
        plan_delete(actor=world.owner, plan=plan)
    plan_delete(actor=world.manager, plan=plan)
    assert not RetentionPlan.objects.exists() and RetentionPlan.all_objects.count() == 1


def test_a_plan_needs_a_segment_its_author_may_see(world):
    foreign = fixed_segment(world.other_team, [], name="Fremd")
    with pytest.raises(ValidationError) as error:
        make_plan(world.owner, foreign)
    assert error.value.message_dict["segment"] == ["Unknown segment."]


def test_a_care_cadence_is_an_instrument_of_its_plan(world, segment):
    plan = make_plan(world.owner, segment)
    cadence = care_cadence_create(actor=world.owner, plan=plan, name="Quartalsreview", every_days=90,
                                  task_subject="Quartalsgespräch führen")
    plan = plan_update(actor=world.owner, plan=plan, changes={},
                       instruments=[{"kind": "care", "linked_id": cadence.pk, "monthly_cost": "100"}])
    assert PlanInstrument.objects.get(plan=plan).linked_id == cadence.pk
    assert CareCadence.objects.for_user(world.other_team).count() == 0
    assert PlanPartner.objects.count() == 0
