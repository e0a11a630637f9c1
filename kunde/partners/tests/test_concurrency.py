"""Two partner users answering one offer at once give exactly one decision (PostgreSQL, real threads)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from kunde.activities.models import Activity
from kunde.core.testing.factories import make_person
from kunde.partners.models import HandoverStatus, LeadHandover, Share
from kunde.partners.services import handover_accept, handover_decline, lead_handover, partner_user_grant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="SQLite serialises all writers with one database lock; row locks need PostgreSQL")
def test_concurrent_accept_and_decline_give_one_decision(world, partners):
    colleague = partner_user_grant(actor=world.owner, partner=partners.partner, person=make_person(
        world.owner, last_name="Kollegin", organisation=partners.partner.organisation,
        emails=[{"email": "kollegin@becker.example"}]))
    handover = lead_handover(actor=world.owner, lead=partners.lead, partner=partners.partner)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def answer(step) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=10)
            step()
            outcomes.append("done")
        except ValidationError:
            outcomes.append("refused")
        except BaseException as error:  # reported below, in the test thread
            errors.append(error)
        finally:
            connections.close_all()

    steps = [lambda: handover_accept(by=partners.access, handover=handover),
             lambda: handover_decline(by=colleague, handover=handover, reason="Kein Team")]
    threads = [threading.Thread(target=answer, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == [] and sorted(outcomes) == ["done", "refused"]
    decided = LeadHandover.objects.get(pk=handover.pk)
    assert decided.status in (HandoverStatus.ACCEPTED, HandoverStatus.DECLINED)
    assert Activity.objects.filter(kind__in=["partners.lead_accepted", "partners.lead_declined"]).count() == 1
    assert Share.objects.filter(lead=partners.lead).exists() == (decided.status == HandoverStatus.ACCEPTED)
    assert connection.vendor == "postgresql"
