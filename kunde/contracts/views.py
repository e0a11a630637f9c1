"""Contract pages: the list, the expiring-contracts worklist, one contract with its log and actions,
the create/edit form and the plan administration."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kunde.contacts.selectors import organisation_queryset, person_queryset
from kunde.contracts import selectors, services
from kunde.contracts.filters import ContractFilter
from kunde.contracts.forms import AmountForm, CancelForm, ContractForm, NoteForm, PlanForm, ReasonForm, SettingsForm
from kunde.contracts.models import Contract, ContractSettings, ContractStatus, SubscriptionPlan
from kunde.core.exceptions import ConflictError
from kunde.core.permissions import Action, can_create, is_admin, user_can
from kunde.core.views.lists import Column, FilteredListView
from kunde.core.views.ui import actor, apply_validation_error, denied_as_403, login_required


def _customer(contract: Contract) -> Any:
    return contract.organisation or contract.person


def _plan_choices(user: Any) -> list[tuple[str, str]]:
    return [(str(plan.pk), plan.name) for plan in selectors.plans()]


class ContractListView(FilteredListView):
    """All contracts: filters by status, plan, owner and "expiring within N days"; export."""

    list_key = "contracts.contract"
    title = gettext_lazy("Contracts")
    filterset_class = ContractFilter
    page_selector = selectors.contract_page
    export_selector = selectors.contract_list
    export_related = ("person", "organisation", "owner", "plan")
    export_filename = "contracts"
    filter_fields = ["status", "plan", "owner", "billing_interval", "expiring_within", "notice_deadline_missed"]
    filter_choices = {**FilteredListView.filter_choices, "plan": _plan_choices}
    columns = [
        Column("number", gettext_lazy("Number"), accessor="number", link=True, sort="number"),
        Column("title", gettext_lazy("Title"), accessor="title"),
        Column("customer", gettext_lazy("Customer"), accessor=_customer),
        Column("status", gettext_lazy("Status"), accessor="get_status_display"),
        Column("start", gettext_lazy("Start"), accessor="start_date", sort="-start", css_class="text-nowrap"),
        Column("term_end", gettext_lazy("Term end"), accessor="current_term_end", sort="term_end",
               css_class="text-nowrap"),
        Column("notice", gettext_lazy("Notice deadline"), accessor="notice_deadline", sort="notice",
               css_class="text-nowrap"),
        Column("amount", gettext_lazy("Amount"), accessor="amount", css_class="text-end text-nowrap"),
        Column("interval", gettext_lazy("Interval"), accessor="get_billing_interval_display"),
        Column("mrr", gettext_lazy("MRR (EUR)"), accessor="mrr", css_class="text-end text-nowrap"),
        Column("owner", gettext_lazy("Owner"), accessor="owner"),
    ]
    create_url = reverse_lazy("contracts:contract_create")
    create_label = gettext_lazy("New contract")
    empty_message = gettext_lazy("No contracts match these filters.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        if not can_create(actor(self.request)):
            context["create_url"] = None
        return context


@login_required
@require_GET
def expiring(request: HttpRequest) -> HttpResponse:
    """The worklist: contracts whose notice deadline or term end is near, with today's MRR and churn."""
    user = actor(request)
    raw = request.GET.get("days", "90")
    days = int(raw) if raw.isdigit() and 0 < int(raw) <= 3660 else 90
    mine = request.GET.get("mine") == "1"
    return render(request, "contracts/expiring.html", {
        "contracts": list(selectors.expiring_contracts(user, days=days, mine_only=mine)[:500]), "days": days,
        "mine": mine, "summary": selectors.mrr_summary(user), "months": selectors.churn_by_month(user, months=6),
    })


@login_required
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    contract = selectors.contract_get(user, pk)
    return render(request, "contracts/contract_detail.html", {
        "contract": contract, "changes": list(selectors.contract_changes(user, contract)),
        "can_change": user_can(user, Action.CHANGE, contract), "cancel_form": CancelForm(),
        "amount_form": AmountForm(initial={"amount": contract.amount}), "note_form": NoteForm(),
        "show_person": contract.person is not None and user_can(user, Action.VIEW, contract.person),
        "show_organisation": contract.organisation is not None and user_can(user, Action.VIEW,
                                                                            contract.organisation),
        "live": contract.status != ContractStatus.ENDED,
    })


def _form(request: HttpRequest, contract: Contract | None) -> HttpResponse:
    user = actor(request)
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {}
    if contract is None:
        for name in ("organisation", "person", "plan"):
            if request.GET.get(name, "").isdigit():
                initial[name] = request.GET[name]
    else:
        initial = {"plan": contract.plan_id}
    form = ContractForm(data, instance=contract or Contract(), actor=user, initial=initial,
                        organisations=organisation_queryset(user), people=person_queryset(user))
    if data is not None and form.is_valid():
        fields = form.service_fields()
        owner = form.cleaned_data["owner"]
        try:
            if contract is None:
                saved = services.contract_create(actor=user, owner=owner, **fields)
            else:
                changes = {k: v for k, v in fields.items() if v != getattr(contract, k)}
                if owner.pk != contract.owner_id:
                    changes["owner"] = owner
                saved = services.contract_update(actor=user, contract=contract, changes=changes,
                                                  expected_version=form.cleaned_data.get("version"))
        except ConflictError:
            form.add_error(None, _("Someone else changed this contract while you were editing it. Check the values "
                                   "and save again."))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, (_("Saved %(number)s.") if contract else _("Created %(number)s.")) % {
                "number": saved.number})
            if saved.notice_deadline_missed and contract is None:
                messages.warning(request, _("The notice deadline of the running term (%(day)s) has already passed: "
                                            "the contract can only be ended at a later term end.") % {
                    "day": saved.notice_deadline.isoformat()})
            return redirect(saved)
    return render(request, "contracts/contract_form.html", {"form": form, "contract": contract})


