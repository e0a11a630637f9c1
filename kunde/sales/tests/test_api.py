"""The /deals, /leads and /pipelines endpoints: permission matrix, validation, idempotency, moves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kunde.core.testing.api import client_for
from kunde.sales.models import Deal, ExchangeRate, Lead
from kunde.sales.services import deal_create, lead_create

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]


def expect(**codes: int) -> list[tuple[str, int]]:
    return [(who, codes[who]) for who in WHO]


@pytest.fixture
def deal(world, sales):
    return deal_create(actor=world.owner, title="50 Schreibtische", organisation=world.organisation,
                       person=world.person, amount=Decimal("25000"))


@pytest.fixture
def lead(world):
    return lead_create(actor=world.owner, name="Gerda Glas", company="Gunther Glas", email="gerda@example.com")


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_get_deal_matrix(world, deal, who, status):
    response = client_for(world, who).get(f"/deals/{deal.pk}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["amount"] == "25000.00" and body["amount_eur"] == "25000.00" and body["status"] == "open"
        assert response["ETag"] == 'W/"1"'


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_move_deal_matrix(world, sales, deal, who, status):
    response = client_for(world, who).post(f"/deals/{deal.pk}/move", {"stage": sales.open[1].pk})
    assert response.status_code == status, response.content
    deal.refresh_from_db()
    assert (deal.stage == sales.open[1]) == (status == 200)


@pytest.mark.parametrize(("who", "visible"), [("read_only", True), ("other_team", False), ("admin", True)])
def test_list_deals_scoped(world, deal, who, visible):
    ids = [row["id"] for row in client_for(world, who).get("/deals").json()["items"]]
    assert (deal.pk in ids) == visible


def test_create_deal_and_errors(world, sales):
    api = client_for(world, "owner")
    response = api.post("/deals", {"title": "Stühle", "organisation": world.organisation.pk, "amount": "999.50"})
    assert response.status_code == 201, response.content
    assert response.json()["stage"] == sales.open[0].pk
    assert api.post("/deals", {"title": "Nobody"}).status_code == 422
    response = api.post("/deals", {"title": "Swiss", "organisation": world.organisation.pk, "currency": "CHF",
                                   "amount": "10"})
    assert response.status_code == 422 and "exchange rate" in response.content.decode()
    ExchangeRate.objects.create(currency="CHF", rate=Decimal("1.05"), valid_from=dt.date(2000, 1, 1))
    response = api.post("/deals", {"title": "Swiss", "organisation": world.organisation.pk, "currency": "CHF",
                                   "amount": "10"})
    assert response.json()["amount_eur"] == "10.50"
    hidden = client_for(world, "other_team").post("/deals", {"title": "X", "organisation": world.organisation.pk})
    assert hidden.status_code == 422  # an organisation they cannot see is unknown
    assert client_for(world, "read_only").post("/deals", {"title": "X", "organisation": world.organisation.pk}
                                               ).status_code == 403


def test_deal_idempotency(world, sales):
    api = client_for(world, "owner")
    body = {"title": "Once", "organisation": world.organisation.pk}
    first = api.post("/deals", body, headers={"Idempotency-Key": "k-1"})
    second = api.post("/deals", body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201 and first.json()["id"] == second.json()["id"]
    assert Deal.objects.filter(title="Once").count() == 1


def test_win_lose_reopen_patch(world, sales, deal):
    api = client_for(world, "owner")
    assert api.post(f"/deals/{deal.pk}/lose", {"reason": "nope"}).status_code == 422
    assert api.post(f"/deals/{deal.pk}/lose", {"reason": "price"}).json()["lost_reason"] == "price"
    assert api.post(f"/deals/{deal.pk}/reopen", {}).json()["status"] == "open"
    assert api.post(f"/deals/{deal.pk}/win").json()["status"] == "won"
    current = api.get(f"/deals/{deal.pk}")
    response = api.patch(f"/deals/{deal.pk}", {"next_step": "Rechnung"}, headers={"If-Match": current["ETag"]})
    assert response.status_code == 200 and response.json()["next_step"] == "Rechnung"
    stale = api.patch(f"/deals/{deal.pk}", {"next_step": "Alt"}, headers={"If-Match": current["ETag"]})
    assert stale.status_code == 412
    assert api.patch(f"/deals/{deal.pk}", {"stage": sales.open[0].pk}).status_code == 422


def test_pipelines(world, sales):
    body = client_for(world, "read_only").get("/pipelines").json()
    assert body[0]["is_default"] and [s["kind"] for s in body[0]["stages"]][-2:] == ["won", "lost"]
    assert client_for(world, "anonymous").get("/pipelines").status_code == 401


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_get_lead_matrix(world, lead, who, status):
    assert client_for(world, who).get(f"/leads/{lead.pk}").status_code == status


def test_lead_api_idempotent_create_and_convert(world, sales):
    api = client_for(world, "owner")
    body = {"name": "Jürgen Müller", "company": "Gunther Glas", "email": "j.mueller@gunther-glas.de"}
    first = api.post("/leads", body, headers={"Idempotency-Key": "lead-1"})
    second = api.post("/leads", body, headers={"Idempotency-Key": "lead-1"})
    assert first.status_code == 201 and first.json()["id"] == second.json()["id"]
    assert Lead.objects.count() == 1 and first.json()["source"] == "api"
    lead_id = first.json()["id"]
    matches = api.get(f"/leads/{lead_id}/matches").json()
    assert matches["people"] == [{"id": world.person.pk, "name": "Jürgen Müller", "reasons": ["email"]}]
    response = api.post(f"/leads/{lead_id}/convert", {"person": world.person.pk,
                                                      "organisation": world.organisation.pk, "amount": "100"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lead"]["status"] == "converted" and body["person"] == world.person.pk and body["deal"]
    assert api.post(f"/leads/{lead_id}/convert", {}).status_code == 422


def test_lead_disqualify_and_scope(world, lead):
    assert client_for(world, "other_team").post(f"/leads/{lead.pk}/disqualify", {"reason": "x"}).status_code == 404
    assert client_for(world, "read_only").post(f"/leads/{lead.pk}/disqualify", {"reason": "x"}).status_code == 403
    response = client_for(world, "owner").post(f"/leads/{lead.pk}/disqualify", {"reason": "Student"})
    assert response.json()["status"] == "disqualified"


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=403, manager=204, admin=204))
def test_delete_deal_matrix(world, deal, who, status):
    """Deleting needs a role with the delete flag (members have none); hidden deals are 404."""
    response = client_for(world, who).delete(f"/deals/{deal.pk}")
    assert response.status_code == status, response.content
    assert Deal.objects.filter(pk=deal.pk).exists() == (status != 204)
    assert Deal.all_objects.filter(pk=deal.pk).exists()  # soft delete


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=403, manager=204, admin=204))
def test_delete_lead_matrix(world, lead, who, status):
    response = client_for(world, who).delete(f"/leads/{lead.pk}")
    assert response.status_code == status, response.content
    assert Lead.objects.filter(pk=lead.pk).exists() == (status != 204)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_patch_lead_matrix(world, lead, who, status):
    response = client_for(world, who).patch(f"/leads/{lead.pk}", {"company": "Gunther Glas GmbH"})
    assert response.status_code == status, response.content
    lead.refresh_from_db()
    assert (lead.company == "Gunther Glas GmbH") == (status == 200)
    if status == 200:
        assert response.json()["company"] == "Gunther Glas GmbH" and lead.version == 2


@pytest.mark.parametrize(("who", "visible"), [("read_only", True), ("teammate", True), ("other_team", False),
                                              ("owner", True), ("manager", True), ("admin", True)])
def test_list_leads_scoped(world, lead, who, visible):
    response = client_for(world, who).get("/leads")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["items"]] == ([lead.pk] if visible else [])


def test_list_leads_needs_a_login(world, lead):
    assert client_for(world, "anonymous").get("/leads").status_code == 401


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_qualify_lead_matrix(world, lead, who, status):
    response = client_for(world, who).post(f"/leads/{lead.pk}/qualify")
    assert response.status_code == status, response.content
    lead.refresh_from_db()
    assert lead.status == ("qualified" if status == 200 else "new")
