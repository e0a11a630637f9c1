"""REST API of loyalty: the programme (administrators change it), accounts and ledgers per customer, redemption."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kunde.commerce.models import Order, ProductCategory, Quote
from kunde.contacts.models import Organisation, Person
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.idempotency import idempotent
from kunde.core.api.schemas import InputSchema
from kunde.loyalty import services
from kunde.loyalty.models import EarningRule, LoyaltyAccount, Programme
from kunde.loyalty.selectors import account_get, account_summary, customer_account, ledger, programme_settings

MAX_LEDGER = 500


class RuleOut(Schema):
    id: int
    name: str
    kind: str
    points_per_euro: Decimal
    multiplier: Decimal
    extra_points: int
    category: str | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    minimum_order_eur: Decimal | None
    is_active: bool

    @staticmethod
    def resolve_category(obj: EarningRule) -> str | None:
        return obj.category.key if obj.category_id and obj.category else None


class TierOut(Schema):
    id: int
    name: str
    threshold: int = Field(description="Points earned on orders of the last 12 months.")
    benefits: str


class ProgrammeOut(Schema):
    id: int
    name: str
    is_active: bool
    currency: str
    point_value_eur: Decimal
    expiry_months: int | None = Field(description="Points expire this many months after the order; null: never.")
    version: int
    rules: list[RuleOut]
    tiers: list[TierOut]

    @staticmethod
    def resolve_rules(obj: Programme) -> list[Any]:
        return list(obj.rules.select_related("category"))

    @staticmethod
    def resolve_tiers(obj: Programme) -> list[Any]:
        return list(obj.tiers.all())


class ProgrammeIn(InputSchema):
    name: str = Field(max_length=100)
    point_value_eur: Decimal = Field(Decimal("0.01"), gt=0, decimal_places=4)
    expiry_months: int | None = Field(None, ge=1, le=240)
    is_active: bool = True


class ProgrammePatch(InputSchema):
    name: str | None = Field(None, max_length=100)
    point_value_eur: Decimal | None = Field(None, gt=0, decimal_places=4)
    expiry_months: int | None = Field(None, ge=1, le=240)
    is_active: bool | None = None
    version: int | None = Field(None, description="The version you read; a newer one is a 412.")


class RuleIn(InputSchema):
    name: str = Field(max_length=100)
    kind: str = Field(description="per_euro, category or bonus.")
    points_per_euro: Decimal = Field(Decimal(1), ge=0, decimal_places=3)
    multiplier: Decimal = Field(Decimal(1), ge=1, decimal_places=2)
    extra_points: int = Field(0, ge=0)
    category: str | None = Field(None, description="Key of a product category (category rules).")
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    minimum_order_eur: Decimal | None = Field(None, ge=0, decimal_places=2)


class TierIn(InputSchema):
    name: str = Field(max_length=60)
    threshold: int = Field(ge=0)
    benefits: str = ""


class EntryOut(Schema):
    id: int
    kind: str
    points: int
    balance_after: int
    reason: str
    occurred_on: dt.date
    expires_on: dt.date | None
    order: int | None = Field(alias="order_id")
    quote: int | None = Field(alias="quote_id")
    amount_eur: Decimal | None


class AccountOut(Schema):
    id: int
    person: int | None
    organisation: int | None
    balance: int
    balance_value_eur: Decimal
    qualifying_points: int = Field(description="Points earned on orders of the last 12 months.")
    tier: TierOut | None
    next_tier: TierOut | None
    points_to_next_tier: int
    recent_entries: list[EntryOut]


class RedeemIn(InputSchema):
    points: int | None = Field(None, gt=0, description="Points to redeem; or give amount_eur.")
    amount_eur: Decimal | None = Field(None, gt=0, decimal_places=2,
                                       description="A discount in EUR; rounded up to whole points.")
    quote: int | None = Field(None, description="Id of a draft or sent quote of the customer.")
    order: int | None = Field(None, description="Id of an open order of the customer.")
    reason: str = Field("", max_length=300)


loyalty = Router(tags=["loyalty"])


def _programme() -> Programme:
    programme = programme_settings()["programme"]
    if programme is None:
        raise Http404("No loyalty programme.")
    return programme


def _account_out(account: LoyaltyAccount) -> dict[str, Any]:
    summary = account_summary(account)
    return {"id": account.pk, "person": account.person_id, "organisation": account.organisation_id,
            "balance": account.balance, "balance_value_eur": summary["balance_value"],
            "qualifying_points": account.qualifying_points, "tier": account.tier,
            "next_tier": summary["next_tier"], "points_to_next_tier": summary["points_to_next"],
            "recent_entries": summary["entries"]}


@loyalty.get("/programme", response={200: ProgrammeOut, **READ_ERRORS})
def get_programme(request: HttpRequest) -> Programme:
    """The active programme (else the latest) with its earning rules and tiers."""
    actor(request)
    return _programme()


@loyalty.post("/programme", response={201: ProgrammeOut, **CREATE_ERRORS})
@idempotent
def create_programme(request: HttpRequest, payload: ProgrammeIn) -> Status:
    """Set up a programme (administrators); only one can be active."""
    return Status(201, services.programme_create(actor=actor(request), **payload.model_dump()))


@loyalty.patch("/programme", response={200: ProgrammeOut, **WRITE_ERRORS})
def update_programme(request: HttpRequest, payload: ProgrammePatch) -> Programme:
    """Change the programme (administrators); new values apply to points earned from then on."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    return services.programme_update(actor=actor(request), programme=_programme(), changes=data,
                                     expected_version=version)


