"""The changes feed: what changed since a cursor, only on records the caller may see, ids and field names only."""

from __future__ import annotations

import pytest

from kunde.contacts.services import person_create, person_delete, person_update
from kunde.core.testing.api import client_for

pytestmark = pytest.mark.django_db


def test_feed_follows_writes_in_order_and_pages_by_cursor(world):
    client = client_for(world, "owner")
    start = client.get("/changes", {"type": "contacts.person", "limit": 1000}).json()["next_cursor"]
    anna = person_create(actor=world.owner, last_name="Schmidt", first_name="Anna")
    person_update(actor=world.owner, person=anna, expected_version=1, changes={"first_name": "Anna-Lena"})
    person_delete(actor=world.manager, person=anna)
    page = client.get("/changes", {"since": start, "type": "contacts.person", "limit": 2}).json()
    assert [(i["object_id"], i["action"]) for i in page["items"]] == [(anna.pk, "create"), (anna.pk, "update")]
    assert page["items"][1]["fields"] == ["first_name"] and page["has_more"]
    rest = client.get("/changes", {"since": page["next_cursor"], "type": "contacts.person"}).json()
    assert [(i["object_id"], i["action"]) for i in rest["items"]] == [(anna.pk, "delete")]
    assert not rest["has_more"]
    assert "Schmidt" not in str(page) + str(rest)


def test_feed_hides_records_the_caller_may_not_see(world):
    person_create(actor=world.other_team, last_name="Fremd")
    mine = client_for(world, "owner").get("/changes").json()["items"]
    theirs = client_for(world, "other_team").get("/changes").json()["items"]
    admin = client_for(world, "admin").get("/changes").json()["items"]
    fremd = [i for i in admin if i["action"] == "create"][-1]["object_id"]
    assert fremd not in {i["object_id"] for i in mine if i["object_type"] == "contacts.person"}
    assert fremd in {i["object_id"] for i in theirs}
    assert world.person.pk not in {i["object_id"] for i in theirs if i["object_type"] == "contacts.person"}


def test_unknown_type_is_400_and_anonymous_401(world):
    assert client_for(world, "owner").get("/changes", {"type": "secrets.everything"}).status_code == 400
    assert client_for(world, "anonymous").get("/changes").status_code == 401
