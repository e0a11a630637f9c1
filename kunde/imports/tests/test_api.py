"""The bulk people endpoint (ERP/shop sync) and import runs over the API."""

from __future__ import annotations

import pytest

from kunde.contacts.models import Person
from kunde.core.testing.api import client_for

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]
RECORDS = [
    {"external_id": "ERP-1", "first_name": "Gunther", "last_name": "Glas", "email": "gg@glas.example",
     "organisation": "Gunther Glas GmbH", "tags": ["Shop", "B2B"]},
    {"external_id": "ERP-2", "full_name": "Petra Paulsen", "phone": "040 1234567", "city": "Hamburg",
     "street": "Elbchaussee 1", "postal_code": "22763"},
    {"external_id": "ERP-3", "last_name": "Falsch", "email": "not-an-address"},
]


@pytest.mark.parametrize("who", WHO)
def test_bulk_people_matrix(world, who):
    response = client_for(world, who).post("/bulk/people", {"system": "erp", "records": RECORDS[:1]})
    expected = {"anonymous": 401, "read_only": 403}.get(who, 200)
    assert response.status_code == expected
    assert Person.objects.filter(last_name="Glas").exists() is (expected == 200)


def test_bulk_people_reports_each_record_and_is_idempotent(world):
    client = client_for(world, "owner")
    body = client.post("/bulk/people", {"system": "erp", "records": RECORDS}).json()
    assert [(r["index"], r["result"]) for r in body["results"]] == [(0, "created"), (1, "created"), (2, "failed")]
    assert "e-mail" in body["results"][2]["detail"] and body["results"][2]["id"] is None
    glas = Person.objects.get(pk=body["results"][0]["id"])
    assert sorted(t.name for t in glas.tags.all()) == ["B2B", "Shop"]
    assert body["counts"] == {"created": 2, "failed": 1}
    again = client.post("/bulk/people", {"system": "erp", "records": RECORDS[:2]}).json()
    assert [r["result"] for r in again["results"]] == ["unchanged", "unchanged"]
    renamed = client.post("/bulk/people", {"system": "erp", "records": [
        {"external_id": "ERP-2", "full_name": "Petra Paulsen-Meier"}]}).json()
    assert renamed["results"][0] == {"index": 0, "result": "updated", "id": body["results"][1]["id"],
                                     "detail": "last_name"}


def test_bulk_request_can_be_undone(world):
    client = client_for(world, "owner")
    body = client.post("/bulk/people", {"records": RECORDS[:2]}).json()
    assert client.get(f"/imports/{body['import_run']}").json()["counts"] == {"created": 2}
    assert client_for(world, "teammate").post(f"/imports/{body['import_run']}/undo").status_code == 404
    assert client.post(f"/imports/{body['import_run']}/undo").json()["status"] == "undone"
    assert not Person.objects.filter(last_name__in=["Glas", "Paulsen"]).exists()


def test_bulk_limits_and_idempotency_key(world):
    client = client_for(world, "owner")
    assert client.post("/bulk/people", {"records": []}).status_code == 422
    assert client.post("/bulk/people", {"records": [{"last_name": "X"}] * 1001}).status_code == 422
    headers = {"Idempotency-Key": "sync-2026-11-23"}
    first = client.post("/bulk/people", {"records": [{"last_name": "Einmal", "email": "e@example.de"}]},
                        headers=headers)
    second = client.post("/bulk/people", {"records": [{"last_name": "Einmal", "email": "e@example.de"}]},
                         headers=headers)
    assert first.json() == second.json()
    assert Person.objects.filter(last_name="Einmal").count() == 1


def test_external_id_held_by_another_users_person_fails_that_record_only(world):
    """One foreign external id fails its record, never the whole batch (no 500)."""
    assert client_for(world, "owner").post("/bulk/people", {"system": "erp", "records": RECORDS[:1]}).status_code == 200
    response = client_for(world, "other_team").post("/bulk/people", {"system": "erp", "records": RECORDS[:2]})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["result"], r["id"]) for r in results[:1]] == [("failed", None)]
    assert "'ERP-1'" in results[0]["detail"] and results[1]["result"] == "created"
    assert Person.objects.get(last_name="Glas").owner == world.owner


def test_external_id_of_a_deleted_person_fails_that_record_only(world):
    """A soft-deleted person's external id is not handed to a new person; the batch still goes through."""
    from kunde.contacts.services import person_delete

    client = client_for(world, "owner")
    first = client.post("/bulk/people", {"system": "erp", "records": RECORDS[:1]}).json()
    person_delete(actor=world.admin, person=Person.objects.get(pk=first["results"][0]["id"]))
    response = client.post("/bulk/people", {"system": "erp", "records": RECORDS[:2]})
    assert response.status_code == 200
    assert [r["result"] for r in response.json()["results"]] == ["failed", "created"]
    assert "deleted" in response.json()["results"][0]["detail"]


def test_bulk_upsert_announces_created_and_updated_people(world, django_capture_on_commit_callbacks):
    """Webhooks hear of people the bulk API creates or updates."""
    from kunde.core import events

    seen: list[tuple[str, int]] = []

    def handler(event_type, payload):
        seen.append((event_type, payload["id"]))

    for event_type in ("contacts.person_created", "contacts.person_updated"):
        events.subscribe(event_type, handler)
    try:
        client = client_for(world, "owner")
        with django_capture_on_commit_callbacks(execute=True):
            body = client.post("/bulk/people", {"system": "erp", "records": RECORDS[:2]}).json()
        ids = [r["id"] for r in body["results"]]
        assert seen == [("contacts.person_created", ids[0]), ("contacts.person_created", ids[1])]
        seen.clear()
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/bulk/people", {"system": "erp", "records": [
                {"external_id": "ERP-1", "last_name": "Glas", "mobile": "0171 2345678"},
                {"external_id": "ERP-2", "full_name": "Petra Paulsen"}]})
        assert seen == [("contacts.person_updated", ids[0])]  # a phone added; ERP-2 unchanged
    finally:
        for event_type in ("contacts.person_created", "contacts.person_updated"):
            events.unsubscribe(event_type, handler)


def test_undo_answer_lists_people_changed_since(world):
    """Undo over the API leaves a person edited since and says so."""
    from kunde.contacts.services import person_update

    client = client_for(world, "owner")
    body = client.post("/bulk/people", {"system": "erp", "records": RECORDS[:2]}).json()
    glas = Person.objects.get(pk=body["results"][0]["id"])
    person_update(actor=world.manager, person=glas, expected_version=glas.version, changes={"notes": "Stammkunde"})
    undone = client.post(f"/imports/{body['import_run']}/undo").json()
    assert undone["status"] == "undone"
    assert [(s["row"], s["id"]) for s in undone["undo_skipped"]] == [(1, glas.pk)]
    assert "changed since the import" in undone["undo_skipped"][0]["reason"]
    assert list(Person.objects.filter(last_name__in=["Glas", "Paulsen"]).values_list("last_name", flat=True)) == [
        "Glas"]
    assert client.get(f"/imports/{body['import_run']}").json()["undo_skipped"] == undone["undo_skipped"]
