"""Order arithmetic in Decimal: where Kunde rounds, and to what.

Rule (as German invoices do it): each line's net amount is rounded to the cent
(quantity x unit price x (1 - line discount)); VAT is computed per rate on the sum of the
net amounts of that rate and rounded to the cent; gross = net + VAT. Half-cents round up
(ROUND_HALF_UP). Floats never enter: every input is converted with `Decimal(str(value))`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).strip().replace(",", ".")) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValueError(f"{field}: {value!r} is not a number") from error
    if not result.is_finite():
        raise ValueError(f"{field}: {value!r} is not a number")
    return result


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def allowed_vat_rates() -> set[Decimal]:
    rates = getattr(settings, "KUNDE_VAT_RATES", "19,7,0")
    return {Decimal(rate.strip()) for rate in str(rates).split(",") if rate.strip()}


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_by_rate: dict[Decimal, Decimal]
    net_by_rate: dict[Decimal, Decimal] = field(default_factory=dict)


def line_net(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    return cents(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)


def totals(lines: list[tuple[Decimal, Decimal]]) -> Totals:
    """`lines`: (net amount, VAT rate) per line."""
    by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
    for net, rate in lines:
        by_rate[rate] += net
    vat_by_rate = {rate: cents(net * rate / HUNDRED) for rate, net in sorted(by_rate.items())}
    net = sum((net for net, _rate in lines), Decimal(0))
    vat = sum(vat_by_rate.values(), Decimal(0))
    return Totals(net=net, vat=vat, gross=net + vat, vat_by_rate=vat_by_rate, net_by_rate=dict(sorted(by_rate.items())))


def discounted_totals(lines: list[tuple[Decimal, Decimal]], discount_percent: Decimal) -> Totals:
    """Totals after a discount on the whole quote: applied to each VAT rate's net sum, rounded to the cent,
    before that rate's VAT is computed (so the VAT is on what the customer actually pays)."""
    by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
    for net, rate in lines:
        by_rate[rate] += net
    factor = (HUNDRED - discount_percent) / HUNDRED
    nets = {rate: cents(net * factor) for rate, net in sorted(by_rate.items())}
    vat_by_rate = {rate: cents(net * rate / HUNDRED) for rate, net in nets.items()}
    net = sum(nets.values(), Decimal(0))
    vat = sum(vat_by_rate.values(), Decimal(0))
    return Totals(net=net, vat=vat, gross=net + vat, vat_by_rate=vat_by_rate, net_by_rate=nets)


def deducted_totals(sums: Totals, deduction: Decimal) -> Totals:
    """`sums` less a gross `deduction` (e.g. redeemed points), spread over the VAT rates by their gross share.

    Each rate's new gross is split back into net and VAT at that rate, so the VAT stays on what the
    customer pays; the last rate takes the rounding remainder, so the gross falls by exactly `deduction`
    (never below zero).
    """
    if deduction <= 0 or not sums.net_by_rate or sums.gross <= 0:
        return sums
    deduction = min(deduction, sums.gross)
    gross_by_rate = {rate: net + sums.vat_by_rate[rate] for rate, net in sums.net_by_rate.items()}
    nets: dict[Decimal, Decimal] = {}
    vats: dict[Decimal, Decimal] = {}
    left = deduction
    rates = list(gross_by_rate)
    for index, rate in enumerate(rates):
        gross = gross_by_rate[rate]
        part = left if index == len(rates) - 1 else min(left, gross, cents(deduction * gross / sums.gross))
        left -= part
        new_gross = gross - part
        net = cents(new_gross * HUNDRED / (HUNDRED + rate))
        nets[rate], vats[rate] = net, new_gross - net
    net = sum(nets.values(), Decimal(0))
    vat = sum(vats.values(), Decimal(0))
    return Totals(net=net, vat=vat, gross=net + vat, vat_by_rate=vats, net_by_rate=nets)
