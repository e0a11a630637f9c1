"""Demo partners: the Topp Desk story's installation partner, with a portal user, shares and handovers.

Idempotent and deterministic: run it again and nothing new appears; the records it picks
are the first B2B organisations by id, and the leads are found again by submission key.
"""

from __future__ import annotations

from typing import Any

from kunde.accounts.models import User
from kunde.contacts.models import Employment, Organisation
from kunde.contacts.services import organisation_create, person_create
from kunde.partners import services
from kunde.partners.models import LeadHandover, PartnerProfile, PartnerRole, PartnerUser, Share
from kunde.sales.models import Lead
from kunde.sales.services import lead_create

PARTNER_NAME = "Montageservice Becker GmbH"
PARTNER_EMAIL = "stefan.becker@montageservice-becker.example"
SHARED_ORGANISATIONS = 3
DEMO_LEADS = (
    ("demo.partners.lead.accepted", "Karin Vogt", "Vogt Architekten", "k.vogt@vogt-architekten.example",
     "20 Schreibtische mit Montage vor Ort in Kassel."),
    ("demo.partners.lead.declined", "Olaf Brandt", "Brandt Logistik", "o.brandt@brandt-logistik.example",
     "Aufbau von 8 Regalen in Rostock."),
)


def _partner_organisation(actor: User | None) -> Organisation:
    existing = Organisation.objects.filter(name=PARTNER_NAME).order_by("pk").first()
    if existing is not None:
        return existing
    return organisation_create(
        actor=actor, name=PARTNER_NAME, industry="Montage", website="https://montageservice-becker.example",
        emails=[{"email": "info@montageservice-becker.example"}], phones=[{"number": "0561 7654321"}],
        addresses=[{"street": "Werkstraße 12", "postal_code": "34117", "city": "Kassel", "country": "DE"}])


def _partner_user(actor: User | None, partner: PartnerProfile) -> PartnerUser:
    existing = partner.users.filter(revoked_at__isnull=True).order_by("pk").first()
    if existing is not None:
        return existing
    employee = (Employment.objects.current().filter(organisation=partner.organisation)
                .select_related("person").order_by("pk").first())
    person = employee.person if employee is not None else person_create(
        actor=actor, first_name="Stefan", last_name="Becker", salutation="mr", organisation=partner.organisation,
        role="Montageleitung", emails=[{"email": PARTNER_EMAIL}])
    return services.partner_user_grant(actor=actor, partner=partner, person=person)


def _demo_lead(actor: User | None, key: str, name: str, company: str, email: str, message: str) -> Lead:
    return lead_create(actor=actor, name=name, company=company, email=email, message=message,
                       source="referral", submission_key=key)


def load_demo_partners(*, actor: User | None) -> PartnerProfile:
    """Create (once) the installation partner of the Topp Desk story and its shared records."""
    organisation = _partner_organisation(actor)
    partner = PartnerProfile.objects.filter(organisation=organisation).first() or services.partner_mark(
        actor=actor, organisation=organisation, role=PartnerRole.INSTALLATION,
        role_note="Montage und Aufbau von Büromöbeln")
    access = _partner_user(actor, partner)
    customers = (Organisation.objects.exclude(pk=organisation.pk).exclude(partner_profile__isnull=False)
                 .order_by("pk")[:SHARED_ORGANISATIONS])
    for customer in customers:
        if not Share.objects.filter(partner=partner, organisation=customer).exists():
            services.share_create(actor=actor, partner=partner, organisation=customer,
                                  note="Montage der gelieferten Möbel")
    answers: dict[str, Any] = {
        DEMO_LEADS[0][0]: lambda handover: services.handover_accept(by=access, handover=handover),
        DEMO_LEADS[1][0]: lambda handover: services.handover_decline(
            by=access, handover=handover, reason="Kein Montageteam in Norddeutschland frei"),
    }
    for key, name, company, email, message in DEMO_LEADS:
        lead = _demo_lead(actor, key, name, company, email, message)
        if LeadHandover.objects.filter(lead=lead, partner=partner).exists():
            continue
        handover = services.lead_handover(actor=actor, lead=lead, partner=partner,
                                          note="Bitte Montage vor Ort übernehmen")
        answers[key](handover)
    return partner
