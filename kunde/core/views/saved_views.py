"""Deleting a saved list view (saving happens on the list page itself)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kunde.accounts.models import User
from kunde.core.saved_views import saved_view_delete, saved_view_get


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return fallback


@login_required
@require_POST
def saved_view_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the user's saved views and go back to the list."""
    user = cast(User, request.user)
    view = saved_view_get(user, pk)
    name = view.name
    saved_view_delete(user=user, view=view)
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": name})
    return HttpResponseRedirect(_safe_next(request))
