"""The consent card on a person's 360° page: state per purpose and channel, suppression, record form.

Three queries: the purposes, the person's ledger, the suppression check (the page has
already loaded the person's e-mail addresses).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kunde.audience.models import Channel, ConsentPurpose, ConsentRecord, Suppression, address_hash
from kunde.contacts.models import Person
from kunde.core.permissions import Action, Scope, scope_for, team_ids


def _can_change(user: Any, person: Person) -> bool:
    """The same rule as `user_can(CHANGE)`, decided on the loaded row (no query but the cached team ids)."""
    scope = scope_for(user, Action.CHANGE)
    if scope is Scope.ALL:
        return True
    if scope is Scope.NONE:
        return False
    if person.owner_id == user.pk:
        return True
    return scope is Scope.TEAM and person.team_id in team_ids(user)


def consent_panel(user: Any, customer: Any) -> dict[str, Any] | None:
    if not isinstance(customer, Person):
        return None
    purposes = list(ConsentPurpose.objects.filter(is_active=True).order_by("key"))
    now = timezone.now()
    records = list(ConsentRecord.objects.filter(person=customer, at__lte=now).order_by("at", "id"))
    latest: dict[tuple[int, str], ConsentRecord] = {}
    for record in records:
        latest[(record.purpose_id, record.channel)] = record
    addresses = {e.email for e in customer.emails.all()} | {r.address for r in records if r.address}
    suppressed = bool(addresses) and Suppression.objects.filter(
        address_hash__in=[address_hash(a) for a in addresses]).exists()
    names = {p.pk: p for p in purposes}
    rows = []
    for (purpose_id, channel), record in sorted(latest.items(), key=lambda item: (item[0][0], item[0][1])):
        if purpose_id not in names:
            continue
        if record.action == ConsentRecord.Action.WITHDRAWN:
            state = "withdrawn"
        elif channel == Channel.EMAIL and record.confirmed_at is None:
            state = "pending"
        else:
            state = "given"
        rows.append({"purpose": names[purpose_id], "channel": record.get_channel_display(), "state": state,
                     "at": record.at, "source": record.source})
    return {"person": customer, "rows": rows, "suppressed": suppressed, "purposes": purposes,
            "channels": Channel.choices, "can_change": _can_change(user, customer)}
