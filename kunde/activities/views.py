"""Web views of the customer history: the 360° panels (timeline, key figures, mood trend),
logging contacts and tasks with htmx, completing tasks, and the "my tasks" page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kunde.activities.choices import Kind
from kunde.activities.forms import ContactLogForm, TaskForm
from kunde.activities.models import Activity
from kunde.activities.selectors import (
    activity_get,
    activity_queryset,
    key_figures,
    mood_trend,
    task_list,
    timeline_page,
)
from kunde.activities.services import contact_log, task_complete, task_create
from kunde.contacts.models import Employment, Organisation, Person
from kunde.contacts.selectors import organisation_get, person_get, person_queryset
from kunde.core.filters import FilterError
from kunde.core.pagination import Page, keyset_page
from kunde.core.permissions import Action, user_can
from kunde.core.views.ui import actor, apply_validation_error, denied_as_403, is_htmx, login_required

TIMELINE_PAGE_SIZE = 20
TASK_PAGE_SIZE = 50
PEOPLE_OFFERED = 50
Customer = Person | Organisation


# --- helpers ----------------------------------------------------------------------


def customer_type_of(customer: Customer) -> str:
    """"person" or "organisation", the customer part of the history URLs."""
    return "person" if isinstance(customer, Person) else "organisation"


def customer_get(user: Any, customer_type: str, pk: Any) -> Customer:
    """The visible person or organisation named in a URL; 404 otherwise."""
    if customer_type == "person":
        return person_get(user, pk)
    if customer_type == "organisation":
        return organisation_get(user, pk)
    raise Http404("Unknown customer type.")


def _timeline(user: Any, customer: Customer, cursor: str | None) -> Page:
    page = timeline_page(user, customer, cursor=cursor, size=TIMELINE_PAGE_SIZE)
    prefetch_related_objects(page.items, "participant_people", "participant_users")
    return page


def _people_at(user: Any, organisation: Organisation) -> list[Person]:
    """The first visible people currently working at `organisation` (offered in the contact form)."""
    employments = (
        Employment.objects.for_user(user).current()
        .filter(organisation=organisation, person__deleted_at__isnull=True)
        .select_related("person")
        .order_by("-is_primary_contact", "person__last_name", "person__first_name", "id")[:PEOPLE_OFFERED]
    )
    return [e.person for e in employments]


def _colleagues_of(user: Any, person: Person) -> list[Person]:
    """Visible people working at the same organisations as `person` now (for participants)."""
    organisation_ids = (
        Employment.objects.current().filter(person=person, organisation__deleted_at__isnull=True)
        .values("organisation_id")
    )
    employments = (
        Employment.objects.for_user(user).current()
        .filter(organisation_id__in=organisation_ids, person__deleted_at__isnull=True)
        .exclude(person=person)
        .select_related("person")
        .order_by("person__last_name", "person__first_name", "person_id")[:PEOPLE_OFFERED]
    )
    return list(dict.fromkeys(e.person for e in employments))


def build_contact_form(request: HttpRequest, customer: Customer, data: Any = None,
                       people_at_organisation: list[Person] | None = None) -> ContactLogForm:
    """The "log a contact" form of `customer`'s page, with the people that fit it."""
    user = actor(request)
    if isinstance(customer, Organisation):
        at_organisation = people_at_organisation if people_at_organisation is not None else _people_at(user, customer)
        colleagues = at_organisation
    else:
        at_organisation = []
        colleagues = _colleagues_of(user, customer)
    return ContactLogForm(
        data, actor=user, people=person_queryset(user), contacts_at_organisation=at_organisation,
        colleagues=colleagues, on_organisation=isinstance(customer, Organisation),
        prefix="contact",
    )


def build_task_form(request: HttpRequest, data: Any = None) -> TaskForm:
    return TaskForm(data, actor=actor(request), prefix="task")


def customer_panels(
    request: HttpRequest,
    customer: Customer,
    *,
    contact_form: ContactLogForm | None = None,
    task_form: TaskForm | None = None,
    cursor: str | None = None,
    people_at_organisation: list[Person] | None = None,
    can_log: bool | None = None,
) -> dict[str, Any]:
    """The context of the 360° panels shared by the person and organisation pages."""
    user = actor(request)
    if can_log is None:
        can_log = user_can(user, Action.CHANGE, customer)
    context: dict[str, Any] = {
        "customer": customer,
        "customer_type": customer_type_of(customer),
        "can_log": can_log,
        "timeline": _timeline(user, customer, cursor),
        "figures": key_figures(user, customer),
        "trend": mood_trend(user, customer),
        "chart_id": f"mood-{customer_type_of(customer)}-{customer.pk}",
    }
    if can_log:
        context["contact_form"] = contact_form or build_contact_form(
            request, customer, people_at_organisation=people_at_organisation
        )
        context["task_form"] = task_form or build_task_form(request)
    return context


def _render_customer_page(request: HttpRequest, customer: Customer, **overrides: Any) -> HttpResponse:
    """The full 360° page (the no-JavaScript fallback after a form error)."""
    from kunde.contacts import views as contact_views  # the page lives with its record

    return contact_views.render_detail(request, customer, **overrides)


def _require_change(request: HttpRequest, customer: Customer) -> None:
    if not user_can(actor(request), Action.CHANGE, customer):
        raise HttpPermissionDenied("read-only access to this customer")


