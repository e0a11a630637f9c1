"""Reads of retention, each scoped to what the user may see; plan effects come from stored figures only.

Instruments honour the hold-out group through `in_holdout(plan, person)` for one customer
or `reachable_people(plan, queryset)` / `holdout_people(plan, queryset)` for many.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from kunde.analytics import aggregates, kpis
from kunde.contacts.models import Organisation, Person
from kunde.core.permissions import Action, user_can
from kunde.retention import holdout
from kunde.retention.models import (
    Cohort,
    PlanFigureRow,
    PlanFigures,
    PlanInstrument,
    RetentionPlan,
)

EFFECT_DEFINITION = _(
    "Effect per 1,000 €: the plan members' retention rate over the last 12 months minus that of the hold-out "
    "group (without one: of the other customers), in percentage points, divided by the plan's instrument cost "
    "over those 12 months in thousands of euros.")
COHORT_LABELS = dict(Cohort.choices)


# ---------------------------------------------------------------- plans

def plan_list(user: Any, action: Action | str = Action.VIEW) -> QuerySet[RetentionPlan]:
    return RetentionPlan.objects.for_user(user, action).select_related("segment", "owner")


def plan_get(user: Any, plan_id: int, action: Action | str = Action.VIEW) -> RetentionPlan | None:
    """The plan with its rows, or None when `user` may not see (or change) it."""
    return (plan_list(user, action).select_related("binding_product", "binding_category", "binding_staff")
            .prefetch_related("causes", Prefetch("instruments", queryset=PlanInstrument.objects.select_related(
                "linked_type")), "partners__organisation", "care_cadences").filter(pk=plan_id).first())


# ---------------------------------------------------------------- hold-out group

def in_holdout(plan: RetentionPlan, customer: Person | Organisation) -> bool:
    """Whether `customer` belongs to the plan's hold-out group (no instrument may reach them)."""
    return holdout.is_held_out(plan, customer.pk, organisation=isinstance(customer, Organisation))


