"""Pages of retention: the ranked overview, a plan's page with its effects, the plan form, cause overrides."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kunde.analytics import charts
from kunde.core.exceptions import ConflictError
from kunde.core.permissions import Action, can_create, user_can
from kunde.core.views.ui import actor, apply_validation_error, denied_as_403, login_required
from kunde.retention import figures, selectors, services
from kunde.retention import instruments as instrument_links
from kunde.retention.forms import (
    CareCadenceForm,
    CauseRowForm,
    CustomerCauseForm,
    InstrumentRowForm,
    PartnerRowForm,
    PlanForm,
    row_formset,
)
from kunde.retention.models import Cohort, RetentionPlan


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """Plans ranked by effect per 1,000 € (read from stored figures only)."""
    user = actor(request)
    return render(request, "retention/plan_list.html", {
        "ranked": selectors.overview(user), "can_write": can_create(user), "definition": selectors.EFFECT_DEFINITION})


def _plan_charts(effects: dict[str, Any]) -> dict[str, Any]:
    names: dict[str, str] = {Cohort.MEMBERS: _("Plan members"), Cohort.HOLDOUT: _("Hold-out group"),
                             Cohort.REST: _("Other customers")}
    shown = [cohort for cohort in Cohort.values
             if cohort != Cohort.HOLDOUT or effects["comparison"] == Cohort.HOLDOUT]

    def lines(key: str, scale: float = 1.0) -> list[charts.Series]:
        return [charts.Series(names[cohort], [(row["month"], row[key] * scale if row[key] is not None else None)
                                              for row in effects["series"][cohort]]) for cohort in shown]

    return {
        "retention": charts.line_chart(lines("retention_rate", 100), title=_("Retention rate (%)")),
        "churn": charts.line_chart(lines("churn_rate", 100), title=_("Churn rate (%)")),
        "repurchase": charts.line_chart(lines("repurchase_rate", 100), title=_("Repurchase rate (%)")),
        "nps": charts.line_chart(lines("nps"), title=_("NPS"), y_min=-100, y_max=100),
        "mood": charts.line_chart(lines("mood"), title=_("Average mood"), y_min=1, y_max=5),
        "ror": charts.line_chart(lines("return_on_relationship"), title=_("Return on Relationship")),
    }


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The six answers, instruments with what executes them, partners, and the stored effect figures."""
    user = actor(request)
    plan = selectors.plan_get(user, pk)
    if plan is None:
        raise Http404
    pending = not figures.request(plan)
    effects = selectors.plan_effects(user, plan)
    rows = []
    for instrument in plan.instruments.all():
        target = instrument_links.linked_object(instrument)
        rows.append({"instrument": instrument, "target": target, "url": instrument_links.linked_url(target)})
    cohorts = [(cohort, label, effects["year"][cohort]) for cohort, label in Cohort.choices
               if cohort != Cohort.HOLDOUT or plan.holdout_percent]
    return render(request, "retention/plan_detail.html", {
        "plan": plan, "effects": effects, "pending": pending, "no_refresh": figures._latest_run() is None,
        "instruments": rows, "cohorts": cohorts, "charts": _plan_charts(effects),
        "can_change": user_can(user, Action.CHANGE, plan), "can_delete": user_can(user, Action.DELETE, plan),
        "care_form": CareCadenceForm(),
    })


def _formsets(request: HttpRequest, plan: RetentionPlan | None, user: Any) -> dict[str, Any]:
    data = request.POST if request.method == "POST" else None
    if plan is not None:
        causes = [{"cause": c.cause, "weight": c.weight, "note": c.note} for c in plan.causes.all()]
        instruments = [{"kind": i.kind, "name": i.name, "monthly_cost": i.monthly_cost, "one_off_cost": i.one_off_cost,
                        "linked": f"{i.kind}:{i.linked_id}" if i.linked_id else ""} for i in plan.instruments.all()]
        partners = [{"organisation": p.organisation_id, "role": p.role} for p in plan.partners.all()]
    else:
        causes, instruments, partners = [], [], []
    return {
        "causes": row_formset(CauseRowForm, 2)(data, initial=causes, prefix="causes"),
        "instruments": row_formset(InstrumentRowForm, 2)(data, initial=instruments, prefix="instruments",
                                                         form_kwargs={"user": user}),
        "partners": row_formset(PartnerRowForm, 1)(data, initial=partners, prefix="partners",
                                                   form_kwargs={"user": user}),
    }


def _rows(formsets: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[Any]]]:
    """The filled rows as the service takes them, and the forms they came from (for error placement)."""
    lists: dict[str, list[dict[str, Any]]] = {"causes": [], "instruments": [], "partners": []}
    sources: dict[str, list[Any]] = {"causes": [], "instruments": [], "partners": []}
    for form in formsets["causes"]:
        if form.cleaned_data.get("cause"):
            lists["causes"].append({"cause": form.cleaned_data["cause"],
                                    "weight": form.cleaned_data.get("weight") if form.cleaned_data.get("weight")
                                    is not None else 50, "note": form.cleaned_data.get("note") or ""})
            sources["causes"].append(form)
    for form in formsets["instruments"]:
        row = form.row()
        if row is not None:
            lists["instruments"].append(row)
            sources["instruments"].append(form)
    for form in formsets["partners"]:
        if form.cleaned_data.get("organisation"):
            lists["partners"].append({"organisation": form.cleaned_data["organisation"].pk,
                                      "role": form.cleaned_data.get("role") or ""})
            sources["partners"].append(form)
    return lists, sources


