"""The contracts API: scoped reads, If-Match writes, actions, MRR, and specific 422s that store nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from kunde.accounts.models import ApiToken
from kunde.contracts.models import Contract, ContractChange, SubscriptionPlan
from kunde.contracts.services import contract_create
from kunde.core.testing.api import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(world, plan) -> Contract:
    return contract_create(actor=world.owner, organisation=world.organisation, plan=plan)


def paths(response) -> list[list]:  # type: ignore[no-untyped-def]
    return [item["path"] for item in response.json()["errors"]]


def test_create_get_and_update_with_if_match(world, plan) -> None:
    api = ApiClient(world.owner)
    created = api.post("/contracts", {"organisation": world.organisation.pk, "plan": plan.pk,
                                      "start_date": dt.date.today().isoformat()})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["amount"], body["mrr"], body["billing_interval"], body["notice_unit"]) == (
        "1200.00", "100.00", "yearly", "months")
    assert body["number"].startswith("VT-")
    fetched = api.get(f"/contracts/{body['id']}")
    assert fetched.headers["ETag"] == 'W/"1"'
    updated = api.patch(f"/contracts/{body['id']}", {"title": "Wartung Büromöbel"}, headers={"If-Match": 'W/"1"'})
    assert updated.status_code == 200 and updated.json()["title"] == "Wartung Büromöbel"
    stale = api.patch(f"/contracts/{body['id']}", {"title": "Alt"}, headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    assert Contract.objects.get(pk=body["id"]).title == "Wartung Büromöbel"


def test_validation_errors_are_specific_and_store_nothing(world, plan) -> None:
    api = ApiClient(world.owner)
    bad = api.post("/contracts", {"organisation": 999999, "title": "X", "amount": "10"})
    assert bad.status_code == 422 and paths(bad) == [["body", "organisation"]]
    bad = api.post("/contracts", {"organisation": world.organisation.pk, "title": "", "amount": "10",
                                  "currency": "USD"})
    assert bad.status_code == 422 and ["body", "title"] in paths(bad) and ["body", "currency"] in paths(bad)
    bad = api.post("/contracts", {"organisation": world.organisation.pk, "plan": plan.pk,
                                  "billing_interval": "weekly"})
    assert bad.status_code == 422 and paths(bad)[0][:2] == ["body", "billing_interval"]
    bad = api.post("/contracts", {"organisation": world.organisation.pk, "plan": plan.pk, "unknown": 1})
    assert bad.status_code == 422
    assert Contract.objects.count() == 0


def test_actions_and_change_log(world, contract) -> None:
    api = ApiClient(world.owner)
    up = api.post(f"/contracts/{contract.pk}/change-amount", {"amount": "1440.00"})
    assert up.status_code == 200 and up.json()["mrr"] == "120.00"
    pause = api.post(f"/contracts/{contract.pk}/pause", {})
    assert pause.json()["status"] == "paused" and pause.json()["mrr"] == "0.00"
    again = api.post(f"/contracts/{contract.pk}/pause", {})
    assert again.status_code == 422 and paths(again) == [["body", "status"]]
    assert api.post(f"/contracts/{contract.pk}/resume", {}).json()["status"] == "active"
    no_reason = api.post(f"/contracts/{contract.pk}/cancel", {"reason": "bored"})
    assert no_reason.status_code == 422 and paths(no_reason) == [["body", "reason"]]
    cancelled = api.post(f"/contracts/{contract.pk}/cancel", {"reason": "price"})
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["ends_on"]) == (
        "cancelled", contract.current_term_end.isoformat())
    log = api.get(f"/contracts/{contract.pk}/changes").json()
    assert [row["kind"] for row in log] == ["created", "upgraded", "paused", "resumed", "cancelled"]
    assert log[1]["amount_before"] == "1200.00" and log[1]["amount_after"] == "1440.00"
    mrr = api.get("/contracts/mrr", {"months": 3}).json()
    assert (mrr["mrr"], mrr["arr"], len(mrr["months"])) == ("120.00", "1440.00", 3)


def test_other_team_gets_404_and_read_only_cannot_write(world, contract) -> None:
    other = ApiClient(world.other_team)
    assert other.get(f"/contracts/{contract.pk}").status_code == 404
    assert other.post(f"/contracts/{contract.pk}/pause", {}).status_code == 404
    assert other.get("/contracts").json()["items"] == []
    assert other.get("/contracts/mrr").json()["mrr"] == "0.00"
    reader = ApiClient(world.read_only)
    assert reader.get(f"/contracts/{contract.pk}").status_code == 200
    assert reader.post(f"/contracts/{contract.pk}/pause", {}).status_code == 403
    assert reader.patch(f"/contracts/{contract.pk}", {"title": "X"}).status_code == 403
    assert reader.post("/contracts", {"organisation": world.organisation.pk, "title": "X",
                                      "amount": "1"}).status_code == 403
    read_token = ApiClient(world.owner, scope=ApiToken.TokenScope.READ)
    assert read_token.post(f"/contracts/{contract.pk}/pause", {}).status_code == 403
    assert ApiClient(None).get("/contracts").status_code == 401
    contract.refresh_from_db()
    assert (contract.status, contract.version, contract.title) == ("active", 1, "Service contract for office furniture")
    assert ContractChange.objects.filter(contract=contract).count() == 1


def test_plans_are_administered_by_admins(world, plan) -> None:
    member = ApiClient(world.owner)
    assert [p["name"] for p in member.get("/contract-plans").json()] == [plan.name]
    assert member.post("/contract-plans", {"name": "Basic", "amount": "9.90"}).status_code == 403
    admin = ApiClient(world.admin)
    created = admin.post("/contract-plans", {"name": "Basic", "amount": "9.90", "billing_interval": "monthly"})
    assert created.status_code == 201
    bad = admin.post("/contract-plans", {"name": "Basic", "amount": "1"})
    assert bad.status_code == 422 and paths(bad) == [["body", "name"]]
    patched = admin.patch(f"/contract-plans/{created.json()['id']}", {"amount": "12.00"})
    assert patched.json()["amount"] == "12.00"
    assert SubscriptionPlan.objects.count() == 2
    assert member.delete(f"/contract-plans/{created.json()['id']}").status_code == 403
    assert admin.delete(f"/contract-plans/{created.json()['id']}").status_code == 204
    contract_create(actor=world.owner, organisation=world.organisation, plan=plan)
    in_use = admin.delete(f"/contract-plans/{plan.pk}")
    assert in_use.status_code == 422 and paths(in_use) == [["body", "plan"]]
    assert list(SubscriptionPlan.objects.values_list("name", flat=True)) == [plan.name]
