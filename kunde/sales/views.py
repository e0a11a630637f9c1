"""Sales pages: deal list, kanban board, deal and lead pages, lead conversion, the public lead form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kunde.contacts.models import Organisation, Person
from kunde.contacts.selectors import organisation_queryset, person_queryset
from kunde.core.exceptions import ConflictError
from kunde.core.permissions import Action, can_create, is_admin, user_can
from kunde.core.views.lists import Column, FilteredListView
from kunde.core.views.ui import actor, apply_validation_error, denied_as_403, login_required
from kunde.sales import selectors, services, webform
from kunde.sales.filters import DealFilter, LeadFilter
from kunde.sales.forms import (
    ConvertForm,
    DealForm,
    DisqualifyForm,
    LeadEditForm,
    LoseForm,
    PublicLeadForm,
)
from kunde.sales.models import Deal, DealStatus, Lead, LeadForm, LeadStatus, StageKind


def _conflict_message() -> str:
    return _("Someone else changed this record while you were editing it. Check the values and save again.")


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# --- deal list ----------------------------------------------------------------------


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


class DealListView(FilteredListView):
    """The deal list: filters, sorting, saved views, export."""

    list_key = "sales.deal"
    title = gettext_lazy("Deals")
    filterset_class = DealFilter
    page_selector = selectors.deal_page
    export_selector = selectors.deal_list
    export_related = ("owner", "stage", "pipeline", "organisation", "person")
    export_filename = "deals"
    filter_fields = ["status", "pipeline", "stage", "owner", "team", "source", "campaign", "close_after",
                     "close_before"]
    columns = [
        Column("title", gettext_lazy("Title"), accessor="title", link=True, sort="title"),
        Column("customer", gettext_lazy("Customer"), accessor=lambda d: d.organisation or d.person),
        Column("stage", gettext_lazy("Stage"), accessor="stage"),
        Column("amount", gettext_lazy("Amount (EUR)"), accessor="amount_eur", sort="-amount",
               css_class="text-end text-nowrap", export_value=lambda d: d.amount_eur),
        Column("probability", gettext_lazy("Probability (%)"), accessor="probability", css_class="text-end"),
        Column("close", gettext_lazy("Expected close"), accessor="expected_close_date", sort="close",
               css_class="text-nowrap"),
        Column("status", gettext_lazy("Status"), accessor="get_status_display"),
        Column("owner", gettext_lazy("Owner"), accessor="owner"),
        Column("updated", gettext_lazy("Changed"), accessor="updated_at", sort="updated", css_class="text-nowrap"),
    ]
    create_url = reverse_lazy("sales:deal_create")
    create_label = gettext_lazy("New deal")
    empty_message = gettext_lazy("No deals match these filters.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not can_create(actor(self.request)):
            context["create_url"] = None
        return context


class LeadListView(FilteredListView):
    list_key = "sales.lead"
    title = gettext_lazy("Leads")
    filterset_class = LeadFilter
    page_selector = selectors.lead_page
    export_selector = selectors.lead_list
    export_related = ("owner",)
    export_filename = "leads"
    filter_fields = ["status", "source", "campaign", "owner", "team", "created_after", "created_before"]
    columns = [
        Column("name", gettext_lazy("Name"), accessor="name", link=True, sort="name"),
        Column("company", gettext_lazy("Company"), accessor="company"),
        Column("email", gettext_lazy("E-mail"), accessor="email"),
        Column("source", gettext_lazy("Source"), accessor="get_source_display"),
        Column("campaign", gettext_lazy("Campaign"), accessor="campaign"),
        Column("status", gettext_lazy("Status"), accessor="get_status_display"),
        Column("score", gettext_lazy("Score"), accessor="score", sort="-score", css_class="text-end"),
        Column("owner", gettext_lazy("Owner"), accessor="owner"),
        Column("created", gettext_lazy("Received"), accessor="created_at", sort="created", css_class="text-nowrap"),
    ]
    create_url = reverse_lazy("sales:lead_create")
    create_label = gettext_lazy("New lead")
    empty_message = gettext_lazy("No leads match these filters.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not can_create(actor(self.request)):
            context["create_url"] = None
        return context


# --- kanban board -------------------------------------------------------------------


@login_required
@require_GET
def board_default(request: HttpRequest) -> HttpResponse:
    return redirect("sales:board", pk=services.default_pipeline().pk)


@login_required
@require_GET
def board(request: HttpRequest, pk: int) -> HttpResponse:
    """The kanban board of one pipeline: first 50 cards per stage, column totals, drag and drop."""
    user = actor(request)
    pipeline = selectors.pipeline_get(pk)
    owner = request.GET.get("owner", "")
    columns = selectors.board(user, pipeline, owner=owner if owner.isdigit() else None)
    # The "move to" options once per column, not once per card (a board shows up to 50 cards per stage).
    choices = [(column.stage.pk, str(column.stage)) for column in columns if column.stage.kind != StageKind.LOST]
    move_url = reverse("sales:deal_move", args=[0]).replace("/0/", "/{}/")
    for column in columns:
        column.options_html = format_html_join(  # type: ignore[attr-defined]
            "", '<option value="{}"{}>{}</option>',
            ((pk, mark_safe(" selected") if pk == column.stage.pk else "", label) for pk, label in choices),
        )
        for card in column.cards:
            card.move_url = move_url.format(card.pk)  # type: ignore[attr-defined]
    return render(request, "sales/board.html", {
        "pipeline": pipeline, "pipelines": selectors.pipelines(), "columns": columns,
        "stages": [column.stage for column in columns], "lost_reasons": selectors.lost_reasons(),
        "can_create": can_create(user), "mine": owner == str(user.pk),
    })


def _column_totals(user: Any, deal: Deal, stage_ids: list[int]) -> dict[str, dict[str, str | int]]:
    rows = (
        selectors.deal_queryset(user).filter(stage_id__in=stage_ids).values("stage_id")
        .annotate(n=Count("id"), total=Sum("amount_eur")).order_by()
    )
    found = {row["stage_id"]: row for row in rows}
    return {
        str(stage_id): {"count": found.get(stage_id, {}).get("n", 0),
                        "total": _money(found.get(stage_id, {}).get("total") or Decimal(0))}
        for stage_id in stage_ids
    }


@login_required
@require_POST
@denied_as_403
def deal_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a card (drag and drop: JSON answer; the keyboard fallback form: redirect back)."""
    user = actor(request)
    deal = selectors.deal_get(user, pk, Action.CHANGE)
    stage = selectors.stage_get(request.POST.get("stage"))
    position_raw = request.POST.get("position", "")
    position = int(position_raw) if position_raw.isdigit() else None
    reason_key = request.POST.get("lost_reason", "")
    reason = next((r for r in selectors.lost_reasons() if str(r.pk) == reason_key or r.key == reason_key), None)
    previous_stage = deal.stage_id
    try:
        moved = services.deal_move(actor=user, deal=deal, stage=stage, position=position, lost_reason=reason)
    except ValidationError as exc:
        text = " ".join(exc.messages)
        if stage.kind == StageKind.LOST:
            text = _("Choose why the deal was lost on the deal's page.")
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": text, "url": deal.get_absolute_url()}, status=400)
        messages.error(request, text)
        return redirect(deal)
    if _wants_json(request):
        return JsonResponse({
            "ok": True, "id": moved.pk, "stage": moved.stage_id, "status": moved.status,
            "columns": _column_totals(user, moved, sorted({previous_stage, moved.stage_id})),
            "message": _("“%(title)s” moved to %(stage)s.") % {"title": moved.title, "stage": moved.stage},
        })
    messages.success(request, _("“%(title)s” moved to %(stage)s.") % {"title": moved.title, "stage": moved.stage})
    return redirect(_safe_next(request, moved.get_absolute_url()))


