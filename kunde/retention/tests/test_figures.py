"""Plan effects on a small hand-made data set: members vs hold-out vs the rest, costs, RoR, the ranking.

The month is November 2026 (the days after 31 October up to 30 November) with the default
inactivity window of 365 days: a customer is active on a day when their last purchase is less
than 365 days before it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kunde.activities.services import contact_log
from kunde.analytics import refresh
from kunde.analytics.models import CustomerScore
from kunde.analytics.tests.test_refresh import TODAY, buy
from kunde.contacts.models import Person
from kunde.core.testing.factories import make_person
from kunde.retention import figures
from kunde.retention.models import Cohort, PlanFigureRow
from kunde.retention.selectors import in_holdout, overview, plan_effects
from kunde.retention.tests.factories import fixed_segment, make_plan
from kunde.retention.tests.test_causes import nps

pytestmark = pytest.mark.django_db
NOV = "2026-11"


@pytest.fixture
def shop(world):
    """M1 churns in November, M2 stays (and repeats), R1 stays, R2 and R3 churn."""
    people = {name: make_person(world.owner, first_name="Kundin", last_name=name)
              for name in ("M1", "M2", "R1", "R2", "R3")}
    buy(world.owner, people["M1"], dt.date(2025, 11, 15), "80.00")
    buy(world.owner, people["M2"], dt.date(2025, 11, 15), "50.00")
    buy(world.owner, people["M2"], dt.date(2026, 6, 1), "50.00")
    buy(world.owner, people["M2"], dt.date(2026, 11, 5), "100.00")
    buy(world.owner, people["R1"], dt.date(2026, 5, 1), "60.00")
    buy(world.owner, people["R2"], dt.date(2025, 11, 10), "60.00")
    buy(world.owner, people["R3"], dt.date(2025, 11, 20), "60.00")
    contact_log(actor=world.owner, channel="phone", subject="Beratung", person=people["M1"], mood=4,
                duration_minutes=30, occurred_at=dt.datetime(2026, 11, 10, 10, tzinfo=dt.UTC))
    nps(people["M2"], 10, days_ago=0)
    from kunde.campaigns.models import SurveyAnswer

    SurveyAnswer.objects.filter(person=people["M2"]).update(created_at=dt.datetime(2026, 11, 15, 9, tzinfo=dt.UTC))
    return people


def month(effects, cohort):
    return next(row for row in effects["series"][cohort] if row["month"] == NOV)


def test_members_against_the_rest_with_costs_and_return_on_relationship(world, shop):
    refresh.run(today=TODAY)
    # Too few customers for the CLV model: set the predictions as a larger refresh would.
    CustomerScore.objects.filter(person=shop["M1"]).update(predicted_clv=100.0)
    CustomerScore.objects.filter(person=shop["M2"]).update(predicted_clv=300.0)
    plan = make_plan(world.owner, fixed_segment(world.owner, [shop["M1"], shop["M2"]]), status="active",
                     starts_on=dt.date(2026, 1, 1),
                     instruments=[{"kind": "other", "name": "Treuebonus", "monthly_cost": "70.00",
                                   "one_off_cost": "500.00"}])
    assert figures.request(plan)  # the immediate task backend computed them
    effects = plan_effects(world.owner, plan)
    members, rest = month(effects, Cohort.MEMBERS), month(effects, Cohort.REST)
    assert (members["active_start"], members["retention_rate"], members["churn_rate"]) == (2, 0.5, 0.5)
    assert members["repurchase_rate"] == 0.5  # M2 bought on more than one day, M1 did not
    assert (members["nps"], members["mood"]) == (100.0, 4.0)
    # Revenue 100 € / (30 minutes x 60 €/h + 70 € instruments) = 1.0
    assert members["instrument_cost"] == 70.0 and members["return_on_relationship"] == pytest.approx(1.0)
    assert (rest["active_start"], rest["retention_rate"]) == (3, pytest.approx(1 / 3))
    assert rest["churn_rate"] == pytest.approx(2 / 3) and rest["repurchase_rate"] == 0.0
    assert rest["instrument_cost"] == 0.0 and rest["return_on_relationship"] is None  # no revenue, no cost
    assert effects["comparison"] == Cohort.REST
    assert effects["costs"]["monthly"] == Decimal("70.00") and effects["costs"]["per_member_month"] == Decimal(
        "35.00")
    january = next(row for row in effects["series"][Cohort.MEMBERS] if row["month"] == "2026-01")
    assert january["instrument_cost"] == 570.0  # the one-off cost falls in the first month
    assert effects["year"][Cohort.MEMBERS]["members"] == 2
    assert effects["year"][Cohort.MEMBERS]["predicted_clv"] == 200.0


def test_the_hold_out_group_is_measured_apart_and_figures_follow_the_plan(world, shop):
    candidates = [make_person(world.owner, last_name=f"K{i}") for i in range(16)]
    plan = make_plan(world.owner, fixed_segment(world.owner, candidates), holdout_percent=50)
    held = [p for p in candidates if in_holdout(plan, p)]
    kept = [p for p in candidates if not in_holdout(plan, p)]
    assert held and kept
    buy(world.owner, held[0], dt.date(2026, 1, 10), "40.00")  # retained in November
    buy(world.owner, kept[0], dt.date(2025, 11, 12), "40.00")  # churns in November
    refresh.run(today=TODAY)
    figures.compute(plan)
    effects = plan_effects(world.owner, plan)
    assert effects["comparison"] == Cohort.HOLDOUT
    assert month(effects, Cohort.HOLDOUT)["retention_rate"] == 1.0
    assert month(effects, Cohort.MEMBERS)["retention_rate"] == 0.0
    assert effects["stored"].holdout == len(held) and effects["stored"].members == len(kept)
    # Over 12 months: the member was active at the start of 12 months and kept in 11 of them
    # (11/12); the held-out customer was active at the start of Feb-Nov and kept in all (10/10).
    assert effects["effect"]["retention_uplift_pp"] == pytest.approx((11 / 12 - 1) * 100)
    # A changed plan (another segment) makes the stored figures stale until recomputed.
    from kunde.retention.services import plan_update

    plan = plan_update(actor=world.owner, plan=plan, changes={"holdout_percent": 0})
    assert not figures.ready(plan)
    assert figures.request(plan) and plan_effects(world.owner, plan)["comparison"] == Cohort.REST


def test_another_team_sees_no_figures_of_customers_it_cannot_see(world, shop):
    refresh.run(today=TODAY)
    plan = make_plan(world.owner, fixed_segment(world.owner, [shop["M1"], shop["M2"]]))
    figures.compute(plan)
    assert PlanFigureRow.objects.filter(plan=plan).exists()
    assert plan_effects(world.other_team, plan)["year"][Cohort.MEMBERS]["members"] == 0


def test_the_overview_ranks_plans_by_effect_per_thousand_euros(world, shop):
    refresh.run(today=TODAY)
    segment = fixed_segment(world.owner, [shop["R1"]])  # R1 stays: +66.7 points over R2/R3 and the others
    cheap = make_plan(world.owner, segment, name="Günstig", starts_on=dt.date(2026, 1, 1),
                      instruments=[{"kind": "other", "monthly_cost": "10"}])
    dear = make_plan(world.owner, segment, name="Teuer", starts_on=dt.date(2026, 1, 1),
                     instruments=[{"kind": "other", "monthly_cost": "100"}])
    free = make_plan(world.owner, segment, name="Ohne Kosten")
    unmeasured = make_plan(world.owner, fixed_segment(world.owner, [make_person(world.owner, last_name="Neu")]),
                           name="Ohne Kauf", instruments=[{"kind": "other", "monthly_cost": "1"}])
    for plan in (cheap, dear, free, unmeasured):
        figures.compute(plan)
    ranked = overview(world.owner)
    assert [row["plan"].name for row in ranked] == ["Günstig", "Teuer", "Ohne Kosten", "Ohne Kauf"]
    assert ranked[0]["effect"]["retention_per_1000"] == pytest.approx(
        ranked[1]["effect"]["retention_per_1000"] * 10)
    assert not Person.objects.filter(last_name="Neu", orders__isnull=False).exists()
