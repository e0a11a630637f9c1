"""REST API of retention: plans with causes, instruments and partners; plan effects; customer binding causes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kunde.audience.models import Segment
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.etag import etag_docs, expected_version, with_etag
from kunde.core.api.idempotency import idempotent
from kunde.core.permissions import Action
from kunde.retention import figures, selectors, services
from kunde.retention.models import RetentionPlan

plans = Router(tags=["retention"])
causes = Router(tags=["retention"])

Cause = Literal["contractual", "economic", "technical", "psychological"]


class CauseIn(Schema):
    cause: Cause
    weight: int = Field(50, description="0–100")
    note: str = Field("", max_length=300)


class InstrumentIn(Schema):
    kind: Literal["rule", "campaign", "loyalty", "event_series", "subscription", "care", "community", "service",
                  "self_service", "other"]
    name: str = Field("", max_length=200)
    linked_type: str | None = Field(None, description='The executing object\'s type, e.g. "loyalty.programme"; '
                                                      "defaults to the kind's.")
    linked_id: int | None = Field(None, description="The executing object's id.")
    monthly_cost: Decimal = Decimal(0)
    one_off_cost: Decimal = Decimal(0)


class PartnerIn(Schema):
    organisation: int
    role: str = Field(max_length=200)


class PlanIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    status: Literal["draft", "active", "ended"] = "draft"
    description: str = ""
    binding_object: Literal["company", "product", "person", "brand"] = "company"
    binding_product: int | None = None
    binding_category: int | None = None
    binding_staff: int | None = None
    binding_brand: str = Field("", max_length=120)
    segment: int
    cadence: str = Field("", max_length=200)
    interval_days: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    budget_per_year: Decimal = Decimal(0)
    holdout_percent: int = Field(0, description="0–50: a random, stable share of the segment no instrument reaches.")
    causes: list[CauseIn] = []
    instruments: list[InstrumentIn] = []
    partners: list[PartnerIn] = []
    version: int | None = None


class PlanPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    status: Literal["draft", "active", "ended"] | None = None
    description: str | None = None
    binding_object: Literal["company", "product", "person", "brand"] | None = None
    binding_brand: str | None = Field(None, max_length=120)
    segment: int | None = None
    cadence: str | None = Field(None, max_length=200)
    interval_days: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    budget_per_year: Decimal | None = None
    holdout_percent: int | None = None
    causes: list[CauseIn] | None = None
    instruments: list[InstrumentIn] | None = None
    partners: list[PartnerIn] | None = None
    version: int | None = None


class CauseOut(Schema):
    cause: str
    weight: int
    note: str


class InstrumentOut(Schema):
    id: int
    kind: str
    name: str
    linked_type: str | None
    linked_id: int | None
    monthly_cost: Decimal
    one_off_cost: Decimal

    @staticmethod
    def resolve_linked_type(obj: Any) -> str | None:
        return f"{obj.linked_type.app_label}.{obj.linked_type.model}" if obj.linked_type_id else None


class PartnerOut(Schema):
    organisation: int = Field(alias="organisation_id")
    role: str


class PlanOut(Schema):
    id: int
    name: str
    status: str
    description: str
    binding_object: str
    binding_product: int | None = Field(None, alias="binding_product_id")
    binding_category: int | None = Field(None, alias="binding_category_id")
    binding_staff: int | None = Field(None, alias="binding_staff_id")
    binding_brand: str
    segment: int = Field(alias="segment_id")
    cadence: str
    interval_days: int | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    budget_per_year: Decimal
    holdout_percent: int
    causes: list[CauseOut]
    instruments: list[InstrumentOut]
    partners: list[PartnerOut]
    owner: int | None = Field(None, alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    version: int
    created_at: dt.datetime

    @staticmethod
    def resolve_causes(obj: RetentionPlan) -> list[Any]:
        return list(obj.causes.all())

    @staticmethod
    def resolve_instruments(obj: RetentionPlan) -> list[Any]:
        return list(obj.instruments.all())

    @staticmethod
    def resolve_partners(obj: RetentionPlan) -> list[Any]:
        return list(obj.partners.all())


class MonthOut(Schema):
    month: str
    customers: float | None
    retention_rate: float | None
    churn_rate: float | None
    repurchase_rate: float | None
    nps: float | None
    mood: float | None
    revenue: float | None
    relationship_cost: float | None
    return_on_relationship: float | None
    instrument_cost: float


class CohortOut(Schema):
    members: int
    retention_rate: float | None
    churn_rate: float | None
    repurchase_rate: float | None
    nps: float | None
    mood: float | None
    predicted_clv: float | None
    revenue: float | None
    relationship_cost: float | None
    return_on_relationship: float | None
    months: list[MonthOut]


class EffectOut(Schema):
    retention_uplift_pp: float | None
    ror_uplift: float | None
    cost: float
    retention_per_1000: float | None
    ror_per_1000: float | None


class CostsOut(Schema):
    monthly: Decimal
    one_off: Decimal
    per_year: Decimal
    per_member_month: Decimal | None
    budget_per_year: Decimal
    over_budget: bool


class EffectsOut(Schema):
    status: Literal["ready", "pending", "no_refresh"]
    as_of: dt.date | None
    computed_at: dt.datetime | None
    comparison: str
    cohorts: dict[str, CohortOut]
    effect: EffectOut
    costs: CostsOut
    definition: str


class RankedOut(Schema):
    plan: int
    name: str
    status: str
    members: int
    retention_uplift_pp: float | None
    ror_uplift: float | None
    cost_12_months: float
    retention_per_1000: float | None
    ror_per_1000: float | None


def _plan(request: HttpRequest, plan_id: int, action: Action = Action.VIEW) -> RetentionPlan:
    plan = selectors.plan_get(actor(request), plan_id, action)
    if plan is None:
        # Visible but not changeable is a 403 (the reader knows it exists); invisible a 404.
        if action != Action.VIEW and selectors.plan_get(actor(request), plan_id) is not None:
            from kunde.core.exceptions import PermissionDenied

            raise PermissionDenied("may not change this plan")
        get_object_or_404(RetentionPlan.objects.none(), pk=plan_id)
    assert plan is not None
    return plan


def _resolve(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Ids in the body become the records they name, as far as the caller may see them."""
    from kunde.accounts.models import User
    from kunde.commerce.models import Product, ProductCategory

    user = actor(request)
    errors: dict[str, list[str]] = {}
    lookups: dict[str, Any] = {"segment": Segment.objects.for_user(user), "binding_product": Product.objects.all(),
                               "binding_category": ProductCategory.objects.all(),
                               "binding_staff": User.objects.filter(is_active=True)}
    for name, queryset in lookups.items():
        if data.get(name) is not None:
            found = queryset.filter(pk=data[name]).first()
            if found is None:
                errors[name] = [_("Unknown id %(id)s.") % {"id": data[name]}]
            data[name] = found
    if errors:
        raise ValidationError(errors)
    return data


