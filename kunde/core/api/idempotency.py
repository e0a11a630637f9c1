"""`Idempotency-Key` on POST: a retried create answers the stored response instead of
creating twice.

The first successful (2xx) answer to a key is stored with a hash of the request (method,
path, body with JSON keys sorted) for 24 hours, per user. The same key with the same
request replays it (same status and body, header `Idempotent-Replayed: true`); the same
key with a different request is a 422. Failed requests are not stored, so a client can
fix its input and retry with the same key. The handler and the stored answer commit in
one transaction: of two concurrent requests with one key, the loser is rolled back and
replays the winner's answer.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view
from ninja.operation import Operation
from ninja.utils import contribute_operation_callback

from kunde.core.api.errors import ApiError
from kunde.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
RETENTION = IdempotencyRecord.RETENTION
MAX_KEY_LENGTH = 200

_OPENAPI_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "A unique key (e.g. a UUID) per intended create. Retrying with the same key and the same body within 24 "
        "hours replays the first answer (header Idempotent-Replayed: true) instead of creating twice; the same "
        "key with a different body answers 422."
    ),
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
}


def request_digest(request: HttpRequest) -> str:
    """A hash of what makes two requests "the same": method, path and body."""
    body = request.body
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in ((request.method or "").encode(), request.get_full_path().encode(), canonical):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _key(request: HttpRequest) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(400, _("Invalid Idempotency-Key."),
                       [(["header", HEADER], _("Use 1 to 200 printable characters, e.g. a UUID."))])
    return key


def _stored(user: Any, key: str) -> IdempotencyRecord | None:
    cutoff = timezone.now() - RETENTION
    return IdempotencyRecord.objects.filter(user=user, key=key, created_at__gte=cutoff).first()


def _replay(record: IdempotencyRecord, digest: str) -> HttpResponse:
    if record.request_hash != digest:
        raise ApiError(422, _("This Idempotency-Key was already used for a different request; use a new key for "
                              "a new request."), [(["header", HEADER], _("Already used with another body."))])
    response = HttpResponse(record.response_body, status=record.status_code,
                            content_type="application/json; charset=utf-8")
    response["Idempotent-Replayed"] = "true"
    return response


def _store(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an operation's run: handler and stored answer commit together."""

    @functools.wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if HEADER not in request.headers:
            return run(request, *args, **kwargs)
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            pending = getattr(request, "_kunde_idempotency", None)
            if pending is None:
                return response
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            user, key, digest = pending
            try:
                with transaction.atomic():
                    # An expired answer under this key makes room; a live one (a concurrent winner) stays
                    # and makes the insert fail.
                    IdempotencyRecord.objects.filter(user=user, key=key,
                                                     created_at__lt=timezone.now() - RETENTION).delete()
                    IdempotencyRecord.objects.create(
                        user=user, key=key, method=request.method or "", path=request.path[:500],
                        request_hash=digest, status_code=response.status_code,
                        response_body=response.content.decode(),
                    )
            except IntegrityError:
                transaction.set_rollback(True)
            else:
                return response
        # A concurrent request with the same key committed first: answer as it did.
        record = _stored(user, key)
        if record is None:  # pragma: no cover - the winner's row vanished (purged) meanwhile
            raise ApiError(409, _("A request with this Idempotency-Key is in progress; retry."))
        return _replay(record, digest)

    return wrapped


def idempotent(func: Callable[..., Any]) -> Callable[..., Any]:
    """Make a POST handler honour `Idempotency-Key` (put it below the router decorator)."""

    @functools.wraps(func)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = _key(request)
        if key is None:
            return func(request, *args, **kwargs)
        user = request.auth  # type: ignore[attr-defined]
        digest = request_digest(request)
        record = _stored(user, key)
        if record is not None:
            return _replay(record, digest)
        request._kunde_idempotency = (user, key, digest)  # type: ignore[attr-defined]
        return func(request, *args, **kwargs)

    def document(operation: Operation) -> None:
        extra = dict(operation.openapi_extra or {})
        extra["parameters"] = [*extra.get("parameters", []), _OPENAPI_PARAMETER]
        operation.openapi_extra = extra

    # ninja resolves string annotations in the wrapper's module: hand it the evaluated signature.
    view.__signature__ = inspect.signature(func, eval_str=True)  # type: ignore[attr-defined]
    contribute_operation_callback(view, document)
    decorated: Callable[..., Any] = decorate_view(_store)(view)
    return decorated
