"""Binding causes (Bindungsursachen) and the registry of where each can be derived from.

Why a customer stays: contractual (an active contract), economic (switching costs, volume
discounts), technical-functional (an integration or installed product) or psychological
(satisfaction, a personal relationship, habit). Other apps know the evidence — contracts
knows who has an active contract, loyalty who holds a tier — so each registers a
`CauseSource` in its `AppConfig.ready()`; retention derives the causes per customer by
asking every registered source, and never imports those apps itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _


class BindingCause(models.TextChoices):
    CONTRACTUAL = "contractual", _("Contractual")
    ECONOMIC = "economic", _("Economic")
    TECHNICAL = "technical", _("Technical-functional")
    PSYCHOLOGICAL = "psychological", _("Psychological")


@dataclass(frozen=True)
class CauseSource:
    """Evidence for one binding cause.

    `people()` and `organisations()` return querysets of ids (`values("…_id")` or
    `values("pk")`, one column) of the customers the evidence binds today, so that they
    can be used as SQL subqueries over a million customers. Either may be None when the
    evidence only exists for one kind of customer.
    """

    key: str  # "contracts.active_contract"
    cause: BindingCause
    label: Any  # a lazy translation: "Active contract"
    people: Callable[[], QuerySet[Any]] | None = None
    organisations: Callable[[], QuerySet[Any]] | None = None
    # Optional: what proves it for one customer, as short texts ("active contract VT-2026-0003").
    # Without it the 360° page shows the label.
    evidence: Callable[[Any], list[str]] | None = None


_sources: dict[str, CauseSource] = {}


def register_cause_source(source: CauseSource) -> None:
    if source.people is None and source.organisations is None:
        raise ValueError(f"cause source {source.key!r} names neither people nor organisations")
    _sources[source.key] = source


def cause_sources() -> list[CauseSource]:
    return sorted(_sources.values(), key=lambda source: (source.cause, source.key))


def unregister_cause_source(key: str) -> None:
    """Remove a source (tests, or an app switching its evidence off)."""
    _sources.pop(key, None)