def _nested(payload: Any) -> dict[str, list[dict[str, Any]] | None]:
    return {name: ([row.model_dump() for row in getattr(payload, name)] if getattr(payload, name) is not None
                   else None) for name in ("causes", "instruments", "partners")}


@plans.get("", response={200: list[PlanOut], **LIST_ERRORS})
def list_retention_plans(request: HttpRequest, status: str | None = None) -> list[RetentionPlan]:
    """Retention plans you may see, by name."""
    rows = selectors.plan_list(actor(request)).prefetch_related("causes", "instruments__linked_type", "partners")
    if status:
        rows = rows.filter(status=status)
    return list(rows.order_by("name", "id")[:500])


@plans.post("", response={201: PlanOut, **CREATE_ERRORS})
@idempotent
def create_retention_plan(request: HttpRequest, payload: PlanIn) -> Status:
    """Create a plan with its binding causes, instruments and partners (all or nothing)."""
    data = payload.model_dump(exclude={"causes", "instruments", "partners", "version"})
    data = _resolve(request, data)
    plan = services.plan_create(actor=actor(request), **data, **_nested(payload))  # type: ignore[arg-type]
    return Status(201, selectors.plan_get(actor(request), plan.pk))


@plans.get("/ranking", response={200: list[RankedOut], **LIST_ERRORS})
def ranking(request: HttpRequest) -> list[dict[str, Any]]:
    """Plans ranked by effect per 1,000 € of instrument cost (see `definition` of a plan's effects)."""
    return [{"plan": row["plan"].pk, "name": row["plan"].name, "status": row["plan"].status,
             "members": row["members"], "cost_12_months": row["effect"]["cost"],
             **{key: row["effect"][key] for key in ("retention_uplift_pp", "ror_uplift", "retention_per_1000",
                                                    "ror_per_1000")}}
            for row in selectors.overview(actor(request))]


