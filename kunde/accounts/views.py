"""Login page and the user's own API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kunde.accounts.forms import ApiTokenForm, LoginForm
from kunde.accounts.models import ApiToken
from kunde.accounts.services import api_token_create, api_token_revoke


class KundeLoginView(auth_views.LoginView):
    """Django's login view with Kunde's form; django-axes locks out repeated failures."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["session_idle_minutes"] = max(1, settings.SESSION_COOKIE_AGE // 60)
        return context


def _tokens(request: HttpRequest) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at", "-id"))


@never_cache
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """List the user's API tokens and create a new one; its secret is shown this once."""
    secret = created = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            created, secret = api_token_create(user=request.user, name=form.cleaned_data["name"],
                                               scope=form.cleaned_data["scope"], expires_at=form.expires_at())
            form = ApiTokenForm()
    else:
        form = ApiTokenForm()
    response = render(request, "accounts/tokens.html", {
        "form": form, "tokens": _tokens(request), "secret": secret, "created": created,
    }, status=400 if request.method == "POST" and secret is None else 200)
    # The secret must not linger in any cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens (someone else's is a 404)."""
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    api_token_revoke(user=request.user, token=token)
    messages.success(request, _("Revoked the token “%(name)s”. Programs using it are locked out now.")
                     % {"name": token.name})
    return HttpResponseRedirect(reverse("api_tokens"))
