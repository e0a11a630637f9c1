"""One error schema for the whole API, and the handlers that produce it.

Every refusal, from ninja's own request validation to a service's `ValidationError`,
answers `{"detail": str, "errors": [{"path": [...], "message": str}]}` where `path`
starts with where the bad input was (`body`, `query`, `header`, `path`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kunde.core.exceptions import ConflictError, PermissionDenied
from kunde.core.filters import FilterError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

PathItem = str | int


class ErrorItemOut(Schema):
    """One problem with the request, located by a path into it."""

    path: list[PathItem]
    message: str


class ErrorOut(Schema):
    """Every error answer of the API."""

    detail: str
    errors: list[ErrorItemOut] = []


class ApiError(Exception):
    """An error answer with a status, a summary and optional located problems."""

    def __init__(self, status: int, detail: str, errors: Iterable[tuple[Sequence[PathItem], str]] = (),
                 headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.detail = detail
        self.errors = [(list(path), message) for path, message in errors]
        self.headers = dict(headers or {})
        super().__init__(detail)


# Documented on the operations (the handlers raise, they never return these).
AUTH_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut}
READ_ERRORS: dict[int, Any] = {**AUTH_ERRORS, 404: ErrorOut}
LIST_ERRORS: dict[int, Any] = {400: ErrorOut, **AUTH_ERRORS, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 412: ErrorOut, 413: ErrorOut, 422: ErrorOut}
CREATE_ERRORS: dict[int, Any] = {**AUTH_ERRORS, 413: ErrorOut, 422: ErrorOut}


def field_path(key: str, *, source: str = "body") -> list[PathItem]:
    """Turn a service's field path (`emails.1.email`, `__all__`) into an API path."""
    if key in ("", "__all__"):
        return [source]
    return [source, *(int(part) if part.isdigit() else part for part in key.split("."))]


def validation_items(exc: ValidationError, *, source: str = "body") -> list[tuple[list[PathItem], str]]:
    """The located messages of a Django `ValidationError`."""
    if hasattr(exc, "error_dict"):
        return [(field_path(key, source=source), message)
                for key, messages in exc.message_dict.items() for message in messages]
    return [([source], message) for message in exc.messages]


def error_response(api: NinjaAPI, request: HttpRequest, status: int, detail: str,
                   errors: Iterable[tuple[Sequence[PathItem], str]] = (),
                   headers: Mapping[str, str] | None = None) -> HttpResponse:
    """Render the one error schema."""
    body = {"detail": detail, "errors": [{"path": list(path), "message": message} for path, message in errors]}
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _ninja_path(loc: Sequence[Any]) -> list[PathItem]:
    # ninja reports body errors as ("body", "<parameter name>", field, ...): the parameter
    # name is an implementation detail of the handler, so it is dropped.
    path = [item if isinstance(item, int) else str(item) for item in loc]
    if len(path) >= 2 and path[0] == "body" and path[1] == "payload":
        del path[1]
    return path


def install_error_handlers(api: NinjaAPI) -> None:
    """Map every exception an operation may raise to the one error schema."""

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(api, request, 422, _("The request is invalid."), validation_items(exc))

    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [(_ninja_path(item.get("loc", ())), str(item.get("msg", ""))) for item in exc.errors]
        return error_response(api, request, 422, _("The request is invalid."), errors)

    def on_filter(request: HttpRequest, exc: FilterError) -> HttpResponse:
        errors = [(["query", key], message) for key, messages in exc.errors.items() for message in messages]
        return error_response(api, request, 400, _("Invalid filter, sort or cursor."), errors)

    def on_conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
        from kunde.core.api.etag import etag

        detail = _("The record was changed by someone else (now at version %(current)s, the change was based "
                   "on version %(expected)s). Fetch it again and reapply the change.") % {
            "current": exc.current.version, "expected": exc.expected}
        return error_response(api, request, 412, detail, headers={"ETag": etag(exc.current)})

    def on_permission(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(api, request, 403, _("You may not do this."))

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, _("Not found."))

    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error_response(api, request, 413, _("The request body is too large."))

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(api, request, exc.status, exc.detail, exc.errors, exc.headers)

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(api, request, 401, _("Authentication required: send a valid API token "
                                                   "(Authorization: Bearer …) or log in."),
                              headers={"WWW-Authenticate": 'Bearer realm="kunde"'})

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc) == "Cannot parse request body":  # ninja's JSON parser failed
            return error_response(api, request, 400, _("The request body is not valid JSON."),
                                  [(["body"], _("Send a JSON document."))])
        return error_response(api, request, exc.status_code, str(exc))

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request failed: %s %s", request.method, request.path)
        return error_response(api, request, 500, _("Internal server error."))

    handlers: list[tuple[type[Exception], Any]] = [
        (ValidationError, on_validation),
        (NinjaValidationError, on_ninja_validation),
        (FilterError, on_filter),
        (ConflictError, on_conflict),
        (PermissionDenied, on_permission),
        (DjangoPermissionDenied, on_permission),
        (Http404, on_not_found),
        (RequestDataTooBig, on_too_big),
        (ApiError, on_api_error),
        (AuthenticationError, on_authentication),
        (HttpError, on_http_error),
        (Exception, on_unexpected),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
