"""The templates, campaigns, surveys and rules endpoints: permission matrix, validation, scoping."""

from __future__ import annotations

import pytest

from kunde.audience.services import segment_create, segment_delete
from kunde.campaigns.dispatch import campaign_send_all
from kunde.campaigns.models import Campaign, CampaignRecipient, EmailTemplate, Rule
from kunde.campaigns.rules import run_scheduled_rules
from kunde.campaigns.services import campaign_create, rule_create, survey_create, template_create
from kunde.contacts.models import Person
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
    rule = rule_create(actor=world.admin, name="Q", trigger=Rule.Trigger.QUARTERLY,
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


# --- recipients and rule targets: only people the acting user may see ---------------------------

# The owner's segment (team A) is visible to team A and everybody who sees all; not to team B.
SEGMENT_WRITE = {"anonymous": 401, "read_only": 403, "teammate": 201, "other_team": 422, "owner": 201,
                 "manager": 201, "admin": 201}
SEGMENT_READ = {"anonymous": 401, "read_only": 200, "teammate": 200, "other_team": 422, "owner": 200,
                "manager": 200, "admin": 200}


@pytest.fixture
def south(world):
    """A customer of team B (owned by the other team's member), invisible to team A's members."""
    return make_person(world.other_team, first_name="Sina", last_name="Süd", emails=[{"email": "sina@sued.example"}])


@pytest.fixture
def north_segment(world, south):
    """The owner's segment naming both customers; who it reaches depends on who uses it."""
    return segment_create(actor=world.owner, name="Nord", definition={"person_ids": [world.person.pk, south.pk]})


def _recipient_ids(campaign_id):
    return set(CampaignRecipient.objects.filter(campaign_id=campaign_id).values_list("person_id", flat=True))


@pytest.mark.parametrize("who", WHO)
def test_create_campaign_with_a_segment_matrix(world, who, template, north_segment):
    """Only a segment the writer may see can be chosen; another team's is a 422 naming the field."""
    response = client_for(world, who).post("/campaigns", {"name": "C", "template": template.pk,
                                                          "segment_id": north_segment.pk})
    assert response.status_code == SEGMENT_WRITE[who]
    assert Campaign.objects.filter(name="C").exists() == (SEGMENT_WRITE[who] == 201)
    if response.status_code == 422:
        error = response.json()["errors"][0]
        assert error["path"][-1] == "segment_id" and f"#{north_segment.pk}" in error["message"]


@pytest.mark.parametrize("bad", ["unknown", "deleted"])
def test_campaign_with_an_unknown_or_deleted_segment_is_a_422(world, template, north_segment, bad):
    client = client_for(world, "owner")
    if bad == "deleted":
        segment_delete(actor=world.manager, segment=north_segment)
    segment_id = north_segment.pk if bad == "deleted" else north_segment.pk + 1000
    response = client.post("/campaigns", {"name": "C", "template": template.pk, "segment_id": segment_id})
    assert response.status_code == 422 and response.json()["errors"][0]["path"][-1] == "segment_id"
    assert not Campaign.objects.filter(name="C").exists()


START = {"anonymous": 401, "read_only": 403, "teammate": 200, "other_team": 200, "owner": 200, "manager": 200,
         "admin": 200}


@pytest.mark.parametrize("who", WHO)
def test_start_sends_only_to_people_the_starter_may_see_matrix(world, who, template, south, consent, outbox):
    """A fixed list of ids reaches only the starter's visible people, whoever wrote the list."""
    consent.allow(world.person, south)
    campaign = campaign_create(actor=world.admin, name="C", template=template,
                               segment_definition={"person_ids": [world.person.pk, south.pk]})
    response = client_for(world, who).post(f"/campaigns/{campaign.pk}/start")
    assert response.status_code == START[who]
    expected = {"anonymous": set(), "read_only": set(), "teammate": {world.person.pk}, "other_team": {south.pk},
                "owner": {world.person.pk}, "manager": {world.person.pk, south.pk},
                "admin": {world.person.pk, south.pk}}[who]
    assert _recipient_ids(campaign.pk) == expected
    if START[who] == 200:
        assert response.json()["recipients"] == len(expected)
        campaign_send_all(campaign.pk)
        assert {m["to"] for m in outbox.messages.values()} == {
            Person.objects.get(pk=pk).emails.get().email for pk in expected}


@pytest.mark.parametrize("who", WHO)
def test_start_with_another_teams_segment_matrix(world, who, template, north_segment, south, consent, outbox):
    """Starting a campaign on a segment the starter may not see is a 422; nothing is frozen or sent."""
    consent.allow(world.person)
    campaign = campaign_create(actor=world.owner, name="C", template=template, segment_id=north_segment.pk)
    response = client_for(world, who).post(f"/campaigns/{campaign.pk}/start")
    expected = {**START, "other_team": 422}
    assert response.status_code == expected[who]
    campaign.refresh_from_db()
    if expected[who] == 200:
        assert campaign.status == Campaign.Status.SENDING
        seen = {world.person.pk} if who in ("teammate", "owner") else {world.person.pk, south.pk}
        assert _recipient_ids(campaign.pk) == seen
    else:
        assert campaign.status == Campaign.Status.DRAFT and _recipient_ids(campaign.pk) == set()
        assert outbox.messages == {}
    if who == "other_team":
        assert f"#{north_segment.pk}" in str(response.json())


def test_starting_a_campaign_whose_segment_was_deleted_is_a_422(world, template, north_segment, consent):
    consent.allow(world.person)
    campaign = campaign_create(actor=world.owner, name="C", template=template, segment_id=north_segment.pk)
    segment_delete(actor=world.manager, segment=north_segment)
    response = client_for(world, "owner").post(f"/campaigns/{campaign.pk}/start")
    assert response.status_code == 422
    assert f"#{north_segment.pk} does not exist" in str(response.json())
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT and _recipient_ids(campaign.pk) == set()


RESULTS = {"anonymous": None, "read_only": 1, "teammate": 1, "other_team": 1, "owner": 1, "manager": 2, "admin": 2}


@pytest.mark.parametrize("who", WHO)
def test_results_count_only_recipients_the_user_may_see_matrix(world, who, template, south, consent, outbox):
    consent.allow(world.person, south)
    campaign = campaign_create(actor=world.admin, name="C", template=template,
                               segment_definition={"person_ids": [world.person.pk, south.pk]})
    assert client_for(world, "admin").post(f"/campaigns/{campaign.pk}/start").json()["recipients"] == 2
    campaign_send_all(campaign.pk)
    response = client_for(world, who).get(f"/campaigns/{campaign.pk}/results")
    assert response.status_code == READ[who]
    if RESULTS[who] is not None:
        assert response.json()["recipients"] == response.json()["sent"] == RESULTS[who]


@pytest.mark.parametrize("who", WHO)
def test_nps_by_segment_matrix(world, who, north_segment):
    survey = survey_create(actor=world.owner, name="S", question_de="Wie?")
    response = client_for(world, who).get(f"/surveys/{survey.pk}/nps", {"segment_id": north_segment.pk})
    assert response.status_code == SEGMENT_READ[who]
    if response.status_code == 422:
        assert f"#{north_segment.pk}" in str(response.json())


def test_nps_by_an_unknown_segment_is_a_422(world):
    survey = survey_create(actor=world.owner, name="S", question_de="Wie?")
    response = client_for(world, "admin").get(f"/surveys/{survey.pk}/nps", {"segment_id": 987654})
    assert response.status_code == 422 and "#987654" in str(response.json())


@pytest.mark.parametrize("who", WHO)
def test_create_rule_with_a_segment_matrix(world, who, north_segment):
    response = client_for(world, who).post("/rules", {
        "name": "R", "trigger": "quarterly", "segment_id": north_segment.pk, "action": "create_task",
        "params": {"subject": "Review"}})
    assert response.status_code == SEGMENT_WRITE[who]
    assert Rule.objects.filter(name="R").exists() == (SEGMENT_WRITE[who] == 201)


# Who a creator's tagging rule tags: the people that creator may change (and so see).
TAGGED = {"teammate": set(), "other_team": {"south"}, "owner": {"north"}, "manager": {"north"},
          "admin": {"north", "south"}}


@pytest.mark.parametrize("who", WHO)
def test_rule_acts_with_its_creators_visibility_matrix(world, who, south):
    """A rule tags only people its creator may change, even when it names others by id."""
    response = client_for(world, who).post("/rules", {
        "name": "Tag", "trigger": "quarterly", "segment_definition": {"person_ids": [world.person.pk, south.pk]},
        "action": "add_tag", "params": {"tag": "quartal"}})
    assert response.status_code == WRITE[who]
    run_scheduled_rules()
    tagged = {name for name, person in (("north", world.person), ("south", south))
              if person.tags.filter(name="quartal").exists()}
    assert tagged == TAGGED.get(who, set())
    if who == "teammate":  # sees the owner's customer, may not change them: a skipped run says why
        run = Rule.objects.get(name="Tag").runs.get()
        assert run.person_id == world.person.pk and run.status == "skipped" and "may not change" in run.detail
