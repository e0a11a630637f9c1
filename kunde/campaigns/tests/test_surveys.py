"""Surveys: the public answer page (no login, de/en, once only, expiry), NPS classes, the history
entry, the detractor follow-up task and NPS per period and segment."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from kunde.activities.models import Activity
from kunde.campaigns.models import Survey, SurveyAnswer, nps_class
from kunde.campaigns.selectors import nps_report
from kunde.campaigns.services import survey_create, survey_invite, survey_token
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps(world) -> Survey:
    return survey_create(actor=world.owner, name="NPS Q4", kind="nps",
                         question_de="Wie wahrscheinlich empfehlen Sie uns weiter?",
                         question_en="How likely are you to recommend us?")


def answer_url(invitation) -> str:
    return reverse("campaigns:survey_answer", args=[survey_token(invitation)])


@pytest.mark.parametrize(("score", "klass"), [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"),
                                              (9, "promoter"), (10, "promoter"), (None, "")])
def test_nps_classes(score, klass):
    assert nps_class(score) == klass


def test_public_page_in_the_persons_language_without_login(client, world, nps):
    world.person.preferred_language = "en"
    world.person.save()
    invitation = survey_invite(survey=nps, person=world.person)
    response = client.get(answer_url(invitation))
    assert response.status_code == 200
    assert "How likely are you to recommend us?" in response.content.decode()
    assert 'name="viewport"' in response.content.decode()
    german = client.get(answer_url(invitation) + "?lang=de").content.decode()
    assert "Wie wahrscheinlich" in german


def test_promoter_answer_is_on_the_history_and_the_link_then_closes(client, world, nps):
    invitation = survey_invite(survey=nps, person=world.person)
    response = client.post(answer_url(invitation), {"score": "10", "comment": "Super!"})
    assert response.status_code == 200
    assert "survey-thanks" in response.content.decode()
    entry = Activity.objects.get(person=world.person, kind="campaigns.survey_answered")
    assert entry.mood == 5 and entry.notes == "Super!" and entry.data["class"] == "promoter"
    assert not Activity.objects.filter(kind="task").exists()
    again = client.post(answer_url(invitation), {"score": "0"})
    assert again.status_code == 410
    assert "already answered" in again.content.decode()
    assert SurveyAnswer.objects.count() == 1


def test_detractor_answer_creates_a_task_for_the_owner(client, world, nps):
    invitation = survey_invite(survey=nps, person=world.person)
    client.post(answer_url(invitation), {"score": "3", "comment": "Slow delivery"})
    task = Activity.objects.get(kind="task")
    assert task.assignee == world.owner and task.person == world.person and "3/10" in task.subject


def test_missing_score_asks_again(client, world, nps):
    invitation = survey_invite(survey=nps, person=world.person)
    response = client.post(answer_url(invitation), {"comment": "?"})
    assert response.status_code == 400
    assert SurveyAnswer.objects.count() == 0


def test_forged_and_expired_links_get_a_clear_page(client, world, nps):
    bad = client.get(reverse("campaigns:survey_answer", args=["nonsense:abc"]))
    assert bad.status_code == 404 and "not valid" in bad.content.decode()
    invitation = survey_invite(survey=nps, person=world.person)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=nps.valid_days + 1)):
        late = client.get(answer_url(invitation))
    assert late.status_code == 410 and "closed" in late.content.decode()


def test_nps_per_period_and_segment(client, world, nps):
    people = [make_person(world.owner, last_name=f"P{i}") for i in range(5)]
    for person, score in zip(people, [10, 9, 8, 2, 0], strict=True):
        client.post(answer_url(survey_invite(survey=nps, person=person)), {"score": str(score)})
    report = nps_report(nps)
    assert (report["total"], report["promoters"], report["passives"], report["detractors"]) == (5, 2, 1, 2)
    assert report["nps"] == 0
    segment = nps_report(nps, segment_definition={"person_ids": [people[0].pk, people[1].pk]})
    assert segment["nps"] == 100
    future = nps_report(nps, start=dt.date.today() + dt.timedelta(days=1))
    assert future["total"] == 0 and future["nps"] is None
    # Scoped: another team's member sees none of these people's answers.
    assert nps_report(nps, actor=world.other_team)["total"] == 0


def test_the_360_page_shows_the_last_answer(client, world, nps):
    client.post(answer_url(survey_invite(survey=nps, person=world.person)), {"score": "9"})
    client.force_login(world.owner)
    page = client.get(world.person.get_absolute_url()).content.decode()
    assert "marketing-heading" in page and "(promoter)" in page
    other = make_person(world.owner, last_name="Ohne")
    assert "marketing-heading" not in client.get(other.get_absolute_url()).content.decode()
