"""Background work of duplicate detection: the nightly scan and the check of new records.

New and changed people and organisations are announced as domain events after commit
(`contacts.person_created`, …, also by imports and the bulk API). Their ids are collected
and checked in batches: when `CHECK_BATCH` ids are waiting, when an import run (or a bulk
API request) finishes, at the end of the request or task that wrote them, and at the
latest by the next nightly scan (a management command such as `kunde import` run outside
the worker ends without a request: its last batch waits for the scan). An import of a million
rows thus costs one check per thousand people, not one per row.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from kunde.core.jobs import register_periodic
from kunde.dedupe.detection import duplicates_check, duplicates_scan_all
from kunde.dedupe.models import Kind

logger = logging.getLogger(__name__)

CHECK_BATCH = 1000
EVENT_KINDS = {
    "contacts.person_created": Kind.PERSON,
    "contacts.person_updated": Kind.PERSON,
    "contacts.person_restored": Kind.PERSON,
    "contacts.organisation_created": Kind.ORGANISATION,
    "contacts.organisation_updated": Kind.ORGANISATION,
    "contacts.organisation_restored": Kind.ORGANISATION,
}

# Events after which the waiting ids are checked at once.
FLUSH_EVENTS = ("imports.run_finished",)

_pending = threading.local()


def _waiting() -> dict[str, set[int]]:
    if not hasattr(_pending, "ids"):
        _pending.ids = {Kind.PERSON: set(), Kind.ORGANISATION: set()}
    waiting: dict[str, set[int]] = _pending.ids
    return waiting


def queue_check(event_type: str, payload: dict[str, Any]) -> None:
    """Event handler: remember a created or changed record for the next batch check."""
    if event_type in FLUSH_EVENTS:
        flush_checks()
        return
    kind = EVENT_KINDS.get(event_type)
    record_id = payload.get("id")
    if kind is None or not isinstance(record_id, int):
        return
    waiting = _waiting()
    waiting[kind].add(record_id)
    if sum(len(ids) for ids in waiting.values()) >= CHECK_BATCH:
        flush_checks()


def flush_checks(*_args: Any, **_kwargs: Any) -> int:
    """Check every waiting record now (also a signal receiver); return how many were checked."""
    waiting = _waiting()
    checked = 0
    for kind in (Kind.PERSON, Kind.ORGANISATION):
        ids = sorted(waiting[kind])
        waiting[kind] = set()
        if not ids:
            continue
        try:
            duplicates_check(kind, ids)
        except Exception:
            # A failing check must not break the request that created the record; the nightly scan catches up.
            logger.exception("duplicate check of %s %s failed", kind, ids[:10])
        checked += len(ids)
    return checked


def scan_for_duplicates() -> dict[str, Any]:
    """Scan all people and organisations for duplicates and update the review queue."""
    return duplicates_scan_all()


# Nightly after 01:00 UTC; a large database may take several minutes, so it is not
# considered lost before four hours.
register_periodic("dedupe.scan", scan_for_duplicates, every=dt.timedelta(days=1), offset=dt.timedelta(hours=1),
                  stale_after=dt.timedelta(hours=4))
