"""The start page: my open tasks, the contacts I logged recently, quick links."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kunde.activities.choices import Kind
from kunde.activities.selectors import activity_queryset, task_list
from kunde.core.permissions import Action, can_create
from kunde.core.views.ui import actor, login_required

DASHBOARD_TASKS = 10
DASHBOARD_CONTACTS = 10


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the user's open tasks (overdue first) and their latest logged contacts."""
    user = actor(request)
    tasks = list(task_list(user, assignee=user)[: DASHBOARD_TASKS + 1])
    recent = list(
        activity_queryset(user)
        .filter(kind=Kind.CONTACT, created_by=user)
        .select_related("person", "organisation")
        .order_by("-occurred_at", "-id")[:DASHBOARD_CONTACTS]
    )
    changeable = set(
        activity_queryset(user, Action.CHANGE).filter(pk__in=[t.pk for t in tasks]).values_list("pk", flat=True)
    )
    return render(request, "core/dashboard.html", {
        "tasks": tasks[:DASHBOARD_TASKS],
        "more_tasks": len(tasks) > DASHBOARD_TASKS,
        "recent_contacts": recent,
        "changeable": changeable,
        "can_create": can_create(user),
    })
