"""Writing products and orders: every order is validated, numbered, totalled and on the customer's history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.activities.services import activity_record
from kunde.commerce.deductions import deduction_total, deductions_for
from kunde.commerce.models import NumberSequence, Order, OrderLine, Product, ProductCategory
from kunde.commerce.money import Totals, allowed_vat_rates, cents, decimal, deducted_totals, discounted_totals, line_net
from kunde.contacts.models import Organisation, Person
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, user_can
from kunde.core.services import require_admin, require_create
from kunde.sales.money import to_eur

MAX_LINES = 500
MAX_BULK_ORDERS = 1000


class OrderEvent:
    CREATED = "commerce.order_created"


def next_number(prefix: str, on: dt.date) -> str:
    """The next number of `prefix` in `on`'s year (e.g. AU-2026-0042), gap-free and race-free."""
    with transaction.atomic():
        sequence, _created = NumberSequence.objects.select_for_update().get_or_create(prefix=prefix, year=on.year)
        sequence.last += 1
        sequence.save(update_fields=["last"])
    return f"{prefix}-{on.year}-{sequence.last:04d}"


# --- products -----------------------------------------------------------------------


def _clean_product(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    for name in ("net_price", "vat_rate"):
        if name in fields:
            try:
                fields[name] = decimal(fields[name], name)
            except ValueError as error:
                errors[name] = [str(error)]
    if "vat_rate" in fields and "vat_rate" not in errors and fields["vat_rate"] not in allowed_vat_rates():
        errors["vat_rate"] = [_("Unknown VAT rate %(rate)s %%; allowed: %(allowed)s.") % {
            "rate": fields["vat_rate"], "allowed": ", ".join(str(r) for r in sorted(allowed_vat_rates()))}]
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def product_create(*, actor: User | None, sku: str, name: str, net_price: Any, vat_rate: Any = Decimal(19),
                   unit: str = "Stk.", description: str = "", category: ProductCategory | None = None,
                   is_active: bool = True) -> Product:
    """Add a product to the catalogue (administrators)."""
    require_admin(actor)
    fields = _clean_product({"net_price": net_price, "vat_rate": vat_rate})
    product = Product(sku=sku.strip(), name=name.strip(), unit=unit, description=description, category=category,
                      is_active=is_active, **fields)
    product.full_clean()
    product.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=product, after=snapshot(product))
    return product


@transaction.atomic
def product_update(*, actor: User | None, product: Product, changes: dict[str, Any]) -> Product:
    require_admin(actor)
    before = snapshot(product)
    for name, value in _clean_product(dict(changes)).items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=product, before=before,
                 after=snapshot(product))
    return product


# --- orders -------------------------------------------------------------------------


@dataclass
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    discount_percent: Decimal
    unit: str
    product: Product | None


def _lines(rows: Sequence[dict[str, Any]], errors: dict[str, list[str]]) -> list[LineInput]:
    if not rows:
        errors["lines"] = [_("An order needs at least one line.")]
        return []
    if len(rows) > MAX_LINES:
        errors["lines"] = [_("At most %(count)s lines.") % {"count": MAX_LINES}]
        return []
    rates = allowed_vat_rates()
    skus = {str(row["sku"]).strip() for row in rows if row.get("sku")}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus).select_related("category")}
    result = []
    for index, row in enumerate(rows):
        prefix = f"lines.{index}"
        product = row.get("product") or products.get(str(row.get("sku", "")).strip())
        if row.get("sku") and product is None:
            errors[f"{prefix}.sku"] = [_("Unknown product %(sku)s.") % {"sku": row["sku"]}]
            continue
        try:
            quantity = decimal(row.get("quantity", 1), "quantity")
            unit_price = decimal(row["unit_price"], "unit_price") if row.get("unit_price") not in (None, "") else (
                product.net_price if product else None)
            vat_rate = decimal(row["vat_rate"], "vat_rate") if row.get("vat_rate") not in (None, "") else (
                product.vat_rate if product else Decimal(19))
            discount = decimal(row.get("discount_percent") or 0, "discount_percent")
        except ValueError as error:
            errors[prefix] = [str(error)]
            continue
        problems = []
        if quantity <= 0:
            problems.append(_("The quantity must be greater than zero."))
        if unit_price is None:
            problems.append(_("Give a unit price or a product."))
        elif unit_price < 0:
            problems.append(_("The unit price must not be negative."))
        if vat_rate not in rates:
            problems.append(_("Unknown VAT rate %(rate)s %%.") % {"rate": vat_rate})
        if not Decimal(0) <= discount <= Decimal(100):
            problems.append(_("The discount must lie between 0 and 100 %."))
        description = str(row.get("description") or (product.name if product else "")).strip()
        if not description:
            problems.append(_("Describe the line or name a product."))
        if problems:
            errors[prefix] = problems
            continue
        assert unit_price is not None
        result.append(LineInput(description=description[:300], quantity=quantity, unit_price=unit_price,
                                vat_rate=vat_rate, discount_percent=discount,
                                unit=str(row.get("unit") or (product.unit if product else ""))[:20], product=product))
    return result


