"""Finding duplicates: normalisation, scores with reasons, the nightly scan and the creation check."""

from __future__ import annotations

import datetime as dt

import pytest

from kunde.contacts.services import person_update
from kunde.core.testing.factories import make_organisation, make_person
from kunde.dedupe import normalize
from kunde.dedupe.detection import duplicates_check, duplicates_scan
from kunde.dedupe.matching import MIN_SCORE, person_profiles, score_people
from kunde.dedupe.models import DuplicateCandidate, Kind, MatchKey
from kunde.dedupe.services import candidate_dismiss

pytestmark = pytest.mark.django_db


def pair_of(kind: str, first, second) -> DuplicateCandidate | None:
    low, high = sorted((first.pk, second.pk))
    if kind == Kind.PERSON:
        return DuplicateCandidate.objects.filter(person_a_id=low, person_b_id=high).first()
    return DuplicateCandidate.objects.filter(organisation_a_id=low, organisation_b_id=high).first()


def codes(candidate: DuplicateCandidate) -> set[str]:
    return {reason["code"] for reason in candidate.reasons}


# --- normalisation ---------------------------------------------------------------------


@pytest.mark.parametrize(("left", "right"), [
    ("Müller", "Mueller"), ("Müller", "Muller"), ("Weiß", "Weiss"), ("Jürgen", "Juergen"), ("Ørsted", "Oersted"),
    ("Éloïse", "Eloise"),
])
def test_umlauts_and_transliterations_fold_together(left, right):
    assert normalize.name_key(left) == normalize.name_key(right)


@pytest.mark.parametrize(("nickname", "name"), [
    ("Hans", "Johannes"), ("Bill", "William"), ("Kathi", "Katharina"), ("Sepp", "Josef"), ("Käthe", "Katharina"),
])
def test_nicknames_share_the_canonical_name(nickname, name):
    assert normalize.canonical_first_name(nickname) == normalize.canonical_first_name(name)


@pytest.mark.parametrize("name", [
    "Müller GmbH", "Müller GmbH & Co. KG", "MUELLER AG", "Müller KG", "Müller OHG", "Müller UG (haftungsbeschränkt)",
    "Müller e.K.", "Müller Ltd", "Müller Inc.", "Müller LLC", "Müller SE", "Müller S.A.", "Müller B.V.",
])
def test_legal_forms_are_ignored(name):
    assert normalize.organisation_name(name) == "muller"


def test_a_name_that_is_only_a_legal_form_keeps_it():
    assert normalize.organisation_name("AG") == "ag"


def test_streets_are_written_one_way():
    assert {normalize.street_key(s) for s in ("Hauptstraße 5", "Hauptstr. 5", "Haupt-Strasse 5", "hauptstr 5")} == {
        "hauptstr5"}
    assert normalize.street_key("Strandweg 3") == "strandweg3"


def test_email_case_and_mailbox_spellings():
    assert normalize.email_key(" Anna.Schmidt@Example.DE ") == "anna.schmidt@example.de"
    assert normalize.mailbox_key("A.N.Na+shop@GoogleMail.com") == "anna@gmail.com"
    # Dots only count at Google: elsewhere "a.b" and "ab" may be two people.
    assert normalize.mailbox_key("a.b+news@web.de") == "a.b@web.de"


@pytest.mark.parametrize("notation", ["030 1234567", "+49 30 1234567", "0049 (30) 123 45 67", "+49301234567",
                                      "030/123-4567"])
def test_phone_notations_meet_in_e164(notation):
    assert normalize.phone_key(notation) == "+49301234567"


def test_cologne_phonetics_of_sound_alikes():
    assert normalize.cologne_phonetics("Meier") == normalize.cologne_phonetics("Mayer") == "67"
    assert normalize.cologne_phonetics("Schmidt") == normalize.cologne_phonetics("Schmitt")


# --- people ----------------------------------------------------------------------------


def test_mueller_and_mueller_with_nickname_are_found(world):
    hans = make_person(world.owner, first_name="Hans", last_name="Müller", addresses=[
        {"street": "Hauptstraße 5", "postal_code": "10115", "city": "Berlin"}])
    johannes = make_person(world.owner, first_name="Johannes", last_name="Mueller", addresses=[
        {"street": "Hauptstr. 5", "postal_code": "10115", "city": "Berlin"}])
    duplicates_scan(Kind.PERSON)
    candidate = pair_of(Kind.PERSON, hans, johannes)
    assert candidate is not None and candidate.status == "open"
    assert codes(candidate) == {"same_name", "same_address"}
    assert candidate.score == 75


def test_same_email_in_another_case_and_phone_notation(world):
    first = make_person(world.owner, first_name="Katharina", last_name="Schneider",
                        emails=[{"email": "K.Schneider@Example.de"}], phones=[{"number": "0171 2345678"}])
    second = make_person(world.owner, first_name="Kathi", last_name="Schneider",
                         emails=[{"email": "k.schneider@example.de"}], phones=[{"number": "+49 171 234 5678"}])
    duplicates_scan(Kind.PERSON)
    candidate = pair_of(Kind.PERSON, first, second)
    assert candidate is not None
    assert codes(candidate) == {"same_name", "same_email", "same_phone"}
    assert candidate.score == 100


