"""The retention API: plans CRUD with their lists, 422 with located errors, scoping, effects, customer causes."""

from __future__ import annotations

import datetime as dt

import pytest

from kunde.analytics import refresh
from kunde.analytics.tests.test_refresh import TODAY, buy
from kunde.campaigns.models import Rule
from kunde.core.testing.api import client_for
from kunde.core.testing.factories import make_organisation
from kunde.retention.models import CustomerBindingCause, RetentionPlan
from kunde.retention.tests.factories import fixed_segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(world):
    return fixed_segment(world.owner, [world.person])


def body(segment, **extra):
    return {"name": "Service-Vertrag B2B", "segment": segment.pk, "status": "active", "holdout_percent": 10,
            "causes": [{"cause": "contractual", "weight": 60}, {"cause": "technical", "weight": 40}],
            "instruments": [{"kind": "service", "name": "Wartung", "monthly_cost": "120.00"}], **extra}


def paths(response):
    return [error["path"] for error in response.json()["errors"]]


def test_create_read_update_delete_a_plan(world, segment):
    api = client_for(world, "owner")
    partner = make_organisation(world.owner, name="Montage Meier")
    created = api.post("/retention/plans", body(segment, partners=[{"organisation": partner.pk, "role": "Montage"}]))
    assert created.status_code == 201, created.json()
    plan = created.json()
    assert [c["cause"] for c in plan["causes"]] == ["contractual", "technical"]
    assert plan["instruments"][0]["monthly_cost"] == "120.00" and plan["partners"] == [
        {"organisation": partner.pk, "role": "Montage"}]
    got = api.get(f"/retention/plans/{plan['id']}")
    assert got.status_code == 200 and got.headers["ETag"] == 'W/"1"'
    patched = api.patch(f"/retention/plans/{plan['id']}", {"name": "Service B2B", "causes": [
        {"cause": "economic", "weight": 100}]}, headers={"If-Match": 'W/"1"'})
    assert patched.status_code == 200, patched.json()
    assert patched.json()["name"] == "Service B2B" and [c["cause"] for c in patched.json()["causes"]] == ["economic"]
    assert api.patch(f"/retention/plans/{plan['id']}", {"name": "Alt"},
                     headers={"If-Match": 'W/"1"'}).status_code == 412
    assert [row["name"] for row in api.get("/retention/plans").json()] == ["Service B2B"]
    assert client_for(world, "manager").delete(f"/retention/plans/{plan['id']}").status_code == 204
    assert api.get(f"/retention/plans/{plan['id']}").status_code == 404


def test_bad_plans_answer_422_with_the_place_and_store_nothing(world, segment):
    api = client_for(world, "owner")
    rule = Rule.objects.create(name="Quartalsreview", trigger="quarterly", action="create_task")
    response = api.post("/retention/plans", body(segment, holdout_percent=60, causes=[
        {"cause": "economic", "weight": 120}], instruments=[
        {"kind": "campaign", "linked_type": "campaigns.rule", "linked_id": rule.pk}]))
    assert response.status_code == 422
    assert ["body", "holdout_percent"] in paths(response) or ["body", "causes", 0, "weight"] in paths(response)
    first = api.post("/retention/plans", body(segment, causes=[{"cause": "economic", "weight": 120}]))
    assert first.status_code == 422 and paths(first) == [["body", "causes", 0, "weight"]]
    wrong = api.post("/retention/plans", body(segment, instruments=[
        {"kind": "campaign", "linked_type": "campaigns.rule", "linked_id": rule.pk}]))
    assert wrong.status_code == 422 and paths(wrong) == [["body", "instruments", 0, "linked_type"]]
    assert "executed by campaigns.campaign" in wrong.json()["errors"][0]["message"]
    held = api.post("/retention/plans", body(segment, holdout_percent=51))
    assert held.status_code == 422 and paths(held) == [["body", "holdout_percent"]]
    assert api.post("/retention/plans", {**body(segment), "segment": 999999}).status_code == 422
    assert not RetentionPlan.all_objects.exists()


def test_another_team_gets_404_and_a_reader_cannot_write(world, segment):
    plan = client_for(world, "owner").post("/retention/plans", body(segment)).json()
    other = client_for(world, "other_team")
    assert other.get(f"/retention/plans/{plan['id']}").status_code == 404
    assert other.get(f"/retention/plans/{plan['id']}/effects").status_code == 404
    assert other.patch(f"/retention/plans/{plan['id']}", {"name": "x"}).status_code == 404
    assert other.get("/retention/plans").json() == []
    reader = client_for(world, "read_only")
    assert reader.get(f"/retention/plans/{plan['id']}").status_code == 200
    assert reader.patch(f"/retention/plans/{plan['id']}", {"name": "x"}).status_code == 403
    assert reader.post("/retention/plans", body(segment)).status_code == 403
    assert client_for(world, "anonymous").get("/retention/plans").status_code == 401
    assert RetentionPlan.objects.get().name == "Service-Vertrag B2B"


def test_effects_are_pending_without_a_refresh_and_stored_after_it(world, segment):
    api = client_for(world, "owner")
    plan = api.post("/retention/plans", body(segment, holdout_percent=0)).json()
    assert api.get(f"/retention/plans/{plan['id']}/effects").json()["status"] == "no_refresh"
    buy(world.owner, world.organisation, dt.date(2026, 3, 1), "500.00")  # world.person's employer buys
    refresh.run(today=TODAY)
    effects = api.get(f"/retention/plans/{plan['id']}/effects").json()
    assert effects["status"] == "ready" and effects["comparison"] == "rest"
    members = effects["cohorts"]["members"]
    # The segment's person and the organisation they work for are the plan's customers.
    assert members["members"] == 2 and effects["cohorts"]["holdout"]["members"] == 0
    assert len(members["months"]) == 12 and effects["costs"]["monthly"] == "120.00"
    ranking = api.get("/retention/plans/ranking").json()
    assert [row["plan"] for row in ranking] == [plan["id"]]


def test_customer_binding_causes_read_and_set_by_hand(world):
    api = client_for(world, "owner")
    response = api.put(f"/retention/causes/people/{world.person.pk}", {"causes": [
        {"cause": "contractual", "is_bound": True, "note": "Rahmenvertrag"},
        {"cause": "economic", "is_bound": False}]})
    assert response.status_code == 200, response.json()
    rows = {row["cause"]: row for row in response.json()}
    assert rows["contractual"]["bound"] and rows["contractual"]["manual"]["note"] == "Rahmenvertrag"
    assert not rows["economic"]["bound"] and rows["psychological"]["manual"] is None
    bad = api.put(f"/retention/causes/people/{world.person.pk}", {"causes": [{"cause": "magic", "is_bound": True}]})
    assert bad.status_code == 422
    assert client_for(world, "other_team").get(f"/retention/causes/people/{world.person.pk}").status_code == 404
    reader = client_for(world, "read_only")
    assert reader.get(f"/retention/causes/people/{world.person.pk}").status_code == 200
    assert reader.put(f"/retention/causes/people/{world.person.pk}", {"causes": [
        {"cause": "contractual", "is_bound": None}]}).status_code == 403
    assert CustomerBindingCause.objects.count() == 2
    org = api.get(f"/retention/causes/organisations/{world.organisation.pk}")
    assert org.status_code == 200 and len(org.json()) == 4