def holdout_people(plan: RetentionPlan, people: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """The people of `people` (default: the plan's segment) that the plan holds out."""
    from kunde.audience.segments import segment_people

    return holdout.holdout_q(plan, people if people is not None else segment_people(plan.segment))


def reachable_people(plan: RetentionPlan, people: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """The people of `people` (default: the plan's segment) that the plan's instruments may reach."""
    from kunde.audience.segments import segment_people

    return holdout.holdout_q(plan, people if people is not None else segment_people(plan.segment), held_out=False)


def holdout_plans_for(person: Person) -> list[RetentionPlan]:
    """Active plans that hold `person` out (for an instrument that knows only the person)."""
    from kunde.retention.models import PlanStatus

    return [plan for plan in RetentionPlan.objects.filter(status=PlanStatus.ACTIVE, holdout_percent__gt=0)
            if in_holdout(plan, person)]


def instrument_plans(instrument: Any) -> list[RetentionPlan]:
    """Active plans with a hold-out group that name `instrument` (a rule, a campaign, …) as one of theirs."""
    from django.contrib.contenttypes.models import ContentType

    from kunde.retention.models import PlanStatus

    return list(RetentionPlan.objects.filter(
        status=PlanStatus.ACTIVE, holdout_percent__gt=0, deleted_at__isnull=True,
        instruments__linked_type=ContentType.objects.get_for_model(instrument),
        instruments__linked_id=instrument.pk).select_related("segment").distinct())


def holding_out(instrument: Any, person: Person) -> RetentionPlan | None:
    """The plan whose hold-out group `person` is in while `instrument` works for that plan, or None.

    Only members of the plan's segment are held out: someone outside the target group is
    not part of the comparison, so the instrument may reach them as before.
    """
    from kunde.audience.segments import segment_people

    for plan in instrument_plans(instrument):
        if in_holdout(plan, person) and segment_people(plan.segment).filter(pk=person.pk).exists():
            return plan
    return None


def without_held_out(instrument: Any, people: QuerySet[Person]) -> QuerySet[Person]:
    """`people` minus the hold-out groups of the plans `instrument` works for."""
    from kunde.audience.segments import segment_people

    for plan in instrument_plans(instrument):
        people = people.exclude(pk__in=holdout_people(plan, segment_people(plan.segment)).values("pk"))
    return people


# ---------------------------------------------------------------- costs

def _month_range(label: str) -> tuple[dt.date, dt.date]:
    year, month = map(int, label.split("-"))
    first = dt.date(year, month, 1)
    after = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, after - dt.timedelta(days=1)


def instrument_cost(plan: RetentionPlan, month: str) -> Decimal:
    """What the plan's instruments cost in one month: monthly costs while it runs, one-off costs in its first month."""
    first, last = _month_range(month)
    start = plan.starts_on or plan.created_at.date()
    if start > last or (plan.ends_on is not None and plan.ends_on < first):
        return Decimal(0)
    rows = list(plan.instruments.all())
    total = sum((row.monthly_cost for row in rows), Decimal(0))
    if first <= start <= last:
        total += sum((row.one_off_cost for row in rows), Decimal(0))
    return total


def cost_summary(plan: RetentionPlan, members: int) -> dict[str, Any]:
    rows = list(plan.instruments.all())
    monthly = sum((row.monthly_cost for row in rows), Decimal(0))
    one_off = sum((row.one_off_cost for row in rows), Decimal(0))
    return {"monthly": monthly, "one_off": one_off, "per_year": monthly * 12 + one_off,
            "per_member_month": (monthly / members).quantize(Decimal("0.01")) if members else None,
            "budget_per_year": plan.budget_per_year,
            "over_budget": bool(plan.budget_per_year) and monthly * 12 + one_off > plan.budget_per_year}


# ---------------------------------------------------------------- effects

def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _figures(components: dict[str, float], context: dict[str, Any], extra_cost: float) -> dict[str, float | None]:
    cost = kpis.relationship_cost(components, context) + extra_cost
    return {
        "customers": components.get("customers"),
        "active_start": components.get("active_start"),
        "retention_rate": kpis.KPI_BY_KEY["retention_rate"].value(components, context),
        "churn_rate": kpis.KPI_BY_KEY["churn_rate"].value(components, context),
        "repurchase_rate": kpis.KPI_BY_KEY["repurchase_rate"].value(components, context),
        "nps": kpis.KPI_BY_KEY["nps"].value(components, context),
        "mood": kpis.KPI_BY_KEY["mood"].value(components, context),
        "revenue": components.get("revenue", 0.0),
        "relationship_cost": cost,
        "return_on_relationship": _ratio(components.get("revenue", 0.0), cost),
    }


def _visible_rows(user: Any, plan: RetentionPlan) -> dict[str, dict[str, Any]]:
    from kunde.analytics.selectors import pair_filter

    rows = PlanFigureRow.objects.filter(plan=plan)
    visible = pair_filter(user)
    if visible is not None:
        rows = rows.filter(visible)
    by_cohort: dict[str, list[dict[str, Any]]] = {cohort: [] for cohort in Cohort.values}
    for cohort, data in rows.values_list("cohort", "data"):
        by_cohort[cohort].append(data)
    return {cohort: aggregates.total(items) for cohort, items in by_cohort.items()}


def plan_effects(user: Any, plan: RetentionPlan) -> dict[str, Any]:
    """The stored monthly figures of the plan's members, hold-out group and the rest, as `user` may see them.

    Instrument costs are not per customer; a reader who sees part of the members carries
    that share of them.
    """
    from kunde.analytics.models import AnalyticsSettings

    stored = PlanFigures.objects.filter(plan=plan).first()
    totals = _visible_rows(user, plan)
    context = {"hourly_rate": AnalyticsSettings.load().hourly_rate}
    members_all = stored.members if stored else 0
    members_visible = int(totals[Cohort.MEMBERS].get("customers", 0))
    share = (members_visible / members_all) if members_all else 0.0
    months = sorted(totals[Cohort.MEMBERS].get("kpi", {}) or totals[Cohort.REST].get("kpi", {}))
    series: dict[str, list[dict[str, Any]]] = {}
    for cohort in Cohort.values:
        kpi = totals[cohort].get("kpi", {})
        series[cohort] = []
        for month in months:
            cost = float(instrument_cost(plan, month)) * share if cohort == Cohort.MEMBERS else 0.0
            series[cohort].append({"month": month, "instrument_cost": cost,
                                   **_figures(kpi.get(month, {}), context, cost)})
    year = {cohort: _figures(_twelve_months(totals[cohort].get("kpi", {})), context,
                             sum(row["instrument_cost"] for row in series[cohort]))
            for cohort in Cohort.values}
    for cohort in Cohort.values:
        clv_n = totals[cohort].get("clv_n", 0)
        year[cohort]["predicted_clv"] = (totals[cohort].get("clv_sum", 0.0) / clv_n) if clv_n else None
        year[cohort]["members"] = int(totals[cohort].get("customers", 0))
    comparison = Cohort.HOLDOUT if plan.holdout_percent and year[Cohort.HOLDOUT]["members"] else Cohort.REST
    costs = cost_summary(plan, members_all)
    cost_12 = sum(row["instrument_cost"] for row in series[Cohort.MEMBERS])
    effect = _effect(year[Cohort.MEMBERS], year[comparison], cost_12)
    return {"plan": plan, "stored": stored, "months": months, "series": series, "year": year,
            "comparison": comparison, "comparison_label": COHORT_LABELS[comparison], "costs": costs,
            "cost_12_months": cost_12, "effect": effect, "definition": EFFECT_DEFINITION,
            "ror_formula": kpis.ROR_FORMULA}


TO_DATE = ("customers", "repeaters", "revenue_to_date")


def _twelve_months(kpi: dict[str, dict[str, float]]) -> dict[str, float]:
    """The months' components added up; totals "up to" a day come from the last month alone."""
    combined = aggregates.total(kpi.values())
    if kpi:
        last = kpi[max(kpi)]
        combined.update({name: last.get(name, 0.0) for name in TO_DATE})
    return combined


def _effect(members: dict[str, Any], other: dict[str, Any], cost: float) -> dict[str, Any]:
    def uplift(name: str, scale: float) -> float | None:
        if members.get(name) is None or other.get(name) is None:
            return None
        return (members[name] - other[name]) * scale

    retention = uplift("retention_rate", 100.0)  # percentage points
    ror = uplift("return_on_relationship", 1.0)
    thousands = cost / 1000.0
    return {"retention_uplift_pp": retention, "ror_uplift": ror, "cost": cost,
            "retention_per_1000": (retention / thousands) if retention is not None and thousands > 0 else None,
            "ror_per_1000": (ror / thousands) if ror is not None and thousands > 0 else None}


def overview(user: Any) -> list[dict[str, Any]]:
    """The plans `user` may see, ranked by effect per 1,000 € (plans without a measurable effect last)."""
    plans = list(plan_list(user).prefetch_related("instruments").order_by("name", "id"))
    ranked = []
    for plan in plans:
        effects = plan_effects(user, plan)
        ranked.append({"plan": plan, "effect": effects["effect"], "costs": effects["costs"],
                       "stored": effects["stored"], "comparison_label": effects["comparison_label"],
                       "members": effects["year"][Cohort.MEMBERS]["members"]})

    def key(row: dict[str, Any]) -> tuple[int, float, float, str]:
        per_euro = row["effect"]["retention_per_1000"]
        uplift = row["effect"]["retention_uplift_pp"]
        return (0 if per_euro is not None else (1 if uplift is not None else 2),
                -(per_euro if per_euro is not None else 0.0), -(uplift if uplift is not None else 0.0),
                row["plan"].name)

    return sorted(ranked, key=key)


# ---------------------------------------------------------------- binding causes per customer

def visible_customer(user: Any, kind: str, customer_id: int, action: Action | str = Action.VIEW
                     ) -> Person | Organisation | None:
    model: Any = Person if kind == "person" else Organisation
    return model.objects.for_user(user, action).filter(pk=customer_id).first()


def customer_binding_causes(user: Any, customer: Person | Organisation, *,
                            with_evidence: bool = True) -> list[dict[str, Any]] | None:
    """Derived and manual causes of a customer `user` may see (None: not visible)."""
    from kunde.retention.derived import customer_causes

    if not user_can(user, Action.VIEW, customer):
        return None
    return customer_causes(customer, with_evidence=with_evidence)
