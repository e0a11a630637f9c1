"""Pages of service: staff queues and tickets, the customer portal, the CSAT answer page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kunde.contacts.selectors import organisation_queryset, person_queryset
from kunde.core.exceptions import ConflictError, PermissionDenied
from kunde.core.links import LinkError
from kunde.core.permissions import can_create
from kunde.core.views.lists import BulkAction, BulkForm, ChangeOwnerAction, Column, FilteredListView
from kunde.core.views.ui import actor, apply_validation_error, login_required
from kunde.service import selectors, services
from kunde.service.csat import csat_answer, csat_ticket
from kunde.service.filters import TicketFilter
from kunde.service.forms import TicketForm
from kunde.service.models import Ticket, TicketStatus


def _link_error(request: HttpRequest, error: LinkError, *, portal: bool = False) -> HttpResponse:
    return render(request, "service/public/link_error.html", {
        "expired": error.expired, "used": "used" in str(error), "portal": portal}, status=410)


@require_http_methods(["GET", "POST"])
def csat(request: HttpRequest, token: str) -> HttpResponse:
    """One-click satisfaction answer: the mail's link preselects the score; the POST stores it."""
    try:
        ticket = csat_ticket(token)
    except LinkError as error:
        return _link_error(request, error)
    try:
        score = int(request.POST.get("score") or request.GET.get("score") or 0)
    except ValueError:
        score = 0
    if request.method == "POST" and 1 <= score <= 5:
        try:
            csat_answer(token, score, request.POST.get("comment", ""))
        except LinkError as error:
            return _link_error(request, error)
        return render(request, "service/public/csat.html", {"done": True})
    return render(request, "service/public/csat.html", {"ticket": ticket, "score": score, "scores": range(1, 6)})


# --- staff -----------------------------------------------------------------------------------





def tickets_assign(*, actor: Any, records: Any, owner: Any) -> int:
    done = 0
    for ticket in records:
        if services.can_work(actor, ticket):
            services.ticket_assign(actor=actor, ticket=ticket, owner=owner)
            done += 1
    return done


class StatusForm(BulkForm):
    status = forms.ModelChoiceField(label=gettext_lazy("Status"), queryset=TicketStatus.objects.filter(is_active=True),
                                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}))


class ChangeStatusAction(BulkAction):
    key = "change_status"
    label = gettext_lazy("Change status")
    form_class = StatusForm

    def run(self, *, actor: Any, records: Any, data: Any) -> int:
        done = 0
        for ticket in records:
            if services.can_work(actor, ticket) and ticket.status_id != data["status"].pk:
                services.ticket_change_status(actor=actor, ticket=ticket, status=data["status"])
                done += 1
        return done


class TicketListView(FilteredListView):
    list_key = "service.ticket"
    title = gettext_lazy("Tickets")
    filterset_class = TicketFilter
    page_selector = selectors.ticket_page
    columns = [
        Column("number", gettext_lazy("Number"), accessor="number", link=True),
        Column("subject", gettext_lazy("Subject"), accessor="subject", link=True),
        Column("customer", gettext_lazy("Customer"), accessor=lambda t: t.person or t.organisation or ""),
        Column("status", gettext_lazy("Status"), accessor="status"),
        Column("priority", gettext_lazy("Priority"), accessor="get_priority_display"),
        Column("team", gettext_lazy("Team"), accessor="team"),
        Column("owner", gettext_lazy("Assignee"), accessor="owner"),
        Column("due", gettext_lazy("Due"), accessor="resolution_due_at", sort="due"),
        Column("created", gettext_lazy("Created"), accessor="created_at", sort="created"),
    ]
    filter_fields = ["q", "state", "status", "priority", "category", "team", "owner"]
    bulk_actions = [ChangeOwnerAction(tickets_assign), ChangeStatusAction()]
    saved_views_enabled = True
    create_url = reverse_lazy("service:ticket_new")


class ReplyForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Message"), widget=forms.Textarea(attrs={
        "rows": 6, "class": "form-control", "id": "reply-text"}))
    internal = forms.BooleanField(label=gettext_lazy("Internal note (not sent to the customer)"), required=False)


def _suggestions(request: HttpRequest, ticket: Ticket) -> list[dict[str, Any]]:
    try:
        from kunde.knowledge import selectors as knowledge
    except ImportError:
        return []
    text = f"{ticket.subject}\n{ticket.description}"[:2000]
    articles = knowledge.article_suggestions(text, ticket.language or "de", 5)
    return [{"article": a, "title": a.published_version.title if a.published_version else a.title,
             "url": request.build_absolute_uri(knowledge.article_public_url(a))} for a in articles]


