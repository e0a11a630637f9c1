"""People and organisations are written only through their services."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kunde.contacts.models import EmailAddress, Organisation, Person, PhoneNumber
from kunde.contacts.services import (
    organisation_create,
    organisation_delete,
    organisation_restore,
    organisation_update,
    person_create,
    person_update,
)
from kunde.core.exceptions import ConflictError, PermissionDenied
from kunde.core.models import AuditEntry, CustomFieldDefinition

pytestmark = pytest.mark.django_db


def test_person_create_normalises_contact_points(world):
    """E-mail domains are lower-cased and phone numbers stored in E.164."""
    person = person_create(
        actor=world.owner, last_name="Schmidt", first_name="Anna",
        emails=[{"email": "Anna.Schmidt@Example.DE", "kind": "home"}],
        phones=[{"number": "+49 (0)89 / 123 456 78", "kind": "mobile"}, {"number": "0171 2345678"}],
    )
    assert [e.email for e in person.emails.all()] == ["Anna.Schmidt@example.de"]
    assert sorted(p.number for p in person.phones.all()) == ["+491712345678", "+498912345678"]
    assert person.phones.filter(is_primary=True).count() == 1
    assert person.owner == world.owner and person.team == world.team_a


def test_invalid_input_saves_nothing(world):
    """A bad e-mail and a bad phone are both reported with field paths; nothing is stored."""
    people_before, emails_before = Person.objects.count(), EmailAddress.objects.count()
    with pytest.raises(ValidationError) as raised:
        person_create(
            actor=world.owner, last_name="Kaputt",
            emails=[{"email": "ok@example.org"}, {"email": "not-an-email"}],
            phones=[{"number": "12"}],
        )
    assert set(raised.value.message_dict) == {"emails.1.email", "phones.0.number"}
    assert Person.objects.count() == people_before
    assert EmailAddress.objects.count() == emails_before
    assert PhoneNumber.objects.filter(person__last_name="Kaputt").count() == 0


def test_vat_id_is_validated_and_compacted(world):
    organisation = organisation_create(actor=world.owner, name="Topp Desk", vat_id="DE 136 695 976")
    assert organisation.vat_id == "DE136695976"
    with pytest.raises(ValidationError) as raised:
        organisation_create(actor=world.owner, name="Falsch AG", vat_id="DE123456789")
    assert "vat_id" in raised.value.message_dict
    assert not Organisation.objects.filter(name="Falsch AG").exists()


def test_stale_update_conflicts_and_keeps_the_newer_values(world):
    person = world.person
    person_update(actor=world.owner, person=person, expected_version=1, changes={"title": "Dr."})
    with pytest.raises(ConflictError) as raised:
        person_update(actor=world.owner, person=person, expected_version=1, changes={"title": "Prof."})
    assert raised.value.current.title == "Dr."
    person.refresh_from_db()
    assert (person.title, person.version) == ("Dr.", 2)


def test_update_is_audited_with_before_and_after(world):
    person_update(actor=world.owner, person=world.person, expected_version=1,
                  changes={"last_name": "Mueller"}, tags=["VIP"])
    entries = AuditEntry.objects.filter(object_type="contacts.person", object_id=str(world.person.pk),
                                        action="update")
    changes = {k: v for e in entries for k, v in e.changes.items()}
    assert changes["last_name"] == ["Müller", "Mueller"]
    assert changes["tags"] == [[], ["VIP"]]
    assert all(e.actor == world.owner and e.request_id for e in entries)


def test_other_team_member_cannot_change_the_record(world):
    with pytest.raises(PermissionDenied):
        person_update(actor=world.other_team, person=world.person, expected_version=1, changes={"title": "X"})
    with pytest.raises(PermissionDenied):
        person_update(actor=world.read_only, person=world.person, expected_version=1, changes={"title": "X"})
    world.person.refresh_from_db()
    assert world.person.title == ""


def test_soft_delete_and_restore_keep_the_record(world):
    organisation_delete(actor=world.admin, organisation=world.organisation)
    assert not Organisation.objects.filter(pk=world.organisation.pk).exists()
    assert Organisation.all_objects.filter(pk=world.organisation.pk).exists()
    organisation_restore(actor=world.admin, organisation=world.organisation)
    assert Organisation.objects.filter(pk=world.organisation.pk).exists()
    actions = list(AuditEntry.objects.filter(object_id=str(world.organisation.pk),
                                             object_type="contacts.organisation").values_list("action", flat=True))
    assert "delete" in actions and "restore" in actions


def test_member_cannot_delete(world):
    with pytest.raises(PermissionDenied):
        organisation_delete(actor=world.owner, organisation=world.organisation)


def test_custom_fields_are_validated_in_one_place(world):
    CustomFieldDefinition.objects.create(object_type="contacts.organisation", key="employees",
                                         label="Employees", field_type="number")
    CustomFieldDefinition.objects.create(object_type="contacts.organisation", key="segment",
                                         label="Segment", field_type="choice", choices=["A", "B"])
    organisation = organisation_update(actor=world.owner, organisation=world.organisation, expected_version=1,
                                       custom_fields={"employees": "120", "segment": "A"})
    assert organisation.custom_fields == {"employees": 120, "segment": "A"}
    with pytest.raises(ValidationError) as raised:
        organisation_update(actor=world.owner, organisation=organisation, expected_version=2,
                            custom_fields={"employees": "viele", "segment": "C", "nope": 1})
    assert set(raised.value.message_dict) == {"custom_fields.employees", "custom_fields.segment", "custom_fields.nope"}
    organisation.refresh_from_db()
    assert organisation.custom_fields == {"employees": 120, "segment": "A"}


def test_parent_cycle_is_refused(world):
    child = organisation_create(actor=world.owner, name="Tochter", parent=world.organisation)
    with pytest.raises(ValidationError):
        organisation_update(actor=world.owner, organisation=world.organisation, expected_version=1,
                            changes={"parent": child})
