"""The changes feed: what changed since a cursor, for integrations that sync without polling every record.

It reads the audit trail (every write of every service lands there, in commit order of
its id) and keeps only entries on records the user may see, so a token never learns more
than its user could read. Entries carry ids, the action and the names of changed fields,
never values: the integration fetches the record itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models

from kunde.core.models import AuditEntry, model_label

_feed: dict[str, type[models.Model]] = {}
ACTIONS = (AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE, AuditEntry.Action.DELETE, AuditEntry.Action.RESTORE)
MAX_LIMIT = 1000


def register_change_feed(model: type[models.Model]) -> None:
    """Offer `model`'s changes in the feed (it must have a scoped manager)."""
    _feed[model_label(model)] = model


def feed_types() -> list[str]:
    return sorted(_feed)


@dataclass(frozen=True)
class Change:
    cursor: int
    at: Any
    object_type: str
    object_id: int
    action: str
    fields: list[str]


def _visible_ids(user: Any, object_type: str, ids: set[int]) -> set[int]:
    model: Any = _feed[object_type]
    manager = getattr(model, "all_objects", model.objects)  # soft-deleted rows keep owner and team
    return set(manager.for_user(user).filter(pk__in=ids).values_list("pk", flat=True))


def changes_since(user: Any, *, since: int, types: Sequence[str] = (), limit: int = 500
                  ) -> tuple[list[Change], int, bool]:
    """(changes the user may see, the cursor to ask from next, whether more may follow)."""
    unknown = sorted(set(types) - set(_feed))
    if unknown:
        raise ValueError(f"unknown types: {', '.join(unknown)}; known: {', '.join(feed_types())}")
    limit = max(1, min(limit, MAX_LIMIT))
    entries = list(AuditEntry.objects.filter(pk__gt=since, object_type__in=list(types or _feed), action__in=ACTIONS)
                   .order_by("pk")[:limit])
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.object_id.isdigit():
            wanted[entry.object_type].add(int(entry.object_id))
    visible = {object_type: _visible_ids(user, object_type, ids) for object_type, ids in wanted.items()}
    changes = [
        Change(cursor=entry.pk, at=entry.at, object_type=entry.object_type, object_id=int(entry.object_id),
               action=entry.action, fields=sorted(key for key in entry.changes if not key.startswith("_")))
        for entry in entries
        if entry.object_id.isdigit() and int(entry.object_id) in visible.get(entry.object_type, set())
    ]
    return changes, (entries[-1].pk if entries else since), len(entries) == limit
