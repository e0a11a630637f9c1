"""Demo retention plans, one per story, with measured effects (called at the end of the demo data).

HandelBlitz binds repeat buyers with its loyalty programme; Fidelis binds private clients
through their advisor (a quarterly care cadence, the quarterly review rule, webinars);
Topp Desk binds business customers with a service contract and an installation partner.
The other apps' demo loaders are called when they are there; a missing one is logged and
its instrument left out, so the demo runs at any stage of the project.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal
from importlib import import_module
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from kunde.audience.models import Segment
from kunde.audience.services import segment_create
from kunde.retention.models import RetentionPlan
from kunde.retention.services import care_cadence_create, plan_create

logger = logging.getLogger(__name__)

HANDELBLITZ = "HandelBlitz: Treue der Wiederkäufer"
FIDELIS = "Fidelis: Persönliche Betreuung der Privatkunden"
TOPP_DESK = "Topp Desk: Servicevertrag für Geschäftskunden"
B2B_CATEGORIES = ("desks", "chairs", "storage")
NO_B2B = [{"field": "purchase", "operator": "none", "value": {"category": key}} for key in B2B_CATEGORIES]
SEGMENTS: dict[str, dict[str, Any]] = {
    "HandelBlitz: Wiederkäufer": {"op": "and", "rules": [
        {"field": "purchase", "operator": "at_least", "value": {"times": 2}}, *NO_B2B]},
    "Fidelis: Privatkunden": {"op": "and", "rules": [
        {"field": "lifecycle_stage", "operator": "eq", "value": "customer"}, *NO_B2B]},
    "Topp Desk: Geschäftskunden": {"op": "or", "rules": [
        {"field": "purchase", "operator": "at_least", "value": {"category": key}} for key in B2B_CATEGORIES]},
}


# The plans are written as the system (actor=None) with the manager as owner: the partner
# organisation and the other apps' demo objects need not lie in the manager's own scope.


# What each app's demo loader creates, to find it without calling the loader:
# (module, loader, model label, name constant in the module, lookup field).
LOADERS = {
    "loyalty": ("kunde.loyalty.demo", "load_demo_loyalty", "loyalty.Programme", "NAME", "name"),
    "events": ("kunde.customer_events.demo", "load_demo_events", "customer_events.EventSeries", "SERIES_NAME",
               "name"),
    "contracts": ("kunde.contracts.demo", "load_demo_contracts", "contracts.SubscriptionPlan", "PLAN_NAME", "name"),
    "partners": ("kunde.partners.demo", "load_demo_partners", "partners.PartnerProfile", "PARTNER_NAME",
                 "organisation__name"),
}


def _load(app: str, load_others: bool) -> Any:
    """Another app's demo object, or None (logged) when that app is not there yet.

    With `load_others` its demo loader is called, as the system (actor=None: loyalty's
    programme needs an administrator, which the demo manager is not); without, an object the
    loader made earlier is looked up by its name and nothing is created.
    """
    from django.apps import apps

    module_name, function, label, constant, field = LOADERS[app]
    try:
        module = import_module(module_name)
        loader: Callable[..., Any] = getattr(module, function)
        model = apps.get_model(label)
        name = getattr(module, constant)
    except (ImportError, AttributeError, LookupError):
        logger.info("retention demo: %s.%s is not available; its instrument is left out", module_name, function)
        return None
    if load_others:
        return loader(actor=None)
    found = model._default_manager.filter(**{field: name}).order_by("pk").first()
    if found is None:
        logger.info("retention demo: no %s %r yet; its instrument is left out", label, name)
    return found


def _segment(name: str, actor: Any) -> Segment:
    existing = Segment.objects.filter(name=name).order_by("pk").first()
    return existing or segment_create(actor=actor, name=name, definition=SEGMENTS[name])


def _link(kind: str, obj: Any, **row: Any) -> dict[str, Any]:
    content_type = ContentType.objects.get_for_model(obj)
    return {"kind": kind, "linked_type": f"{content_type.app_label}.{content_type.model}", "linked_id": obj.pk,
            **row}


def _year_ago() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=365)


def _handelblitz(actor: Any, load_others: bool) -> RetentionPlan:
    programme = _load("loyalty", load_others)
    instruments = [_link("loyalty", programme, name="HandelBlitz Treueprogramm", monthly_cost="350.00",
                         one_off_cost="2500.00")] if programme is not None else []
    return plan_create(
        actor=None, owner=actor, name=HANDELBLITZ, segment=_segment("HandelBlitz: Wiederkäufer", actor),
        status="active",
        description="Wer zweimal gekauft hat, sammelt Punkte und steigt in Stufen auf.",
        binding_object="brand", binding_brand="HandelBlitz", cadence="Punkte bei jedem Kauf, Herbstaktion",
        starts_on=_year_ago(), budget_per_year=Decimal("7000.00"), holdout_percent=10,
        causes=[{"cause": "psychological", "weight": 60, "note": "Stufen und Prämien"},
                {"cause": "economic", "weight": 40, "note": "Punkte verfallen beim Wechsel"}],
        instruments=instruments)


def _fidelis(actor: Any, load_others: bool) -> RetentionPlan:
    from kunde.campaigns.models import Rule

    series = _load("events", load_others)
    plan = plan_create(
        actor=None, owner=actor, name=FIDELIS, segment=_segment("Fidelis: Privatkunden", actor), status="active",
        description="Der Berater ruft jedes Quartal an; Webinare zu den Interessen der Kunden.",
        binding_object="person", binding_staff=actor if getattr(actor, "pk", None) else None,
        cadence="Quartalsgespräch, Webinare", interval_days=90, starts_on=_year_ago(),
        budget_per_year=Decimal("12000.00"), holdout_percent=10,
        causes=[{"cause": "psychological", "weight": 80, "note": "Persönliche Beziehung zum Berater"},
                {"cause": "contractual", "weight": 20, "note": "Depotvertrag"}])
    cadence = care_cadence_create(actor=None, plan=plan, name="Quartalsreview", every_days=90,
                                  task_subject="Quartalsgespräch führen", due_days=14)
    instruments = [_link("care", cadence, name="Quartalsreview durch den Berater", monthly_cost="600.00")]
    rule = Rule.objects.filter(name="Fidelis: Quartalsgespräch").order_by("pk").first()
    if rule is not None:
        instruments.append(_link("rule", rule, name="Regel: Quartalsgespräch"))
    if series is not None:
        instruments.append(_link("event_series", series, name="Webinar-Reihe", monthly_cost="250.00",
                                 one_off_cost="800.00"))
    from kunde.retention.services import plan_update

    return plan_update(actor=None, plan=plan, changes={}, instruments=instruments)


def _topp_desk(actor: Any, load_others: bool) -> RetentionPlan:
    subscription = _load("contracts", load_others)
    partner = _load("partners", load_others)
    instruments = [_link("subscription", subscription, name="Servicevertrag Büromöbel", monthly_cost="150.00")
                   ] if subscription is not None else []
    instruments.append({"kind": "service", "name": "Montage und Wartung vor Ort", "monthly_cost": "300.00"})
    partners = [{"organisation": partner.organisation_id, "role": "Montage und Wartung"}] if partner is not None else []
    return plan_create(
        actor=None, owner=actor, name=TOPP_DESK, segment=_segment("Topp Desk: Geschäftskunden", actor), status="active",
        description="Servicevertrag mit Montagepartner: Tische bleiben in Betrieb, der Kunde bleibt bei uns.",
        binding_object="product", cadence="Wartung zweimal im Jahr", starts_on=_year_ago(),
        budget_per_year=Decimal("6000.00"), holdout_percent=0,
        causes=[{"cause": "contractual", "weight": 60, "note": "Servicevertrag mit Laufzeit"},
                {"cause": "technical", "weight": 40, "note": "Montierte höhenverstellbare Tische"}],
        instruments=instruments, partners=partners)


def load_demo_retention(*, actor: Any, load_others: bool = True) -> list[RetentionPlan]:
    """Create (once, by name) the three story plans and compute their effects now.

    `load_others=False` links only what the other apps' demo loaders made before instead of
    calling them (the demo generator, whose own checks count its customers and history).
    """
    builders = {HANDELBLITZ: _handelblitz, FIDELIS: _fidelis, TOPP_DESK: _topp_desk}
    plans = []
    for name, build in builders.items():
        existing = RetentionPlan.objects.filter(name=name).order_by("pk").first()
        plans.append(existing or build(actor, load_others))
    _measure(plans)
    return plans


def _measure(plans: list[RetentionPlan]) -> None:
    """Run the analytics refresh if none has run yet, then the plans' figures task in this process."""
    from kunde.analytics.models import RefreshRun
    from kunde.analytics.refresh import run
    from kunde.retention import figures

    if not RefreshRun.objects.filter(status=RefreshRun.Status.DONE).exists():
        run(trigger="demo")
    for plan in plans:
        plan.refresh_from_db()
        if not figures.ready(plan):
            figures.compute(plan)
    # The care cadence's tasks come with the worker's daily job, not from the demo: the demo's
    # own task counts stay those of its history.
