"""Per-request context (request id, acting user) shared by audit and events.

Stored in context variables so services need no request argument, and background
tasks can set their own request id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("kunde_request_id", default=None)


def current_request_id() -> str:
    """Return the id of the current request or task, creating one for bare scripts."""
    value = _request_id.get()
    if value is None:
        value = uuid.uuid4().hex
        _request_id.set(value)
    return value


@contextmanager
def request_id_scope(request_id: str | None = None) -> Iterator[str]:
    """Run a block under one request id (a web request, a task, a CLI command)."""
    token = _request_id.set(request_id or uuid.uuid4().hex)
    try:
        yield _request_id.get() or ""
    finally:
        _request_id.reset(token)
