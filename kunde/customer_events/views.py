"""Pages of customer events: list, detail with registrations and report, forms, check-in,
series, and the public registration page behind a personal link. Thin: selectors read,
services write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kunde.contacts.models import Person
from kunde.core import links
from kunde.core.exceptions import ConflictError
from kunde.core.permissions import Action, can_create, user_can
from kunde.core.views.ui import actor, apply_validation_error, denied_as_403, login_required
from kunde.customer_events import selectors, services
from kunde.customer_events.forms import EventForm, InviteForm, RegisterForm, SeriesForm
from kunde.customer_events.models import Event, EventSeries, Registration


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    status = request.GET.get("status") or None
    if status not in Event.Status.values:
        status = None
    events = list(selectors.event_list(user, status=status)[:200])
    return render(request, "customer_events/event_list.html", {
        "events": events, "status": status, "statuses": Event.Status.choices, "can_create": can_create(user)})


def _event_form(request: HttpRequest, event: Event | None) -> HttpResponse:
    user = actor(request)
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {}
    if event is None and request.GET.get("series", "").isdigit():
        initial["series"] = request.GET["series"]
    form = EventForm(data, instance=event or Event(), initial=initial, series=selectors.series_list(user))
    if data is not None and form.is_valid():
        fields = form.service_fields()
        try:
            if event is None:
                saved = services.event_create(actor=user, **fields)
            else:
                changes = {k: v for k, v in fields.items() if v != getattr(event, k)}
                saved = services.event_update(actor=user, event=event, changes=changes,
                                              expected_version=form.cleaned_data.get("version"))
        except ConflictError:
            form.add_error(None, _("Someone else changed this event meanwhile. Reload the page and apply your "
                                   "change again."))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Saved “%(name)s”.") % {"name": saved})
            return redirect(saved)
    return render(request, "customer_events/event_form.html", {"form": form, "event": event})


@login_required
@denied_as_403
def event_create_view(request: HttpRequest) -> HttpResponse:
    if not can_create(actor(request)):
        raise HttpPermissionDenied("this role may not create records")
    return _event_form(request, None)


@login_required
@denied_as_403
def event_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_get(actor(request), pk)
    if not user_can(actor(request), Action.CHANGE, event):
        raise HttpPermissionDenied("read-only access")
    return _event_form(request, event)


def _segment_choices(user: Any) -> list[tuple[int, str]]:
    from kunde.campaigns.integration import segment_choices

    return segment_choices(user)


@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    event = selectors.event_get(user, pk)
    can_change = user_can(user, Action.CHANGE, event)
    return render(request, "customer_events/event_detail.html", {
        "event": event, "registrations": list(selectors.registration_list(user, event)[:500]),
        "report": selectors.event_report(user, event), "can_change": can_change,
        "invite_form": InviteForm(choices=_segment_choices(user)) if can_change else None,
        "register_form": RegisterForm(people=Person.objects.for_user(user, Action.CHANGE).order_by(
            "last_name", "first_name")[:500]) if can_change else None,
    })


def _changeable_event(request: HttpRequest, pk: int) -> Event:
    event = selectors.event_get(actor(request), pk)
    if not user_can(actor(request), Action.CHANGE, event):
        raise HttpPermissionDenied("read-only access")
    return event


@login_required
@require_POST
@denied_as_403
def event_invite_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    event = _changeable_event(request, pk)
    form = InviteForm(request.POST, choices=_segment_choices(user))
    if not form.is_valid():
        messages.error(request, _("Choose a segment."))
        return redirect(event)
    try:
        result = services.invite_segment_or_queue(actor=user, event=event, segment_id=form.cleaned_data["segment"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if result is None:
            messages.success(request, _("The segment is large: the invitations are being sent in the background."))
            return redirect(event)
        messages.success(request, _("%(invited)s invited; %(already)s already invited; %(skipped)s without consent "
                                    "for event invitations were skipped.") % {
            "invited": len(result.invited), "already": len(result.already_invited),
            "skipped": len(result.without_consent)})
    return redirect(event)


@login_required
@require_POST
@denied_as_403
def event_register_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    event = _changeable_event(request, pk)
    form = RegisterForm(request.POST, people=Person.objects.for_user(user, Action.CHANGE))
    if not form.is_valid():
        messages.error(request, _("Choose a person."))
        return redirect(event)
    try:
        registration = services.registration_create(actor=user, event=event, person=form.cleaned_data["person"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(person)s: %(status)s") % {
            "person": registration.person, "status": registration.get_status_display()})
    return redirect(event)


def _action(request: HttpRequest, pk: int, service: Any, done: str) -> HttpResponse:
    event = _changeable_event(request, pk)
    try:
        service(actor=actor(request), event=event)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect(event)


@login_required
@require_POST
@denied_as_403
def event_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, services.event_close, _("The event is closed; who was not checked in is a no-show."))


@login_required
@require_POST
@denied_as_403
def event_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, services.event_cancel, _("The event is cancelled; everyone registered was told."))


@login_required
@denied_as_403
def event_checkin(request: HttpRequest, pk: int) -> HttpResponse:
    event = _changeable_event(request, pk)
    registrations = [r for r in selectors.registration_list(actor(request), event)
                     if r.status in (*Registration.SEATED,)]
    return render(request, "customer_events/event_checkin.html", {"event": event, "registrations": registrations})


@login_required
@require_POST
@denied_as_403
def registration_checkin_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    registration = selectors.registration_get(user, pk)
    try:
        registration = services.registration_check_in(actor=user, registration=registration)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.headers.get("HX-Request"):
        return render(request, "customer_events/_checkin_row.html", {"registration": registration})
    return redirect("customer_events:event_checkin", registration.event_id)


@login_required
@require_POST
@denied_as_403
def registration_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    registration = selectors.registration_get(user, pk)
    try:
        services.registration_cancel(actor=user, registration=registration)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Registration cancelled."))
    return redirect(registration.event)


@login_required
def series_list_view(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    return render(request, "customer_events/series_list.html", {
        "series_list": list(selectors.series_list(user)[:200]), "can_create": can_create(user)})


@login_required
@denied_as_403
def series_create_view(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    if not can_create(user):
        raise HttpPermissionDenied("this role may not create records")
    data = request.POST if request.method == "POST" else None
    form = SeriesForm(data, instance=EventSeries())
    if data is not None and form.is_valid():
        try:
            series = services.series_create(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return redirect(series)
    return render(request, "customer_events/series_form.html", {"form": form})


@login_required
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    series = selectors.series_get(user, pk)
    total, rows = selectors.series_report(user, series)
    return render(request, "customer_events/series_detail.html", {
        "series": series, "total": total, "rows": rows, "can_change": user_can(user, Action.CHANGE, series)})


def public_registration(request: HttpRequest, token: str) -> HttpResponse:
    """The invited person's page (no login): see the event, register, or cancel."""
    try:
        event, person = services.read_link(token)
    except links.LinkError:
        return render(request, "customer_events/public_registration.html", {"invalid": True}, status=404)
    error = ""
    with translation.override(event.language):
        if request.method == "POST":
            try:
                services.registration_by_link(token, action=request.POST.get("action", ""))
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                return redirect("customer_events:public_registration", token)
        registration = Registration.objects.filter(event=event, person=person).first()
        return render(request, "customer_events/public_registration.html", {
            "event": event, "person": person, "registration": registration, "error": error,
            "language": event.language}, status=422 if error else 200)
