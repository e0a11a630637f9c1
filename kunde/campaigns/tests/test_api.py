"""The templates, campaigns, surveys and rules endpoints: permission matrix, validation, scoping."""

from __future__ import annotations

import pytest

from kunde.campaigns.models import EmailTemplate, Rule
from kunde.campaigns.services import rule_create, survey_create, template_create
from kunde.core.testing.api import client_for
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]
READ = {"anonymous": 401, "read_only": 200, "teammate": 200, "other_team": 200, "owner": 200, "manager": 200,
        "admin": 200}
WRITE = {"anonymous": 401, "read_only": 403, "teammate": 201, "other_team": 201, "owner": 201, "manager": 201,
         "admin": 201}


@pytest.fixture
def template(world):
    return template_create(actor=world.owner, name="T", subject_de="Hallo {{ person.first_name }}", text_de="x")


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("path", ["/templates", "/campaigns", "/surveys", "/rules"])
def test_list_matrix(world, who, path):
    assert client_for(world, who).get(path).status_code == READ[who]


@pytest.mark.parametrize("who", WHO)
def test_create_template_matrix(world, who):
    response = client_for(world, who).post("/templates", {"name": "N", "subject_de": "Hi", "text_de": "x"})
    assert response.status_code == WRITE[who]
    assert EmailTemplate.objects.filter(name="N").exists() == (WRITE[who] == 201)


@pytest.mark.parametrize("who", WHO)
def test_create_rule_and_survey_matrix(world, who, template):
    client = client_for(world, who)
    rule = client.post("/rules", {"name": "R", "trigger": "event", "event_type": "commerce.order_created",
                                  "action": "send_template", "params": {"template_id": template.pk}})
    assert rule.status_code == WRITE[who]
    survey = client.post("/surveys", {"name": "S", "question_de": "Wie?"})
    assert survey.status_code == WRITE[who]


def test_bad_template_is_a_400_with_the_field(world):
    response = client_for(world, "owner").post("/templates", {"name": "N", "subject_de": "{{ person.__class__ }}",
                                                              "text_de": "x"})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["path"][-1] == "subject_de" and "__class__" in body["errors"][0]["message"]


def test_preview_only_for_visible_people(world, template):
    path = f"/templates/{template.pk}/preview/{world.person.pk}"
    assert client_for(world, "owner").get(path).json()["subject"] == "Hallo Jürgen"
    assert client_for(world, "other_team").get(path).status_code == 404


def test_campaign_lifecycle_and_no_consent_message(world, template):
    client = client_for(world, "owner")
    created = client.post("/campaigns", {"name": "C", "template": template.pk,
                                         "segment_definition": {"person_ids": [world.person.pk]}})
    assert created.status_code == 201, created.json()
    campaign_id = created.json()["id"]
    assert client_for(world, "read_only").post(f"/campaigns/{campaign_id}/start").status_code == 403
    start = client.post(f"/campaigns/{campaign_id}/start")
    assert start.status_code == 422 and "nothing was sent" in start.json()["detail"] + str(start.json()["errors"])
    results = client.get(f"/campaigns/{campaign_id}/results").json()
    assert results["recipients"] == 0 and results["roi"] is None


def test_dry_run_and_runs_are_scoped(world):
    other = make_person(world.other_team, last_name="Süd")
    rule = rule_create(actor=world.owner, name="Q", trigger=Rule.Trigger.QUARTERLY,
                       segment_definition={"person_ids": [world.person.pk, other.pk]}, action="create_task",
                       params={"subject": "Review"})
    owner = client_for(world, "owner").post(f"/rules/{rule.pk}/dry-run").json()
    assert owner["count"] == 1 and owner["people"][0]["id"] == world.person.pk
    assert client_for(world, "admin").post(f"/rules/{rule.pk}/dry-run").json()["count"] == 2
    from kunde.campaigns.rules import run_scheduled_rules

    run_scheduled_rules()
    assert len(client_for(world, "owner").get(f"/rules/{rule.pk}/runs").json()) == 1
    assert len(client_for(world, "manager").get(f"/rules/{rule.pk}/runs").json()) == 2


def test_nps_endpoint(world):
    survey = survey_create(actor=world.owner, name="S", question_de="Wie?")
    body = client_for(world, "read_only").get(f"/surveys/{survey.pk}/nps").json()
    assert body == {"total": 0, "promoters": 0, "passives": 0, "detractors": 0, "nps": None}


def test_start_and_results_through_the_api(world, template, consent, outbox):
    consent.allow(world.person)
    client = client_for(world, "owner")
    campaign_id = client.post("/campaigns", {"name": "C", "template": template.pk, "cost": "50",
                                             "segment_definition": {"person_ids": [world.person.pk]}}).json()["id"]
    start = client.post(f"/campaigns/{campaign_id}/start")
    assert start.status_code == 200 and start.json() == {"recipients": 1, "status": "sending"}
    from kunde.campaigns.dispatch import campaign_send_all

    campaign_send_all(campaign_id)
    results = client_for(world, "read_only").get(f"/campaigns/{campaign_id}/results").json()
    assert results["sent"] == 1 and results["cost"] == "50.00" and results["roi"] == "-1.00"
    assert client.patch(f"/campaigns/{campaign_id}", {"name": "late"}).status_code == 422
