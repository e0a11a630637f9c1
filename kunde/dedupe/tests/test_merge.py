"""Merging two people or organisations, and undoing it: every related row moves and comes back."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from kunde.activities.models import Activity
from kunde.audience.models import ConsentRecord, SegmentMember
from kunde.commerce.models import Order
from kunde.contacts.models import EmailAddress, Employment, Organisation, Person, PhoneNumber
from kunde.contacts.services import person_update
from kunde.core.audit import snapshot
from kunde.core.exceptions import ConflictError, PermissionDenied
from kunde.core.models import AuditEntry
from kunde.core.testing.factories import make_organisation, make_person
from kunde.dedupe.detection import duplicates_scan
from kunde.dedupe.models import DuplicateCandidate, Kind, MergeRecord
from kunde.dedupe.services import UndoRefused, _relations, merge_undo, record_merge
from kunde.imports.models import ExternalReference
from kunde.sales.models import Deal
from kunde.service.models import Ticket

pytestmark = pytest.mark.django_db

_VOLATILE = {"version", "updated_at"}


def related_state(*records: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row pointing at any of `records`, with all its values (but versions and change times)."""
    ids = [record.pk for record in records]
    state: dict[str, list[tuple[Any, ...]]] = {}
    for fk in _relations(type(records[0])):
        model: Any = fk.model
        rows = model._base_manager.filter(**{f"{fk.attname}__in": ids}).order_by("pk")
        state[f"{model._meta.label_lower}.{fk.attname}"] = [
            tuple(sorted((k, v) for k, v in snapshot(row).items() if k not in _VOLATILE)) for row in rows]
    state["external"] = sorted(ExternalReference.objects.filter(object_id__in=ids).values_list("pk", "object_id"))
    return state


def record_state(record: Any) -> dict[str, Any]:
    current = type(record).all_objects.get(pk=record.pk)
    return {k: v for k, v in snapshot(current).items() if k not in _VOLATILE}


def test_merge_moves_every_related_row_and_handles_collisions(world, twins):
    survivor, loser = twins.survivor, twins.loser
    history = set(Activity.objects.filter(person__in=[survivor, loser]).values_list("pk", flat=True))
    loser_history = Activity.objects.filter(person=loser).count()
    outcome = record_merge(actor=world.manager, survivor=survivor, loser=loser, survivor_version=survivor.version,
                           loser_version=loser.version, choices={"title": "loser", "notes": "both"})
    survivor.refresh_from_db()
    loser = Person.all_objects.get(pk=loser.pk)
    assert loser.deleted_at is not None
    assert (survivor.first_name, survivor.last_name, survivor.title, survivor.notes) == (
        "Hans", "Müller", "Dr.", "Mag Ringe.")
    assert str(survivor.birthday) == "1970-03-01"  # the survivor had none: the loser's is the default
    # History, deals, orders, tickets, consents, employment, external id: all on the survivor now.
    assert set(Activity.objects.filter(person=survivor).values_list("pk", flat=True)) == history
    assert {"Angebot geschickt", "Anruf wegen Ringen"} <= set(
        Activity.objects.filter(person=survivor).values_list("subject", flat=True))
    assert Deal.all_objects.filter(person=survivor).count() == 1
    assert Order.all_objects.filter(person=survivor).count() == 1
    assert Ticket.all_objects.filter(person=survivor).count() == 1
    assert ConsentRecord.objects.filter(person=survivor).count() == 1
    assert Employment.objects.filter(person=survivor, organisation=world.organisation).count() == 1
    assert ExternalReference.objects.get(value="K-77").object_id == survivor.pk
    for fk in _relations(Person):
        assert not fk.model._base_manager.filter(**{fk.attname: loser.pk}).exists(), fk
    # Collisions: the same tag, the same segment, the same e-mail address once each; one primary.
    assert sorted(t.name for t in survivor.tags.all()) == ["Newsletter", "Schmuck", "VIP"]
    assert SegmentMember.objects.filter(segment=twins.segment, person=survivor).count() == 1
    assert sorted((e.email, e.is_primary) for e in EmailAddress.objects.filter(person=survivor)) == [
        ("hans@mueller.example", True), ("johannes@firma.example", False)]
    assert list(PhoneNumber.objects.filter(person=survivor).values_list("number", flat=True)) == ["+49301234567"]
    assert outcome.removed == {"audience.segmentmember": 1, "contacts.emailaddress": 1, "contacts.person_tags": 1}
    assert outcome.kept == {}
    assert outcome.moved["activities.activity"] == loser_history
    # The audit trail records the merge on the survivor and the deletion of the loser.
    entry = AuditEntry.objects.filter(object_type="contacts.person", object_id=str(survivor.pk),
                                      changes___extra__merge=outcome.merge.pk).get()
    assert entry.changes["_extra"]["merged_from"] == loser.pk
    assert AuditEntry.objects.filter(object_type="contacts.person", object_id=str(loser.pk),
                                     action=AuditEntry.Action.DELETE).exists()


