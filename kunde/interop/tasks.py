"""Background work of vCard/iCalendar/CardDAV: pruning sync states no client can still use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kunde.core.jobs import register_periodic


def prune_carddav_sync_states() -> dict[str, Any]:
    """Delete CardDAV sync states older than 90 days, except each user's newest (daily)."""
    from kunde.interop.carddav import sync_states_prune

    return {"deleted": sync_states_prune()}


register_periodic("interop.prune_carddav_sync_states", prune_carddav_sync_states, every=dt.timedelta(days=1),
                  offset=dt.timedelta(hours=3, minutes=30))
