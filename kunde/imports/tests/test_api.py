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
