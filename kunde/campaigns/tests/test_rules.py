"""Automation rules: once per person and occasion, schedules (the Fidelis quarterly review),
"N days after" (the HandelBlitz offer), actions, dry run and the run log."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from kunde.activities.models import Activity
from kunde.activities.services import contact_log
from kunde.campaigns import rules
from kunde.campaigns.demo import fidelis_quarterly_review_rule, handelblitz_offer_rule
from kunde.campaigns.models import Rule, RuleRun
from kunde.campaigns.services import rule_create, template_create
from kunde.contacts.models import LifecycleStage
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db

Q4 = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)


def tasks_for(person):
    return list(Activity.objects.filter(kind="task", person=person).order_by("id"))


def test_fidelis_quarterly_review_once_per_quarter(world):
    clients = [make_person(world.owner, last_name=f"Kunde {i}") for i in range(3)]
    outsider = make_person(world.owner, last_name="Nicht im Segment")
    rule = fidelis_quarterly_review_rule(segment_definition={"person_ids": [p.pk for p in clients]})
    with time_machine.travel(Q4, tick=False):
        assert rules.run_scheduled_rules() == 3
        assert rules.run_scheduled_rules() == 0  # same quarter: nothing twice
    with time_machine.travel(Q4 + dt.timedelta(days=40), tick=False):
        assert rules.run_scheduled_rules() == 0
    with time_machine.travel(dt.datetime(2027, 1, 5, 8, 0, tzinfo=dt.UTC), tick=False):
        assert rules.run_scheduled_rules() == 3
    for person in clients:
        reviews = tasks_for(person)
        assert [t.assignee for t in reviews] == [world.owner, world.owner]
        assert all("review" in t.subject.lower() or "gespräch" in t.subject.lower() for t in reviews)
    assert tasks_for(outsider) == []
    assert set(RuleRun.objects.filter(rule=rule).values_list("occasion_key", flat=True)) == {"2026-Q4", "2027-Q1"}


def test_event_rule_fires_once_per_occasion(world):
    rule = rule_create(actor=world.owner, name="Tag chatters", trigger="event",
                       event_type="activities.activity_recorded", action="add_tag", params={"tag": "chat"},
                       conditions={"topic_required": True})
    entry = contact_log(actor=world.owner, channel="chat", subject="Rings?", person=world.person, topic="rings")
    payload = {"id": entry.pk}
    rules.handle_event("activities.activity_recorded", payload)
    rules.handle_event("activities.activity_recorded", payload)  # delivered twice
    assert RuleRun.objects.filter(rule=rule).count() == 1
    assert list(world.person.tags.values_list("name", flat=True)) == ["chat"]
    untopical = contact_log(actor=world.owner, channel="phone", subject="Hello", person=world.person)
    rules.handle_event("activities.activity_recorded", {"id": untopical.pk})
    assert RuleRun.objects.filter(rule=rule).count() == 1


def test_events_are_delivered_after_commit(world, django_capture_on_commit_callbacks):
    rule_create(actor=world.owner, name="Stage", trigger="event", event_type="activities.activity_recorded",
                action="set_stage", params={"stage": LifecycleStage.objects.order_by("-position").first().key})
    with django_capture_on_commit_callbacks(execute=True):
        contact_log(actor=world.owner, channel="phone", subject="Call", person=world.person)
    assert RuleRun.objects.get().status == "done"
    world.person.refresh_from_db()
    assert world.person.lifecycle_stage == LifecycleStage.objects.order_by("-position").first()


@override_settings(KUNDE_BASE_URL="https://kunde.test")
def test_handelblitz_offer_seven_days_after_the_question(world, consent, outbox):
    anna = make_person(world.owner, first_name="Anna", last_name="Berg", emails=[{"email": "anna@example.org"}])
    consent.allow(anna)
    rings = template_create(actor=world.owner, name="Ring offer", subject_de="Ringe für {{ person.first_name }}",
                            text_de="{{ person.greeting }}, Sie fragten nach {{ last_interest.topic_name }}.")
    rule = handelblitz_offer_rule(templates_by_topic={"rings": rings.pk})
    with time_machine.travel(Q4, tick=False):
        entry = contact_log(actor=world.owner, channel="chat", subject="Material?", person=anna, topic="rings")
        rules.handle_event("activities.activity_recorded", {"id": entry.pk})
        run = RuleRun.objects.get(rule=rule)
        assert run.status == "pending" and run.due_at == Q4 + dt.timedelta(days=7)
        assert rules.run_due_rule_runs() == 0
    with time_machine.travel(Q4 + dt.timedelta(days=7, minutes=1), tick=False):
        assert rules.run_due_rule_runs() == 1
        assert rules.run_due_rule_runs() == 0
    run.refresh_from_db()
    assert run.status == "done", run.detail
    [mail] = outbox.to("anna@example.org")
    assert mail["subject"] == "Ringe für Anna" and "Sie fragten nach rings" in mail["text"]
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Activity.objects.filter(person=anna, kind="campaigns.email_sent").count() == 1


def test_rule_without_consent_records_a_skip(world, consent, outbox):
    template = template_create(actor=world.owner, name="T", subject_de="Hallo", text_de="x")
    rule = rule_create(actor=world.owner, name="Mail", trigger="event", event_type="activities.activity_recorded",
                       action="send_template", params={"template_id": template.pk})
    entry = contact_log(actor=world.owner, channel="phone", subject="Call", person=world.person)
    rules.handle_event("activities.activity_recorded", {"id": entry.pk})
    run = RuleRun.objects.get(rule=rule)
    assert run.status == "skipped" and "consent" in run.detail
    assert outbox.messages == {}


def test_rule_validation_and_dry_run(world):
    with pytest.raises(ValidationError) as caught:
        rule_create(actor=world.owner, name="Bad", trigger="event", event_type="nope", action="add_tag", params={})
    assert {"event_type", "params"} <= set(caught.value.message_dict)
    inside = make_person(world.owner, first_name="Eva", last_name="Drin")
    rule = fidelis_quarterly_review_rule(segment_definition={"person_ids": [inside.pk, world.person.pk]})
    preview = rules.dry_run(rule, actor=world.owner)
    assert preview["count"] == 2 and {p["name"] for p in preview["people"]} == {"Eva Drin", "Jürgen Müller"}
    assert rules.dry_run(rule, actor=world.other_team)["count"] == 0
    assert not RuleRun.objects.exists() and not Activity.objects.filter(kind="task").exists()
    rules.run_scheduled_rules()
    assert rules.dry_run(rule, actor=world.owner)["count"] == 0


def test_inactive_rules_do_nothing(world):
    rule = fidelis_quarterly_review_rule(segment_definition={"person_ids": [world.person.pk]})
    Rule.objects.filter(pk=rule.pk).update(is_active=False)
    assert rules.run_scheduled_rules() == 0


def test_detractor_rule_creates_a_task_for_the_owner(world, client):
    from django.urls import reverse

    from kunde.campaigns.services import survey_create, survey_invite, survey_token

    survey = survey_create(actor=world.owner, name="NPS", question_de="Wie?", detractor_follow_up=False)
    rule = rule_create(actor=world.owner, name="Detractors", trigger="event", event_type="campaigns.survey_answered",
                       conditions={"nps_class": "detractor"}, action="create_task",
                       params={"subject": "Call back the unhappy customer", "due_days": 1})
    for score in (2, 10):
        invitation = survey_invite(survey=survey, person=world.person)
        client.post(reverse("campaigns:survey_answer", args=[survey_token(invitation)]), {"score": str(score)})
    # The test client commits nothing: deliver the events as the commit would.
    from kunde.campaigns.models import SurveyAnswer

    for answer in SurveyAnswer.objects.order_by("pk"):
        rules.handle_event("campaigns.survey_answered", {"id": answer.pk, "person_id": world.person.pk,
                                                        "score": answer.score})
    assert [t.subject for t in tasks_for(world.person)] == ["Call back the unhappy customer"]
    assert RuleRun.objects.filter(rule=rule).count() == 1


def test_a_rule_whose_segment_was_deleted_does_not_stop_the_other_rules(world):
    """The periodic job notes the broken rule's problem and still serves every other rule."""
    from kunde.audience.services import segment_create, segment_delete

    segment = segment_create(actor=world.owner, name="Nord", definition={"person_ids": [world.person.pk]})
    broken = rule_create(actor=world.owner, name="A broken", trigger="quarterly", segment_id=segment.pk,
                         action="create_task", params={"subject": "Alt"})
    working = rule_create(actor=world.owner, name="B working", trigger="quarterly",
                          segment_definition={"person_ids": [world.person.pk]}, action="create_task",
                          params={"subject": "Quartalsgespräch"})
    segment_delete(actor=world.manager, segment=segment)
    with time_machine.travel(Q4, tick=False):
        assert rules.run_scheduled_rules() == 1
    assert [t.subject for t in tasks_for(world.person)] == ["Quartalsgespräch"]
    assert RuleRun.objects.filter(rule=working).count() == 1 and not RuleRun.objects.filter(rule=broken).exists()
    broken.refresh_from_db()
    assert broken.problem == (f"Not run for 2026-Q4: The segment #{segment.pk} does not exist or is not visible"
                              " to owner.")
    assert broken.problem_at == Q4