# --- deal pages ---------------------------------------------------------------------


def _learned(result: tuple[float, list[tuple[str, float]]] | None) -> dict[str, Any] | None:
    return None if result is None else {"percent": result[0] * 100, "factors": result[1]}


@login_required
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from kunde.activities.models import Activity
    from kunde.sales.scoring import learned_model, learned_score

    user = actor(request)
    deal = selectors.deal_get(user, pk)
    can_change = user_can(user, Action.CHANGE, deal)
    history = []
    customer = deal.organisation or deal.person
    if customer is not None and user_can(user, Action.VIEW, customer):
        history = list(
            Activity.objects.filter(related_id=str(deal.pk), kind__startswith="sales.deal_")
            .order_by("-occurred_at", "-id")[:30]
        )
    for entry in history:
        seconds = (entry.data or {}).get("seconds_in_previous_stage")
        entry.days_in_stage = None if seconds is None else seconds / 86400  # type: ignore[attr-defined]
    model = learned_model()
    return render(request, "sales/deal_detail.html", {
        "deal": deal, "can_change": can_change, "stages": list(deal.pipeline.stages.order_by("position", "id")),
        "lose_form": LoseForm(), "history": history, "model": model, "learned": _learned(learned_score(model, deal)),
        "show_person": deal.person is not None and user_can(user, Action.VIEW, deal.person),
        "show_organisation": deal.organisation is not None and user_can(user, Action.VIEW, deal.organisation),
    })


