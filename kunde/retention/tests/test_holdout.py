"""The hold-out group: the same customers every time, about the chosen share, in Python and in SQL alike."""

from __future__ import annotations

import numpy as np
import pytest

from kunde.contacts.models import Person
from kunde.retention import holdout
from kunde.retention.selectors import holdout_people, in_holdout, reachable_people
from kunde.retention.tests.factories import fixed_segment, make_plan

pytestmark = pytest.mark.django_db


def test_the_bucket_is_stable_and_the_share_matches_the_percentage():
    ids = np.arange(1, 20_001)
    buckets = holdout.buckets_array(7, ids)
    assert [holdout.bucket(7, int(i)) for i in ids[:50]] == list(buckets[:50])
    assert list(holdout.buckets_array(7, ids[:50])) == list(buckets[:50])  # stable over calls
    for percent in (5, 10, 25, 50):
        share = float((buckets < holdout.threshold(percent)).mean())
        assert abs(share - percent / 100) < 0.012, (percent, share)
    # Another plan draws another group.
    other = holdout.buckets_array(8, ids) < holdout.threshold(10)
    mine = buckets < holdout.threshold(10)
    assert 0.005 < float((other & mine).mean()) < 0.02


def test_sql_and_python_agree_and_instruments_can_filter_the_group_out(world):
    people = Person.objects.bulk_create([Person(last_name=f"H{i}", owner=world.owner) for i in range(400)])
    plan = make_plan(world.owner, fixed_segment(world.owner, people), holdout_percent=20)
    held = set(holdout_people(plan).values_list("pk", flat=True))
    assert held == {p.pk for p in people if in_holdout(plan, p)}
    assert 50 <= len(held) <= 110
    reachable = set(reachable_people(plan).values_list("pk", flat=True))
    assert reachable == {p.pk for p in people} - held
    plan.holdout_percent = 0
    assert not holdout_people(plan).exists() and reachable_people(plan).count() == 400


def test_rules_and_campaigns_that_are_a_plans_instruments_leave_its_control_group_alone(world):
    from kunde.activities.models import Activity
    from kunde.campaigns import integration, rules
    from kunde.campaigns.models import Campaign, Rule
    from kunde.retention.models import PlanStatus

    members = Person.objects.bulk_create([Person(last_name=f"M{i}", owner=world.owner) for i in range(60)])
    outsiders = Person.objects.bulk_create([Person(last_name=f"O{i}", owner=world.owner) for i in range(60)])
    rule = Rule.objects.create(name="Persönliche Betreuung", trigger="event", event_type="contacts.person_updated",
                               action="create_task", params={"subject": "Anrufen"}, created_by=world.owner)
    campaign = Campaign.objects.create(name="Treue-Mailing", created_by=world.owner)
    plan = make_plan(world.owner, fixed_segment(world.owner, members), holdout_percent=50, status=PlanStatus.ACTIVE,
                     instruments=[{"kind": "rule", "linked_id": rule.pk},
                                  {"kind": "campaign", "linked_id": campaign.pk}])
    held = {p.pk for p in members if in_holdout(plan, p)}
    assert 15 < len(held) < 45

    runs = {person.pk: rules.fire(rule, person, "probe") for person in members + outsiders}
    skipped = {pk for pk, run in runs.items() if run.status == "skipped"}
    assert skipped == held  # outsiders are not part of the comparison, whatever their bucket
    assert "control group" in runs[next(iter(held))].detail
    assert Activity.objects.filter(kind="task").count() == len(members) + len(outsiders) - len(held)

    everyone = Person.objects.filter(pk__in=[p.pk for p in members + outsiders])
    assert set(integration.without_held_out(campaign, everyone).values_list("pk", flat=True)) == (
        {p.pk for p in members + outsiders} - held)
    other = Campaign.objects.create(name="Newsletter", created_by=world.owner)  # not an instrument of the plan
    assert integration.without_held_out(other, everyone).count() == 120
