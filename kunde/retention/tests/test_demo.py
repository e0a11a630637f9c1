"""The demo data holds one measured retention plan per story, and loading it again changes nothing."""

from __future__ import annotations

import pytest

from kunde.demo.generator import DemoGenerator
from kunde.retention import figures
from kunde.retention.demo import FIDELIS, HANDELBLITZ, TOPP_DESK, load_demo_retention
from kunde.retention.models import CareCadence, PlanFigures, RetentionPlan

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_measured_plan_per_story(default_rows):
    DemoGenerator(seed=11, customers=40, staff_password="Demo-Passw0rd-1").run()
    plans = {plan.name: plan for plan in RetentionPlan.objects.all()}
    assert set(plans) == {HANDELBLITZ, FIDELIS, TOPP_DESK}
    for plan in plans.values():
        assert figures.ready(plan), plan.name
        assert plan.owner is not None and plan.status == "active"
    assert PlanFigures.objects.filter(members__gt=0).count() == 3
    fidelis = plans[FIDELIS]
    kinds = set(fidelis.instruments.values_list("kind", flat=True))
    assert "care" in kinds and "rule" in kinds  # the quarterly review rule of the campaigns demo
    assert CareCadence.objects.get(plan=fidelis).every_days == 90
    assert set(plans[TOPP_DESK].causes.values_list("cause", flat=True)) == {"contractual", "technical"}
    assert plans[HANDELBLITZ].holdout_percent == 10
    load_demo_retention(actor=None)
    assert RetentionPlan.objects.count() == 3 and CareCadence.objects.count() == 1
