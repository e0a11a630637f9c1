"""The administration area's gate and start page.

Only administrators (`core.permissions.is_admin`) enter; anyone else who is logged in
gets 403, anonymous visitors go to the login page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kunde.core.permissions import is_admin


def _refuse(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_admin(request.user):
        raise PermissionDenied("administrators only")
    return None


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let only administrators through (403 for other users, login for anonymous)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _refuse(request) or view(request, *args, **kwargs)

    return wrapper


class AdminRequiredMixin:
    """The class-based form of `admin_required`."""

    admin_section = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _refuse(request) or super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["admin_section"] = self.admin_section
        return context


@admin_required
def admin_index(request: HttpRequest) -> HttpResponse:
    """The start page of the administration area."""
    return render(request, "core/admin/index.html", {"admin_section": "index"})
