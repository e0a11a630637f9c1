"""Amounts other apps take off a quote's or order's total (redeemed loyalty points, vouchers).

Commerce never imports those apps: each registers a provider in its `AppConfig.ready()`
that returns the deductions of one quote or order. Totals apply them after the percentage
discount, as a gross amount (what the customer pays less), spread over the VAT rates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Deduction:
    """One amount off the gross total, with the label the quote, order page and PDF show."""

    label: str
    amount: Decimal  # gross, in the record's currency, > 0


Provider = Callable[[Any], list[Deduction]]
_providers: list[Provider] = []


def register_deduction_provider(provider: Provider) -> None:
    """Let `provider(quote_or_order)` add deductions to that record's totals."""
    if provider not in _providers:
        _providers.append(provider)


def deductions_for(record: Any) -> list[Deduction]:
    """The deductions of a saved quote or order (none for an unsaved one)."""
    if getattr(record, "pk", None) is None:
        return []
    return [deduction for provider in _providers for deduction in provider(record)]


def deduction_total(deductions: list[Deduction]) -> Decimal:
    return sum((deduction.amount for deduction in deductions), Decimal(0))
