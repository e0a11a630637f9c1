"""Staff pages of partners: the 360° panel, the partner list and page, scoped like every page."""

from __future__ import annotations

import pytest

from kunde.activities.models import Activity
from kunde.activities.services import contact_log
from kunde.partners.models import HandoverStatus, LeadHandover, PartnerProfile, PartnerUser, Share, ShareableEntry

pytestmark = pytest.mark.django_db


def test_mark_as_partner_from_the_organisation_page(client, world, partners):
    client.force_login(world.owner)
    page = client.get(partners.foreign_organisation.get_absolute_url()).content.decode()
    assert "Mark as partner" in page
    response = client.post(f"/partners/mark/{partners.foreign_organisation.pk}/", {"mark-role": "service"})
    profile = PartnerProfile.objects.get(organisation=partners.foreign_organisation)
    assert response.status_code == 302 and response["Location"] == profile.get_absolute_url()
    assert "Montageservice Becker GmbH" in client.get("/partners/").content.decode()


def test_read_only_sees_the_panel_but_cannot_mark_or_share(client, world, partners):
    client.force_login(world.read_only)
    page = client.get(partners.shared_organisation.get_absolute_url()).content.decode()
    assert "Montageservice Becker GmbH" in page and "Share with partner" not in page
    mark = f"/partners/mark/{partners.foreign_organisation.pk}/"
    assert client.post(mark, {"mark-role": "service"}).status_code == 403
    response = client.post(f"/partners/share/organisation/{partners.foreign_organisation.pk}/",
                           {"share-partner": partners.partner.pk, "share-what": "customer"})
    assert response.status_code in (302, 403)
    assert not Share.objects.filter(organisation=partners.foreign_organisation).exists()


def test_other_team_gets_404(client, world, partners):
    client.force_login(world.other_team)
    assert client.get(f"/partners/{partners.partner.pk}/").status_code == 404
    mark = f"/partners/mark/{partners.foreign_organisation.pk}/"
    assert client.post(mark, {"mark-role": "service"}).status_code == 404
    share = Share.objects.get(person=partners.shared_person)
    assert client.post(f"/partners/shares/{share.pk}/revoke/").status_code == 404
    assert "Montageservice" not in client.get("/partners/").content.decode()


def test_share_a_deal_from_the_customer_panel_and_revoke(client, world, partners):
    from decimal import Decimal

    from kunde.sales.services import deal_create

    deal = deal_create(actor=world.owner, title="Regale", organisation=partners.shared_organisation,
                       amount=Decimal("4000"))
    client.force_login(world.owner)
    url = partners.shared_organisation.get_absolute_url()
    assert f"deal:{deal.pk}" in client.get(url).content.decode()
    response = client.post(f"/partners/share/organisation/{partners.shared_organisation.pk}/",
                           {"share-partner": partners.partner.pk, "share-what": f"deal:{deal.pk}",
                            "share-note": "Aufbau", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    share = Share.objects.get(deal=deal)
    assert share.note == "Aufbau" and share.shared_by == world.owner
    page = client.get(url).content.decode()
    assert "Shared with partner Montageservice Becker GmbH: Regale" in page  # on the timeline
    client.post(f"/partners/shares/{share.pk}/revoke/", {"next": url})
    share.refresh_from_db()
    assert share.revoked_at is not None


def test_mark_an_entry_shareable_from_the_panel(client, world, partners):
    entry = contact_log(actor=world.owner, channel="phone", subject="Liefertermin",
                        organisation=partners.shared_organisation)
    client.force_login(world.owner)
    assert "Show to partners" in client.get(partners.shared_organisation.get_absolute_url()).content.decode()
    client.post(f"/partners/entries/{entry.pk}/shareable/", {"shareable": "1"})
    assert ShareableEntry.objects.filter(activity=entry).exists()
    client.post(f"/partners/entries/{entry.pk}/shareable/", {"shareable": "0"})
    assert not ShareableEntry.objects.filter(activity=entry).exists()
    client.force_login(world.read_only)
    assert client.post(f"/partners/entries/{entry.pk}/shareable/", {"shareable": "1"}).status_code == 403


def test_partner_page_grants_hands_over_and_shows_status(client, world, partners):
    from kunde.core.testing.factories import make_person
    from kunde.partners.services import handover_decline

    colleague = make_person(world.owner, last_name="Kollegin", organisation=partners.partner.organisation,
                            emails=[{"email": "k@becker.example"}])
    client.force_login(world.owner)
    page = client.get(f"/partners/{partners.partner.pk}/").content.decode()
    assert "Stefan Becker" in page and "Kollegin" in page and "Karin Vogt" in page
    assert client.post(f"/partners/{partners.partner.pk}/users/", {"person": colleague.pk}).status_code == 302
    assert PartnerUser.objects.filter(person=colleague, revoked_at__isnull=True).exists()
    refused = client.post(f"/partners/{partners.partner.pk}/handovers/", {"lead": ""})
    assert refused.status_code == 422
    assert client.post(f"/partners/{partners.partner.pk}/handovers/", {"lead": partners.lead.pk}).status_code == 302
    handover = LeadHandover.objects.get()
    handover_decline(by=partners.access, handover=handover, reason="Zu weit weg")
    page = client.get(f"/partners/{partners.partner.pk}/").content.decode()
    assert "declined" in page and "Zu weit weg" in page
    assert handover.lead.person is None and Activity.objects.filter(
        organisation=partners.partner.organisation, kind="partners.lead_declined").exists()
    assert LeadHandover.objects.get().status == HandoverStatus.DECLINED


def test_edit_partner_with_a_stale_version_keeps_the_input(client, world, partners):
    client.force_login(world.owner)
    response = client.post(f"/partners/{partners.partner.pk}/edit/", {
        "role": "service", "role_note": "Neu", "since": "2024-01-01", "is_active": "on", "version": 99})
    assert response.status_code == 422 and "Someone else changed this partner" in response.content.decode()
    partners.partner.refresh_from_db()
    assert partners.partner.role == "installation"
    client.force_login(world.read_only)
    assert client.post(f"/partners/{partners.partner.pk}/edit/", {
        "role": "service", "since": "2024-01-01", "version": partners.partner.version}).status_code == 403


def test_hand_over_starting_from_the_lead(client, world, partners):
    url = f"/partners/leads/{partners.lead.pk}/offer/"
    client.force_login(world.read_only)
    assert "You may not hand over this lead." in client.get(url).content.decode()
    assert client.post(url, {"partner": partners.partner.pk}).status_code == 403
    client.force_login(world.other_team)
    assert client.get(url).status_code == 404
    client.force_login(world.owner)
    missing = client.post(url, {"partner": "", "note": "Bitte übernehmen"})
    assert missing.status_code == 422 and "Bitte übernehmen" in missing.content.decode()
    response = client.post(url, {"partner": partners.partner.pk, "note": "Bitte übernehmen"})
    assert response.status_code == 302 and response["Location"] == partners.partner.get_absolute_url()
    twice = client.post(url, {"partner": partners.partner.pk})
    assert twice.status_code == 422 and "already with partner" in twice.content.decode()
    assert LeadHandover.objects.get().note == "Bitte übernehmen"
    assert "offered" in client.get(url).content.decode()
