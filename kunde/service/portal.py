"""The customer portal at /portal/: sign-in by a single-use magic link, no Django login.

The portal session holds only the person's id under its own key; `request.user` stays
anonymous, so the staff pages and the API (which check a Django user) never open for it.
A person sees their own tickets, and their organisation's when they are its primary
contact. Every lookup goes through `portal_tickets`, so another ticket number is a 404.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kunde.contacts.models import Employment, Person
from kunde.contacts.selectors import email_addresses_matching
from kunde.core.links import LinkError, make_token
from kunde.service import single_use
from kunde.service.models import Ticket

SESSION_KEY = "service_portal_person"
PURPOSE = "service.portal"
MAX_AGE = timedelta(minutes=30)


def magic_link(person: Person) -> str:
    return f"{settings.KUNDE_BASE_URL}{reverse('service:portal_magic', args=[make_token(PURPOSE, person.pk)])}"


LINKS_PER_HOUR = 5


def send_magic_link(email: str) -> None:
    """Mail a sign-in link if the address belongs to a person; say nothing either way."""
    from kunde.mail.services import outbox_enqueue

    if not single_use.mail_allowed("service.portal", email, per_hour=LINKS_PER_HOUR):
        return

    hit = (email_addresses_matching(email).filter(person__isnull=False,
                                       person__deleted_at__isnull=True).select_related("person").first())
    if hit is None or hit.person is None:
        return
    link = magic_link(hit.person)
    outbox_enqueue(
        to=hit.email, subject=_("Your sign-in link for the customer portal"),
        text=_("Sign in to the customer portal with this link (valid for 30 minutes, once):\n\n%(link)s") % {
            "link": link},
        dedupe_key=f"service.portal.{hashlib.sha256(link.encode()).hexdigest()}", purpose="service.portal",
        person=hit.person)


def check_link(token: str) -> None:
    """LinkError when the link is broken, expired or used; the link stays unused."""
    single_use.check_unused(PURPOSE, token, max_age=MAX_AGE)


def redeem(token: str) -> Person:
    """The person a magic link names; the link is used up. LinkError when broken, expired or reused."""
    person_id = single_use.use_up(PURPOSE, token, max_age=MAX_AGE)
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise LinkError("Unknown person.")
    return person


def portal_tickets(person: Person) -> QuerySet[Ticket]:
    organisations = Employment.objects.current().filter(person=person, is_primary_contact=True).values(
        "organisation_id")
    return (Ticket.objects.filter(Q(person=person) | Q(organisation_id__in=organisations))
            .select_related("status").order_by("-created_at", "-id"))


def portal_person(request: HttpRequest) -> Person | None:
    person_id = request.session.get(SESSION_KEY)
    if not person_id:
        return None
    return Person.objects.filter(pk=person_id).first()


def portal_person_or_login(request: HttpRequest) -> Person | HttpResponse:
    """The signed-in portal person, or a redirect to the portal's sign-in page (for every portal view)."""
    person = portal_person(request)
    if person is None:
        return redirect("service:portal_login")
    return person



class LoginForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), widget=forms.EmailInput(
        attrs={"class": "form-control", "autocomplete": "email"}))


class MessageForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Message"), max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}))


class NewTicketForm(MessageForm):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300,
                              widget=forms.TextInput(attrs={"class": "form-control"}))
    field_order = ["subject", "text"]


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        send_magic_link(form.cleaned_data["email"])
        sent = True
    return render(request, "service/portal/login.html", {"form": form, "sent": sent})


@require_http_methods(["GET", "POST"])
def magic(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST signs in: mail scanners that open links must not use them up."""
    from kunde.service.views import _link_error

    try:
        if request.method == "GET":
            check_link(token)
            return render(request, "service/portal/magic.html", {"token": token})
        person = redeem(token)
    except LinkError as error:
        return _link_error(request, error, portal=True)
    request.session.cycle_key()
    request.session[SESSION_KEY] = person.pk
    return redirect("service:portal_home")


@require_http_methods(["POST"])
def logout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("service:portal_login")


def home(request: HttpRequest) -> HttpResponse:
    person = portal_person_or_login(request)
    if isinstance(person, HttpResponse):
        return person
    from kunde.core.extensions import portal_sections_for

    return render(request, "service/portal/home.html", {"person": person, "tickets": portal_tickets(person),
                                                        "sections": portal_sections_for(person)})


@require_http_methods(["GET", "POST"])
def new_ticket(request: HttpRequest) -> HttpResponse:
    from kunde.service.services import ticket_create

    person = portal_person_or_login(request)
    if isinstance(person, HttpResponse):
        return person
    form = NewTicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = ticket_create(actor=None, subject=form.cleaned_data["subject"], description=form.cleaned_data["text"],
                                person=person, channel="web")
        return redirect("service:portal_ticket", number=created.number)
    return render(request, "service/portal/new.html", {"person": person, "form": form})


@require_http_methods(["GET", "POST"])
def ticket(request: HttpRequest, number: str) -> HttpResponse:
    from kunde.service.services import ticket_receive

    person = portal_person_or_login(request)
    if isinstance(person, HttpResponse):
        return person
    found = portal_tickets(person).filter(number=number).first()
    if found is None:
        raise Http404("ticket")
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket_receive(ticket=found, text=form.cleaned_data["text"], person=person, channel="web")
        return redirect("service:portal_ticket", number=found.number)
    thread: Any = found.messages.filter(internal=False).order_by("created_at", "id")
    return render(request, "service/portal/ticket.html", {"person": person, "ticket": found, "thread": thread,
                                                          "form": form})
