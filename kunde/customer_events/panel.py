"""The events card on the 360° page of a person: their invitations and registrations."""

from __future__ import annotations

from typing import Any

from kunde.contacts.models import Person
from kunde.customer_events.selectors import person_events


def customer_panel_context(user: Any, customer: Any) -> dict[str, Any] | None:
    if not isinstance(customer, Person):
        return None
    rows = person_events(user, customer)
    if not rows["registrations"] and not rows["invitations"]:
        return None
    return rows


def portal_card_context(person: Any) -> dict[str, Any] | None:
    """The signed-in customer's upcoming events: their registrations and open invitations, with their links."""
    from django.utils import timezone

    from kunde.customer_events.models import Event, Invitation, Registration
    from kunde.customer_events.services import link_url

    now = timezone.now()
    registrations = list(Registration.objects.filter(
        person=person, event__starts_at__gt=now, event__status=Event.Status.OPEN,
        status__in=[Registration.Status.REGISTERED, Registration.Status.WAITLISTED])
        .select_related("event").order_by("event__starts_at")[:10])
    registered = {r.event_id for r in registrations}
    invitations = [i for i in Invitation.objects.filter(person=person, sent_at__isnull=False,
                                                        event__starts_at__gt=now, event__status=Event.Status.OPEN)
                   .select_related("event").order_by("event__starts_at")[:10] if i.event_id not in registered]
    if not registrations and not invitations:
        return None
    return {"rows": [{"event": r.event, "registration": r, "url": link_url(r.event, person)} for r in registrations]
            + [{"event": i.event, "registration": None, "url": link_url(i.event, person)} for i in invitations]}
