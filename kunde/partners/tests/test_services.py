"""Partner services: history entries on the customer's timeline, events, rules and the binding cause."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kunde.activities.models import Activity
from kunde.core.events import subscribe, unsubscribe
from kunde.core.exceptions import PermissionDenied
from kunde.core.testing.factories import make_organisation, make_person
from kunde.partners.causes import KEY, serviced_organisations, serviced_people
from kunde.partners.models import HandoverStatus, PartnerUser, Share
from kunde.partners.services import (
    handover_accept,
    handover_decline,
    handover_withdraw,
    lead_handover,
    partner_activity_log,
    partner_mark,
    partner_update,
    partner_user_grant,
    share_create,
    share_revoke,
)
from kunde.retention.causes import BindingCause, cause_sources

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    seen: list[tuple[str, dict]] = []

    def handler(event_type, payload):
        if event_type.startswith("partners."):
            seen.append((event_type, payload))

    subscribe("*", handler)
    yield seen
    unsubscribe("*", handler)


def test_marking_a_partner_lands_on_its_timeline(world, django_capture_on_commit_callbacks, events):
    organisation = make_organisation(world.owner, name="Becker Service")
    with django_capture_on_commit_callbacks(execute=True):
        partner = partner_mark(actor=world.owner, organisation=organisation, role="service")
    entry = Activity.objects.get(organisation=organisation, kind="partners.partner_marked")
    assert entry.created_by == world.owner and "Service provider" in entry.subject
    assert events == [("partners.partner_created", {"id": partner.pk, "organisation_id": organisation.pk,
                                                     "request_id": events[0][1]["request_id"]})]
    with pytest.raises(ValidationError, match="already a partner"):
        partner_mark(actor=world.owner, organisation=organisation)


def test_read_only_and_other_team_cannot_mark_or_share(world, partners):
    organisation = make_organisation(world.owner, name="Noch kein Partner")
    for user in (world.read_only, world.other_team):
        with pytest.raises(PermissionDenied):
            partner_mark(actor=user, organisation=organisation)
        with pytest.raises(PermissionDenied):
            share_create(actor=user, partner=partners.partner, organisation=partners.foreign_organisation)
    assert not Share.objects.filter(organisation=partners.foreign_organisation).exists()


def test_only_current_employees_with_an_address_get_portal_access(world, partners):
    outsider = make_person(world.owner, last_name="Außen", emails=[{"email": "a@b.example"}])
    with pytest.raises(ValidationError, match="currently work at the partner"):
        partner_user_grant(actor=world.owner, partner=partners.partner, person=outsider)
    with pytest.raises(ValidationError, match="already has access"):
        partner_user_grant(actor=world.owner, partner=partners.partner, person=partners.access.person)
    silent = make_person(world.owner, last_name="Stumm", organisation=partners.partner.organisation)
    with pytest.raises(ValidationError, match="no e-mail address"):
        partner_user_grant(actor=world.owner, partner=partners.partner, person=silent)
    assert PartnerUser.objects.count() == 1


def test_a_share_names_exactly_one_record_once(world, partners):
    with pytest.raises(ValidationError, match="exactly one record"):
        share_create(actor=world.owner, partner=partners.partner, person=partners.foreign_person,
                     organisation=partners.foreign_organisation)
    with pytest.raises(ValidationError, match="already shared"):
        share_create(actor=world.owner, partner=partners.partner, organisation=partners.shared_organisation)
    with pytest.raises(ValidationError, match="with itself"):
        share_create(actor=world.owner, partner=partners.partner, organisation=partners.partner.organisation)
    partner_update(actor=world.owner, partner=partners.partner, changes={"is_active": False}, expected_version=None)
    with pytest.raises(ValidationError, match="inactive"):
        share_create(actor=world.owner, partner=partners.partner, person=partners.foreign_person)


def test_share_and_revoke_write_the_customers_history(world, partners, django_capture_on_commit_callbacks,
                                                      events):
    with django_capture_on_commit_callbacks(execute=True):
        share = share_create(actor=world.manager, partner=partners.partner, person=partners.foreign_person,
                             note="Wartung")
        share_revoke(actor=world.manager, share=share)
    shared, revoked = Activity.objects.filter(person=partners.foreign_person).order_by("id")
    assert shared.kind == "partners.record_shared" and shared.created_by == world.manager
    assert "Montageservice Becker GmbH" in shared.subject and shared.notes == "Wartung"
    assert revoked.kind == "partners.share_revoked"
    assert [name for name, _payload in events] == ["partners.record_shared", "partners.share_revoked"]
    assert events[0][1]["record_type"] == "person" and events[0][1]["record_id"] == partners.foreign_person.pk


def test_a_shared_deal_is_recorded_on_the_deals_customer(world, partners):
    entry = Activity.objects.get(kind="partners.record_shared", related_id=str(partners.shared_deal.pk),
                                 related_type__model="deal")
    assert entry.organisation == partners.shared_organisation and "50 Schreibtische" in entry.subject


def test_handover_accept_flow(world, partners, django_capture_on_commit_callbacks, events):
    with django_capture_on_commit_callbacks(execute=True):
        handover = lead_handover(actor=world.owner, lead=partners.lead, partner=partners.partner)
        with pytest.raises(ValidationError, match="already with partner"):
            lead_handover(actor=world.owner, lead=partners.lead, partner=partners.partner)
        handover = handover_accept(by=partners.access, handover=handover)
    assert handover.status == HandoverStatus.ACCEPTED and handover.decided_at is not None
    kinds = list(Activity.objects.filter(organisation=partners.partner.organisation,
                                         kind__startswith="partners.lead").values_list("kind", flat=True))
    assert sorted(kinds) == ["partners.lead_accepted", "partners.lead_handed_over"]
    accepted = Activity.objects.get(kind="partners.lead_accepted")
    assert "Stefan Becker" in accepted.subject and accepted.data["partner_user_id"] == partners.access.pk
    assert [name for name, _ in events] == ["partners.lead_handed_over", "partners.lead_accepted"]
    with pytest.raises(ValidationError, match="no longer on offer"):
        handover_decline(by=partners.access, handover=handover, reason="doch nicht")
    with pytest.raises(ValidationError, match="still on offer"):
        handover_withdraw(actor=world.owner, handover=handover)


def test_handover_decline_frees_the_lead(world, partners, django_capture_on_commit_callbacks, events):
    handover = lead_handover(actor=world.owner, lead=partners.lead, partner=partners.partner)
    with pytest.raises(ValidationError, match="Say why"):
        handover_decline(by=partners.access, handover=handover, reason=" ")
    handover.refresh_from_db()
    assert handover.status == HandoverStatus.OFFERED
    with django_capture_on_commit_callbacks(execute=True):
        handover_decline(by=partners.access, handover=handover, reason="Kein Team frei")
    declined = Activity.objects.get(kind="partners.lead_declined")
    assert declined.notes == "Kein Team frei" and declined.organisation == partners.partner.organisation
    assert [name for name, _ in events] == ["partners.lead_declined"]
    assert not Share.objects.filter(lead=partners.lead).exists()
    again = lead_handover(actor=world.owner, lead=partners.lead, partner=partners.partner)  # offered anew
    assert again.status == HandoverStatus.OFFERED


def test_handover_rules(world, partners):
    with pytest.raises(PermissionDenied):
        lead_handover(actor=world.read_only, lead=partners.lead, partner=partners.partner)
    lonely = partner_mark(actor=world.owner, organisation=make_organisation(world.owner, name="Ohne Leute"))
    with pytest.raises(ValidationError, match="nobody who can sign in"):
        lead_handover(actor=world.owner, lead=partners.lead, partner=lonely)
    handover = lead_handover(actor=world.owner, lead=partners.lead, partner=partners.partner)
    stranger = PartnerUser(partner=lonely, person=partners.access.person)
    with pytest.raises(ValidationError, match="not offered to you"):
        handover_accept(by=stranger, handover=handover)
    withdrawn = handover_withdraw(actor=world.owner, handover=handover)
    assert withdrawn.status == HandoverStatus.WITHDRAWN
    assert Activity.objects.filter(kind="partners.lead_handover_withdrawn").exists()


def test_partner_activity_only_on_shared_customers(world, partners):
    with pytest.raises(ValidationError, match="not shared with you"):
        partner_activity_log(by=partners.access, activity_type="visit", subject="x",
                             organisation=partners.foreign_organisation)
    with pytest.raises(ValidationError, match="Choose what you did"):
        partner_activity_log(by=partners.access, activity_type="dance", subject="x", person=partners.shared_person)
    entry = partner_activity_log(by=partners.access, activity_type="call", subject="Termin abgestimmt",
                                 person=partners.shared_person)
    assert entry.channel == "phone" and entry.person == partners.shared_person
    # The person's primary organisation sees it too, as every contact with its people.
    assert entry.organisation == partners.shared_organisation


def test_serviced_by_partner_is_a_technical_binding_cause(world, partners):
    source = next(source for source in cause_sources() if source.key == KEY)
    assert source.cause == BindingCause.TECHNICAL
    assert set(serviced_organisations().values_list("organisation_id", flat=True)) == {
        partners.shared_organisation.pk}
    assert set(serviced_people().values_list("person_id", flat=True)) == {partners.shared_person.pk}
    # A reseller's shares do not bind technically; an inactive partner services nobody.
    partner_update(actor=world.owner, partner=partners.partner, changes={"role": "reseller"}, expected_version=None)
    assert not serviced_organisations().exists()
    partner_update(actor=world.owner, partner=partners.partner, changes={"role": "installation", "is_active": False},
                   expected_version=None)
    assert not serviced_people().exists()


def test_an_offer_is_mailed_to_the_partner_users_without_lead_data(world, partners):
    from kunde.mail.models import OutboundMessage

    handover = lead_handover(actor=world.owner, lead=partners.lead, partner=partners.partner)
    mail = OutboundMessage.objects.get(purpose="partners.offer")
    assert mail.to == ["stefan@becker-montage.example"]
    assert f"/partner/leads/{partners.lead.pk}/" in mail.text
    assert "Karin Vogt" not in mail.text and "vogt" not in mail.text.lower().replace("/partner/", "")
    handover_withdraw(actor=world.owner, handover=handover)
    lead_handover(actor=world.owner, lead=partners.lead, partner=partners.partner)  # offered again: a new mail
    assert OutboundMessage.objects.filter(purpose="partners.offer").count() == 2