def _deal_form(request: HttpRequest, deal: Deal | None) -> HttpResponse:
    user = actor(request)
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {}
    if deal is None:
        for name in ("organisation", "person"):
            if request.GET.get(name, "").isdigit():
                initial[name] = request.GET[name]
    else:
        initial = {"organisation": deal.organisation_id, "person": deal.person_id}
    form = DealForm(data, instance=deal or Deal(), actor=user, initial=initial,
                    organisations=organisation_queryset(user), people=person_queryset(user))
    if data is not None and form.is_valid():
        fields = form.service_fields()
        owner = form.cleaned_data["owner"]
        try:
            if deal is None:
                saved = services.deal_create(actor=user, **fields, pipeline=form.cleaned_data.get("pipeline"),
                                             owner=owner, team=owner.primary_team)
            else:
                changes = {k: v for k, v in fields.items() if v != getattr(deal, k)}
                if changes.get("probability") is None:
                    changes.pop("probability", None)
                if owner.pk != deal.owner_id:
                    changes.update(owner=owner, team=owner.primary_team)
                saved = services.deal_update(actor=user, deal=deal, changes=changes,
                                             expected_version=form.cleaned_data.get("version"))
        except ConflictError:
            form.add_error(None, _conflict_message())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, (_("Saved “%(name)s”.") if deal else _("Created “%(name)s”.")) % {"name": saved})
            return redirect(saved)
    return render(request, "sales/deal_form.html", {"form": form, "deal": deal})


@login_required
@denied_as_403
def deal_create_view(request: HttpRequest) -> HttpResponse:
    if not can_create(actor(request)):
        raise HttpPermissionDenied("this role may not create records")
    return _deal_form(request, None)


@login_required
@denied_as_403
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(actor(request), pk)
    if not user_can(actor(request), Action.CHANGE, deal):
        raise HttpPermissionDenied("read-only access")
    return _deal_form(request, deal)