def test_a_waiting_run_whose_segment_was_deleted_fails_once_with_the_reason(world):
    """An "N days after" run whose rule's segment is gone fails (is not retried forever)."""
    from kunde.audience.services import segment_create, segment_delete

    segment = segment_create(actor=world.owner, name="Nord", definition={"person_ids": [world.person.pk]})
    rule = rule_create(actor=world.owner, name="Later", trigger="after_event",
                       event_type="activities.activity_recorded", delay_days=7, segment_id=segment.pk,
                       action="create_task", params={"subject": "Nachfassen"})
    entry = contact_log(actor=world.owner, channel="phone", subject="Call", person=world.person)
    rules.handle_event("activities.activity_recorded", {"id": entry.pk})
    segment_delete(actor=world.manager, segment=segment)
    assert rules.run_due_rule_runs(now=timezone.now() + dt.timedelta(days=8)) == 1
    run = RuleRun.objects.get(rule=rule)
    assert run.status == "failed" and f"segment #{segment.pk} does not exist" in run.detail
    assert rules.run_due_rule_runs(now=timezone.now() + dt.timedelta(days=9)) == 0
    with pytest.raises(ValidationError, match=f"#{segment.pk}"):
        rules.dry_run(rule, actor=world.owner)


def test_event_rule_leaves_people_its_creator_may_not_see_alone(world):
    """Another team's rule does not act on this team's customer; the run says why."""
    rule = rule_create(actor=world.other_team, name="Tag", trigger="event", event_type="activities.activity_recorded",
                       action="add_tag", params={"tag": "fremd"})
    entry = contact_log(actor=world.owner, channel="phone", subject="Call", person=world.person)
    rules.handle_event("activities.activity_recorded", {"id": entry.pk})
    run = RuleRun.objects.get(rule=rule)
    assert run.status == "skipped" and run.detail == "The rule's creator other may not see this person."
    assert not world.person.tags.filter(name="fremd").exists()


