"""The data quality dashboard: each figure counts the visible records of its check and links to exactly them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kunde.activities.services import contact_log
from kunde.contacts.models import EmailAddress, PhoneNumber
from kunde.core.testing.factories import make_organisation, make_person
from kunde.dedupe.detection import duplicates_scan
from kunde.dedupe.models import Kind
from kunde.dedupe.quality import quality_report

pytestmark = pytest.mark.django_db


def figures(report, kind):
    return {figure.check.key: figure.count for figures in report[kind]["groups"].values() for figure in figures}


@pytest.fixture
def records(world):
    """Besides world.person (full data, recent contact): three people and one organisation with gaps."""
    contact_log(actor=world.owner, channel="phone", subject="Anruf", person=world.person)
    bare = make_person(world.owner, first_name="", last_name="Ohnealles")
    broken = make_person(world.owner, first_name="Kaputt", last_name="Daten", emails=[{"email": "ok@example.de"}],
                         phones=[{"number": "030 1234567"}])
    # Legacy rows written past the services: what an old import may have left behind.
    EmailAddress.objects.filter(person=broken).update(email="kein-at-zeichen")
    PhoneNumber.objects.filter(person=broken).update(number="0301234567")
    ownerless = make_person(None, first_name="Ida", last_name="Niemand", emails=[{"email": "ida@example.de"}])
    old = timezone.now() - dt.timedelta(days=800)
    contact_log(actor=None, channel="phone", subject="Lange her", person=ownerless, occurred_at=old)
    return {"bare": bare, "broken": broken, "ownerless": ownerless}


def test_the_admin_sees_every_figure(world, records):
    people = figures(quality_report(world.admin), Kind.PERSON)
    assert quality_report(world.admin)[Kind.PERSON]["total"] == 4
    assert people["person_first_name"] == 1
    assert people["person_no_email"] == 1  # bare
    assert people["person_invalid_email"] == 1  # broken
    assert people["person_invalid_phone"] == 1  # broken: not E.164
    assert people["person_unreachable"] == 1  # bare
    assert people["person_no_owner"] == 1  # ownerless
    assert people["person_no_contact"] == 3  # all but world.person; ownerless only long ago
    assert figures(quality_report(world.admin, months=36), Kind.PERSON)["person_no_contact"] == 2
    organisations = figures(quality_report(world.admin), Kind.ORGANISATION)
    assert organisations["organisation_industry"] == 1


def test_figures_only_count_visible_records(world, records):
    """The other team's member sees none of team A's people; the ownerless one is nobody's."""
    assert quality_report(world.other_team)[Kind.PERSON]["total"] == 0
    assert quality_report(world.owner)[Kind.PERSON]["total"] == 3
    assert figures(quality_report(world.owner), Kind.PERSON)["person_no_owner"] == 0


def test_duplicates_are_counted_and_each_number_links_to_its_records(client, world, records):
    twin = make_person(world.owner, first_name="Jürgen", last_name="Mueller",
                       emails=[{"email": "j.mueller@gunther-glas.de"}])
    make_organisation(world.owner, name="Gunther Glas GmbH & Co. KG")
    duplicates_scan(Kind.PERSON)
    duplicates_scan(Kind.ORGANISATION)
    assert figures(quality_report(world.owner), Kind.PERSON)["person_duplicates"] == 2
    assert figures(quality_report(world.owner), Kind.ORGANISATION)["organisation_duplicates"] == 2
    client.force_login(world.owner)
    page = client.get("/data-quality/")
    assert page.status_code == 200
    assert "/data-quality/person_duplicates/?months=12" in page.content.decode()
    listed = client.get("/data-quality/person_duplicates/").content.decode()
    assert f"/people/{twin.pk}/" in listed and f"/people/{world.person.pk}/" in listed
    assert f"/people/{records['bare'].pk}/" not in listed
    bare = client.get("/data-quality/person_no_email/").content.decode()
    assert f"/people/{records['bare'].pk}/" in bare
    assert client.get("/data-quality/no_such_check/").status_code == 404
    assert client.get("/data-quality/?months=0").status_code == 302


def test_the_dashboard_needs_a_login(client, world):
    assert client.get("/data-quality/").status_code == 302
