"""The /tickets API: permission matrix for staff roles, messages and status."""

from __future__ import annotations

import pytest

from kunde.core.testing.api import client_for
from kunde.mail.models import OutboundMessage
from kunde.service.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(world):
    return ticket_create(actor=world.owner, subject="Depotauszug", description="Bitte", person=world.person,
                         team=world.team_a)


# who: (may read, may reply)
MATRIX = {
    "anonymous": (401, 401),
    "read_only": (200, 403),
    "other_team": (404, 404),
    "teammate": (200, 201),
    "owner": (200, 201),
    "manager": (200, 201),
    "admin": (200, 201),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_permission_matrix(world, ticket, who):
    read, reply = MATRIX[who]
    api = client_for(world, who)
    assert api.get(f"/tickets/{ticket.pk}").status_code == read
    listed = api.get("/tickets")
    if read == 200:
        assert ticket.pk in [t["id"] for t in listed.json()["items"]]
    elif who == "other_team":
        assert ticket.pk not in [t["id"] for t in listed.json()["items"]]
    assert api.post(f"/tickets/{ticket.pk}/messages", {"text": "Antwort"}).status_code == reply


def test_messages_and_status(world, ticket):
    api = client_for(world, "teammate")
    assert api.post(f"/tickets/{ticket.pk}/messages", {"text": "intern", "internal": True}).status_code == 201
    assert not OutboundMessage.objects.exists()
    messages = api.get(f"/tickets/{ticket.pk}/messages").json()
    assert [m["direction"] for m in messages] == ["in", "out"]
    response = api.post(f"/tickets/{ticket.pk}/status", {"status": "solved"})
    assert response.status_code == 200 and response.json()["status_category"] == "solved"
    assert api.post(f"/tickets/{ticket.pk}/status", {"status": "nope"}).status_code == 422


def test_create(world):
    api = client_for(world, "owner")
    response = api.post("/tickets", {"subject": "Neu", "person": world.person.pk})
    assert response.status_code == 201 and response.json()["number"].startswith("T-")
    assert client_for(world, "read_only").post("/tickets", {"subject": "x"}).status_code == 403
