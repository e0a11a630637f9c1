"""Partner fixtures: an installation partner with one portal user, a shared and a foreign customer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client

from kunde.contacts.models import Organisation, Person
from kunde.core.links import make_token
from kunde.core.testing.factories import make_organisation, make_person
from kunde.partners.models import PartnerProfile, PartnerRole, PartnerUser
from kunde.partners.services import partner_mark, partner_user_grant, share_create
from kunde.sales.defaults import ensure_sales_defaults
from kunde.sales.models import Deal, Lead
from kunde.sales.services import deal_create, lead_create


@dataclass
class Partners:
    partner: PartnerProfile
    access: PartnerUser
    shared_organisation: Organisation
    shared_person: Person
    foreign_organisation: Organisation
    foreign_person: Person
    shared_deal: Deal
    foreign_deal: Deal
    lead: Lead


@pytest.fixture
def partners(world) -> Partners:
    ensure_sales_defaults()
    organisation = make_organisation(world.owner, name="Montageservice Becker GmbH")
    employee = make_person(world.owner, first_name="Stefan", last_name="Becker", organisation=organisation,
                           emails=[{"email": "stefan@becker-montage.example"}])
    partner = partner_mark(actor=world.owner, organisation=organisation, role=PartnerRole.INSTALLATION)
    access = partner_user_grant(actor=world.owner, partner=partner, person=employee)
    foreign_organisation = make_organisation(world.owner, name="Geheim AG")
    foreign_person = make_person(world.owner, first_name="Greta", last_name="Geheim")
    shared_deal = deal_create(actor=world.owner, title="50 Schreibtische", organisation=world.organisation,
                              amount=Decimal("25000"))
    foreign_deal = deal_create(actor=world.owner, title="Geheimer Auftrag", organisation=foreign_organisation,
                               amount=Decimal("99000"))
    share_create(actor=world.owner, partner=partner, organisation=world.organisation, note="Montage im Mai")
    share_create(actor=world.owner, partner=partner, person=world.person)
    share_create(actor=world.owner, partner=partner, deal=shared_deal)
    lead = lead_create(actor=world.owner, name="Karin Vogt", company="Vogt Architekten",
                       email="k.vogt@vogt.example", message="20 Tische mit Montage")
    return Partners(partner=partner, access=access, shared_organisation=world.organisation,
                    shared_person=world.person, foreign_organisation=foreign_organisation,
                    foreign_person=foreign_person, shared_deal=shared_deal, foreign_deal=foreign_deal, lead=lead)


def portal_client(access: PartnerUser) -> Client:
    """A browser signed in to the partner portal as `access` (through a real magic link)."""
    client = Client()
    response = client.post(f"/partner/login/{make_token('partners.portal', access.pk)}/")
    assert response.status_code == 302 and response["Location"] == "/partner/"
    return client


@pytest.fixture
def portal(partners) -> Client:
    return portal_client(partners.access)