@plans.get("/{int:plan_id}", response={200: PlanOut, **READ_ERRORS}, openapi_extra=etag_docs())
def get_retention_plan(request: HttpRequest, plan_id: int, response: HttpResponse) -> RetentionPlan:
    plan = _plan(request, plan_id)
    with_etag(response, plan)
    return plan


def _update(request: HttpRequest, plan_id: int, payload: Any, data: dict[str, Any],
            response: HttpResponse) -> RetentionPlan:
    plan = _plan(request, plan_id, Action.CHANGE)
    version = expected_version(request, payload.version)
    updated = services.plan_update(actor=actor(request), plan=plan, changes=_resolve(request, data),
                                   expected_version=version, **_nested(payload))
    fresh = selectors.plan_get(actor(request), updated.pk)
    assert fresh is not None
    with_etag(response, fresh)
    return fresh


@plans.put("/{int:plan_id}", response={200: PlanOut, **WRITE_ERRORS}, openapi_extra=etag_docs(if_match="optional"))
def replace_plan(request: HttpRequest, plan_id: int, payload: PlanIn, response: HttpResponse) -> RetentionPlan:
    """Replace a plan with its lists."""
    data = payload.model_dump(exclude={"causes", "instruments", "partners", "version"})
    return _update(request, plan_id, payload, data, response)


@plans.patch("/{int:plan_id}", response={200: PlanOut, **WRITE_ERRORS},
             openapi_extra=etag_docs(if_match="optional"))
def update_retention_plan(request: HttpRequest, plan_id: int, payload: PlanPatch,
                          response: HttpResponse) -> RetentionPlan:
    """Change some fields; a list given replaces that list."""
    data = payload.model_dump(exclude_unset=True, exclude={"causes", "instruments", "partners", "version"})
    return _update(request, plan_id, payload, data, response)


@plans.delete("/{int:plan_id}", response={204: None, **WRITE_ERRORS})
def delete_retention_plan(request: HttpRequest, plan_id: int) -> Status:
    services.plan_delete(actor=actor(request), plan=_plan(request, plan_id, Action.DELETE))
    return Status(204, None)


