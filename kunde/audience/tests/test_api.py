"""The /segments and /consents endpoints: permission matrix, validation, scoping."""

from __future__ import annotations

import pytest

from kunde.audience import consent
from kunde.audience.models import ConsentRecord, Segment
from kunde.audience.services import segment_create
from kunde.core.testing.api import client_for
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]
BERLIN = {"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Berlin"}]}


def expect(**codes: int) -> list[tuple[str, int]]:
    return [(who, codes[who]) for who in WHO]


@pytest.fixture
def segment(world):
    make_person(world.owner, last_name="Berliner", addresses=[{"street": "a 1", "postal_code": "10115",
                                                               "city": "Berlin"}])
    make_person(world.other_team, last_name="Fremd", addresses=[{"street": "b 2", "postal_code": "10115",
                                                                 "city": "Berlin"}])
    return segment_create(actor=world.owner, name="Berlin", definition=BERLIN)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_get_segment_matrix(world, segment, who, status):
    response = client_for(world, who).get(f"/segments/{segment.pk}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["definition"] == BERLIN


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=201, other_team=201,
                                                   owner=201, manager=201, admin=201))
def test_create_segment_matrix(world, who, status):
    response = client_for(world, who).post("/segments", {"name": "Neu", "definition": BERLIN})
    assert response.status_code == status
    if status == 201:
        assert Segment.objects.get(pk=response.json()["id"]).owner == getattr(world, who)


@pytest.mark.parametrize(("who", "count"), [("owner", 1), ("other_team", None), ("admin", 2), ("manager", 2)])
def test_count_and_members_only_visible_people(world, segment, who, count):
    client = client_for(world, who)
    response = client.get(f"/segments/{segment.pk}/count")
    if count is None:
        assert response.status_code == 404
        return
    assert response.json() == {"count": count}
    members = client.get(f"/segments/{segment.pk}/members").json()
    assert members["count"] == count and len(members["items"]) == count


def test_live_count_of_a_definition(world, segment):
    client = client_for(world, "other_team")
    assert client.post("/segments/count", {"definition": BERLIN}).json() == {"count": 1}
    bad = client.post("/segments/count", {"definition": {"op": "and", "rules": [{"field": "x", "operator": "eq"}]}})
    assert bad.status_code == 422 and "unknown field" in bad.json()["errors"][0]["message"]


def test_list_and_update_and_delete(world, segment):
    owner = client_for(world, "owner")
    assert [row["id"] for row in owner.get("/segments").json()] == [segment.pk]
    assert client_for(world, "other_team").get("/segments").json() == []
    assert owner.patch(f"/segments/{segment.pk}", {"name": "Hauptstadt"}).json()["name"] == "Hauptstadt"
    assert client_for(world, "read_only").patch(f"/segments/{segment.pk}", {"name": "x"}).status_code == 403
    bad = owner.post("/segments", {"name": "x", "definition": {"op": "and", "rules": [{"field": "city"}]}})
    assert bad.status_code == 422
    assert owner.delete(f"/segments/{segment.pk}").status_code == 403  # members may not delete
    assert client_for(world, "manager").delete(f"/segments/{segment.pk}").status_code == 204
    assert owner.get(f"/segments/{segment.pk}").status_code == 404


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_read_consents_matrix(world, who, status):
    consent.consent_give(actor=None, person=world.person, purpose="offers", confirmed=True)
    response = client_for(world, who).get(f"/consents/{world.person.pk}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["states"] == [{"purpose": "offers", "channel": "email", "state": "given", "may_contact": True}]
        assert body["records"][0]["wording_version"] == 1


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=201, manager=201, admin=201))
def test_record_consent_matrix(world, who, status):
    response = client_for(world, who).post(f"/consents/{world.person.pk}",
                                           {"purpose": "surveys", "channel": "phone", "action": "given",
                                            "source": "call"})
    assert response.status_code == status
    assert ConsentRecord.objects.filter(person=world.person).count() == (1 if status == 201 else 0)
    if status == 201:
        record = ConsentRecord.objects.get()
        assert record.actor == getattr(world, who) and record.proof["form"] == "api"


def test_record_email_consent_is_pending_and_withdraw(world):
    client = client_for(world, "owner")
    given = client.post(f"/consents/{world.person.pk}", {"purpose": "newsletter", "action": "given"}).json()
    assert given["states"][0]["state"] == "pending"
    withdrawn = client.post(f"/consents/{world.person.pk}", {"purpose": "newsletter", "action": "withdrawn"}).json()
    assert withdrawn["states"][0]["state"] == "withdrawn"
    bad = client.post(f"/consents/{world.person.pk}", {"purpose": "spam", "action": "given"})
    assert bad.status_code == 422
