"""The segment pages: list, builder with live count, detail; permissions."""

from __future__ import annotations

import json

import pytest

from kunde.audience.models import Segment
from kunde.audience.services import segment_create
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db

BERLIN = {"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Berlin"}]}


def test_create_segment_through_the_builder(client, world):
    make_person(world.owner, addresses=[{"street": "a 1", "postal_code": "10115", "city": "Berlin"}])
    client.force_login(world.owner)
    page = client.get("/audience/segments/new")
    assert page.status_code == 200 and "segment_builder.js" in page.content.decode()
    count = client.post("/audience/segments/count", {"definition": json.dumps(BERLIN)})
    assert "1 person matches" in count.content.decode()
    bad = client.post("/audience/segments/count", {"definition": '{"op": "and", "rules": [{"field": "x"}]}'})
    assert "unknown field" in bad.content.decode()
    assert "not valid" in client.post("/audience/segments/count", {"definition": "{"}).content.decode()
    response = client.post("/audience/segments/new", {"name": "Berlin", "kind": "frozen",
                                                      "definition": json.dumps(BERLIN)})
    segment = Segment.objects.get()
    assert response.status_code == 302 and segment.kind == "frozen" and segment.members.count() == 1
    detail = client.get(f"/audience/segments/{segment.pk}/")
    assert detail.status_code == 200 and "1 person you may see matches" in detail.content.decode()
    assert "Berlin" in client.get("/audience/segments/").content.decode()


def test_invalid_definition_stays_on_the_form(client, world):
    client.force_login(world.owner)
    response = client.post("/audience/segments/new", {"name": "x", "kind": "dynamic",
                                                      "definition": '{"op": "and", "rules": [{"field": "x"}]}'})
    assert response.status_code == 200 and "unknown field" in response.content.decode()
    assert not Segment.objects.exists()


def test_permissions(client, world):
    segment = segment_create(actor=world.owner, name="Mine", definition=BERLIN)
    client.force_login(world.read_only)
    assert client.get("/audience/segments/new").status_code == 403
    assert client.get(f"/audience/segments/{segment.pk}/edit").status_code == 404
    assert client.get(f"/audience/segments/{segment.pk}/").status_code == 200
    client.force_login(world.other_team)
    assert client.get(f"/audience/segments/{segment.pk}/").status_code == 404
    client.logout()
    assert client.get("/audience/segments/").status_code == 302
