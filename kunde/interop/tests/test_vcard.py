"""vCards out (single, and the filtered people list) and in (Apple, Google, broken cards), within the user's scope."""

from __future__ import annotations

from pathlib import Path

import pytest
import vobject
from django.test import Client

from kunde.contacts.models import Organisation, Person
from kunde.core.models import AuditEntry
from kunde.core.testing.factories import make_person
from kunde.interop.services import vcards_import

pytestmark = pytest.mark.django_db

SAMPLE = (Path(__file__).parent / "data" / "apple_google_mixed.vcf").read_bytes()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_person_vcard_carries_what_an_address_book_shows(world, version):
    response = logged_in(world.owner).get(f"/people/{world.person.pk}/vcard/?version={version}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    card = vobject.readOne(response.content.decode())
    assert card.version.value == version
    assert (card.n.value.family, card.n.value.given, card.fn.value) == ("Müller", "Jürgen", "Jürgen Müller")
    assert card.org.value == ["Gunther Glas"] and card.title.value == "Einkauf"
    assert card.email.value == "j.mueller@gunther-glas.de"
    assert card.tel.value == ("tel:+49301234567" if version == "4.0" else "+49301234567")
    assert card.uid.value.startswith(f"kunde-person-{world.person.pk}@")


@pytest.mark.parametrize(("who", "status"), [("other_team", 404), ("read_only", 200), ("admin", 200)])
def test_person_vcard_follows_the_scope(world, who, status):
    assert logged_in(getattr(world, who)).get(f"/people/{world.person.pk}/vcard/").status_code == status


def test_anonymous_gets_the_login_page(world, client):
    assert client.get(f"/people/{world.person.pk}/vcard/").status_code == 302


def test_people_list_exports_every_matching_visible_person_as_vcards(world):
    make_person(world.owner, first_name="Anna", last_name="Schmidt", emails=[{"email": "anna@example.de"}])
    make_person(world.other_team, first_name="Nicht", last_name="Sichtbar")
    response = logged_in(world.owner).get("/people/?q=&format=vcf")
    assert response.status_code == 200
    cards = list(vobject.readComponents(b"".join(response.streaming_content).decode()))
    assert sorted(card.fn.value for card in cards) == ["Anna Schmidt", "Jürgen Müller"]
    audit = AuditEntry.objects.filter(action="export").get()
    assert audit.changes["_extra"]["format"] == "vcf" and audit.changes["_extra"]["rows"] == 2


def test_import_creates_people_reports_broken_cards_and_is_idempotent(world):
    results = vcards_import(actor=world.owner, data=SAMPLE)
    assert [(r.number, r.outcome) for r in results] == [
        (1, "created"), (2, "created"), (3, "failed"), (4, "failed"), (5, "created")]
    juergen = Person.objects.get(pk=results[0].person_id)
    assert juergen.full_name == "Jürgen Müller" and juergen.birthday.isoformat() == "1975-04-23"
    assert sorted(e.email for e in juergen.emails.all()) == ["jm@privat.example", "juergen.mueller@glas-manufaktur.de"]
    assert sorted((p.number, p.kind) for p in juergen.phones.all()) == [("+491712345678", "mobile"),
                                                                        ("+49301234567", "work")]
    assert sorted((a.city, a.country, a.kind) for a in juergen.addresses.all()) == [
        ("Berlin", "DE", "work"), ("Potsdam", "DE", "home")]
    assert [(e.organisation.name, e.role) for e in juergen.employments.all()] == [
        ("Gläserne Manufaktur GmbH", "Einkaufsleiter")]
    assert "photo" in results[0].problems[0]
    ana = Person.objects.get(pk=results[1].person_id)
    assert ana.last_name == "Łukasiewicz-Øster" and "Köln" in ana.notes
    assert "never closed" in results[2].detail
    assert "emails" in results[3].detail and not Person.objects.filter(last_name="Schmidt").exists()
    assert "unknown country 'Atlantis'" in results[4].problems[0]

    again = vcards_import(actor=world.owner, data=SAMPLE)
    assert [r.outcome for r in again] == ["existing", "existing", "failed", "failed", "existing"]
    assert Person.objects.filter(last_name="Müller").count() == 2  # the world's Jürgen and the imported one
    assert Organisation.objects.filter(name="Gläserne Manufaktur GmbH").count() == 1


def test_exported_card_reimports_as_the_same_person(world):
    exported = logged_in(world.owner).get(f"/people/{world.person.pk}/vcard/").content
    assert [(r.outcome, r.person_id) for r in vcards_import(actor=world.owner, data=exported)] == [
        ("existing", world.person.pk)]


def test_import_page_shows_the_result_and_read_only_may_not_import(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = logged_in(world.owner).post("/people/import-vcard/", {
        "file": SimpleUploadedFile("contacts.vcf", SAMPLE, content_type="text/vcard")})
    assert response.status_code == 200
    assert "3 created, 0 already in Kunde, 2 not imported" in " ".join(response.content.decode().split())
    response = logged_in(world.read_only).post("/people/import-vcard/", {
        "file": SimpleUploadedFile("contacts.vcf", SAMPLE, content_type="text/vcard")})
    assert response.status_code == 403
