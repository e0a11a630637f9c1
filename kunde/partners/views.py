"""Staff pages of partners: the partner list and page, and the 360° panel's actions (mark, share, revoke)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kunde.activities.selectors import activity_get
from kunde.contacts.models import Organisation, Person
from kunde.contacts.selectors import organisation_get, person_get
from kunde.core.exceptions import ConflictError
from kunde.core.permissions import Action, user_can
from kunde.core.views.ui import actor, apply_validation_error, denied_as_403, login_required
from kunde.partners import selectors, services
from kunde.partners.forms import GrantForm, HandoverForm, LeadOfferForm, MarkPartnerForm, PartnerEditForm, ShareForm
from kunde.partners.models import PartnerRole, ShareableEntry
from kunde.sales.models import Deal, DealStatus
from kunde.sales.selectors import deal_get, lead_get


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- the 360° panel -----------------------------------------------------------------


def _share_choices(user: Any, customer: Person | Organisation) -> list[tuple[str, str]]:
    """"This customer" plus the customer's open deals the user may change."""
    holder = "person" if isinstance(customer, Person) else "organisation"
    choices = [("customer", str(_("This customer: %(name)s") % {"name": customer}))]
    deals = (Deal.objects.for_user(user, Action.CHANGE).filter(**{holder: customer}, status=DealStatus.OPEN)
             .order_by("-updated_at", "-id")[:20])
    choices += [(f"deal:{deal.pk}", str(_("Deal: %(title)s") % {"title": deal.title})) for deal in deals]
    return choices


def customer_panel_context(user: Any, customer: Any) -> dict[str, Any] | None:
    """The "Partners" panel: the partner flag of an organisation, its shares, and forms to share."""
    can_change = user_can(user, Action.CHANGE, customer)
    kind = "person" if isinstance(customer, Person) else "organisation"
    profile = selectors.partner_of(user, customer) if kind == "organisation" else None
    partners = selectors.partners_to_share_with(user)
    if profile is not None:
        partners = partners.exclude(pk=profile.pk)
    shares = list(selectors.customer_shares(user, customer))
    share_form = (ShareForm(partners=partners, what=_share_choices(user, customer), prefix="share")
                  if can_change else None)
    if not shares and profile is None and not can_change:
        return None
    entries = []
    if shares and can_change:
        from kunde.activities.models import Activity

        on = {kind: customer}
        recent = list(Activity.objects.for_user(user).filter(**on, kind__in=["contact", "note"])
                      .order_by("-occurred_at", "-id")[:5])
        marked = set(ShareableEntry.objects.filter(activity__in=recent).values_list("activity_id", flat=True))
        entries = [(entry, entry.pk in marked) for entry in recent]
    return {
        "kind": kind, "customer": customer, "can_change": can_change, "profile": profile, "shares": shares,
        "mark_form": (MarkPartnerForm(prefix="mark")
                      if kind == "organisation" and profile is None and can_change else None),
        "share_form": share_form if share_form is not None and partners.exists() else None,
        "entries": entries,
    }


def _customer(user: Any, kind: str, pk: int, action: Action = Action.CHANGE) -> Person | Organisation:
    if kind == "person":
        return person_get(user, pk, action)
    if kind == "organisation":
        return organisation_get(user, pk, action)
    raise Http404("unknown kind")


@login_required
@require_POST
@denied_as_403
def mark_partner(request: HttpRequest, pk: int) -> HttpResponse:
    """Flag an organisation as partner from its 360° page."""
    user = actor(request)
    organisation = organisation_get(user, pk)
    form = MarkPartnerForm(request.POST, prefix="mark")
    if not form.is_valid():
        messages.error(request, _("Choose the partner's role."))
        return redirect(organisation)
    try:
        partner = services.partner_mark(actor=user, organisation=organisation, role=form.cleaned_data["role"],
                                        role_note=form.cleaned_data["role_note"])
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect(organisation)
    messages.success(request, _("%(name)s is now a partner.") % {"name": organisation})
    return redirect(partner)


