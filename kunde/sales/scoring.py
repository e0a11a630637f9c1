"""Lead scoring: the administrator's rules (transparent points) and a model learned from closed deals.

`rule_score(lead)` adds the points of every active rule the lead meets and names each one.
`learned_model()` fits a logistic regression on won vs. lost deals (features: source,
campaign given, customer is an organisation, amount band, e-mail domain is free mail)
and `learned_score(model, deal_or_lead)` explains a probability by each factor's weight.
With fewer than MIN_PER_CLASS won and MIN_PER_CLASS lost deals it refuses to guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

MIN_PER_CLASS = 30
FREE_MAIL = {"gmail.com", "googlemail.com", "gmx.de", "gmx.net", "web.de", "yahoo.com", "outlook.com",
             "hotmail.com", "t-online.de", "icloud.com", "posteo.de", "freenet.de"}


def _lead_value(lead: Any, name: str) -> str:
    if name == "email_domain":
        return (getattr(lead, "email", "") or "").rpartition("@")[2].lower()
    return str(getattr(lead, name, "") or "")


def rule_matches(rule: Any, lead: Any) -> bool:
    value = _lead_value(lead, rule.field)
    wanted = (rule.value or "").strip().lower()
    if rule.condition == "equals":
        return value.strip().lower() == wanted
    if rule.condition == "contains":
        return bool(wanted) and wanted in value.lower()
    if rule.condition == "is_set":
        return bool(value.strip())
    if rule.condition == "is_empty":
        return not value.strip()
    return False


def rule_score(lead: Any, rules: list[Any] | None = None) -> tuple[int, list[tuple[str, int]]]:
    """The lead's score from the active rules, with (rule, points) for each rule that matched."""
    from kunde.sales.models import ScoringRule

    if rules is None:
        rules = list(ScoringRule.objects.filter(is_active=True))
    factors = [(str(rule), rule.points) for rule in rules if rule_matches(rule, lead)]
    total = max(-32768, min(32767, sum(points for _, points in factors)))
    return total, factors


# --- the learned model --------------------------------------------------------------

AMOUNT_BANDS = [Decimal(1000), Decimal(10000), Decimal(50000)]


def features(record: Any) -> dict[str, float]:
    """The named 0/1 features of a deal or a lead (the same names for both)."""
    source = getattr(record, "source", "") or "none"
    email = getattr(record, "email", "") or ""
    if not email and getattr(record, "person", None) is not None:
        email = ""
    amount = getattr(record, "amount_eur", None)
    has_company = bool(getattr(record, "organisation_id", None) or getattr(record, "company", ""))
    result = {
        f"source={source}": 1.0,
        "campaign given": 1.0 if getattr(record, "campaign", "") else 0.0,
        "company given": 1.0 if has_company else 0.0,
        "free-mail address": 1.0 if email.rpartition("@")[2].lower() in FREE_MAIL else 0.0,
    }
    if amount is not None:
        band = sum(1 for limit in AMOUNT_BANDS if amount >= limit)
        result[f"amount band {band}"] = 1.0
    return result


@dataclass
class LearnedModel:
    ready: bool
    won: int
    lost: int
    message: str = ""
    names: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    intercept: float = 0.0

    def factors(self) -> list[tuple[str, float]]:
        """Every feature with its weight (log-odds), strongest first."""
        return sorted(zip(self.names, self.weights, strict=True), key=lambda pair: -abs(pair[1]))


def learned_model(deals: Any = None) -> LearnedModel:
    """Fit won vs. lost on closed deals; not ready (and says why) with too little history."""
    from kunde.sales.models import Deal, DealStatus

    if deals is None:
        deals = Deal.objects.filter(status__in=[DealStatus.WON, DealStatus.LOST])
    rows = list(deals.only("source", "campaign", "organisation_id", "amount_eur", "status")[:20000])
    won = sum(1 for deal in rows if deal.status == DealStatus.WON)
    lost = len(rows) - won
    if won < MIN_PER_CLASS or lost < MIN_PER_CLASS:
        return LearnedModel(
            ready=False, won=won, lost=lost,
            message=_(
                "Too little history to learn from: %(won)d won and %(lost)d lost deals; at least %(min)d of each "
                "are needed. Until then only the rules count."
            ) % {"won": won, "lost": lost, "min": MIN_PER_CLASS},
        )
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer(sparse=False)
    matrix = vectorizer.fit_transform([features(deal) for deal in rows])
    labels = [1 if deal.status == DealStatus.WON else 0 for deal in rows]
    model = LogisticRegression(max_iter=500, C=1.0)
    model.fit(matrix, labels)
    return LearnedModel(
        ready=True, won=won, lost=lost, names=list(vectorizer.get_feature_names_out()),
        weights=[float(w) for w in model.coef_[0]], intercept=float(model.intercept_[0]),
    )


def learned_score(model: LearnedModel, record: Any) -> tuple[float, list[tuple[str, float]]] | None:
    """Probability of winning (0 to 1) and the contribution of each present factor; None when not ready."""
    if not model.ready:
        return None
    present = features(record)
    index = {name: i for i, name in enumerate(model.names)}
    contributions = [(name, model.weights[index[name]] * value) for name, value in present.items()
                     if name in index and value]
    logit = model.intercept + sum(weight for _, weight in contributions)
    probability = 1 / (1 + math.exp(-logit))
    return probability, sorted(contributions, key=lambda pair: -abs(pair[1]))
