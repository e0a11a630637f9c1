"""Scores in segment conditions (marketing): own scores, an employer's scores, bad values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kunde.analytics import refresh
from kunde.analytics.models import CustomerScore
from kunde.analytics.tests.test_refresh import TODAY, buy
from kunde.audience.segments import segment_people
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db


def rule(field, operator, value=None):
    body = {"field": field, "operator": operator}
    if value is not None:
        body["value"] = value
    return {"op": "and", "rules": [body]}


def test_segments_select_people_by_their_scores_and_their_employers(world):
    anna = make_person(world.owner, first_name="Anna", last_name="Privat")
    bert = make_person(world.owner, first_name="Bert", last_name="Neu")
    buy(world.owner, anna, dt.date(2025, 1, 10), "50.00")
    buy(world.owner, bert, dt.date(2026, 11, 20), "50.00")
    buy(world.owner, world.organisation, dt.date(2024, 12, 1), "900.00")  # world.person works there
    refresh.run(today=TODAY)
    CustomerScore.objects.filter(person=anna).update(churn_risk=0.9, rfm_segment="lost")
    CustomerScore.objects.filter(person=bert).update(churn_risk=0.1, rfm_segment="new")
    CustomerScore.objects.filter(organisation=world.organisation).update(churn_risk=0.7, rfm_segment="cant_lose")

    risky = set(segment_people(rule("churn_risk", "gte", 0.5)).values_list("last_name", flat=True))
    assert risky == {"Privat", "Müller"}
    new = set(segment_people(rule("rfm_segment", "in", ["new", "champions"])).values_list("last_name", flat=True))
    assert new == {"Neu"}
    unscored = set(segment_people(rule("churn_risk", "is_empty")).values_list("last_name", flat=True))
    assert "Privat" not in unscored and "Neu" not in unscored
    # The same condition through a member's eyes: only what they may see.
    assert not segment_people(rule("churn_risk", "gte", 0.5), user=world.other_team).exists()


@pytest.mark.parametrize(("definition", "message"), [
    (rule("rfm_segment", "eq", "vip"), "unknown RFM segment vip"),
    (rule("churn_risk", "gte", "viel"), "must be a number"),
    (rule("churn_risk", "gte", True), "must be a number"),
    (rule("churn_risk", "contains", "1"), "does not apply"),
])
def test_bad_score_conditions_are_refused_with_the_reason(world, definition, message):
    with pytest.raises(ValidationError, match=message):
        list(segment_people(definition))