@plans.get("/{int:plan_id}/effects", response={200: EffectsOut, **READ_ERRORS})
def plan_effects(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    """The plan's stored effect figures (monthly, last 12 months) vs the hold-out group and the rest.

    `status` is "pending" while the worker computes them for the latest analytics refresh
    (the figures shown are then the previous ones, if any).
    """
    plan = _plan(request, plan_id)
    pending = not figures.request(plan)
    effects = selectors.plan_effects(actor(request), plan)
    stored = effects["stored"]
    status = "no_refresh" if figures._latest_run() is None else ("pending" if pending else "ready")
    cohorts = {cohort: {**effects["year"][cohort], "months": effects["series"][cohort]}
               for cohort in effects["year"]}
    return {"status": status, "as_of": stored.as_of if stored else None,
            "computed_at": stored.computed_at if stored else None, "comparison": effects["comparison"],
            "cohorts": cohorts, "effect": effects["effect"], "costs": effects["costs"],
            "definition": str(effects["definition"])}


# ---------------------------------------------------------------- binding causes per customer

class EvidenceOut(Schema):
    source: str
    label: str
    evidence: list[str]
    via: str


class ManualOut(Schema):
    is_bound: bool
    note: str
    set_by: int | None = Field(None, alias="set_by_id")
    set_at: dt.datetime


class CustomerCauseOut(Schema):
    cause: str
    bound: bool
    derived: bool
    evidence: list[EvidenceOut]
    manual: ManualOut | None


class CustomerCauseIn(Schema):
    cause: Cause
    is_bound: bool | None = Field(description="true binds, false rules out, null returns to the derived value")
    note: str = Field("", max_length=300)


class CustomerCausesIn(Schema):
    causes: list[CustomerCauseIn]


def _customer_causes(request: HttpRequest, kind: str, customer_id: int) -> list[dict[str, Any]]:
    customer = selectors.visible_customer(actor(request), kind, customer_id)
    if customer is None:
        get_object_or_404(RetentionPlan.objects.none(), pk=customer_id)
    assert customer is not None
    rows = selectors.customer_binding_causes(actor(request), customer) or []
    return [{"cause": row["cause"], "bound": row["bound"], "derived": row["derived"], "manual": row["manual"],
             "evidence": [{"source": entry["key"], "label": entry["label"], "evidence": entry["evidence"],
                           "via": entry["via"]} for entry in row["evidence"]]} for row in rows]


def _set_causes(request: HttpRequest, kind: str, customer_id: int, payload: CustomerCausesIn) -> list[dict[str, Any]]:
    from django.db import transaction

    user = actor(request)
    customer = selectors.visible_customer(user, kind, customer_id)
    if customer is None:
        get_object_or_404(RetentionPlan.objects.none(), pk=customer_id)
    assert customer is not None
    with transaction.atomic():  # several causes: all or none
        for row in payload.causes:
            services.customer_cause_set(actor=user, customer=customer, cause=row.cause, is_bound=row.is_bound,
                                        note=row.note)
    return _customer_causes(request, kind, customer_id)


@causes.get("/people/{int:person_id}", response={200: list[CustomerCauseOut], **READ_ERRORS})
def person_causes(request: HttpRequest, person_id: int) -> list[dict[str, Any]]:
    """Which causes bind a person: derived (with evidence, also through their employer) and set by hand."""
    return _customer_causes(request, "person", person_id)


@causes.put("/people/{int:person_id}", response={200: list[CustomerCauseOut], **WRITE_ERRORS})
def set_person_causes(request: HttpRequest, person_id: int, payload: CustomerCausesIn) -> list[dict[str, Any]]:
    """Set or clear the manual overrides of a person's binding causes (written on their timeline)."""
    return _set_causes(request, "person", person_id, payload)


@causes.get("/organisations/{int:organisation_id}", response={200: list[CustomerCauseOut], **READ_ERRORS})
def organisation_causes(request: HttpRequest, organisation_id: int) -> list[dict[str, Any]]:
    return _customer_causes(request, "organisation", organisation_id)


@causes.put("/organisations/{int:organisation_id}", response={200: list[CustomerCauseOut], **WRITE_ERRORS})
def set_organisation_causes(request: HttpRequest, organisation_id: int,
                            payload: CustomerCausesIn) -> list[dict[str, Any]]:
    return _set_causes(request, "organisation", organisation_id, payload)


routers: list[tuple[str, Router]] = [("/retention/plans", plans), ("/retention/causes", causes)]