@login_required
@require_POST
@denied_as_403
def share_record(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Share a customer, or one of their deals, with a partner (the 360° panel's form)."""
    user = actor(request)
    customer = _customer(user, kind, pk, Action.VIEW)
    partners = selectors.partners_to_share_with(user)
    form = ShareForm(request.POST, partners=partners, what=_share_choices(user, customer), prefix="share")
    if not form.is_valid():
        messages.error(request, _("Choose a partner and what to share."))
        return redirect(customer)
    what = form.cleaned_data["what"]
    target: dict[str, Any] = {kind: customer}
    if what.startswith("deal:"):
        target = {"deal": deal_get(user, what.split(":", 1)[1])}
    try:
        services.share_create(actor=user, partner=form.cleaned_data["partner"], note=form.cleaned_data["note"],
                              **target)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Shared with %(partner)s.") % {"partner": form.cleaned_data["partner"]})
    return redirect(_back(request, customer.get_absolute_url()))


@login_required
@require_POST
@denied_as_403
def share_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    share = selectors.share_get(user, pk)
    services.share_revoke(actor=user, share=share)
    messages.success(request, _("The partner no longer sees %(record)s.") % {"record": share.record})
    record: Any = share.record
    return redirect(_back(request, record.get_absolute_url() if record is not None else "/"))


@login_required
@require_POST
@denied_as_403
def entry_shareable(request: HttpRequest, pk: int) -> HttpResponse:
    """Show (or hide) one history entry to the partners the customer is shared with."""
    user = actor(request)
    activity = activity_get(user, pk)
    shareable = request.POST.get("shareable") == "1"
    services.entry_set_shareable(actor=user, activity=activity, shareable=shareable)
    messages.success(request, _("Partners see this entry.") if shareable else _("Partners no longer see this entry."))
    customer: Any = activity.person or activity.organisation
    return redirect(_back(request, customer.get_absolute_url()))


# --- partner list and page ----------------------------------------------------------


@login_required
@require_GET
def partner_list(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    partners = selectors.partner_list(user, request.GET)
    return render(request, "partners/list.html", {
        "partners": partners, "roles": PartnerRole.choices, "role": request.GET.get("role", ""),
        "active": request.GET.get("active", ""),
        "open_handovers": selectors.handover_list(user, {"status": "offered"})[:20],
    })


def _detail_context(user: Any, partner: Any, **forms: Any) -> dict[str, Any]:
    can_change = user_can(user, Action.CHANGE, partner)
    context = {
        "partner": partner, "can_change": can_change,
        "users": selectors.partner_user_list(partner),
        "shares": selectors.share_list(user, {"partner": partner.pk, "active": "1"}),
        "handovers": selectors.handover_list(user, {"partner": partner.pk})[:50],
        "edit_form": None, "grant_form": None,
        "handover_form": HandoverForm(leads=selectors.leads_to_hand_over(user)) if partner.is_active else None,
    }
    if can_change:
        context["edit_form"] = PartnerEditForm(initial={
            "role": partner.role, "role_note": partner.role_note, "since": partner.since,
            "is_active": partner.is_active, "version": partner.version})
        context["grant_form"] = GrantForm(people=selectors.partner_employees(partner, user))
    context.update(forms)
    return context


@login_required
@require_GET
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    partner = selectors.partner_get(user, pk)
    return render(request, "partners/detail.html", _detail_context(user, partner))


@login_required
@require_POST
@denied_as_403
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    partner = selectors.partner_get(user, pk)
    form = PartnerEditForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.partner_update(actor=user, partner=partner, changes=data, expected_version=version)
        except ConflictError:
            form.add_error(None, _("Someone else changed this partner meanwhile. Check the values and save again."))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Partner saved."))
            return redirect(partner)
    return render(request, "partners/detail.html", _detail_context(user, partner, edit_form=form), status=422)


@login_required
@require_POST
@denied_as_403
def partner_user_grant(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    partner = selectors.partner_get(user, pk)
    form = GrantForm(request.POST, people=selectors.partner_employees(partner, user))
    if form.is_valid():
        try:
            services.partner_user_grant(actor=user, partner=partner, person=form.cleaned_data["person"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("%(person)s can now sign in to the partner portal.") % {
                "person": form.cleaned_data["person"]})
            return redirect(partner)
    return render(request, "partners/detail.html", _detail_context(user, partner, grant_form=form), status=422)


@login_required
@require_POST
@denied_as_403
def partner_user_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    access = selectors.partner_user_get(user, pk)
    services.partner_user_revoke(actor=user, access=access)
    messages.success(request, _("%(person)s can no longer sign in to the partner portal.") % {
        "person": access.person})
    return redirect(access.partner)


@login_required
@require_POST
@denied_as_403
def handover_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    partner = selectors.partner_get(user, pk)
    form = HandoverForm(request.POST, leads=selectors.leads_to_hand_over(user, limit=None))
    if form.is_valid():
        try:
            services.lead_handover(actor=user, lead=form.cleaned_data["lead"], partner=partner,
                                   note=form.cleaned_data["note"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The lead is offered to %(partner)s.") % {"partner": partner})
            return redirect(partner)
    return render(request, "partners/detail.html", _detail_context(user, partner, handover_form=form), status=422)


@login_required
@require_POST
@denied_as_403
def handover_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    handover = selectors.handover_get(user, pk)
    try:
        services.handover_withdraw(actor=user, handover=handover)
        messages.success(request, _("The lead was withdrawn."))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect(_back(request, handover.partner.get_absolute_url()))


@login_required
@require_http_methods(["GET", "POST"])
@denied_as_403
def lead_offer(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand one lead over to a partner, starting from the lead: its handovers so far and the offer form."""
    user = actor(request)
    lead = lead_get(user, pk)
    partners = selectors.partners_to_share_with(user)
    form = LeadOfferForm(request.POST or None, partners=partners)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.lead_handover(actor=user, lead=lead, partner=form.cleaned_data["partner"],
                                       note=form.cleaned_data["note"])
            except ValidationError as error:
                apply_validation_error(form, error, aliases={"lead": "__all__"})
            else:
                messages.success(request, _("The lead is offered to %(partner)s.") % {
                    "partner": form.cleaned_data["partner"]})
                return redirect(form.cleaned_data["partner"])
        status = 422
    return render(request, "partners/lead_offer.html", {
        "lead": lead, "form": form, "handovers": selectors.handover_list(user, {"lead": lead.pk}),
        "can_change": user_can(user, Action.CHANGE, lead)}, status=status)