@login_required
@require_POST
@denied_as_403
def deal_win_view(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(actor(request), pk, Action.CHANGE)
    try:
        deal = services.deal_win(actor=actor(request), deal=deal)
        messages.success(request, _("Deal won. Congratulations!"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(deal)


@login_required
@require_POST
@denied_as_403
def deal_lose_view(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(actor(request), pk, Action.CHANGE)
    form = LoseForm(request.POST)
    if form.is_valid():
        try:
            services.deal_lose(actor=actor(request), deal=deal, reason=form.cleaned_data["reason"],
                               note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Deal marked as lost."))
    else:
        messages.error(request, _("Choose why the deal was lost."))
    return redirect(deal)


@login_required
@require_POST
@denied_as_403
def deal_reopen_view(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(actor(request), pk, Action.CHANGE)
    try:
        deal = services.deal_reopen(actor=actor(request), deal=deal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Deal reopened."))
    return redirect(deal)


# --- lead pages ---------------------------------------------------------------------


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from kunde.sales.scoring import learned_model, learned_score, rule_score

    user = actor(request)
    lead = selectors.lead_get(user, pk)
    _score, factors = rule_score(lead)
    model = learned_model()
    return render(request, "sales/lead_detail.html", {
        "lead": lead, "model": model, "learned": _learned(learned_score(model, lead)),
        "can_change": user_can(user, Action.CHANGE, lead), "factors": factors,
        "disqualify_form": DisqualifyForm(), "deals": list(lead.deals.filter(pk__in=selectors.deal_queryset(user))),
        "matches": selectors.lead_matches(user, lead) if lead.status != LeadStatus.CONVERTED else None,
    })


def _lead_form(request: HttpRequest, lead: Lead | None) -> HttpResponse:
    user = actor(request)
    data = request.POST if request.method == "POST" else None
    form = LeadEditForm(data, instance=lead or Lead(), actor=user)
    if data is not None and form.is_valid():
        cleaned = form.cleaned_data
        fields = {name: cleaned[name] for name in LeadEditForm.Meta.fields}
        owner = cleaned["owner"]
        try:
            if lead is None:
                saved = services.lead_create(actor=user, **fields, owner=owner, team=owner.primary_team,
                                             submission_key=request.POST.get("submission_key") or None)
            else:
                changes = {k: v for k, v in fields.items() if v != getattr(lead, k)}
                if owner.pk != lead.owner_id:
                    changes.update(owner=owner, team=owner.primary_team)
                saved = services.lead_update(actor=user, lead=lead, changes=changes,
                                             expected_version=cleaned.get("version"))
        except ConflictError:
            form.add_error(None, _conflict_message())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, (_("Saved “%(name)s”.") if lead else _("Created “%(name)s”.")) % {"name": saved})
            return redirect(saved)
    import uuid

    return render(request, "sales/lead_form.html", {
        "form": form, "lead": lead, "submission_key": request.POST.get("submission_key") or uuid.uuid4().hex,
    })


@login_required
@denied_as_403
def lead_create_view(request: HttpRequest) -> HttpResponse:
    if not can_create(actor(request)):
        raise HttpPermissionDenied("this role may not create records")
    return _lead_form(request, None)


@login_required
@denied_as_403
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(actor(request), pk)
    if not user_can(actor(request), Action.CHANGE, lead):
        raise HttpPermissionDenied("read-only access")
    return _lead_form(request, lead)


@login_required
@require_POST
@denied_as_403
def lead_qualify_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(actor(request), pk, Action.CHANGE)
    try:
        services.lead_qualify(actor=actor(request), lead=lead)
        messages.success(request, _("Lead qualified."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(lead)


@login_required
@require_POST
@denied_as_403
def lead_disqualify_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(actor(request), pk, Action.CHANGE)
    form = DisqualifyForm(request.POST)
    if form.is_valid():
        try:
            services.lead_disqualify(actor=actor(request), lead=lead, reason=form.cleaned_data["reason"])
            messages.success(request, _("Lead disqualified."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Say why the lead is disqualified."))
    return redirect(lead)


@login_required
@require_http_methods(["GET", "POST"])
@denied_as_403
def lead_convert_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Convert a lead: choose existing matches or new records, and the deal."""
    user = actor(request)
    lead = selectors.lead_get(user, pk, Action.CHANGE)
    if lead.status == LeadStatus.CONVERTED:
        messages.info(request, _("This lead has already been converted."))
        return redirect(lead)
    matches = selectors.lead_matches(user, lead)
    why = {"email": _("same e-mail"), "phone": _("same phone"), "company": _("same name"),
           "email_domain": _("same e-mail domain")}
    person_choices = [(f"p{p.pk}", _("Use %(name)s (%(why)s)") % {"name": p, "why": ", ".join(str(why[w]) for w in ws)})
                      for p, ws in matches.people]
    person_choices.append(("new", _("Create a new person “%(name)s”") % {"name": lead.name}))
    org_choices = [(f"o{o.pk}", _("Use %(name)s (%(why)s)") % {"name": o, "why": ", ".join(str(why[w]) for w in ws)})
                   for o, ws in matches.organisations]
    if lead.company:
        org_choices.append(("new", _("Create a new organisation “%(name)s”") % {"name": lead.company}))
    org_choices.append(("none", _("No organisation")))
    data = request.POST if request.method == "POST" else None
    form = ConvertForm(data, person_choices=person_choices, organisation_choices=org_choices,
                       initial={"deal_title": lead.company or lead.name})
    if data is not None and form.is_valid():
        cleaned = form.cleaned_data
        person = next((p for p, _w in matches.people if f"p{p.pk}" == cleaned["person"]), None)
        organisation = next((o for o, _w in matches.organisations if f"o{o.pk}" == cleaned["organisation"]), None)
        try:
            person, organisation, deal = services.lead_convert(
                actor=user, lead=lead, person=person, organisation=organisation,
                create_organisation=cleaned["organisation"] == "new",
                create_deal=cleaned["create_deal"], deal_title=cleaned["deal_title"],
                amount=cleaned["amount"] or Decimal(0), currency=cleaned["currency"], pipeline=cleaned["pipeline"],
                expected_close_date=cleaned["expected_close_date"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Lead converted."))
            return redirect(deal or person or organisation)
    return render(request, "sales/lead_convert.html", {"lead": lead, "form": form, "matches": matches})


# --- the public lead form -------------------------------------------------------------


def _client_ip(request: HttpRequest) -> str:
    """The client address for the rate limit; behind N trusted proxies (KUNDE_PROXY_HOPS=N) the
    N-th address from the right of X-Forwarded-For, which a client cannot forge past its own proxy."""
    hops = settings.KUNDE_PROXY_HOPS
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if hops > 0 and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _frame_headers(response: HttpResponse, form: LeadForm) -> HttpResponse:
    """Let the sites the administrator named embed the form in an iframe (nobody else)."""
    response._csp_replace = {"frame-ancestors": ["'self'", *form.origins]}  # type: ignore[attr-defined]
    return response


@csrf_exempt  # a token signed by us and an origin check replace the cookie (third-party iframes have none)
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def public_lead_form(request: HttpRequest, key: str) -> HttpResponse:
    form_config = LeadForm.objects.filter(key=key, is_active=True).first()
    if form_config is None:
        raise Http404("No such form.")
    status = 200
    if request.method == "POST":
        form = PublicLeadForm(request.POST)
        token = request.POST.get("token", "")
        if form.is_valid() or request.POST.get(webform.HONEYPOT):
            result = webform.submit(
                form_config, {**request.POST.dict()}, ip=_client_ip(request),
                origin=request.headers.get("Origin"), own_host=request.get_host(),
            )
            if result.accepted:
                return _frame_headers(render(request, "sales/public_thanks.html", {"form_config": form_config}),
                                      form_config)
            if result.outcome == webform.Outcome.INVALID and result.errors:
                apply_validation_error(form, ValidationError(result.errors))
                status = 400
            else:
                status = 429 if result.outcome == webform.Outcome.RATE_LIMIT else 400
                return _frame_headers(render(request, "sales/public_rejected.html", {
                    "form_config": form_config, "rate_limited": status == 429,
                }, status=status), form_config)
        else:
            status = 400
    else:
        form = PublicLeadForm()
        token = webform.form_token(form_config)
    response = render(request, "sales/public_form.html", {
        "form": form, "form_config": form_config, "token": token, "honeypot": webform.HONEYPOT,
    }, status=status)
    return _frame_headers(response, form_config)


# --- administration -----------------------------------------------------------------


def _require_admin(request: HttpRequest) -> None:
    if not is_admin(actor(request)):
        raise HttpPermissionDenied("administrators only")


@login_required
@require_http_methods(["GET", "POST"])
@denied_as_403
def sales_settings(request: HttpRequest) -> HttpResponse:
    """Lead forms (with their embed snippet), scoring rules, exchange rates and the learned model."""
    import datetime as dt

    from kunde.sales.forms import ExchangeRateForm, LeadFormSettingsForm, LostReasonForm, ScoringRuleForm
    from kunde.sales.models import ExchangeRate, ScoringRule
    from kunde.sales.scoring import learned_model

    _require_admin(request)
    user = actor(request)
    edit_id = request.POST.get("lead_form_id") or request.GET.get("edit_form") or ""
    editing = LeadForm.objects.filter(pk=edit_id).first() if edit_id.isdigit() else None
    lead_form = LeadFormSettingsForm(prefix="form", instance=editing or LeadForm())
    rule_form = ScoringRuleForm(prefix="rule")
    rate_form = ExchangeRateForm(prefix="rate", initial={"valid_from": dt.date.today()})
    reason_form = LostReasonForm(prefix="reason")
    if request.method == "POST":
        op = request.POST.get("op")
        if op == "lead_form":
            lead_form = LeadFormSettingsForm(request.POST, prefix="form", instance=editing or LeadForm())
            if lead_form.is_valid():
                try:
                    services.lead_form_save(actor=user, lead_form=editing, **lead_form.cleaned_data)
                except ValidationError as exc:
                    apply_validation_error(lead_form, exc)
                else:
                    messages.success(request, _("Lead form saved."))
                    return redirect("sales:settings")
        elif op == "rule":
            rule_form = ScoringRuleForm(request.POST, prefix="rule")
            if rule_form.is_valid():
                try:
                    services.scoring_rule_create(actor=user, **rule_form.cleaned_data)
                except ValidationError as exc:
                    apply_validation_error(rule_form, exc)
                else:
                    messages.success(request, _("Scoring rule added."))
                    return redirect("sales:settings")
        elif op == "delete_rule":
            rule_id = request.POST.get("rule", "")
            rule = ScoringRule.objects.filter(pk=rule_id).first() if rule_id.isdigit() else None
            if rule is not None:
                services.scoring_rule_delete(actor=user, rule=rule)
                messages.success(request, _("Scoring rule removed."))
            return redirect("sales:settings")
        elif op == "lost_reason":
            reason_form = LostReasonForm(request.POST, prefix="reason")
            if reason_form.is_valid():
                try:
                    services.lost_reason_create(actor=user, **reason_form.cleaned_data)
                except ValidationError as exc:
                    apply_validation_error(reason_form, exc)
                else:
                    messages.success(request, _("Lost reason added."))
                    return redirect("sales:settings")
        elif op == "rate":
            rate_form = ExchangeRateForm(request.POST, prefix="rate")
            if rate_form.is_valid():
                try:
                    services.exchange_rate_set(actor=user, **rate_form.cleaned_data)
                except ValidationError as exc:
                    apply_validation_error(rate_form, exc)
                else:
                    messages.success(request, _("Exchange rate saved."))
                    return redirect("sales:settings")
    forms_list = list(LeadForm.objects.all())
    for item in forms_list:
        item.embed_url = request.build_absolute_uri(reverse("sales:public_lead_form", args=[item.key]))  # type: ignore[attr-defined]
    return render(request, "sales/settings.html", {
        "lead_forms": forms_list, "lead_form": lead_form, "editing": editing, "rule_form": rule_form,
        "rate_form": rate_form,
        "rules": list(ScoringRule.objects.all()), "rates": list(ExchangeRate.objects.all()[:50]),
        "model": learned_model(), "pipelines": selectors.pipelines(), "reason_form": reason_form,
        "reasons": selectors.lost_reasons(),
    })


def customer_panel_context(user: Any, customer: Organisation | Person) -> dict[str, Any] | None:
    """The "Open deals" panel of the 360° page."""
    deals = selectors.customer_open_deals(user, customer)
    holder = "person" if isinstance(customer, Person) else "organisation"
    return {
        "deals": deals, "create_url": f"{reverse('sales:deal_create')}?{holder}={customer.pk}"
        if can_create(user) else None,
        "won": selectors.deal_queryset(user).filter(**{holder: customer}, status=DealStatus.WON).count(),
    }


# --- sales figures ------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Sales figures with bar charts, filterable by period, owner, team and pipeline."""
    from kunde.accounts.models import Team, User
    from kunde.sales.figures import Period, bars, sales_figures

    user = actor(request)
    period = Period.from_params(request.GET)
    figures = sales_figures(user, period)
    return render(request, "sales/dashboard.html", {
        "figures": figures, "period": period, "period_kind": request.GET.get("period") or "quarter",
        "forecast_chart": bars(figures.forecast_by_month, attr="value", second="weighted"),
        "owner_chart": bars(figures.by_owner, attr="value", second="weighted"),
        "pipeline_chart": bars(figures.by_pipeline, attr="value", second="weighted"),
        "stage_chart": bars(figures.stage_days, attr="value"),
        "reason_chart": bars(figures.lost_reasons, attr="count"),
        "users": User.objects.filter(is_active=True).order_by("username"), "teams": Team.objects.order_by("name"),
        "pipelines": selectors.pipelines(),
    })


@login_required
@require_http_methods(["GET", "POST"])
@denied_as_403
def pipeline_settings(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create a pipeline, or rename one and edit its stages (administrators)."""
    from kunde.sales.forms import PipelineForm, StageForm
    from kunde.sales.models import Pipeline, Stage

    _require_admin(request)
    user = actor(request)
    pipeline = selectors.pipeline_get(pk) if pk is not None else None
    data = request.POST if request.method == "POST" else None
    op = request.POST.get("op", "pipeline")
    initial = {"name_en": pipeline.name_en, "name_de": pipeline.name_de,
               "is_default": pipeline.is_default} if pipeline else {}
    form = PipelineForm(data if op == "pipeline" else None, initial=initial, prefix="pipeline")
    new_stage = StageForm(data if op == "new_stage" else None, prefix="new",
                          initial={"position": 100, "probability": 50, "kind": StageKind.OPEN})
    stages: list[tuple[Stage, Any]] = []
    if pipeline is not None:
        for stage in pipeline.stages.order_by("position", "id"):
            bound = data if op == f"stage-{stage.pk}" else None
            stages.append((stage, StageForm(bound, prefix=f"s{stage.pk}", initial={
                "name_en": stage.name_en, "name_de": stage.name_de, "position": stage.position,
                "probability": stage.probability, "rotting_days": stage.rotting_days, "kind": stage.kind,
            })))
    if data is not None:
        try:
            if op == "pipeline" and form.is_valid():
                if pipeline is None:
                    pipeline = services.pipeline_create(actor=user, **form.cleaned_data)
                else:
                    services.pipeline_update(actor=user, pipeline=pipeline, **form.cleaned_data)
                messages.success(request, _("Pipeline saved."))
                return redirect("sales:pipeline_settings", pk=pipeline.pk)
            if op == "new_stage" and pipeline is not None and new_stage.is_valid():
                services.stage_save(actor=user, pipeline=pipeline, **new_stage.cleaned_data)
                messages.success(request, _("Stage added."))
                return redirect("sales:pipeline_settings", pk=pipeline.pk)
            for stage, stage_form in stages:
                if op == f"stage-{stage.pk}" and stage_form.is_valid():
                    services.stage_save(actor=user, pipeline=stage.pipeline, stage=stage, **stage_form.cleaned_data)
                    messages.success(request, _("Stage saved."))
                    return redirect("sales:pipeline_settings", pk=stage.pipeline_id)
            if op.startswith("delete-") and pipeline is not None:
                stage = Stage.objects.get(pk=op.removeprefix("delete-"), pipeline=pipeline)
                services.stage_delete(actor=user, stage=stage)
                messages.success(request, _("Stage removed."))
                return redirect("sales:pipeline_settings", pk=pipeline.pk)
        except (ValidationError, Stage.DoesNotExist) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return render(request, "sales/pipeline_settings.html", {
        "pipeline": pipeline, "form": form, "stages": stages, "new_stage": new_stage,
        "pipelines": list(Pipeline.objects.order_by("position", "id")),
    })
