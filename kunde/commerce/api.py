"""REST API of products and orders (the purchase history), with bulk order import for shops and ERPs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kunde.commerce.filters import OrderFilter
from kunde.commerce.models import Order, Product, ProductCategory, Quote
from kunde.commerce.quotes import quote_create, quote_revise, quote_send
from kunde.commerce.selectors import order_get, order_page
from kunde.commerce.services import MAX_BULK_ORDERS, order_create, orders_upsert_bulk, product_create, product_update
from kunde.contacts.api import ContactReferences
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.idempotency import idempotent
from kunde.core.api.pagination import filter_parameters, list_params, page_out, page_schema
from kunde.core.api.schemas import InputSchema


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    description: str
    unit: str
    net_price: Decimal
    vat_rate: Decimal
    category: str | None = Field(description="Key of the product category.")
    is_active: bool

    @staticmethod
    def resolve_category(obj: Product) -> str | None:
        return obj.category.key if obj.category_id and obj.category else None


class ProductIn(InputSchema):
    sku: str = Field(max_length=60)
    name: str = Field(max_length=200)
    net_price: Decimal = Field(ge=0, decimal_places=2)
    vat_rate: Decimal = Field(Decimal(19), description="19, 7 or 0 (KUNDE_VAT_RATES).")
    unit: str = Field("Stk.", max_length=20)
    description: str = ""
    category: str | None = Field(None, description="Key of a product category.")
    is_active: bool = True


class ProductPatch(InputSchema):
    name: str | None = Field(None, max_length=200)
    net_price: Decimal | None = Field(None, ge=0, decimal_places=2)
    vat_rate: Decimal | None = None
    unit: str | None = Field(None, max_length=20)
    description: str | None = None
    is_active: bool | None = None


class LineIn(InputSchema):
    sku: str = Field("", description="A product's SKU: fills description, price, VAT rate and category.")
    description: str = Field("", max_length=300)
    quantity: Decimal = Field(Decimal(1), gt=0)
    unit_price: Decimal | None = Field(None, ge=0, description="Net, in the order's currency.")
    vat_rate: Decimal | None = None
    discount_percent: Decimal = Field(Decimal(0), ge=0, le=100)
    unit: str = Field("", max_length=20)


class OrderIn(InputSchema):
    person: int | None = None
    organisation: int | None = None
    ordered_on: dt.date | None = Field(None, description="Default: today.")
    currency: str = Field("EUR", min_length=3, max_length=3, description="Other currencies need a stored rate.")
    status: str = Field("open", description="open, fulfilled or cancelled.")
    notes: str = ""
    lines: list[LineIn] = Field(min_length=1, max_length=500)


class BulkOrderIn(OrderIn):
    external_id: str = Field(max_length=100, description="The order's id in your system (re-sending is harmless).")
    # Text, so that one malformed date fails its own order, not the whole request.
    ordered_on: str | None = Field(None, description="YYYY-MM-DD; default: today.")  # type: ignore[assignment]
    person_email: str = Field("", description="Find the person by e-mail instead of id.")
    person_external_id: str = Field("", description="Find the person by their external id of the same system.")


class BulkOrdersIn(InputSchema):
    system: str = Field("api", max_length=40)
    orders: list[BulkOrderIn] = Field(min_length=1, max_length=MAX_BULK_ORDERS)


class LineOut(Schema):
    position: int
    sku: str | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    vat_rate: Decimal
    net_amount: Decimal
    category: str | None

    @staticmethod
    def resolve_sku(obj: Any) -> str | None:
        return obj.product.sku if obj.product_id else None

    @staticmethod
    def resolve_category(obj: Any) -> str | None:
        category = getattr(obj, "category", None) or (obj.product.category if obj.product_id else None)
        return category.key if category else None


class OrderOut(Schema):
    id: int
    number: str
    person: int | None = Field(alias="person_id")
    organisation: int | None = Field(alias="organisation_id")
    ordered_on: dt.date
    status: str
    currency: str
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    net_total_eur: Decimal
    source: str
    external_system: str
    external_id: str
    owner: int | None = Field(alias="owner_id")


class OrderDetailOut(OrderOut):
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(obj: Order) -> list[Any]:
        return list(obj.lines.select_related("product", "category").order_by("position"))


class BulkOrderResult(Schema):
    index: int
    result: str = Field(description="created, unchanged or failed.")
    id: int | None
    detail: str


OrderPageOut = page_schema(OrderOut, "OrderPageOut")


class QuoteIn(InputSchema):
    person: int | None = None
    organisation: int | None = None
    deal: int | None = Field(None, description="The deal the quote belongs to; accepting it wins the deal.")
    currency: str = Field("EUR", min_length=3, max_length=3)
    discount_percent: Decimal = Field(Decimal(0), ge=0, le=100, description="Discount on the whole quote.")
    valid_until: dt.date | None = Field(None, description="Default: 30 days.")
    language: str = Field("", description="de or en; default: the person's language, else de.")
    notes: str = ""
    lines: list[LineIn] = Field(min_length=1, max_length=500)


class QuoteOut(Schema):
    id: int
    number: str
    revision: int
    status: str
    person: int | None = Field(alias="person_id")
    organisation: int | None = Field(alias="organisation_id")
    deal: int | None = Field(alias="deal_id")
    currency: str
    issued_on: dt.date
    valid_until: dt.date
    discount_percent: Decimal
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    order: int | None = Field(alias="order_id")
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(obj: Quote) -> list[Any]:
        return list(obj.lines.select_related("product").order_by("position"))


class QuoteReviseIn(InputSchema):
    discount_percent: Decimal | None = Field(None, ge=0, le=100, description="Default: the current discount.")
    lines: list[LineIn] | None = Field(None, min_length=1, max_length=500, description="Default: the current lines.")


class QuoteSendIn(InputSchema):
    to: str = Field("", description="Default: the customer's primary e-mail address.")

products = Router(tags=["products"])
orders = Router(tags=["orders"])
quotes = Router(tags=["quotes"])


def _category(key: str | None) -> ProductCategory | None:
    if key is None:
        return None
    category = ProductCategory.objects.filter(key=key).first()
    if category is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"category": [_("Unknown product category.")]})
    return category


def _product(product_id: int) -> Product:
    product = Product.objects.select_related("category").filter(pk=product_id).first()
    if product is None:
        raise Http404("No such product.")
    return product


@products.get("", response={200: list[ProductOut], **READ_ERRORS})
def list_products(request: HttpRequest, active: bool | None = None) -> list[Product]:
    """The product catalogue (every user may read it)."""
    actor(request)
    catalogue = Product.objects.select_related("category").order_by("name", "id")
    return list(catalogue if active is None else catalogue.filter(is_active=active))


@products.post("", response={201: ProductOut, **CREATE_ERRORS})
@idempotent
def create_product(request: HttpRequest, payload: ProductIn) -> Status:
    """Add a product (administrators)."""
    data = payload.model_dump()
    data["category"] = _category(data.pop("category"))
    return Status(201, product_create(actor=actor(request), **data))


@products.get("/{int:product_id}", response={200: ProductOut, **READ_ERRORS})
def get_product(request: HttpRequest, product_id: int) -> Product:
    actor(request)
    return _product(product_id)


@products.patch("/{int:product_id}", response={200: ProductOut, **WRITE_ERRORS})
def update_product(request: HttpRequest, product_id: int, payload: ProductPatch) -> Product:
    """Change a product (administrators)."""
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return product_update(actor=actor(request), product=_product(product_id), changes=changes)


@orders.get("", response={200: OrderPageOut, **LIST_ERRORS},
            openapi_extra={"parameters": filter_parameters(OrderFilter)})
def list_orders(request: HttpRequest) -> dict[str, Any]:
    """Orders you may see, newest first."""
    page, _filters = order_page(actor(request), list_params(request))
    return page_out(page, lambda order: order)


@orders.get("/{int:order_id}", response={200: OrderDetailOut, **READ_ERRORS})
def get_order(request: HttpRequest, order_id: int) -> Order:
    return order_get(actor(request), order_id)


@orders.post("", response={201: OrderDetailOut, **CREATE_ERRORS})
@idempotent
def create_order(request: HttpRequest, payload: OrderIn) -> Status:
    """Record an order; totals are computed (Decimal, half-up to cents, VAT per rate)."""
    user = actor(request)
    refs = ContactReferences(user)
    data = payload.model_dump()
    person = refs.person("person", data.pop("person"))
    organisation = refs.organisation("organisation", data.pop("organisation"))
    refs.check()
    order = order_create(actor=user, person=person, organisation=organisation, **data)
    return Status(201, order_get(user, order.pk))


@orders.post("/bulk", response={200: list[BulkOrderResult], **CREATE_ERRORS})
@idempotent
def import_orders(request: HttpRequest, payload: BulkOrdersIn) -> list[dict[str, Any]]:
    """Record up to 1,000 orders from a shop or ERP; an `external_id` already recorded is left unchanged."""
    results = orders_upsert_bulk(actor=actor(request), system=payload.system,
                                 records=[order.model_dump() for order in payload.orders])
    return [{"index": r.index, "result": r.result, "id": r.order.pk if r.order else None, "detail": r.detail}
            for r in results]


def _quote(request: HttpRequest, quote_id: int) -> Quote:
    quote = Quote.objects.for_user(actor(request)).filter(pk=quote_id).first()
    if quote is None:
        raise Http404("No such quote.")
    return quote


@quotes.post("", response={201: QuoteOut, **CREATE_ERRORS})
@idempotent
def create_quote(request: HttpRequest, payload: QuoteIn) -> Status:
    """A draft quote; totals apply line discounts, then the quote discount per VAT rate, then VAT."""
    from kunde.sales.models import Deal

    user = actor(request)
    refs = ContactReferences(user)
    data = payload.model_dump()
    person = refs.person("person", data.pop("person"))
    organisation = refs.organisation("organisation", data.pop("organisation"))
    deal_id = data.pop("deal")
    deal = refs.lookup("deal", deal_id, lambda v: Deal.objects.for_user(user).filter(pk=v).first(),
                       "Unknown deal.") if deal_id is not None else None
    refs.check()
    return Status(201, quote_create(actor=user, person=person, organisation=organisation, deal=deal, **data))


@quotes.get("/{int:quote_id}", response={200: QuoteOut, **READ_ERRORS})
def get_quote(request: HttpRequest, quote_id: int) -> Quote:
    return _quote(request, quote_id)


@quotes.post("/{int:quote_id}/send", response={200: QuoteOut, **WRITE_ERRORS})
@idempotent
def send_quote(request: HttpRequest, quote_id: int, payload: QuoteSendIn) -> Quote:
    """E-mail the quote as PDF with its acceptance link."""
    return quote_send(actor=actor(request), quote=_quote(request, quote_id), to=payload.to)


@quotes.post("/{int:quote_id}/revise", response={201: QuoteOut, **WRITE_ERRORS})
@idempotent
def revise_quote(request: HttpRequest, quote_id: int, payload: QuoteReviseIn | None = None) -> Status:
    """A new revision (same number, next revision) as a draft, optionally with a new discount or new lines."""
    data = payload.model_dump(exclude_none=True) if payload is not None else {}
    return Status(201, quote_revise(actor=actor(request), quote=_quote(request, quote_id),
                                    discount_percent=data.get("discount_percent"), lines=data.get("lines")))


routers: list[tuple[str, Router]] = [("/products", products), ("/orders", orders), ("/quotes", quotes)]
