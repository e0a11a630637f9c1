"""The review queue as a user of the web UI meets it: the 360° panel, the side-by-side merge, undo."""

from __future__ import annotations

import pytest

from kunde.contacts.models import Person
from kunde.dedupe.detection import duplicates_scan
from kunde.dedupe.models import DuplicateCandidate, Kind, MergeRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(twins) -> DuplicateCandidate:
    duplicates_scan(Kind.PERSON)
    return DuplicateCandidate.objects.get(person_a=twins.survivor, person_b=twins.loser)


def test_the_person_page_shows_the_possible_duplicate(client, world, twins, candidate):
    client.force_login(world.owner)
    html = client.get(f"/people/{twins.survivor.pk}/").content.decode()
    assert "Possible duplicate" in html
    assert f"/duplicates/{candidate.pk}/" in html
    assert f"/people/{twins.loser.pk}/" in html


def test_the_person_page_has_no_panel_without_candidates(client, world):
    client.force_login(world.owner)
    assert "Possible duplicate" not in client.get(f"/people/{world.person.pk}/").content.decode()


def test_the_comparison_prefills_the_non_empty_values(client, world, twins, candidate):
    client.force_login(world.manager)
    html = client.get(f"/duplicates/{candidate.pk}/").content.decode()
    # The survivor has no title and no birthday: the loser's are chosen.
    assert 'name="choice:title" value="loser" checked' in html
    assert 'name="choice:first_name" value="survivor" checked' in html
    assert 'name="choice:notes" value="both"' in html
    swapped = client.get(f"/duplicates/{candidate.pk}/?survivor={twins.loser.pk}").content.decode()
    assert f'name="survivor" value="{twins.loser.pk}"' in swapped


def test_merging_in_the_form_and_undoing_it(client, world, twins, candidate):
    client.force_login(world.manager)
    response = client.post(f"/duplicates/{candidate.pk}/", {
        "survivor": twins.loser.pk, "survivor_version": twins.loser.version,
        "loser_version": twins.survivor.version, "choice:first_name": "loser", "choice:notes": "both"})
    merge = MergeRecord.objects.get()
    assert response.status_code == 302 and merge.survivor_id == twins.loser.pk
    kept = Person.objects.get(pk=twins.loser.pk)
    assert (kept.first_name, kept.notes) == ("Hans", "Mag Ringe.")
    detail = client.get(f"/duplicates/merges/{merge.pk}/").content.decode()
    assert "Undo merge" in detail
    assert "activities.activity" in detail
    client.post(f"/duplicates/merges/{merge.pk}/undo/")
    assert Person.objects.filter(pk=twins.survivor.pk).exists()
    assert Person.objects.get(pk=twins.loser.pk).first_name == "Johannes"


def test_a_stale_form_is_refused_with_a_message(client, world, twins, candidate):
    client.force_login(world.manager)
    response = client.post(f"/duplicates/{candidate.pk}/", {
        "survivor": twins.survivor.pk, "survivor_version": twins.survivor.version - 1 or 99,
        "loser_version": twins.loser.version})
    assert response.status_code == 400
    assert "changed meanwhile" in response.content.decode()
    assert not MergeRecord.objects.exists()


def test_the_queue_filters_by_kind_and_lists_merges(client, world, candidate):
    client.force_login(world.owner)
    assert f"/duplicates/{candidate.pk}/" in client.get("/duplicates/?kind=person").content.decode()
    assert f"/duplicates/{candidate.pk}/" not in client.get("/duplicates/?kind=organisation").content.decode()
    assert client.get("/duplicates/?kind=robot").status_code == 302
    assert client.get("/duplicates/merges/").status_code == 200
    assert "Duplicates" in client.get("/duplicates/").content.decode()  # the navigation entry