def test_swapped_first_and_last_name(world):
    first = make_person(world.owner, first_name="Weber", last_name="Thomas", phones=[{"number": "089 5556667"}])
    second = make_person(world.owner, first_name="Thomas", last_name="Weber", phones=[{"number": "089 5556667"}])
    duplicates_scan(Kind.PERSON)
    candidate = pair_of(Kind.PERSON, first, second)
    assert candidate is not None and "different_first_name" not in codes(candidate)


def test_clearly_different_people_are_not_paired(world):
    """Same surname and city, different given names, no shared e-mail or phone: not a duplicate."""
    make_person(world.owner, first_name="Anna", last_name="Schulz", emails=[{"email": "anna@schulz.example"}],
                addresses=[{"street": "Ring 1", "postal_code": "50667", "city": "Köln"}])
    make_person(world.owner, first_name="Bernd", last_name="Schulz", emails=[{"email": "bernd@schulz.example"}],
                addresses=[{"street": "Weg 9", "postal_code": "50667", "city": "Köln"}])
    make_person(world.owner, first_name="Claudia", last_name="Hoffmann", emails=[{"email": "c@hoffmann.example"}])
    result = duplicates_scan(Kind.PERSON)
    assert result.candidates == 0
    assert not DuplicateCandidate.objects.exists()


def test_a_household_sharing_phone_and_address_scores_below_the_threshold(world):
    anna = make_person(world.owner, first_name="Anna", last_name="Becker", phones=[{"number": "040 1112223"}],
                       addresses=[{"street": "Elbweg 4", "postal_code": "20095", "city": "Hamburg"}])
    hans = make_person(world.owner, first_name="Hans", last_name="Becker", phones=[{"number": "040 1112223"}],
                       addresses=[{"street": "Elbweg 4", "postal_code": "20095", "city": "Hamburg"}])
    profiles = person_profiles([anna.pk, hans.pk])
    value, reasons = score_people(profiles[anna.pk], profiles[hans.pk])
    assert value < MIN_SCORE
    assert "different_first_name" in {reason.code for reason in reasons}


def test_different_birthdays_keep_namesakes_apart(world):
    first = make_person(world.owner, first_name="Peter", last_name="Wagner", birthday=dt.date(1970, 1, 1),
                        addresses=[{"street": "Am Markt 1", "postal_code": "04109", "city": "Leipzig"}])
    second = make_person(world.owner, first_name="Peter", last_name="Wagner", birthday=dt.date(1999, 5, 5),
                         addresses=[{"street": "Am Markt 1", "postal_code": "04109", "city": "Leipzig"}])
    duplicates_scan(Kind.PERSON)
    assert pair_of(Kind.PERSON, first, second) is None


# --- organisations ---------------------------------------------------------------------


def test_gmbh_and_gmbh_co_kg_are_found(world):
    first = make_organisation(world.owner, name="Bäckerei Schäfer GmbH",
                              addresses=[{"street": "Lindenstraße 2", "postal_code": "80331", "city": "München"}])
    second = make_organisation(world.owner, name="Baeckerei Schaefer GmbH & Co. KG",
                               addresses=[{"street": "Lindenstr. 2", "postal_code": "80331", "city": "München"}])
    make_organisation(world.owner, name="Metzgerei Huber AG")
    duplicates_scan(Kind.ORGANISATION)
    candidate = pair_of(Kind.ORGANISATION, first, second)
    assert candidate is not None
    assert codes(candidate) == {"same_name", "same_address"}
    assert DuplicateCandidate.objects.filter(kind=Kind.ORGANISATION).count() == 1


def test_organisations_with_the_same_web_domain(world):
    first = make_organisation(world.owner, name="Glaswerk Nord", website="https://www.glaswerk.example/")
    second = make_organisation(world.owner, name="Glaswerk Nord Ltd", emails=[{"email": "info@glaswerk.example"}])
    duplicates_scan(Kind.ORGANISATION)
    candidate = pair_of(Kind.ORGANISATION, first, second)
    assert candidate is not None and codes(candidate) == {"same_name", "same_domain"}


# --- the scan --------------------------------------------------------------------------


