"""Leads: create, qualify, disqualify, matches, conversion; the public web form's spam protection."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kunde.activities.models import Activity
from kunde.contacts.models import Organisation, Person
from kunde.core.exceptions import PermissionDenied
from kunde.sales import webform
from kunde.sales.models import Deal, FormSubmission, Lead, LeadForm, LeadStatus, ScoringRule
from kunde.sales.selectors import lead_matches
from kunde.sales.services import lead_convert, lead_create, lead_disqualify, lead_qualify

pytestmark = pytest.mark.django_db


def make_lead(world, **kwargs):
    values = {"name": "Gerda Glas", "company": "Glashütte Nord", "email": "gerda@glashuette-nord.de",
              "phone": "040 7654321", "message": "50 Schreibtische", "source": "web_form", "campaign": "messe-2026"}
    values.update(kwargs)
    return lead_create(actor=world.owner, **values)


def test_create_scores_by_rules(world):
    ScoringRule.objects.create(field="source", condition="equals", value="web_form", points=10)
    ScoringRule.objects.create(field="company", condition="is_set", points=15)
    ScoringRule.objects.create(field="email_domain", condition="equals", value="gmail.com", points=-20)
    lead = make_lead(world)
    assert lead.score == 25 and lead.status == LeadStatus.NEW and lead.owner == world.owner


def test_lead_needs_a_way_to_reach(world):
    with pytest.raises(ValidationError):
        lead_create(actor=world.owner, name="X")
    with pytest.raises(ValidationError):
        lead_create(actor=world.owner, name="X", email="not-an-address")


def test_submission_key_gives_one_lead(world):
    first = lead_create(actor=world.owner, name="A", email="a@example.com", submission_key="k1")
    second = lead_create(actor=world.owner, name="A", email="a@example.com", submission_key="k1")
    assert first.pk == second.pk and Lead.objects.count() == 1


def test_qualify_disqualify(world):
    lead = make_lead(world)
    lead = lead_qualify(actor=world.owner, lead=lead)
    assert lead.status == LeadStatus.QUALIFIED
    with pytest.raises(ValidationError):
        lead_disqualify(actor=world.owner, lead=lead, reason=" ")
    lead = lead_disqualify(actor=world.owner, lead=lead, reason="Student project")
    assert lead.status == LeadStatus.DISQUALIFIED and lead.disqualify_reason == "Student project"
    with pytest.raises(PermissionDenied):
        lead_qualify(actor=world.other_team, lead=lead)


def test_convert_creates_person_organisation_deal(world, sales):
    lead = make_lead(world)
    person, organisation, deal = lead_convert(actor=world.owner, lead=lead, deal_title="Desks",
                                              amount=Decimal("12000"))
    assert person.first_name == "Gerda" and person.last_name == "Glas"
    assert person.emails.get().email == "gerda@glashuette-nord.de"
    assert person.phones.get().number == "+49407654321"
    assert organisation.name == "Glashütte Nord"
    assert person.employments.get().organisation == organisation
    assert deal.source == "web_form" and deal.campaign == "messe-2026" and deal.lead == lead
    assert deal.organisation == organisation and deal.person == person and deal.amount == Decimal("12000")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and lead.person == person and lead.converted_at
    assert Activity.objects.filter(kind="sales.lead_converted", person=person).exists()
    with pytest.raises(ValidationError):
        lead_convert(actor=world.owner, lead=lead)


def test_matches_and_reuse(world, sales):
    lead = make_lead(world, name="Jürgen Müller", email="J.Mueller@gunther-glas.de", phone="030 1234567",
                     company="gunther glas")
    matches = lead_matches(world.owner, lead)
    assert [(p.pk, why) for p, why in matches.people] == [(world.person.pk, ["email", "phone"])]
    assert [o.pk for o, _why in matches.organisations] == [world.organisation.pk]
    assert lead_matches(world.other_team, lead).people == []  # not visible: not offered
    people, orgs = Person.objects.count(), Organisation.objects.count()
    person, organisation, deal = lead_convert(actor=world.owner, lead=lead, person=world.person,
                                              organisation=world.organisation)
    assert (person, organisation) == (world.person, world.organisation)
    assert (Person.objects.count(), Organisation.objects.count()) == (people, orgs)
    assert deal.organisation == world.organisation


def test_convert_is_one_transaction(world, sales):
    lead = make_lead(world)
    with pytest.raises(ValidationError):
        lead_convert(actor=world.owner, lead=lead, currency="XXX", amount=Decimal(1))
    assert not Organisation.objects.filter(name="Glashütte Nord").exists()
    assert not Deal.objects.exists()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


# --- the web form ---------------------------------------------------------------------


@pytest.fixture
def form(world):
    return LeadForm.objects.create(key="kontakt", name="Kontakt", campaign="website", owner=world.owner)


def post(form, *, token=None, ip="203.0.113.5", origin=None, now=None, **fields):
    data = {"name": "Gerda Glas", "email": "gerda@example.com", "company": "Glas", "message": "Hallo",
            "token": token or webform.form_token(form, (time.time() - 10) * 1000)}
    data.update(fields)
    return webform.submit(form, data, ip=ip, origin=origin, own_host="kunde.example", now=now)


def test_form_accepts_a_human(form, world):
    result = post(form, origin="https://kunde.example")
    assert result.outcome == "accepted" and result.lead.source == "web_form"
    assert result.lead.campaign == "website" and result.lead.owner == world.owner and result.lead.team == world.team_a


def test_double_submission_gives_one_lead(form):
    token = webform.form_token(form, (time.time() - 10) * 1000)
    first, second = post(form, token=token), post(form, token=token)
    assert first.lead.pk == second.lead.pk and second.outcome == "duplicate"
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(("kwargs", "outcome"), [
    ({"website": "http://spam.example"}, "honeypot"),
    ({"token": "forged"}, "bad_token"),
    ({"origin": "https://evil.example"}, "bad_origin"),
])
def test_spam_is_rejected_and_logged(form, kwargs, outcome):
    result = post(form, **kwargs)
    assert result.outcome == outcome and result.lead is None
    assert not Lead.objects.exists()
    assert FormSubmission.objects.get().outcome == outcome


def test_too_fast_is_rejected(form):
    result = post(form, token=webform.form_token(form, time.time() * 1000))
    assert result.outcome == "too_fast" and not Lead.objects.exists()


def test_allowed_origin(form):
    form.allowed_origins = "https://www.topp-desk.de\n"
    form.save()
    assert post(form, origin="https://www.topp-desk.de").outcome == "accepted"


def test_rate_limit_per_client(form):
    for index in range(webform.RATE_LIMIT):
        assert post(form, email=f"p{index}@example.com").outcome == "accepted"
    assert post(form, email="late@example.com").outcome == "rate_limit"
    assert post(form, email="other@example.com", ip="198.51.100.7").outcome == "accepted"
    assert Lead.objects.count() == webform.RATE_LIMIT + 1


def test_invalid_input_is_reported(form):
    result = post(form, email="", phone="")
    assert result.outcome == "invalid" and "email" in result.errors


def test_old_submissions_are_purged(form):
    import datetime as dt

    from django.utils import timezone

    from kunde.sales.tasks import purge_form_submissions

    post(form)
    post(form, website="spam")
    FormSubmission.objects.filter(outcome="honeypot").update(at=timezone.now() - dt.timedelta(days=31))
    assert purge_form_submissions() == {"deleted": 1}
    assert Lead.objects.count() == 1 and FormSubmission.objects.count() == 1


def test_lead_form_service_checks_origins_and_is_admin_only(world):
    from django.core.exceptions import ValidationError

    from kunde.core.exceptions import PermissionDenied
    from kunde.sales.services import lead_form_save

    with pytest.raises(ValidationError) as error:
        lead_form_save(actor=world.admin, key="k", name="K", allowed_origins="https://ok.example\nftp://files.example")
    assert "ftp://files.example" in " ".join(error.value.message_dict["allowed_origins"])
    with pytest.raises(PermissionDenied):
        lead_form_save(actor=world.owner, key="k", name="K")
    assert not LeadForm.objects.exists()
    saved = lead_form_save(actor=world.admin, key="k", name="K", allowed_origins="https://[2001:db8::1]:8443")
    changed = lead_form_save(actor=world.admin, lead_form=saved, key="k", name="Kontakt",
                             allowed_origins="https://ok.example")
    assert (changed.pk, changed.name, changed.origins) == (saved.pk, "Kontakt", ["https://ok.example"])
