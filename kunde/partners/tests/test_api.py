"""The staff API of partners: permission matrix, 422 errors with located messages, scoping."""

from __future__ import annotations

import pytest

from kunde.core.testing.api import client_for
from kunde.partners.models import HandoverStatus, LeadHandover, Share

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]


def expect(**codes: int) -> list[tuple[str, int]]:
    return [(who, codes[who]) for who in WHO]


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_get_partner_matrix(world, partners, who, status):
    response = client_for(world, who).get(f"/partners/{partners.partner.pk}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["name"] == "Montageservice Becker GmbH" and body["role"] == "installation"


@pytest.mark.parametrize(("who", "visible"), [("read_only", True), ("other_team", False), ("admin", True)])
def test_list_shares_scoped(world, partners, who, visible):
    rows = client_for(world, who).get("/partner-shares", {"partner": partners.partner.pk}).json()["items"]
    assert (len(rows) == 3) == visible and (rows == []) == (not visible)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=422,
                                                   owner=201, manager=201, admin=201))
def test_create_share_matrix(world, partners, who, status):
    """Read-only may not share; another team does not even see the partner (422 Unknown partner)."""
    response = client_for(world, who).post("/partner-shares", {"partner": partners.partner.pk,
                                                               "person": partners.foreign_person.pk})
    assert response.status_code == status, response.content
    assert Share.objects.filter(person=partners.foreign_person).exists() == (status == 201)


def test_create_share_errors_are_located(world, partners):
    client = client_for(world, "owner")
    response = client.post("/partner-shares", {"partner": 999999, "deal": 999999})
    assert response.status_code == 422
    paths = {tuple(item["path"]) for item in response.json()["errors"]}
    assert paths == {("body", "partner"), ("body", "deal")}
    both = client.post("/partner-shares", {"partner": partners.partner.pk, "person": partners.foreign_person.pk,
                                           "organisation": partners.foreign_organisation.pk})
    assert both.status_code == 422 and "exactly one record" in both.json()["errors"][0]["message"]
    twice = client.post("/partner-shares", {"partner": partners.partner.pk, "deal": partners.shared_deal.pk})
    assert twice.status_code == 422 and twice.json()["errors"][0]["path"] == ["body", "deal"]
    assert client.post("/partner-shares", {"partner": partners.partner.pk, "colour": "red"}).status_code == 422
    assert Share.objects.count() == 3


def test_revoke_share_via_api(world, partners):
    share = Share.objects.get(deal=partners.shared_deal)
    assert client_for(world, "read_only").post(f"/partner-shares/{share.pk}/revoke").status_code == 403
    assert client_for(world, "other_team").post(f"/partner-shares/{share.pk}/revoke").status_code == 404
    response = client_for(world, "owner").post(f"/partner-shares/{share.pk}/revoke")
    assert response.status_code == 200 and response.json()["revoked_at"] is not None


def test_mark_partner_and_patch(world, partners):
    client = client_for(world, "owner")
    response = client.post("/partners", {"organisation": partners.foreign_organisation.pk, "role": "reseller"})
    assert response.status_code == 201 and response.json()["role"] == "reseller"
    partner_id = response.json()["id"]
    assert client.post("/partners", {"organisation": partners.foreign_organisation.pk}).status_code == 422
    assert client.post("/partners", {"organisation": 1, "role": "pirate"}).status_code == 422
    assert client_for(world, "read_only").patch(f"/partners/{partner_id}", {"is_active": False}).status_code == 403
    stale = client.patch(f"/partners/{partner_id}", {"role_note": "x", "version": 99})
    assert stale.status_code == 412
    patched = client.patch(f"/partners/{partner_id}", {"is_active": False})
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    listed = client.get("/partners", {"active": "false"}).json()["items"]
    assert [row["id"] for row in listed] == [partner_id]


def test_partner_users_via_api(world, partners):
    client = client_for(world, "owner")
    users = client.get(f"/partners/{partners.partner.pk}/users").json()
    assert [row["person"] for row in users] == [partners.access.person_id]
    refused = client.post(f"/partners/{partners.partner.pk}/users", {"person": partners.foreign_person.pk})
    assert refused.status_code == 422 and refused.json()["errors"][0]["path"] == ["body", "person"]
    assert client_for(world, "other_team").get(f"/partners/{partners.partner.pk}/users").status_code == 404
    revoked = client.post(f"/partners/users/{partners.access.pk}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None


def test_lead_handover_via_api(world, partners):
    client = client_for(world, "owner")
    assert client_for(world, "read_only").post("/lead-handovers", {
        "lead": partners.lead.pk, "partner": partners.partner.pk}).status_code == 403
    response = client.post("/lead-handovers", {"lead": partners.lead.pk, "partner": partners.partner.pk,
                                               "note": "Bitte übernehmen"})
    assert response.status_code == 201 and response.json()["status"] == "offered"
    handover_id = response.json()["id"]
    again = client.post("/lead-handovers", {"lead": partners.lead.pk, "partner": partners.partner.pk})
    assert again.status_code == 422 and again.json()["errors"][0]["path"] == ["body", "lead"]
    assert client.get("/lead-handovers", {"status": "offered"}).json()["items"][0]["id"] == handover_id
    assert client_for(world, "other_team").get(f"/lead-handovers/{handover_id}").status_code == 404
    withdrawn = client.post(f"/lead-handovers/{handover_id}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == HandoverStatus.WITHDRAWN
    assert client.post(f"/lead-handovers/{handover_id}/withdraw").status_code == 422
    assert LeadHandover.objects.get().status == HandoverStatus.WITHDRAWN