def test_the_scan_is_idempotent_and_keeps_dismissals(world):
    first = make_person(world.owner, first_name="Sepp", last_name="Huber", emails=[{"email": "sepp@huber.example"}])
    second = make_person(world.owner, first_name="Josef", last_name="Huber", emails=[{"email": "Sepp@Huber.example"}])
    third = make_person(world.owner, first_name="Bill", last_name="Gates", phones=[{"number": "0221 998877"}])
    fourth = make_person(world.owner, first_name="William", last_name="Gates", phones=[{"number": "+49 221 998877"}])
    result = duplicates_scan(Kind.PERSON)
    assert (result.opened, result.candidates) == (2, 2)
    before = list(DuplicateCandidate.objects.order_by("pk").values())
    keys = set(MatchKey.objects.values_list("kind", "object_id", "key"))
    again = duplicates_scan(Kind.PERSON)
    assert (again.opened, again.updated, again.removed, again.keys_added, again.keys_removed) == (0, 0, 0, 0, 0)
    assert [dict(row, checked_at=None) for row in DuplicateCandidate.objects.order_by("pk").values()] == [
        dict(row, checked_at=None) for row in before]
    assert set(MatchKey.objects.values_list("kind", "object_id", "key")) == keys
    candidate_dismiss(actor=world.owner, candidate=pair_of(Kind.PERSON, first, second))
    duplicates_scan(Kind.PERSON)
    assert pair_of(Kind.PERSON, first, second).status == "dismissed"
    assert pair_of(Kind.PERSON, third, fourth).status == "open"


def test_the_scan_drops_open_pairs_that_no_longer_match(world):
    first = make_person(world.owner, first_name="Lena", last_name="Vogel", emails=[{"email": "lena@vogel.example"}])
    second = make_person(world.owner, first_name="Lena", last_name="Vogel", emails=[{"email": "lena@vogel.example"}])
    duplicates_scan(Kind.PERSON)
    assert pair_of(Kind.PERSON, first, second) is not None
    person_update(actor=world.owner, person=second, expected_version=second.version,
                  changes={"first_name": "Otto", "last_name": "Zimmermann"}, emails=[{"email": "otto@z.example"}])
    result = duplicates_scan(Kind.PERSON)
    assert result.removed == 1
    assert pair_of(Kind.PERSON, first, second) is None
    assert not MatchKey.objects.filter(object_id=second.pk, key="e:lena@vogel.example").exists()


def test_big_blocks_are_compared_by_sorted_neighbourhood(world, monkeypatch):
    from kunde.dedupe import matching

    monkeypatch.setattr(matching, "MAX_BLOCK", 3)
    monkeypatch.setattr(matching, "WINDOW", 1)
    people = [make_person(None, first_name="Jan", last_name=f"Meyer{suffix}", phones=[{"number": "030 7777777"}])
              for suffix in ("", "", "x", "y", "z")]
    result = duplicates_scan(Kind.PERSON)
    assert result.pairs_compared < 10  # not all 10 pairs of the block of five
    assert pair_of(Kind.PERSON, people[0], people[1]) is not None


# --- the check of new records ----------------------------------------------------------


def test_a_new_person_is_checked_against_existing_ones(world):
    existing = make_person(world.owner, first_name="Katharina", last_name="Weiß",
                           emails=[{"email": "kathi@weiss.example"}])
    new = make_person(world.owner, first_name="Kathi", last_name="Weiss", emails=[{"email": "KATHI@weiss.example"}])
    found = duplicates_check(Kind.PERSON, [new.pk])
    assert [(c.first_id, c.second_id) for c in found] == [(existing.pk, new.pk)]
    assert found[0].score == 90


def test_creation_events_queue_a_check_that_runs_when_the_request_ends(world, django_capture_on_commit_callbacks):
    from kunde.dedupe.tasks import flush_checks

    existing = make_person(world.owner, first_name="Hans", last_name="Müller", phones=[{"number": "0711 123456"}])
    with django_capture_on_commit_callbacks(execute=True):
        new = make_person(world.owner, first_name="Johannes", last_name="Mueller",
                          phones=[{"number": "+49 711 123456"}])
    assert pair_of(Kind.PERSON, existing, new) is None  # waiting for the end of the request
    assert flush_checks() == 1
    assert pair_of(Kind.PERSON, existing, new).score == 85


def test_an_import_run_checks_its_people_when_it_finishes(world, django_capture_on_commit_callbacks):
    from kunde.imports.services import people_upsert_bulk

    existing = make_person(world.owner, first_name="Gunther", last_name="Glaser", phones=[{"number": "+49 621 445566"}])
    with django_capture_on_commit_callbacks(execute=True):
        _run, outcomes = people_upsert_bulk(actor=world.owner, records=[
            {"first_name": "Günther", "last_name": "Glaser", "email": "gg@example.de", "phone": "0621 445566"},
            {"first_name": "Petra", "last_name": "Paulsen", "email": "petra@example.de"},
        ])
    assert [outcome.action for outcome in outcomes] == ["created", "created"]
    candidate = pair_of(Kind.PERSON, existing, outcomes[0].person)
    assert candidate is not None and codes(candidate) == {"same_name", "same_phone"}
    assert DuplicateCandidate.objects.count() == 1
    assert MatchKey.objects.filter(kind=Kind.PERSON, object_id=outcomes[1].person.pk,
                                   key="e:petra@example.de").exists()