@login_required
@require_http_methods(["GET", "POST"])
@denied_as_403
def contract_create_view(request: HttpRequest) -> HttpResponse:
    if not can_create(actor(request)):
        raise HttpPermissionDenied("this role may not create records")
    return _form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
@denied_as_403
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = selectors.contract_get(actor(request), pk)
    if not user_can(actor(request), Action.CHANGE, contract):
        raise HttpPermissionDenied("read-only access")
    return _form(request, contract)


@login_required
@require_POST
@denied_as_403
def contract_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One of the contract's steps (cancel, pause, resume, change amount, renew); errors come back as messages."""
    user = actor(request)
    contract = selectors.contract_get(user, pk)
    if not user_can(user, Action.CHANGE, contract):
        raise HttpPermissionDenied("read-only access")
    note = request.POST.get("note", "")[:500]
    try:
        if action == "cancel":
            form = CancelForm(request.POST)
            if not form.is_valid():
                raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
            contract = services.contract_cancel(
                actor=user, contract=contract, reason=form.cleaned_data["reason"],
                received_on=form.cleaned_data["received_on"], immediate=form.cleaned_data["immediate"], note=note)
            done = _("Cancellation recorded: the contract ends on %(day)s.") % {"day": contract.ends_on}
        elif action == "amount":
            amount_form = AmountForm(request.POST)
            if not amount_form.is_valid():
                raise ValidationError({k: [str(m) for m in v] for k, v in amount_form.errors.items()})
            contract = services.contract_change_amount(actor=user, contract=contract,
                                                       amount=amount_form.cleaned_data["amount"], note=note)
            done = _("New amount saved.")
        elif action == "pause":
            contract = services.contract_pause(actor=user, contract=contract, note=note)
            done = _("Contract paused.")
        elif action == "resume":
            contract = services.contract_resume(actor=user, contract=contract, note=note)
            done = _("Contract resumed.")
        elif action == "renew":
            contract = services.contract_renew(actor=user, contract=contract, note=note)
            done = _("Contract renewed until %(day)s.") % {"day": contract.current_term_end}
        else:
            raise HttpPermissionDenied("unknown action")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("contracts:contract_detail", pk)


@login_required
@require_http_methods(["GET", "POST"])
@denied_as_403
def plan_admin(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Plans, cancellation reasons and reminder settings (administrators)."""
    user = actor(request)
    if not is_admin(user):
        raise HttpPermissionDenied("administrators only")
    editing = SubscriptionPlan.objects.filter(pk=pk).first() if pk else None
    plan_form = PlanForm(prefix="plan", instance=editing or SubscriptionPlan())
    reason_form = ReasonForm(prefix="reason")
    settings_form = SettingsForm(prefix="settings", instance=ContractSettings.load())
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "plan":
                plan_form = PlanForm(request.POST, prefix="plan", instance=editing or SubscriptionPlan())
                if plan_form.is_valid():
                    fields = {name: plan_form.cleaned_data[name] for name in PlanForm.Meta.fields}
                    if editing is None:
                        services.plan_create(actor=user, **fields)
                    else:
                        services.plan_update(actor=user, plan=editing, changes=fields)
                    messages.success(request, _("Plan saved."))
                    return redirect("contracts:plan_admin")
            elif op == "reason":
                reason_form = ReasonForm(request.POST, prefix="reason")
                if reason_form.is_valid():
                    services.cancellation_reason_create(actor=user, **reason_form.cleaned_data)
                    messages.success(request, _("Cancellation reason added."))
                    return redirect("contracts:plan_admin")
            elif op == "settings":
                settings_form = SettingsForm(request.POST, prefix="settings", instance=ContractSettings.load())
                if settings_form.is_valid():
                    services.contract_settings_update(actor=user, **settings_form.cleaned_data)
                    messages.success(request, _("Reminder settings saved."))
                    return redirect("contracts:plan_admin")
        except ValidationError as exc:
            target = {"plan": plan_form, "reason": reason_form, "settings": settings_form}.get(op or "", plan_form)
            apply_validation_error(target, exc)
    return render(request, "contracts/plan_admin.html", {
        "plans": list(selectors.plans()), "plan_form": plan_form, "editing": editing, "reason_form": reason_form,
        "reasons": list(selectors.cancellation_reasons(active_only=False)), "settings_form": settings_form,
    })