def _added_response(request: HttpRequest, customer: Customer, entry: Activity, *, template: str,
                    status: str) -> HttpResponse:
    """The htmx answer after a new entry: a fresh form plus out-of-band timeline, figures and trend."""
    user = actor(request)
    entry = activity_get(user, entry.pk)
    context = {
        "customer": customer,
        "customer_type": customer_type_of(customer),
        "can_log": True,
        "entry": entry,
        "figures": key_figures(user, customer),
        "trend": mood_trend(user, customer),
        "chart_id": f"mood-{customer_type_of(customer)}-{customer.pk}",
        "contact_form": build_contact_form(request, customer) if template.endswith("_contact_form.html") else None,
        "task_form": build_task_form(request) if template.endswith("_task_form.html") else None,
        "form_template": template,
        "status": status,
    }
    return render(request, "activities/_entry_added.html", context)


# --- writes -----------------------------------------------------------------------


@login_required
@require_POST
@denied_as_403
def contact_log_view(request: HttpRequest, customer_type: str, pk: int) -> HttpResponse:
    """Log a contact on a person or organisation (htmx partial, or a redirect without JS)."""
    customer = customer_get(actor(request), customer_type, pk)
    _require_change(request, customer)
    form = build_contact_form(request, customer, data=request.POST)
    if form.is_valid():
        fields = form.service_fields()
        target: dict[str, Any]
        if isinstance(customer, Person):
            target = {"person": customer}
        else:
            target = {"organisation": customer, "person": form.cleaned_data.get("person")}
        try:
            entry = contact_log(actor=actor(request), **target, **fields)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            status = _("Contact “%(subject)s” logged.") % {"subject": entry.subject}
            if is_htmx(request):
                return _added_response(request, customer, entry, template="activities/_contact_form.html",
                                       status=status)
            messages.success(request, status)
            return redirect(customer)
    if is_htmx(request):
        return render(request, "activities/_contact_form.html",
                      {"contact_form": form, "customer": customer, "customer_type": customer_type})
    return _render_customer_page(request, customer, contact_form=form)


@login_required
@require_POST
@denied_as_403
def task_create_view(request: HttpRequest, customer_type: str, pk: int) -> HttpResponse:
    """Add a task or follow-up to a customer's history."""
    customer = customer_get(actor(request), customer_type, pk)
    _require_change(request, customer)
    form = build_task_form(request, data=request.POST)
    if form.is_valid():
        target: dict[str, Any] = {"person": customer} if isinstance(customer, Person) else {"organisation": customer}
        try:
            entry = task_create(actor=actor(request), **target, **form.service_fields())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            status = _("Task “%(subject)s” added.") % {"subject": entry.subject}
            if is_htmx(request):
                return _added_response(request, customer, entry, template="activities/_task_form.html",
                                       status=status)
            messages.success(request, status)
            return redirect(customer)
    if is_htmx(request):
        return render(request, "activities/_task_form.html",
                      {"task_form": form, "customer": customer, "customer_type": customer_type})
    return _render_customer_page(request, customer, task_form=form)


@login_required
@require_POST
@denied_as_403
def task_done_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a task done (or reopen it) and answer with the updated entry."""
    user = actor(request)
    task = activity_get(user, pk)
    if task.kind != Kind.TASK:
        raise Http404("Not a task.")
    done = request.POST.get("done", "1") != "0"
    task_complete(actor=user, task=task, done=done)
    task = activity_get(user, pk)
    status = (_("Task “%(subject)s” done.") if done else _("Task “%(subject)s” reopened.")) % {
        "subject": task.subject
    }
    if not is_htmx(request):
        messages.success(request, status)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = reverse("activities:task_list")
        return redirect(target)
    context_name = request.POST.get("context", "tasks")
    if context_name in ("person", "organisation"):
        customer = task.person if context_name == "person" else task.organisation
        if customer is None:
            raise Http404("No such customer.")
        return render(request, "activities/_task_done.html", {
            "entry": task, "customer": customer, "customer_type": context_name, "can_log": True,
            "figures": key_figures(user, customer), "status": status,
        })
    return render(request, "activities/_task_row.html", {"task": task, "can_change": True, "status": status})


# --- reads ------------------------------------------------------------------------


@login_required
@require_GET
def timeline_view(request: HttpRequest, customer_type: str, pk: int) -> HttpResponse:
    """The next page of a customer's timeline (htmx), or the 360° page at that point."""
    customer = customer_get(actor(request), customer_type, pk)
    cursor = request.GET.get("cursor") or None
    if not is_htmx(request):
        url = customer.get_absolute_url()
        return redirect(f"{url}?cursor={cursor}#timeline" if cursor else url)
    try:
        page = _timeline(actor(request), customer, cursor)
    except FilterError:
        return HttpResponseBadRequest(_("Invalid cursor."))
    return render(request, "activities/_timeline_entries.html", {
        "timeline": page, "customer": customer, "customer_type": customer_type,
        "can_log": user_can(actor(request), Action.CHANGE, customer), "focus_first": True,
    })


@login_required
@require_GET
def task_list_view(request: HttpRequest) -> HttpResponse:
    """Open tasks assigned to me (or all I may see), oldest due first; overdue ones marked."""
    user = actor(request)
    show_all = request.GET.get("all") == "1"
    queryset = task_list(user, assignee=None if show_all else user)
    try:
        page = keyset_page(queryset, ordering=("due_at", "id"), cursor=request.GET.get("cursor") or None,
                           size=TASK_PAGE_SIZE)
    except FilterError:
        return HttpResponseBadRequest(_("Invalid cursor."))
    changeable = set(
        activity_queryset(user, Action.CHANGE).filter(pk__in=[t.pk for t in page.items]).values_list("pk", flat=True)
    )
    return render(request, "activities/task_list.html", {
        "page": page, "show_all": show_all, "changeable": changeable,
    })
