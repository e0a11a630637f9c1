"""The partner portal at /partner/: sign-in by a single-use magic link, no Django login.

As in the customer portal (kunde.service.portal), the session holds only the partner
user's id under its own key and `request.user` stays anonymous, so every staff page and
the REST API (which check a Django user) stay closed by construction. Every request
re-reads the partner user and refuses them once their access, their partner or their
employment at the partner has ended. Every record is found through the partner's live
shares (kunde.partners.selectors), so another id in the URL is a 404.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kunde.contacts.models import Employment, Organisation, Person
from kunde.core.links import LinkError, make_token
from kunde.partners import selectors, services
from kunde.partners.models import PartnerActivityType, PartnerUser
from kunde.service import single_use

SESSION_KEY = "partners_portal_user"
PURPOSE = "partners.portal"
MAX_AGE = timedelta(minutes=30)
LINKS_PER_HOUR = 5


def magic_link(access: PartnerUser) -> str:
    return f"{settings.KUNDE_BASE_URL}{reverse('partners:portal_magic', args=[make_token(PURPOSE, access.pk)])}"


def _active_access(access_id: Any) -> PartnerUser | None:
    """The partner user if their access, their partner and their job at the partner are all current."""
    access = (PartnerUser.objects.active().filter(pk=access_id)
              .select_related("partner__organisation", "person").first())
    if access is None or access.partner.organisation.deleted_at is not None:
        return None
    works_there = Employment.objects.current().filter(person_id=access.person_id,
                                                      organisation_id=access.partner.organisation_id).exists()
    return access if works_there else None


def send_magic_link(email: str) -> None:
    """Mail a sign-in link to each active partner access of the address; say nothing either way."""
    from kunde.contacts.selectors import email_addresses_matching
    from kunde.mail.services import outbox_enqueue

    if not single_use.mail_allowed("partners.portal", email, per_hour=LINKS_PER_HOUR):
        return
    people = email_addresses_matching(email).filter(person__isnull=False).values("person_id")
    for candidate in PartnerUser.objects.active().filter(person_id__in=people).order_by("pk"):
        access = _active_access(candidate.pk)
        if access is None:
            continue
        address = access.person.emails.filter(pk__in=email_addresses_matching(email).values("pk")).first()
        if address is None:
            continue
        link = magic_link(access)
        outbox_enqueue(
            to=address.email, subject=_("Your sign-in link for the partner portal"),
            text=_("Sign in to the partner portal of %(partner)s with this link (valid for 30 minutes, once):"
                   "\n\n%(link)s") % {"partner": access.partner, "link": link},
            dedupe_key=f"partners.portal.{hashlib.sha256(link.encode()).hexdigest()}", purpose=PURPOSE,
            person=access.person)


def check_link(token: str) -> None:
    """LinkError when the link is broken, expired or used; the link stays unused."""
    single_use.check_unused(PURPOSE, token, max_age=MAX_AGE)


def redeem(token: str) -> PartnerUser:
    """The partner user a magic link names; the link is used up. LinkError when broken, expired, reused or revoked."""
    access_id = single_use.use_up(PURPOSE, token, max_age=MAX_AGE)
    access = _active_access(access_id)
    if access is None:
        raise LinkError("This link is not valid.")
    PartnerUser.objects.filter(pk=access.pk).update(last_login_at=timezone.now())
    return access


def portal_access(request: HttpRequest) -> PartnerUser | None:
    access_id = request.session.get(SESSION_KEY)
    if not access_id:
        return None
    access = _active_access(access_id)
    if access is None:
        request.session.pop(SESSION_KEY, None)  # access ended: the session is worthless from now on
    return access


def access_or_login(request: HttpRequest) -> PartnerUser | HttpResponse:
    access = portal_access(request)
    if access is None:
        return redirect("partners:portal_login")
    return access


# --- forms --------------------------------------------------------------------------


class LoginForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), widget=forms.EmailInput(
        attrs={"class": "form-control", "autocomplete": "email"}))


class DeclineForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why do you decline?"), max_length=500, required=False,
                             widget=forms.TextInput(attrs={"class": "form-control"}))


class ActivityForm(forms.Form):
    activity_type = forms.ChoiceField(label=gettext_lazy("What did you do?"), choices=PartnerActivityType.choices,
                                      widget=forms.Select(attrs={"class": "form-select"}))
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=120,
                              widget=forms.TextInput(attrs={"class": "form-control"}))
    notes = forms.CharField(label=gettext_lazy("Notes"), max_length=5000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))


# --- views --------------------------------------------------------------------------


def _render(request: HttpRequest, access: PartnerUser | None, template: str, context: dict[str, Any],
            status: int = 200) -> HttpResponse:
    return render(request, f"partners/portal/{template}", {"access": access, **context}, status=status)


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        send_magic_link(form.cleaned_data["email"])
        sent = True
    return _render(request, None, "login.html", {"form": form, "sent": sent})


@require_http_methods(["GET", "POST"])
def magic(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST signs in: mail scanners that open links must not use them up."""
    try:
        if request.method == "GET":
            check_link(token)
            return _render(request, None, "magic.html", {"token": token})
        access = redeem(token)
    except LinkError as error:
        return _render(request, None, "link_error.html", {"expired": error.expired, "used": "used" in str(error)},
                       status=410)
    request.session.cycle_key()
    request.session[SESSION_KEY] = access.pk
    return redirect("partners:portal_home")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("partners:portal_login")