@login_required
@denied_as_403
def plan_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or change a plan: the six questions in order, with one list each for causes, instruments, partners."""
    user = actor(request)
    plan = None
    if pk is not None:
        plan = selectors.plan_get(user, pk, Action.CHANGE)
        if plan is None:
            if selectors.plan_get(user, pk) is not None:
                raise PermissionDenied
            raise Http404
    elif not can_create(user):
        raise PermissionDenied
    initial: dict[str, Any] = {}
    if plan is not None:
        initial = {name: getattr(plan, name) for name in ("name", "status", "description", "binding_object",
                                                          "binding_product", "binding_category", "binding_staff",
                                                          "binding_brand", "segment", "cadence", "interval_days",
                                                          "starts_on", "ends_on", "budget_per_year",
                                                          "holdout_percent", "version")}
    form = PlanForm(request.POST or None, initial=initial, user=user)
    formsets = _formsets(request, plan, user)
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        lists, sources = _rows(formsets)
        try:
            if plan is None:
                plan = services.plan_create(actor=user, causes=lists["causes"], instruments=lists["instruments"],
                                            partners=lists["partners"], **data)
            else:
                plan = services.plan_update(actor=user, plan=plan, changes=data, expected_version=version,
                                            causes=lists["causes"], instruments=lists["instruments"],
                                            partners=lists["partners"])
        except ConflictError:
            form.add_error(None, _("Someone else changed this plan meanwhile; reload it and make your change again."))
        except ValidationError as error:
            apply_validation_error(form, error, rows=sources)
        else:
            messages.success(request, _("The plan is saved."))
            return redirect("retention:plan_detail", plan.pk)
    return render(request, "retention/plan_form.html", {"form": form, "plan": plan, **formsets})


@login_required
@require_POST
@denied_as_403
def plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    plan = selectors.plan_get(user, pk)
    if plan is None:
        raise Http404
    services.plan_delete(actor=user, plan=plan)
    messages.success(request, _("The plan is deleted."))
    return redirect("retention:plan_list")


@login_required
@require_POST
@denied_as_403
def care_cadence_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a personal-care cadence and list it among the plan's instruments."""
    user = actor(request)
    plan = selectors.plan_get(user, pk)
    if plan is None:
        raise Http404
    form = CareCadenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("retention:plan_detail", plan.pk)
    cadence = services.care_cadence_create(actor=user, plan=plan, **form.cleaned_data)
    rows = [{"kind": i.kind, "name": i.name, "linked_type": f"{i.linked_type.app_label}.{i.linked_type.model}"
             if i.linked_type is not None else None, "linked_id": i.linked_id, "monthly_cost": i.monthly_cost,
             "one_off_cost": i.one_off_cost} for i in plan.instruments.all()]
    rows.append({"kind": "care", "name": cadence.name, "linked_type": "retention.carecadence",
                 "linked_id": cadence.pk})
    services.plan_update(actor=user, plan=plan, changes={}, instruments=rows)
    messages.success(request, _("The care cadence is added."))
    return redirect("retention:plan_detail", plan.pk)


@login_required
@require_GET
def customer_cause_evidence(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """What proves one derived cause of a customer (loaded into the 360° card when it scrolls into view)."""
    if kind not in {"person", "organisation"}:
        raise Http404
    user = actor(request)
    customer = selectors.visible_customer(user, kind, pk)
    causes = selectors.customer_binding_causes(user, customer) if customer is not None else None
    if causes is None:
        raise Http404
    cause = request.GET.get("cause", "")
    row = next((row for row in causes if row["cause"] == cause), None)
    if row is None:
        raise Http404
    return render(request, "retention/_cause_evidence.html", {"cause": cause, "evidence": row["evidence"]})


@login_required
@require_POST
@denied_as_403
def customer_cause_set(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The 360° card's form: confirm, rule out or reset one binding cause."""
    if kind not in {"person", "organisation"}:
        raise Http404
    user = actor(request)
    customer = selectors.visible_customer(user, kind, pk)
    if customer is None:
        raise Http404
    form = CustomerCauseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a binding cause and whether it binds."))
    else:
        state = form.cleaned_data["state"]
        services.customer_cause_set(actor=user, customer=customer, cause=form.cleaned_data["cause"],
                                    is_bound=None if state == "derived" else state == "on",
                                    note=form.cleaned_data.get("note") or "")
        messages.success(request, _("The binding cause is saved."))
    return redirect(customer.get_absolute_url() + "#retention-causes")