@transaction.atomic
def order_create(
    *,
    actor: User | None,
    lines: Sequence[dict[str, Any]],
    person: Person | None = None,
    organisation: Organisation | None = None,
    ordered_on: dt.date | str | None = None,
    currency: str = "EUR",
    status: str = Order.Status.OPEN,
    source: str = "kunde",
    external_system: str = "",
    external_id: str = "",
    owner: User | None = None,
    notes: str = "",
    discount_percent: Any = 0,
    deduction: Decimal = Decimal(0),
) -> Order:
    """Record an order with its lines, owned by `owner` (default: `actor`); it lands on the customer's history
    and in the purchase history. `deduction` is a gross amount off the total (points redeemed on its quote)."""
    require_create(actor)
    errors: dict[str, list[str]] = {}
    if person is None and organisation is None:
        errors["customer"] = [_("Give a person or an organisation (or both).")]
    for customer in (person, organisation):
        if customer is not None and actor is not None and not user_can(actor, Action.VIEW, customer):
            errors["customer"] = [_("Unknown customer.")]
    if organisation is None and person is not None:
        current = person.employments.filter(end_date__isnull=True).select_related("organisation").order_by(
            "-is_primary_contact", "id").first()
        organisation = current.organisation if current else None
    if isinstance(ordered_on, str):  # a record from a shop or ERP export
        try:
            ordered_on = dt.date.fromisoformat(ordered_on.strip())
        except ValueError:
            errors["ordered_on"] = [_("Give the order date as YYYY-MM-DD.")]
            ordered_on = None
    ordered_on = ordered_on or timezone.localdate()
    currency = (currency or "EUR").strip().upper()
    parsed = _lines(lines, errors)
    try:
        discount = decimal(discount_percent, "discount_percent")
    except ValueError as error:
        errors["discount_percent"] = [str(error)]
        discount = Decimal(0)
    if not Decimal(0) <= discount <= Decimal(100):
        errors["discount_percent"] = [_("The discount must lie between 0 and 100 %.")]
    rate_error = None
    if not errors:
        try:
            to_eur(Decimal(1), currency, ordered_on)
        except ValidationError as error:
            rate_error = error
            errors["currency"] = error.messages
    if errors:
        raise ValidationError(errors)
    assert rate_error is None
    nets = [line_net(line.quantity, line.unit_price, line.discount_percent) for line in parsed]
    sums = deducted_totals(
        discounted_totals([(net, line.vat_rate) for net, line in zip(nets, parsed, strict=True)], discount), deduction)
    factor = (Decimal(100) - discount) / Decimal(100)
    # The order belongs to whoever records it (a quote's order: the quote's owner), in the customer's
    # team; only a system import without an owner falls back to the customer's owner.
    customer = person or organisation
    owner = owner or actor or (customer.owner if customer is not None else None)
    team = (customer.team if customer is not None and customer.team_id else None) or (
        owner.primary_team if owner is not None else None)
    order = Order(
        number=next_number("AU", ordered_on), person=person, organisation=organisation, ordered_on=ordered_on,
        status=status, currency=currency, discount_percent=discount, net_total=sums.net, vat_total=sums.vat,
        gross_total=sums.gross,
        net_total_eur=to_eur(sums.net, currency, ordered_on), source=source, external_system=external_system,
        external_id=external_id, notes=notes,
        owner=owner, team=team,
    )
    order.full_clean(exclude=["owner", "team"])
    try:
        with transaction.atomic():
            order.save(force_insert=True)
    except IntegrityError as error:
        raise ValidationError({"external_id": [_("An order with this external id exists already.")]}) from error
    OrderLine.objects.bulk_create([
        OrderLine(order=order, position=index, product=line.product, description=line.description,
                  quantity=line.quantity, unit=line.unit, unit_price=line.unit_price,
                  discount_percent=line.discount_percent, vat_rate=line.vat_rate, net_amount=net,
                  net_amount_eur=to_eur(cents(net * factor), currency, ordered_on), person=person,
                  organisation=organisation,
                  category=line.product.category if line.product else None, ordered_on=ordered_on)
        for index, (line, net) in enumerate(zip(parsed, nets, strict=True), start=1)])
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=order, after=snapshot(order))
    activity_record(
        actor=None, kind="commerce.order_created", person=person, organisation=organisation,
        subject=_("Order %(number)s: %(amount)s %(currency)s") % {
            "number": order.number, "amount": order.gross_total, "currency": currency},
        occurred_at=timezone.make_aware(dt.datetime.combine(ordered_on, dt.time(12))) if ordered_on
        != timezone.localdate() else None,
        related=order, data={"order_id": order.pk, "net_total_eur": str(order.net_total_eur)},
    )
    emit_on_commit(OrderEvent.CREATED, id=order.pk, person_id=person.pk if person else None,
                   organisation_id=organisation.pk if organisation else None)
    return order