def home(request: HttpRequest) -> HttpResponse:
    access = access_or_login(request)
    if isinstance(access, HttpResponse):
        return access
    partner = access.partner
    return _render(request, access, "home.html", {
        "partner": partner,
        "people": selectors.partner_shared_people(partner),
        "organisations": selectors.partner_shared_organisations(partner),
        "deals": selectors.partner_shared_deals(partner),
        "leads": selectors.partner_shared_leads(partner),
        "offers": selectors.partner_offered_handovers(partner),
    })


def _customer(access: PartnerUser, kind: str, pk: int) -> Person | Organisation:
    partner = access.partner
    queryset: Any = (selectors.partner_shared_people(partner) if kind == "person"
                     else selectors.partner_shared_organisations(partner))
    customer = queryset.prefetch_related("emails", "phones", "addresses").filter(pk=pk).first()
    if customer is None:
        raise Http404("not shared")
    return customer


def _customer_page(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    access = access_or_login(request)
    if isinstance(access, HttpResponse):
        return access
    customer = _customer(access, kind, pk)
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_activity_log(
                by=access, activity_type=form.cleaned_data["activity_type"], subject=form.cleaned_data["subject"],
                notes=form.cleaned_data["notes"], person=customer if isinstance(customer, Person) else None,
                organisation=customer if isinstance(customer, Organisation) else None)
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(request, _("Your activity is now in the customer's history."))
            return redirect(request.path)
    share = selectors.partner_live_shares(access.partner).filter(**{kind: customer}).first()
    return _render(request, access, "customer.html", {
        "customer": customer, "kind": kind, "share": share, "form": form,
        "history": selectors.partner_customer_history(access.partner, customer),
    })


@require_http_methods(["GET", "POST"])
def person(request: HttpRequest, pk: int) -> HttpResponse:
    return _customer_page(request, "person", pk)


@require_http_methods(["GET", "POST"])
def organisation(request: HttpRequest, pk: int) -> HttpResponse:
    return _customer_page(request, "organisation", pk)


def deal(request: HttpRequest, pk: int) -> HttpResponse:
    access = access_or_login(request)
    if isinstance(access, HttpResponse):
        return access
    found = selectors.partner_shared_deals(access.partner).filter(pk=pk).first()
    if found is None:
        raise Http404("not shared")
    share = selectors.partner_live_shares(access.partner).filter(deal=found).first()
    return _render(request, access, "deal.html", {"deal": found, "share": share})


@require_http_methods(["GET", "POST"])
def lead(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead offered to the partner (accept or decline it) or shared with them."""
    access = access_or_login(request)
    if isinstance(access, HttpResponse):
        return access
    found, offer = selectors.partner_lead(access.partner, pk)
    form = DeclineForm(request.POST or None)
    if request.method == "POST":
        if offer is None:
            raise Http404("not on offer")
        try:
            if request.POST.get("decision") == "accept":
                services.handover_accept(by=access, handover=offer)
                messages.success(request, _("You accepted the lead."))
                return redirect("partners:portal_lead", pk=found.pk)
            if form.is_valid():
                services.handover_decline(by=access, handover=offer, reason=form.cleaned_data["reason"])
                messages.success(request, _("You declined the lead."))
                return redirect("partners:portal_home")
        except ValidationError as error:
            form.add_error("reason" if "reason" in getattr(error, "error_dict", {}) else None,
                           " ".join(error.messages))
    return _render(request, access, "lead.html", {"lead": found, "offer": offer, "form": form},
                   status=422 if form.errors else 200)
