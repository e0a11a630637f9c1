"""Lead scoring: rules and the model learned from won/lost deals (it refuses with too little history)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kunde.sales.models import Deal, Lead, ScoringRule
from kunde.sales.scoring import MIN_PER_CLASS, learned_model, learned_score, rule_score
from kunde.sales.services import deal_create, deal_lose, deal_win

pytestmark = pytest.mark.django_db


def test_rule_conditions_and_factors(db):
    ScoringRule.objects.create(field="message", condition="contains", value="schreibtisch", points=20)
    ScoringRule.objects.create(field="phone", condition="is_empty", points=-5)
    ScoringRule.objects.create(field="campaign", condition="equals", value="Messe", points=7, is_active=False)
    score, factors = rule_score(Lead(message="50 Schreibtische bitte", campaign="messe"))
    assert score == 15 and len(factors) == 2


def _closed(world, sales, n, *, win, source, amount):
    for index in range(n):
        deal = deal_create(actor=world.owner, title=f"{source}-{index}", organisation=world.organisation,
                           amount=Decimal(amount), source=source)
        if win:
            deal_win(actor=world.owner, deal=deal)
        else:
            deal_lose(actor=world.owner, deal=deal, reason=sales.reason)


def test_learned_model_needs_history(world, sales):
    _closed(world, sales, 5, win=True, source="referral", amount=20000)
    model = learned_model()
    assert not model.ready and "Too little history" in model.message and model.won == 5
    assert learned_score(model, Deal.objects.first()) is None


def test_learned_model_explains_factors(world, sales):
    _closed(world, sales, MIN_PER_CLASS, win=True, source="referral", amount=20000)
    _closed(world, sales, MIN_PER_CLASS, win=False, source="web_form", amount=500)
    model = learned_model()
    assert model.ready and model.won == model.lost == MIN_PER_CLASS
    weights = dict(model.factors())
    assert weights["source=referral"] > 0 > weights["source=web_form"]
    referral = deal_create(actor=world.owner, title="new", organisation=world.organisation,
                           amount=Decimal(20000), source="referral")
    web = deal_create(actor=world.owner, title="new2", organisation=world.organisation,
                      amount=Decimal(500), source="web_form")
    chance_referral, factors = learned_score(model, referral)
    chance_web, _factors = learned_score(model, web)
    assert chance_referral > 0.8 > 0.2 > chance_web
    assert factors[0][0] in {"source=referral", "amount band 2"}
