"""Currency conversion to euros with the stored exchange rates (never floats)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")


def rate_to_eur(currency: str, on: dt.date) -> Decimal:
    """EUR per one unit of `currency` on day `on` (the latest rate valid from on or before it)."""
    from kunde.sales.models import ExchangeRate

    code = (currency or "").strip().upper()
    if code == "EUR":
        return Decimal(1)
    rate = (
        ExchangeRate.objects.filter(currency=code, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationError(
            _("No exchange rate for %(currency)s on %(date)s is stored; add one under Administration → Exchange rates.")
            % {"currency": code or "?", "date": on.isoformat()},
            code="no_exchange_rate",
        )
    return Decimal(rate)


def to_eur(amount: Decimal, currency: str, on: dt.date) -> Decimal:
    """`amount` in `currency` converted to euros at the rate valid on `on`, rounded half-up to cents."""
    if isinstance(amount, float):
        raise TypeError("amounts are Decimals, never floats")
    return (Decimal(amount) * rate_to_eur(currency, on)).quantize(CENT, rounding=ROUND_HALF_UP)