def test_undo_restores_exactly(world, twins):
    survivor, loser = twins.survivor, twins.loser
    duplicates_scan(Kind.PERSON)
    before_rows = related_state(survivor, loser)
    before_records = (record_state(survivor), record_state(loser))
    before_tags = (sorted(t.name for t in survivor.tags.all()), sorted(t.name for t in loser.tags.all()))
    outcome = record_merge(actor=world.manager, survivor=survivor, loser=loser, survivor_version=survivor.version,
                           loser_version=loser.version, choices={"first_name": "loser", "notes": "both"})
    candidate = DuplicateCandidate.objects.get(person_a=survivor, person_b=loser)
    assert candidate.status == "merged" and outcome.merge.candidate == candidate
    assert related_state(survivor, loser) != before_rows
    merge_undo(actor=world.manager, merge=outcome.merge)
    assert related_state(survivor, loser) == before_rows
    assert (record_state(survivor), record_state(loser)) == before_records
    survivor = Person.objects.get(pk=survivor.pk)
    loser = Person.objects.get(pk=loser.pk)
    assert (sorted(t.name for t in survivor.tags.all()), sorted(t.name for t in loser.tags.all())) == before_tags
    assert MergeRecord.objects.get().status == "undone"
    assert DuplicateCandidate.objects.get(pk=candidate.pk).status == "open"
    with pytest.raises(UndoRefused, match="already been undone"):
        merge_undo(actor=world.manager, merge=outcome.merge)


def test_undo_is_refused_when_the_survivor_changed_since(world, twins):
    survivor, loser = twins.survivor, twins.loser
    outcome = record_merge(actor=world.manager, survivor=survivor, loser=loser, survivor_version=survivor.version,
                           loser_version=loser.version)
    survivor.refresh_from_db()
    person_update(actor=world.owner, person=survivor, expected_version=survivor.version, changes={"title": "Prof."})
    state = related_state(survivor, loser)
    with pytest.raises(UndoRefused, match="changed after the merge"):
        merge_undo(actor=world.manager, merge=outcome.merge)
    assert related_state(survivor, loser) == state
    assert Person.all_objects.get(pk=loser.pk).deleted_at is not None


def test_undo_is_refused_when_a_moved_row_is_gone(world, twins):
    outcome = record_merge(actor=world.manager, survivor=twins.survivor, loser=twins.loser, survivor_version=None,
                           loser_version=None)
    PhoneNumber.objects.filter(person=twins.survivor).delete()
    with pytest.raises(UndoRefused, match="1 of the moved entries"):
        merge_undo(actor=world.manager, merge=outcome.merge)


def test_merge_with_itself_stale_versions_and_bad_choices_change_nothing(world, twins):
    survivor, loser = twins.survivor, twins.loser
    state = related_state(survivor, loser)
    with pytest.raises(ValidationError) as caught:
        record_merge(actor=world.manager, survivor=survivor, loser=survivor, survivor_version=None, loser_version=None)
    assert caught.value.message_dict == {"loser": ["A record cannot be merged with itself."]}
    with pytest.raises(ConflictError):
        record_merge(actor=world.manager, survivor=survivor, loser=loser, survivor_version=survivor.version,
                     loser_version=loser.version - 1)
    with pytest.raises(ValidationError) as caught:
        record_merge(actor=world.manager, survivor=survivor, loser=loser, survivor_version=None, loser_version=None,
                     choices={"shoe_size": "loser", "title": "both", "notes": "neither"})
    assert caught.value.message_dict == {
        "fields.shoe_size": ["This field cannot be chosen in a merge."],
        "fields.title": ["Choose one of: survivor, loser."],
        "fields.notes": ["Choose one of: survivor, loser, both."],
    }
    assert related_state(survivor, loser) == state
    assert not MergeRecord.objects.exists()
    assert Person.objects.filter(pk=loser.pk).exists()


@pytest.mark.parametrize(("who", "allowed"), [
    ("read_only", False), ("teammate", False), ("other_team", False), ("owner", False), ("manager", True),
    ("admin", True),
])
def test_merging_needs_change_rights_on_both_and_delete_on_the_loser(world, twins, who, allowed):
    """Members may not delete, so they may not merge; managers of the team and admins may."""
    survivor, loser = twins.survivor, twins.loser
    if allowed:
        record_merge(actor=getattr(world, who), survivor=survivor, loser=loser, survivor_version=None,
                     loser_version=None)
        assert Person.all_objects.get(pk=loser.pk).deleted_at is not None
    else:
        with pytest.raises(PermissionDenied):
            record_merge(actor=getattr(world, who), survivor=survivor, loser=loser, survivor_version=None,
                         loser_version=None)
        assert Person.objects.filter(pk=loser.pk).exists()


def test_organisation_merge_moves_people_and_subsidiaries_and_undoes(world):
    survivor = make_organisation(world.owner, name="Glaswerk Nord GmbH", website="https://glaswerk.example")
    loser = make_organisation(world.owner, name="Glaswerk Nord GmbH & Co. KG", industry="Glas", parent=survivor)
    child = make_organisation(world.owner, name="Glaswerk Süd", parent=loser)
    employee = make_person(world.owner, last_name="Kranz", organisation=loser, role="Chef")
    both = make_person(world.owner, last_name="Doppel", organisation=loser)
    from kunde.contacts.services import employment_create

    employment_create(actor=world.owner, person=both, organisation=survivor)
    before = related_state(survivor, loser)
    outcome = record_merge(actor=world.admin, survivor=survivor, loser=loser, survivor_version=survivor.version,
                           loser_version=loser.version, choices={"industry": "loser"})
    survivor.refresh_from_db()
    assert survivor.industry == "Glas" and survivor.parent_id is None
    assert Organisation.objects.get(pk=child.pk).parent_id == survivor.pk
    assert Employment.objects.get(person=employee).organisation_id == survivor.pk
    assert Employment.objects.filter(person=both).count() == 1  # the same job twice became one
    assert outcome.removed == {"contacts.employment": 1}
    merge_undo(actor=world.admin, merge=outcome.merge)
    assert related_state(survivor, loser) == before
    assert Organisation.objects.get(pk=child.pk).parent_id == loser.pk
