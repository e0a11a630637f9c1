"""Domain events: emitted by services, delivered after the transaction commits.

Payloads carry ids, never personal data, so a handler (webhooks, automations) must
read the current record through a scoped selector. Handlers register per event type.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

from kunde.core.context import current_request_id

logger = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event_type: str, handler: Handler) -> None:
    """Call `handler(event_type, payload)` after every committed `event_type` ("*" = all)."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def unsubscribe(event_type: str, handler: Handler) -> None:
    if handler in _handlers[event_type]:
        _handlers[event_type].remove(handler)


def emit_on_commit(event_type: str, **ids: Any) -> None:
    """Queue `event_type` with an id-only payload for delivery after commit."""
    payload = {**ids, "request_id": current_request_id()}
    transaction.on_commit(lambda: _deliver(event_type, payload))


def _deliver(event_type: str, payload: dict[str, Any]) -> None:
    for handler in [*_handlers[event_type], *_handlers["*"]]:
        try:
            handler(event_type, payload)
        except Exception:
            # One failing subscriber must not break the others or the committed write.
            logger.exception("event handler %r failed for %s", handler, event_type)
