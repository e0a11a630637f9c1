"""The contract pages: list filters, worklist, detail with actions, forms, the 360° panel, plan administration."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kunde.activities.models import Activity
from kunde.contracts.models import Contract, ContractStatus, SubscriptionPlan
from kunde.contracts.services import contract_create

pytestmark = pytest.mark.django_db


def client(user) -> Client:  # type: ignore[no-untyped-def]
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def contract(world, plan) -> Contract:
    return contract_create(actor=world.owner, organisation=world.organisation, plan=plan)


def test_list_filters_and_worklist(world, plan, contract) -> None:
    monthly = contract_create(actor=world.owner, organisation=world.organisation, title="Monthly care",
                              amount="50.00", term_months=1, notice_period=7)
    page = client(world.owner).get(reverse("contracts:contract_list"))
    assert page.status_code == 200
    assert contract.number in page.content.decode() and monthly.number in page.content.decode()
    within = client(world.owner).get(reverse("contracts:contract_list"), {"expiring_within": "40"}).content.decode()
    assert monthly.number in within and contract.number not in within
    by_plan = client(world.owner).get(reverse("contracts:contract_list"), {"plan": plan.pk}).content.decode()
    assert contract.number in by_plan and monthly.number not in by_plan
    bad = client(world.owner).get(reverse("contracts:contract_list"), {"expiring_within": "soon"})
    assert bad.status_code in (200, 400)
    worklist = client(world.owner).get(reverse("contracts:expiring"), {"days": "40"}).content.decode()
    assert monthly.number in worklist and contract.number not in worklist
    assert "150,00" in worklist or "150.00" in worklist  # MRR 100 + 50


def test_create_form_flags_a_past_notice_deadline(world, plan) -> None:
    """Terms left empty come from the plan; a deadline already past when entered shows a warning."""
    form = client(world.owner).get(reverse("contracts:contract_create"), {"plan": plan.pk}).content.decode()
    assert '<option value="" selected>As the plan says</option>' in form
    start = dt.date.today().replace(day=1) - dt.timedelta(days=330)
    response = client(world.owner).post(reverse("contracts:contract_create"), {
        "organisation": world.organisation.pk, "plan": plan.pk, "owner": world.owner.pk,
        "start_date": start.isoformat(), "auto_renew": "unknown", "billing_interval": "", "notice_unit": "",
        "renewal_term_months": "", "term_months": "", "amount": "", "title": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    contract = Contract.objects.get()
    assert (contract.billing_interval, contract.notice_unit, contract.amount, contract.title) == (
        "yearly", "months", Decimal("1200.00"), plan.name)  # the empty fields came from the plan
    assert contract.notice_deadline_missed is True
    detail = client(world.owner).get(response["Location"]).content.decode()
    assert 'id="notice-warning"' in detail


def test_create_form_shows_errors_and_stores_nothing(world) -> None:
    response = client(world.owner).post(reverse("contracts:contract_create"), {
        "owner": world.owner.pk, "title": "", "amount": "-1"})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode() or "invalid-feedback" in response.content.decode()
    assert Contract.objects.count() == 0


def test_actions_from_the_detail_page(world, contract) -> None:
    browser = client(world.owner)
    url = lambda action: reverse("contracts:contract_action", args=[contract.pk, action])  # noqa: E731
    assert browser.post(url("amount"), {"amount": "1500.00"}).status_code == 302
    assert browser.post(url("pause")).status_code == 302
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.PAUSED
    assert browser.post(url("resume")).status_code == 302
    refused = browser.post(url("cancel"), {}, follow=True)
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE
    assert "messages" in refused.context or refused.status_code == 200
    from kunde.contracts.models import CancellationReason

    reason = CancellationReason.objects.get(key="service")
    assert browser.post(url("cancel"), {"reason": reason.pk}).status_code == 302
    stored = Contract.objects.get(pk=contract.pk)
    assert (stored.status, stored.amount, stored.ends_on) == (ContractStatus.CANCELLED, Decimal("1500.00"),
                                                              stored.current_term_end)
    page = browser.get(reverse("contracts:contract_detail", args=[contract.pk])).content.decode()
    for label in ("Upgraded", "Paused", "Resumed", "Cancelled"):
        assert label in page
    kinds = set(Activity.objects.filter(organisation=world.organisation).values_list("kind", flat=True))
    assert {"contracts.contract_created", "contracts.contract_upgraded", "contracts.contract_paused",
            "contracts.contract_resumed", "contracts.contract_cancelled"} <= kinds


def test_other_team_gets_404_and_read_only_gets_403(world, contract) -> None:
    detail = reverse("contracts:contract_detail", args=[contract.pk])
    assert client(world.other_team).get(detail).status_code == 404
    assert client(world.other_team).post(reverse("contracts:contract_action", args=[contract.pk, "pause"])
                                         ).status_code == 404
    assert contract.number not in client(world.other_team).get(reverse("contracts:contract_list")).content.decode()
    reader = client(world.read_only)
    assert reader.get(detail).status_code == 200
    assert reader.post(reverse("contracts:contract_action", args=[contract.pk, "pause"])).status_code == 403
    assert reader.get(reverse("contracts:contract_edit", args=[contract.pk])).status_code == 403
    assert reader.get(reverse("contracts:contract_create")).status_code == 403
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE
    assert Client().get(detail).status_code == 302  # to the login


def test_edit_form_with_version_conflict(world, contract) -> None:
    browser = client(world.owner)
    url = reverse("contracts:contract_edit", args=[contract.pk])
    data = {"title": "Wartung", "notice_period": "3", "notice_unit": "months", "auto_renew": "on",
            "renewal_term_months": "12", "owner": world.owner.pk, "version": "1", "plan": contract.plan_id}
    assert browser.post(url, data).status_code == 302
    stale = browser.post(url, {**data, "title": "Alt"})
    assert stale.status_code == 200 and "Someone else changed" in stale.content.decode()
    assert Contract.objects.get(pk=contract.pk).title == "Wartung"


def test_panel_on_the_organisation_page(world, contract) -> None:
    page = client(world.owner).get(world.organisation.get_absolute_url()).content.decode()
    assert 'id="customer-contracts"' in page and contract.number in page
    other = client(world.admin).get(world.person.get_absolute_url()).content.decode()
    assert 'id="customer-contracts"' not in other  # the person has no contract of their own


def test_plan_admin_is_for_administrators(world, plan) -> None:
    url = reverse("contracts:plan_admin")
    assert client(world.owner).get(url).status_code == 403
    admin = client(world.admin)
    assert plan.name in admin.get(url).content.decode()
    response = admin.post(url, {"op": "plan", "plan-name": "Basic", "plan-billing_interval": "monthly",
                                "plan-amount": "9.90", "plan-currency": "EUR", "plan-default_term_months": "1",
                                "plan-default_notice_period": "14", "plan-default_notice_unit": "days",
                                "plan-is_active": "on"})
    assert response.status_code == 302
    assert SubscriptionPlan.objects.filter(name="Basic", amount=Decimal("9.90")).exists()
    dup = admin.post(url, {"op": "plan", "plan-name": "Basic", "plan-billing_interval": "monthly",
                           "plan-amount": "1", "plan-currency": "EUR", "plan-default_term_months": "1",
                           "plan-default_notice_period": "14", "plan-default_notice_unit": "days"})
    assert dup.status_code == 200 and SubscriptionPlan.objects.count() == 2
