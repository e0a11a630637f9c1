"""API authentication: personal tokens (read or write scope) and the browser session.

A token is sent as `Authorization: Bearer <secret>`. A read token may only use safe
methods (GET, HEAD, OPTIONS); anything else answers 403 before the handler runs, so no
write endpoint can forget the check. The session works for the logged-in browser
(the interactive docs, htmx code) and needs the CSRF token on unsafe methods.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from kunde.accounts.models import ApiToken, User
from kunde.accounts.services import api_token_authenticate
from kunde.core.api.errors import ApiError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """A personal API token; its scope decides whether unsafe methods are allowed."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = api_token_authenticate(token.strip())
        if api_token is None:
            return None
        if request.method not in SAFE_METHODS and api_token.scope != ApiToken.TokenScope.WRITE:
            raise ApiError(403, _("This API token may only read; create a token with write scope."))
        request.api_token = api_token  # type: ignore[attr-defined]
        request.user = api_token.user
        return api_token.user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session, with Django's CSRF check on unsafe methods."""

    param_name = "sessionid"

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        # A request that names a token is judged by the token alone: a wrong token must
        # not be rescued by a cookie the client happens to carry.
        if "Authorization" in request.headers:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise ApiError(403, _("CSRF check failed: send the X-CSRFToken header."))
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return self(request)


API_AUTH = [TokenAuth(), SessionAuth()]


def actor(request: HttpRequest) -> User:
    """The authenticated user of an API request."""
    user: User = request.auth  # type: ignore[attr-defined]
    return user