def order_totals(order: Order) -> Totals:
    """The totals of `order` from its lines, its discount and its deductions (e.g. redeemed points)."""
    lines = [(line.net_amount, line.vat_rate) for line in order.lines.all()]
    return deducted_totals(discounted_totals(lines, order.discount_percent), deduction_total(deductions_for(order)))


def order_totals_refresh(order: Order) -> Order:
    """Store `order`'s totals again after a deduction was granted (caller holds the row lock)."""
    sums = order_totals(order)
    order.net_total, order.vat_total, order.gross_total = sums.net, sums.vat, sums.gross
    order.net_total_eur = to_eur(sums.net, order.currency, order.ordered_on)
    order.save(update_fields=["net_total", "vat_total", "gross_total", "net_total_eur", "updated_at"])
    return order


@dataclass
class BulkResult:
    index: int
    result: str  # created, unchanged, failed
    order: Order | None = None
    detail: str = ""


def _customer(actor: User, record: dict[str, Any], system: str) -> tuple[Person | None, Organisation | None]:
    from kunde.contacts.selectors import organisation_queryset, person_queryset
    from kunde.imports.models import ExternalReference

    people, organisations = person_queryset(actor), organisation_queryset(actor)
    person = organisation = None
    if record.get("person"):
        person = people.filter(pk=record["person"]).first()
    elif record.get("person_external_id"):
        ref = ExternalReference.objects.filter(object_type="contacts.person", system=system,
                                               value=record["person_external_id"]).first()
        person = people.filter(pk=ref.object_id).first() if ref else None
    elif record.get("person_email"):
        person = people.filter(emails__email__iexact=str(record["person_email"]).strip()).order_by("id").first()
    if record.get("organisation"):
        organisation = organisations.filter(pk=record["organisation"]).first()
    if (record.get("person") or record.get("person_external_id") or record.get("person_email")) and person is None:
        raise ValidationError({"customer": [_("Unknown person.")]})
    if record.get("organisation") and organisation is None:
        raise ValidationError({"customer": [_("Unknown organisation.")]})
    return person, organisation


def orders_upsert_bulk(*, actor: User, system: str, records: Sequence[dict[str, Any]]) -> list[BulkResult]:
    """Record up to 1,000 orders from a shop or ERP; `external_id` (per `system`) makes re-sending harmless."""
    require_create(actor)
    if not 1 <= len(records) <= MAX_BULK_ORDERS:
        raise ValidationError({"orders": [f"Send between 1 and {MAX_BULK_ORDERS} orders."]})
    system = system.strip() or "api"
    known = dict(Order.objects.filter(external_system=system, external_id__in=[
        str(r.get("external_id", "")) for r in records]).values_list("external_id", "pk"))
    results = []
    with transaction.atomic():
        for index, record in enumerate(records):
            external_id = str(record.get("external_id") or "").strip()
            if not external_id:
                results.append(BulkResult(index, "failed", detail="external_id: required"))
                continue
            if external_id in known:
                results.append(BulkResult(index, "unchanged", Order(pk=known[external_id])))
                continue
            try:
                with transaction.atomic():
                    person, organisation = _customer(actor, record, system)
                    order = order_create(
                        actor=actor, person=person, organisation=organisation, lines=record.get("lines") or [],
                        ordered_on=record.get("ordered_on"), currency=record.get("currency") or "EUR",
                        status=record.get("status") or Order.Status.OPEN, source="api", external_system=system,
                        external_id=external_id, notes=record.get("notes") or "")
            except ValidationError as error:
                detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
                results.append(BulkResult(index, "failed", detail=detail))
                continue
            known[external_id] = order.pk
            results.append(BulkResult(index, "created", order))
    return results
