"""REST API of contracts: plans (administrators), contracts with If-Match versioning, their actions, MRR."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kunde.contacts.api import ContactReferences
from kunde.contracts import selectors, services
from kunde.contracts.filters import ContractFilter
from kunde.contracts.models import (
    BillingInterval,
    CancellationReason,
    Contract,
    ContractChange,
    NoticeUnit,
    SubscriptionPlan,
)
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.etag import etag_docs, expected_version, with_etag
from kunde.core.api.idempotency import idempotent
from kunde.core.api.pagination import filter_parameters, list_params, page_out, page_schema
from kunde.core.api.schemas import InputSchema, choice_type, patch_schema

Interval = choice_type(BillingInterval)
Unit = choice_type(NoticeUnit)


# --- schemas ---------------------------------------------------------------------------


class PlanIn(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    billing_interval: Interval = "monthly"  # type: ignore[valid-type]
    amount: Decimal = Field(ge=0, decimal_places=2, description="Net, per billing interval.")
    currency: str = Field("EUR", min_length=3, max_length=3, description="EUR only (so far).")
    default_term_months: int = Field(12, ge=1, le=120)
    default_notice_period: int = Field(30, ge=0, le=730)
    default_notice_unit: Unit = "days"  # type: ignore[valid-type]
    default_auto_renew: bool = True
    is_active: bool = True


PlanPatch = patch_schema(PlanIn, "PlanPatch", doc="The plan fields to change; the others stay.")


class PlanOut(Schema):
    id: int
    name: str
    description: str
    billing_interval: str
    amount: Decimal
    currency: str
    default_term_months: int
    default_notice_period: int
    default_notice_unit: str
    default_auto_renew: bool
    is_active: bool


class ReasonOut(Schema):
    key: str
    label_en: str
    label_de: str
    is_active: bool


class ContractIn(InputSchema):
    person: int | None = None
    organisation: int | None = None
    plan: int | None = Field(None, description="Fills every term not given here.")
    title: str = Field("", max_length=200, description="Default: the plan's name.")
    start_date: dt.date | None = Field(None, description="Default: today.")
    term_months: int | None = Field(None, ge=1, le=120)
    notice_period: int | None = Field(None, ge=0, le=730)
    notice_unit: Unit | None = None  # type: ignore[valid-type]
    auto_renew: bool | None = None
    renewal_term_months: int | None = Field(None, ge=1, le=120, description="Default: the term.")
    billing_interval: Interval | None = None  # type: ignore[valid-type]
    amount: Decimal | None = Field(None, ge=0, decimal_places=2, description="Net per billing interval.")
    currency: str | None = Field(None, min_length=3, max_length=3)
    owner: int | None = Field(None, description="Default: you.")
    notes: str = ""


class ContractPatch(InputSchema):
    title: str | None = Field(None, min_length=1, max_length=200)
    notes: str | None = None
    plan: int | None = None
    notice_period: int | None = Field(None, ge=0, le=730)
    notice_unit: Unit | None = None  # type: ignore[valid-type]
    auto_renew: bool | None = None
    renewal_term_months: int | None = Field(None, ge=1, le=120)
    owner: int | None = None
    version: int | None = Field(None, description="The version the change is based on (or send If-Match).")


class ContractOut(Schema):
    id: int
    number: str
    title: str
    person: int | None = Field(alias="person_id")
    organisation: int | None = Field(alias="organisation_id")
    plan: int | None = Field(alias="plan_id")
    status: str
    start_date: dt.date
    term_months: int
    current_term_end: dt.date
    notice_period: int
    notice_unit: str
    notice_deadline: dt.date
    notice_deadline_missed: bool = Field(description="Entered after the notice deadline of its running term.")
    notice_deadline_passed: bool = Field(description="Notice can no longer end it at the current term end.")
    auto_renew: bool
    renewal_term_months: int
    billing_interval: str
    amount: Decimal
    currency: str
    mrr: Decimal = Field(description="Monthly-normalised amount today (0 while paused or ended).")
    paused_on: dt.date | None
    cancelled_on: dt.date | None
    ends_on: dt.date | None
    cancellation_reason: str | None
    owner: int | None = Field(alias="owner_id")
    version: int

    @staticmethod
    def resolve_cancellation_reason(obj: Contract) -> str | None:
        return obj.cancellation_reason.key if obj.cancellation_reason_id and obj.cancellation_reason else None


ContractPageOut = page_schema(ContractOut, "ContractPageOut")


class ChangeOut(Schema):
    id: int
    kind: str
    effective_on: dt.date
    recorded_at: dt.datetime
    reason: str | None
    note: str
    amount_before: Decimal
    amount_after: Decimal
    mrr_before: Decimal
    mrr_after: Decimal
    term_end_after: dt.date | None

    @staticmethod
    def resolve_reason(obj: ContractChange) -> str | None:
        return obj.reason.key if obj.reason_id and obj.reason else None


class CancelIn(InputSchema):
    reason: str = Field(description="Key of a cancellation reason (GET /contracts/cancellation-reasons).")
    received_on: dt.date | None = Field(None, description="The day the notice arrived; default today.")
    immediate: bool = Field(False, description="End on `received_on` by agreement instead of at the term end.")
    note: str = Field("", max_length=500)


class DayIn(InputSchema):
    on: dt.date | None = Field(None, description="Default: today (not in the future).")
    note: str = Field("", max_length=500)


class AmountIn(DayIn):
    amount: Decimal = Field(ge=0, decimal_places=2, description="New net amount per billing interval.")


class RenewIn(InputSchema):
    months: int | None = Field(None, ge=1, le=120, description="Default: the contract's renewal term.")
    note: str = Field("", max_length=500)


class ChurnMonthOut(Schema):
    month: str
    contracts_at_start: int
    contracts_churned: int
    contracts_new: int
    contract_churn_rate: float | None
    mrr_at_start: Decimal
    mrr_churned: Decimal
    mrr_contraction: Decimal
    mrr_expansion: Decimal
    mrr_new: Decimal
    revenue_churn_rate: float | None = Field(description="(Churned + contraction MRR) ÷ MRR at the start.")
    net_revenue_churn_rate: float | None = Field(description="(Churned + contraction − expansion) ÷ MRR at start.")


class MrrOut(Schema):
    mrr: Decimal
    arr: Decimal
    currency: str = "EUR"
    counting: int = Field(description="Contracts billed today (active or cancelled and running out).")
    paused: int
    by_interval: dict[str, Decimal]
    months: list[ChurnMonthOut]


# --- helpers ------------------------------------------------------------------------------


class ContractReferences(ContactReferences):
    def plan(self, field: str, pk: int | None) -> SubscriptionPlan | None:
        return self.lookup(field, pk, lambda v: SubscriptionPlan.objects.filter(pk=v).first(), _("Unknown plan."))

    def reason(self, field: str, key: str | None) -> CancellationReason | None:
        return self.lookup(field, key, lambda v: CancellationReason.objects.filter(key=v, is_active=True).first(),
                           _("Unknown cancellation reason."))


def _detail(contract: Contract, response: HttpResponse) -> Contract:
    with_etag(response, contract)
    return contract


def _plan(plan_id: int) -> SubscriptionPlan:
    plan = SubscriptionPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise Http404("No such plan.")
    return plan


# --- plans ---------------------------------------------------------------------------------

plans = Router(tags=["contracts"])


@plans.get("", response={200: list[PlanOut], **READ_ERRORS})
def list_plans(request: HttpRequest, active: bool | None = None) -> list[SubscriptionPlan]:
    """Subscription plans (every user may read them)."""
    actor(request)
    return list(selectors.plans(active_only=bool(active)))


@plans.post("", response={201: PlanOut, **CREATE_ERRORS})
@idempotent
def create_plan(request: HttpRequest, payload: PlanIn) -> Status:
    """Add a subscription plan (administrators)."""
    return Status(201, services.plan_create(actor=actor(request), **payload.model_dump()))


@plans.get("/{int:plan_id}", response={200: PlanOut, **READ_ERRORS})
def get_plan(request: HttpRequest, plan_id: int) -> SubscriptionPlan:
    actor(request)
    return _plan(plan_id)


@plans.patch("/{int:plan_id}", response={200: PlanOut, **WRITE_ERRORS})
def update_plan(request: HttpRequest, plan_id: int, payload: PlanPatch) -> SubscriptionPlan:  # type: ignore[valid-type]
    """Change a plan (administrators); existing contracts keep their terms."""
    user = actor(request)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}  # type: ignore[attr-defined]
    return services.plan_update(actor=user, plan=_plan(plan_id), changes=changes)


@plans.delete("/{int:plan_id}", response={204: None, **WRITE_ERRORS})
def delete_plan(request: HttpRequest, plan_id: int) -> Status:
    """Delete a plan no contract uses (administrators); 422 when contracts use it."""
    services.plan_delete(actor=actor(request), plan=_plan(plan_id))
    return Status(204, None)


# --- contracts -----------------------------------------------------------------------------

contracts = Router(tags=["contracts"])


@contracts.get("", response={200: ContractPageOut, **LIST_ERRORS},
               openapi_extra={"parameters": filter_parameters(ContractFilter)})
def list_contracts(request: HttpRequest) -> dict[str, Any]:
    """Contracts you may see, filtered and sorted like the contract list."""
    page, _filters = selectors.contract_page(actor(request), list_params(request))
    return page_out(page, lambda contract: contract)


@contracts.get("/cancellation-reasons", response={200: list[ReasonOut], **READ_ERRORS})
def list_reasons(request: HttpRequest) -> list[CancellationReason]:
    """The reasons a cancellation may give."""
    actor(request)
    return list(selectors.cancellation_reasons())


@contracts.get("/mrr", response={200: MrrOut, **LIST_ERRORS})
def mrr(request: HttpRequest, months: int = 12, owner: int | None = None) -> dict[str, Any]:
    """Today's MRR and ARR (EUR) and contract/revenue churn per month, over the contracts you may see."""
    user = actor(request)
    if not 1 <= months <= 36:
        raise ValidationError({"months": [_("Ask for 1 to 36 months.")]})
    summary = selectors.mrr_summary(user, owner=owner)
    rows = selectors.churn_by_month(user, months=months, owner=owner)

    def rate(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return {"mrr": summary.mrr, "arr": summary.arr, "counting": summary.counting, "paused": summary.paused,
            "by_interval": summary.by_interval,
            "months": [{**{name: getattr(row, name) for name in (
                "month", "contracts_at_start", "contracts_churned", "contracts_new", "mrr_at_start", "mrr_churned",
                "mrr_contraction", "mrr_expansion", "mrr_new")},
                "contract_churn_rate": rate(row.contract_churn_rate),
                "revenue_churn_rate": rate(row.revenue_churn_rate),
                "net_revenue_churn_rate": rate(row.net_revenue_churn_rate)} for row in rows]}


@contracts.post("", response={201: ContractOut, **CREATE_ERRORS}, openapi_extra=etag_docs(status=201))
@idempotent
def create_contract(request: HttpRequest, payload: ContractIn, response: HttpResponse) -> Status:
    """Enter a contract; terms not given come from the plan. A past notice deadline is flagged, not refused."""
    user = actor(request)
    data = payload.model_dump()
    refs = ContractReferences(user)
    person = refs.person("person", data.pop("person"))
    organisation = refs.organisation("organisation", data.pop("organisation"))
    plan = refs.plan("plan", data.pop("plan"))
    owner = refs.user_ref("owner", data.pop("owner"))
    refs.check()
    contract = services.contract_create(actor=user, person=person, organisation=organisation, plan=plan, owner=owner,
                                        **data)
    return Status(201, _detail(selectors.contract_get(user, contract.pk), response))


@contracts.get("/{int:contract_id}", response={200: ContractOut, **READ_ERRORS}, openapi_extra=etag_docs())
def get_contract(request: HttpRequest, contract_id: int, response: HttpResponse) -> Contract:
    """One contract; the ETag header carries the version for If-Match."""
    return _detail(selectors.contract_get(actor(request), contract_id), response)


@contracts.get("/{int:contract_id}/changes", response={200: list[ChangeOut], **READ_ERRORS})
def list_contract_changes(request: HttpRequest, contract_id: int) -> list[ContractChange]:
    """The contract's change log, oldest first."""
    user = actor(request)
    return list(selectors.contract_changes(user, selectors.contract_get(user, contract_id)))


@contracts.patch("/{int:contract_id}", response={200: ContractOut, **WRITE_ERRORS},
                 openapi_extra=etag_docs(if_match="optional"))
def update_contract(request: HttpRequest, contract_id: int, payload: ContractPatch, response: HttpResponse) -> Contract:
    """Change title, notes, plan, notice or renewal terms or owner (amounts and status have their own actions)."""
    user = actor(request)
    contract = selectors.contract_get(user, contract_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    refs = ContractReferences(user)
    if "plan" in data:
        data["plan"] = refs.plan("plan", data["plan"])
    if "owner" in data:
        owner = refs.user_ref("owner", data["owner"])
        if owner is None or owner.pk == contract.owner_id:
            data.pop("owner")
        else:
            data["owner"] = owner
    refs.check()
    for name in ("title", "notice_period", "notice_unit", "auto_renew", "renewal_term_months"):
        if name in data and data[name] is None:
            raise ValidationError({name: [_("This field cannot be empty.")]})
    contract = services.contract_update(actor=user, contract=contract, changes=data, expected_version=version)
    return _detail(selectors.contract_get(user, contract.pk), response)


def _action(request: HttpRequest, contract_id: int) -> tuple[Any, Contract]:
    user = actor(request)
    return user, selectors.contract_get(user, contract_id)


@contracts.post("/{int:contract_id}/cancel", response={200: ContractOut, **WRITE_ERRORS},
                openapi_extra=etag_docs(if_match="optional"))
@idempotent
def cancel_contract(request: HttpRequest, contract_id: int, payload: CancelIn, response: HttpResponse) -> Contract:
    """Record the customer's notice: it runs to the term end (the next one when the notice came late)."""
    user, contract = _action(request, contract_id)
    refs = ContractReferences(user)
    reason = refs.reason("reason", payload.reason)
    refs.check()
    contract = services.contract_cancel(actor=user, contract=contract, reason=reason, received_on=payload.received_on,
                                        immediate=payload.immediate, note=payload.note,
                                        expected_version=expected_version(request))
    return _detail(contract, response)


@contracts.post("/{int:contract_id}/pause", response={200: ContractOut, **WRITE_ERRORS},
                openapi_extra=etag_docs(if_match="optional"))
@idempotent
def pause_contract(request: HttpRequest, contract_id: int, payload: DayIn, response: HttpResponse) -> Contract:
    """Pause billing: the contract counts 0 in MRR until resumed."""
    user, contract = _action(request, contract_id)
    return _detail(services.contract_pause(actor=user, contract=contract, on=payload.on, note=payload.note,
                                           expected_version=expected_version(request)), response)


@contracts.post("/{int:contract_id}/resume", response={200: ContractOut, **WRITE_ERRORS},
                openapi_extra=etag_docs(if_match="optional"))
@idempotent
def resume_contract(request: HttpRequest, contract_id: int, payload: DayIn, response: HttpResponse) -> Contract:
    """Resume a paused contract."""
    user, contract = _action(request, contract_id)
    return _detail(services.contract_resume(actor=user, contract=contract, on=payload.on, note=payload.note,
                                            expected_version=expected_version(request)), response)


@contracts.post("/{int:contract_id}/change-amount", response={200: ContractOut, **WRITE_ERRORS},
                openapi_extra=etag_docs(if_match="optional"))
@idempotent
def change_amount(request: HttpRequest, contract_id: int, payload: AmountIn, response: HttpResponse) -> Contract:
    """Upgrade or downgrade: a new amount per billing interval."""
    user, contract = _action(request, contract_id)
    return _detail(services.contract_change_amount(actor=user, contract=contract, amount=payload.amount,
                                                   on=payload.on, note=payload.note,
                                                   expected_version=expected_version(request)), response)


@contracts.post("/{int:contract_id}/renew", response={200: ContractOut, **WRITE_ERRORS},
                openapi_extra=etag_docs(if_match="optional"))
@idempotent
def renew_contract(request: HttpRequest, contract_id: int, payload: RenewIn, response: HttpResponse) -> Contract:
    """Extend the contract by one term after its current term end."""
    user, contract = _action(request, contract_id)
    return _detail(services.contract_renew(actor=user, contract=contract, months=payload.months, note=payload.note,
                                           expected_version=expected_version(request)), response)


routers: list[tuple[str, Router]] = [("/contract-plans", plans), ("/contracts", contracts)]
