"""The partner portal: magic-link sign-in, only shared records, no way into staff pages or the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from kunde.activities.models import Activity
from kunde.activities.services import contact_log
from kunde.core.links import make_token
from kunde.mail.models import OutboundMessage
from kunde.partners.models import HandoverStatus, Share
from kunde.partners.portal import SESSION_KEY
from kunde.partners.services import (
    entry_set_shareable,
    lead_handover,
    partner_update,
    partner_user_revoke,
    share_revoke,
)

from .conftest import portal_client

pytestmark = pytest.mark.django_db


def test_sign_in_by_mailed_link_once(client, partners):
    cache.clear()
    assert client.post("/partner/login/", {"email": "Stefan@Becker-Montage.example"}).status_code == 200
    mail = OutboundMessage.objects.get(purpose="partners.portal")
    assert mail.to == ["stefan@becker-montage.example"] and "Montageservice Becker GmbH" in mail.text
    path = re.search(r"https?://[^/]+(/partner/login/\S+)", mail.text).group(1)
    for _scanner in range(2):  # a mail scanner opening the link does not use it up
        assert b"Sign in to the partner portal" in client.get(path).content
    assert SESSION_KEY not in client.session
    assert client.post(path).status_code == 302
    assert client.session[SESSION_KEY] == partners.access.pk
    assert b"Gunther Glas" in client.get("/partner/").content
    partners.access.refresh_from_db()
    assert partners.access.last_login_at is not None
    reused = Client().post(path)
    assert reused.status_code == 410 and b"already been used" in reused.content


def test_expired_forged_and_foreign_purpose_links_are_refused(client, partners):
    token = make_token("partners.portal", partners.access.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        expired = client.post(f"/partner/login/{token}/")
    assert expired.status_code == 410 and b"expired" in expired.content
    assert client.post("/partner/login/nonsense/").status_code == 410
    # A customer-portal link for the same id never opens the partner portal.
    assert client.post(f"/partner/login/{make_token('service.portal', partners.access.pk)}/").status_code == 410
    assert SESSION_KEY not in client.session


def test_unknown_or_non_partner_address_gets_no_mail(client, partners, world):
    cache.clear()
    client.post("/partner/login/", {"email": "niemand@example.org"})
    client.post("/partner/login/", {"email": "j.mueller@gunther-glas.de"})  # a customer, no partner user
    assert not OutboundMessage.objects.filter(purpose="partners.portal").exists()


def test_sign_in_links_are_rate_limited(client, partners):
    cache.clear()
    start = timezone.now()
    for minute in range(7):
        with time_machine.travel(start + dt.timedelta(minutes=minute), tick=False):
            client.post("/partner/login/", {"email": "stefan@becker-montage.example"})
    assert OutboundMessage.objects.filter(purpose="partners.portal").count() == 5


def test_revoked_user_is_signed_out_and_cannot_get_a_link(client, world, partners, portal):
    cache.clear()
    partner_user_revoke(actor=world.owner, access=partners.access)
    response = portal.get("/partner/")
    assert response.status_code == 302 and response["Location"] == "/partner/login/"
    assert SESSION_KEY not in portal.session
    client.post("/partner/login/", {"email": "stefan@becker-montage.example"})
    assert not OutboundMessage.objects.filter(purpose="partners.portal").exists()
    assert client.post(f"/partner/login/{make_token('partners.portal', partners.access.pk)}/").status_code == 410


def test_inactive_partner_closes_the_portal(world, partners, portal):
    partner_update(actor=world.owner, partner=partners.partner, changes={"is_active": False}, expected_version=None)
    assert portal.get("/partner/").status_code == 302


def test_home_lists_only_shared_records(partners, portal):
    page = portal.get("/partner/").content.decode()
    assert "Gunther Glas" in page and "Jürgen Müller" in page and "50 Schreibtische" in page
    assert "Geheim AG" not in page and "Greta" not in page and "Geheimer Auftrag" not in page


def test_foreign_ids_in_the_url_are_404(partners, portal):
    assert portal.get(f"/partner/organisations/{partners.shared_organisation.pk}/").status_code == 200
    assert portal.get(f"/partner/people/{partners.shared_person.pk}/").status_code == 200
    assert portal.get(f"/partner/deals/{partners.shared_deal.pk}/").status_code == 200
    for path in (f"/partner/organisations/{partners.foreign_organisation.pk}/",
                 f"/partner/people/{partners.foreign_person.pk}/",
                 f"/partner/deals/{partners.foreign_deal.pk}/",
                 f"/partner/leads/{partners.lead.pk}/",  # not offered, not shared
                 "/partner/deals/999999/"):
        assert portal.get(path).status_code == 404, path
    response = portal.post(f"/partner/organisations/{partners.foreign_organisation.pk}/",
                           {"activity_type": "visit", "subject": "Einbruch"})
    assert response.status_code == 404
    assert not Activity.objects.filter(organisation=partners.foreign_organisation, kind="partners.partner_activity")


def test_deal_page_shows_stage_and_amount(partners, portal):
    page = portal.get(f"/partner/deals/{partners.shared_deal.pk}/").content.decode()
    assert "50 Schreibtische" in page and ("25.000,00" in page or "25,000.00" in page)
    assert str(partners.shared_deal.stage) in page


def test_revoked_share_disappears_at_once(world, partners, portal):
    share = Share.objects.get(partner=partners.partner, organisation=partners.shared_organisation)
    share_revoke(actor=world.owner, share=share)
    assert portal.get(f"/partner/organisations/{partners.shared_organisation.pk}/").status_code == 404
    assert "Gunther Glas" not in portal.get("/partner/").content.decode()


def test_history_shows_shareable_and_own_entries_only(world, partners, portal):
    secret = contact_log(actor=world.owner, channel="phone", subject="Interne Preisrunde",
                         organisation=partners.shared_organisation)
    open_entry = contact_log(actor=world.owner, channel="meeting", subject="Liefertermin 12. Mai",
                             organisation=partners.shared_organisation)
    entry_set_shareable(actor=world.owner, activity=open_entry)
    url = f"/partner/organisations/{partners.shared_organisation.pk}/"
    page = portal.get(url).content.decode()
    assert "Liefertermin 12. Mai" in page and secret.subject not in page
    assert "Montage im Mai" in page  # the share's note for the partner
    assert "j.mueller" not in page  # the organisation's page: its own contact data only
    response = portal.post(url, {"activity_type": "installation", "subject": "30 Tische montiert",
                                 "notes": "Abnahme durch Herrn Müller"})
    assert response.status_code == 302
    entry = Activity.objects.get(kind="partners.partner_activity")
    assert entry.organisation == partners.shared_organisation and entry.created_by is None
    assert entry.data["partner_id"] == partners.partner.pk and entry.data["partner_user_id"] == partners.access.pk
    assert "Montageservice Becker GmbH" in entry.subject and "30 Tische montiert" in entry.subject
    assert "30 Tische montiert" in portal.get(url).content.decode()


def test_partner_activity_needs_a_subject_and_loses_nothing(partners, portal):
    url = f"/partner/people/{partners.shared_person.pk}/"
    response = portal.post(url, {"activity_type": "call", "subject": "", "notes": "Rückruf erbeten"})
    assert response.status_code == 200 and "Rückruf erbeten" in response.content.decode()
    assert not Activity.objects.filter(kind="partners.partner_activity").exists()


def _offer(world, partners):
    return lead_handover(actor=world.owner, lead=partners.lead, partner=partners.partner, note="Bitte bis Freitag")


def test_accept_an_offered_lead(world, partners, portal):
    handover = _offer(world, partners)
    home = portal.get("/partner/").content.decode()
    assert "Karin Vogt" in home
    page = portal.get(f"/partner/leads/{partners.lead.pk}/").content.decode()
    assert "k.vogt@vogt.example" in page and "Bitte bis Freitag" in page
    assert portal.post(f"/partner/leads/{partners.lead.pk}/", {"decision": "accept"}).status_code == 302
    handover.refresh_from_db()
    assert handover.status == HandoverStatus.ACCEPTED and handover.decided_by == partners.access
    assert Share.objects.filter(partner=partners.partner, lead=partners.lead, revoked_at__isnull=True).exists()
    assert portal.get(f"/partner/leads/{partners.lead.pk}/").status_code == 200
    again = portal.post(f"/partner/leads/{partners.lead.pk}/", {"decision": "accept"})
    assert again.status_code == 404  # no longer on offer


def test_decline_needs_a_reason(world, partners, portal):
    handover = _offer(world, partners)
    url = f"/partner/leads/{partners.lead.pk}/"
    refused = portal.post(url, {"decision": "decline", "reason": "  "})
    assert refused.status_code == 422 and "Say why you decline the lead." in refused.content.decode()
    handover.refresh_from_db()
    assert handover.status == HandoverStatus.OFFERED
    assert portal.post(url, {"decision": "decline", "reason": "Kein Team frei"}).status_code == 302
    handover.refresh_from_db()
    assert handover.status == HandoverStatus.DECLINED and handover.decline_reason == "Kein Team frei"
    assert portal.get(url).status_code == 404  # a declined lead is gone from the portal


def test_another_partners_offer_is_404(world, partners, portal):
    from kunde.core.testing.factories import make_organisation, make_person
    from kunde.partners.services import partner_mark, partner_user_grant

    rival = partner_mark(actor=world.owner, organisation=make_organisation(world.owner, name="Konkurrenz KG"),
                         role="reseller")
    partner_user_grant(actor=world.owner, partner=rival, person=make_person(
        world.owner, last_name="Rival", organisation=rival.organisation, emails=[{"email": "r@k.example"}]))
    lead_handover(actor=world.owner, lead=partners.lead, partner=rival)
    assert portal.get(f"/partner/leads/{partners.lead.pk}/").status_code == 404
    assert portal.post(f"/partner/leads/{partners.lead.pk}/", {"decision": "accept"}).status_code == 404


STAFF_PAGES = ["/", "/people/", "/people/{p}/", "/organisations/", "/organisations/{o}/", "/leads/",
               "/leads/{l}/", "/deals/", "/deals/{d}/", "/partners/", "/partners/{partner}/", "/tickets/"]
STAFF_API = ["/api/v1/people", "/api/v1/people/{p}", "/api/v1/organisations/{o}", "/api/v1/leads/{l}",
             "/api/v1/deals/{d}", "/api/v1/partners", "/api/v1/partner-shares", "/api/v1/lead-handovers"]


@pytest.mark.parametrize("path", STAFF_PAGES + STAFF_API)
def test_partner_session_never_reaches_staff_pages_or_api(partners, portal, path):
    """A signed-in partner is nobody on the staff side: login redirect for pages, 401 for the API."""
    assert portal.session[SESSION_KEY] == partners.access.pk
    response = portal.get(path.format(p=partners.shared_person.pk, o=partners.shared_organisation.pk,
                                      l=partners.lead.pk, d=partners.shared_deal.pk, partner=partners.partner.pk))
    if path.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_partner_session_cannot_write_on_the_staff_side(partners, portal):
    share = Share.objects.get(partner=partners.partner, person=partners.shared_person)
    assert portal.post(f"/partners/shares/{share.pk}/revoke/").status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is None


def test_portal_without_session_redirects_to_login(client, partners):
    for path in ("/partner/", f"/partner/organisations/{partners.shared_organisation.pk}/",
                 f"/partner/leads/{partners.lead.pk}/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/partner/login/"


def test_sign_out(partners, portal):
    assert portal.post("/partner/logout/").status_code == 302
    assert portal.get("/partner/").status_code == 302


def test_two_partner_users_of_one_person_get_separate_links(world, partners):
    """A customer-portal session of the same person does not open the partner portal."""
    client = Client()
    client.post(f"/portal/login/{make_token('service.portal', partners.access.person_id)}/")
    assert client.get("/partner/").status_code == 302
    assert portal_client(partners.access).get("/partner/").status_code == 200