def template_context(ticket: Ticket) -> dict[str, str]:
    person = ticket.person
    return {
        "number": ticket.number or "", "subject": ticket.subject,
        "first_name": person.first_name if person else "", "last_name": person.last_name if person else "",
        "salutation": person.get_salutation_display() if person else "",
        "organisation": ticket.organisation.name if ticket.organisation else "",
    }


def _ticket_form(request: HttpRequest, ticket: Ticket | None) -> HttpResponse:
    user = actor(request)
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any]
    if ticket is None:
        initial = {name: request.GET[name] for name in ("organisation", "person")
                   if request.GET.get(name, "").isdigit()}
    else:
        initial = {"organisation": ticket.organisation_id, "person": ticket.person_id}
    form = TicketForm(data, instance=ticket or Ticket(), actor=user, initial=initial,
                      organisations=organisation_queryset(user), people=person_queryset(user))
    if data is not None and form.is_valid():
        fields, team, owner = form.service_fields(), form.cleaned_data["team"], form.cleaned_data["owner"]
        try:
            if ticket is None:
                saved = services.ticket_create(actor=user, **fields, team=team, owner=owner, from_customer=False)
            else:
                changes = {name: value for name, value in fields.items() if value != getattr(ticket, name)}
                saved = services.ticket_update(actor=user, ticket=ticket, changes=changes,
                                               expected_version=form.cleaned_data.get("version"))
                if (owner, team) != (saved.owner, saved.team):
                    saved = services.ticket_assign(actor=user, ticket=saved, owner=owner, team=team)
        except ConflictError:
            form.add_error(None, _("Someone else changed this ticket while you were editing it. "
                                   "Check the values and save again."))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Saved %(number)s.") % {"number": saved.number})
            return redirect("service:ticket_detail", pk=saved.pk)
    return render(request, "service/ticket_form.html", {"form": form, "ticket": ticket})


@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    if not can_create(actor(request)):
        raise HttpPermissionDenied("this role may not open tickets")
    return _ticket_form(request, None)


@login_required
def ticket_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(actor(request), pk)
    if not services.can_work(actor(request), ticket):
        raise HttpPermissionDenied(f"may not work ticket #{ticket.pk}")
    return _ticket_form(request, ticket)


@login_required
def ticket_attachment(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """A file of an incoming message, for whoever may see the ticket; always a download."""
    ticket = selectors.ticket_get(actor(request), pk)
    attachment = selectors.ticket_attachment(ticket, attachment_id)
    response = HttpResponse(bytes(attachment.content), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    ticket = selectors.ticket_get(user, pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "status":
                status = TicketStatus.objects.get(pk=request.POST.get("status") or 0)
                services.ticket_change_status(actor=user, ticket=ticket, status=status)
                messages.success(request, _("Status changed."))
                return redirect("service:ticket_detail", pk=ticket.pk)
            if request.POST.get("action") == "take":
                services.ticket_assign(actor=user, ticket=ticket, owner=user)
                return redirect("service:ticket_detail", pk=ticket.pk)
            if form.is_valid():
                services.ticket_reply(actor=user, ticket=ticket, text=form.cleaned_data["text"],
                                      internal=form.cleaned_data["internal"])
                messages.success(request, _("Note saved.") if form.cleaned_data["internal"] else _("Reply sent."))
                return redirect("service:ticket_detail", pk=ticket.pk)
        except (PermissionDenied, TicketStatus.DoesNotExist) as error:
            from django.core.exceptions import PermissionDenied as DjangoDenied
            raise DjangoDenied(str(error)) from error
        except ValidationError as error:
            for text in error.messages:
                form.add_error(None, text)
    templates = []
    try:
        from kunde.service.models import ReplyTemplate
        context = template_context(ticket)
        templates = [(t.name, t.render(context)) for t in ReplyTemplate.objects.filter(is_active=True)]
    except ImportError:
        pass
    return render(request, "service/ticket_detail.html", {
        "ticket": ticket, "thread": ticket.messages.select_related("author_user", "author_person"),
        "form": form, "statuses": TicketStatus.objects.filter(is_active=True),
        "can_work": services.can_work(user, ticket), "entries": _suggestions(request, ticket),
        "routing": ticket.routing_logs.all(), "templates": templates,
    })


@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    params["owner"] = str(actor(request).pk)
    params.setdefault("state", "open")
    from django.urls import reverse
    return redirect(f"{reverse('service:ticket_list')}?{params.urlencode()}")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    import datetime as dt

    from django.utils import timezone
    user = actor(request)
    try:
        days = max(1, min(int(request.GET.get("days", 30)), 366))
    except ValueError:
        days = 30
    end = timezone.now()
    start = end - dt.timedelta(days=days)
    return render(request, "service/dashboard.html", {
        "days": days, "sla": selectors.sla_figures_by_team(user, start, end),
        "csat_team": selectors.csat_figures(user, start, end, by="team"),
        "csat_agent": selectors.csat_figures(user, start, end, by="agent"),
    })