@loyalty.post("/programme/rules", response={201: RuleOut, **CREATE_ERRORS})
@idempotent
def create_earning_rule(request: HttpRequest, payload: RuleIn) -> Status:
    """Add an earning rule (administrators)."""
    from django.core.exceptions import ValidationError

    data = payload.model_dump()
    key = data.pop("category")
    category = ProductCategory.objects.filter(key=key).first() if key else None
    if key and category is None:
        raise ValidationError({"category": [_("Unknown product category.")]})
    if data["kind"] not in EarningRule.Kind.values:
        raise ValidationError({"kind": [_("Give per_euro, category or bonus.")]})
    return Status(201, services.rule_create(actor=actor(request), programme=_programme(), category=category,
                                            **data))


@loyalty.post("/programme/tiers", response={201: TierOut, **CREATE_ERRORS})
@idempotent
def create_tier(request: HttpRequest, payload: TierIn) -> Status:
    """Add a tier (administrators)."""
    return Status(201, services.tier_create(actor=actor(request), programme=_programme(), **payload.model_dump()))


def _customer_account(request: HttpRequest, model: type[Person] | type[Organisation], pk: int) -> dict[str, Any]:
    user = actor(request)
    customer = model.objects.for_user(user).filter(pk=pk).first()  # type: ignore[attr-defined]
    account = customer_account(user, customer) if customer is not None else None
    if account is None:
        raise Http404("No loyalty account.")
    return _account_out(account)


@loyalty.get("/people/{int:person_id}/account", response={200: AccountOut, **READ_ERRORS})
def person_account(request: HttpRequest, person_id: int) -> dict[str, Any]:
    """A person's balance, tier, points to the next tier and latest entries."""
    return _customer_account(request, Person, person_id)


@loyalty.get("/organisations/{int:organisation_id}/account", response={200: AccountOut, **READ_ERRORS})
def organisation_account(request: HttpRequest, organisation_id: int) -> dict[str, Any]:
    """An organisation's balance, tier, points to the next tier and latest entries."""
    return _customer_account(request, Organisation, organisation_id)


@loyalty.get("/accounts/{int:account_id}/ledger", response={200: list[EntryOut], **READ_ERRORS})
def account_ledger(request: HttpRequest, account_id: int, limit: int = 100) -> list[Any]:
    """The account's ledger, newest first (at most 500 entries)."""
    account = account_get(actor(request), account_id)
    return ledger(account, max(1, min(limit, MAX_LEDGER)))


@loyalty.post("/accounts/{int:account_id}/redeem", response={201: EntryOut, **WRITE_ERRORS})
@idempotent
def redeem_points(request: HttpRequest, account_id: int, payload: RedeemIn) -> Status:
    """Redeem points as a discount on a quote or order; more than the balance is a 422 naming the balance."""
    from django.core.exceptions import ValidationError

    user = actor(request)
    account = account_get(user, account_id)
    quote = order = None
    if payload.quote is not None:
        quote = Quote.objects.for_user(user).filter(pk=payload.quote).first()
        if quote is None:
            raise ValidationError({"quote": [_("Unknown quote.")]})
    if payload.order is not None:
        order = Order.objects.for_user(user).filter(pk=payload.order).first()
        if order is None:
            raise ValidationError({"order": [_("Unknown order.")]})
    entry = services.points_redeem(actor=user, account=account, points=payload.points,
                                   amount_eur=payload.amount_eur, quote=quote, order=order, reason=payload.reason)
    return Status(201, entry)


routers: list[tuple[str, Router]] = [("/loyalty", loyalty)]