def test_a_template_that_cannot_be_filled_in_fails_the_run_instead_of_retrying(world, consent, outbox):
    template = template_create(actor=world.owner, name="T", subject_de="Hallo {{ person.first_name|round }}",
                               text_de="x")
    rule = rule_create(actor=world.owner, name="Mail", trigger="after_event",
                       event_type="activities.activity_recorded", delay_days=1, action="send_template",
                       params={"template_id": template.pk})
    consent.allow(world.person)
    entry = contact_log(actor=world.owner, channel="phone", subject="Call", person=world.person)
    rules.handle_event("activities.activity_recorded", {"id": entry.pk})
    assert rules.run_due_rule_runs(now=timezone.now() + dt.timedelta(days=2)) == 1
    run = RuleRun.objects.get(rule=rule)
    assert run.status == "failed" and "could not be filled in" in run.detail
    assert outbox.messages == {}


def test_a_rule_acts_on_attending_a_customer_event(world, django_capture_on_commit_callbacks):
    """Retention apps announce their steps as rule events: attending an event can start a follow-up."""
    from kunde.customer_events.services import event_create, registration_check_in, registration_create

    rule_create(actor=world.owner, name="Nach dem Webinar anrufen", trigger="event",
                event_type="customer_events.attended", action="create_task", params={"subject": "Nachfassen"})
    start = timezone.now() + dt.timedelta(days=2)
    event = event_create(actor=world.owner, title="Marktausblick", starts_at=start,
                         ends_at=start + dt.timedelta(hours=1), capacity=10, status="open",
                         online_url="https://webinar.example/marktausblick")
    with django_capture_on_commit_callbacks(execute=True):
        registration = registration_create(actor=world.owner, event=event, person=world.person)
    assert not RuleRun.objects.exists()  # registering is not attending
    with django_capture_on_commit_callbacks(execute=True):
        registration_check_in(actor=world.owner, registration=registration)
    run = RuleRun.objects.get()
    assert run.status == "done" and run.person == world.person
    assert Activity.objects.filter(kind="task", person=world.person, subject__contains="Nachfassen").exists()
