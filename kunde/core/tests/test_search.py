"""Search finds people and organisations the way a user types, and only what they may see."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from kunde.accounts.models import Role
from kunde.contacts.search import phone_forms
from kunde.contacts.services import (
    employment_create,
    employment_update,
    organisation_delete,
    organisation_update,
    person_delete,
    person_restore,
    person_update,
    records_add_tags,
    records_change_owner,
)
from kunde.core import db, search
from kunde.core.models import SearchEntry
from kunde.core.testing.factories import make_organisation, make_person, make_user

pytestmark = pytest.mark.django_db


def found(user, query, **kwargs):
    """(type, id) of each hit, in order."""
    return [(hit.type, hit.id) for hit in search.search(user, query, **kwargs)]


def person_key(person):
    return ("person", person.pk)


def org_key(organisation):
    return ("organisation", organisation.pk)


# --- folding and documents ---------------------------------------------------------------


def test_fold_lowercases_and_strips_diacritics():
    assert search.fold("Müller-Lüdenscheidt") == "muller-ludenscheidt"
    assert search.fold("Straße") == "strasse"
    assert search.fold("Élodie Ångström") == "elodie angstrom"


def test_index_text_adds_the_german_spelling_of_umlauts():
    assert search.index_text(["Jürgen", None, "", "Müller-Lüdenscheidt", "Weber"]) == (
        "jurgen juergen muller ludenscheidt mueller luedenscheidt weber"
    )


def test_phone_forms_are_international_and_national_digits():
    assert phone_forms("+49301234567") == ["49301234567", "0301234567"]
    assert phone_forms("+4366412345678") == ["4366412345678", "066412345678"]
    # Countries without a trunk prefix, or with a different national format.
    assert phone_forms("+390612345678") == ["390612345678", "0612345678"]
    assert phone_forms("+12025550123") == ["12025550123", "2025550123"]


def test_parse_query_makes_one_group_per_word_with_german_alternatives():
    assert search.parse_query("  Jürgen   j.mueller@glas.de ") == (
        (("jurgen",), ("juergen",)),
        (("j", "mueller", "glas", "de"),),
    )
    assert search.parse_query("- , ;") == ()


def test_fts5_expression_quotes_user_text_and_restricts_scope():
    match = db.TextMatch(groups=((db.Phrase(('a"b',), prefix=True), db.Phrase(("c", "d"))),))
    visibility = db.Visibility(owner_id=5, team_ids=(3, 4))
    assert db.fts5_expression(match, visibility) == (
        '({names other} : (("a""b"* OR "c d"))) AND scope : ("o5" OR "t3" OR "t4")'
    )
    names_only = db.TextMatch(groups=((db.Phrase(("x",)),),), names_only=True)
    assert db.fts5_expression(names_only, db.Visibility(everything=True)) == 'names : (("x"))'


def test_tsquery_expression_marks_prefixes_and_quotes():
    match = db.TextMatch(groups=((db.Phrase(("j", "mue"), prefix=True),), (db.Phrase(("x",)),)),
                         names_only=True)
    assert db.tsquery_expression(match) == "(('j' <-> 'mue':*)) & (('x'))"


# --- finding -----------------------------------------------------------------------------


def test_a_name_prefix_finds_the_person(world):
    assert found(world.owner, "Mül") == [person_key(world.person)]
    assert found(world.owner, "jür mü") == [person_key(world.person)]
    assert found(world.owner, "Jürgen Müller") == [person_key(world.person)]


def test_an_email_address_finds_the_person(world):
    assert found(world.owner, "j.mueller@gunther-glas.de") == [person_key(world.person)]
    assert found(world.owner, "J.Mueller@Gunther") == [person_key(world.person)]


@pytest.mark.parametrize(
    "typed", ["030 1234567", "+49 30 1234567", "0049301234567", "(030) 123 45-67", "030 1234"]
)
def test_a_phone_number_in_any_format_finds_the_person(world, typed):
    assert found(world.owner, typed) == [person_key(world.person)]


def test_the_organisation_name_finds_the_organisation_first_then_its_people(world):
    assert found(world.owner, "Gunther Glas") == [org_key(world.organisation), person_key(world.person)]
    hit = search.search(world.owner, "Gunther Glas")[1]
    assert (hit.title, hit.subtitle) == ("Jürgen Müller", "Gunther Glas · j.mueller@gunther-glas.de")
    assert hit.url == world.person.get_absolute_url()
    assert (hit.type_label, search.search(world.owner, "Gunther Glas")[0].type_label) == (
        "Person", "Organisation")


def test_city_and_postal_code_find_the_person(world):
    hamburg = make_person(world.owner, first_name="Hanna", last_name="Ebert", addresses=[
        {"street": "Jungfernstieg 1", "postal_code": "20354", "city": "Hamburg"}])
    assert found(world.owner, "Hamburg") == [person_key(hamburg)]
    assert found(world.owner, "hamb") == [person_key(hamburg)]
    assert found(world.owner, "20354") == [person_key(hamburg)]


def test_an_exact_last_name_ranks_before_a_prefix_match(world):
    longer = make_person(world.owner, first_name="Anna", last_name="Müllerschön")
    namesake = make_person(world.owner, first_name="Hans", last_name="Müller")
    # Both exact matches first (the most recently written first), the prefix match last.
    assert found(world.owner, "Müller") == [
        person_key(namesake), person_key(world.person), person_key(longer)]
    assert found(world.owner, "Müllersch") == [person_key(longer)]


def test_umlauts_match_plain_and_german_spellings(world):
    mueller = make_person(world.owner, first_name="Karl", last_name="Mueller")
    weiss = make_person(world.owner, first_name="Eva", last_name="Weiß")
    assert found(world.owner, "muller") == [person_key(world.person)]
    assert found(world.owner, "MÜLLER") == [person_key(mueller), person_key(world.person)]
    assert found(world.owner, "mueller") == [person_key(mueller), person_key(world.person)]
    assert found(world.owner, "weiss") == [person_key(weiss)]
    assert found(world.owner, "weiß") == [person_key(weiss)]


def test_nothing_to_search_finds_nothing(world):
    assert found(world.owner, "") == []
    assert found(world.owner, "   -- ") == []
    assert found(world.owner, "Müller", limit=0) == []
    assert found(world.owner, "zzqx") == []


def test_fts_syntax_in_the_query_is_plain_text(world):
    """Quotes, operators and column filters typed by a user are words, never syntax."""
    assert found(world.owner, 'Müller" OR "*') == found(world.owner, "muller or")
    assert found(world.owner, "NEAR(Müller) scope:o1") == found(world.owner, "near muller scope o1")
    assert found(world.owner, "Müller AND") == found(world.owner, "muller and")
    assert found(world.other_team, f"scope:o{world.owner.pk} Müller") == []


# --- scope ---------------------------------------------------------------------------------


def test_a_user_of_another_team_does_not_find_records_outside_their_scope(world):
    assert found(world.other_team, "Müller") == []
    assert found(world.other_team, "030 1234567") == []
    assert found(world.other_team, "Gunther Glas") == []
    assert found(world.teammate, "Müller") == [person_key(world.person)]
    assert found(world.read_only, "Müller") == [person_key(world.person)]
    assert found(world.admin, "Müller") == [person_key(world.person)]


def test_the_limit_counts_visible_hits_only(world):
    """Scope is applied inside the query: many newer invisible matches do not eat the page."""
    visible = [make_person(world.other_team, first_name="Olaf", last_name="Schulz") for _ in range(5)]
    for _ in range(25):
        make_person(world.owner, first_name="Olaf", last_name="Schulz")
    expected = [person_key(p) for p in reversed(visible)]
    assert found(world.other_team, "Schulz", limit=3) == expected[:3]
    assert found(world.other_team, "schu", limit=20) == expected
    assert len(found(world.owner, "Schulz", limit=20)) == 20


@pytest.mark.skipif("not db.is_sqlite()")
def test_sparse_visibility_hands_the_scope_to_the_index(world, monkeypatch):
    """When the newest matches are all invisible, the FTS5 scope tokens find the rest."""
    monkeypatch.setattr(db, "SCOPE_CANDIDATES", 4)
    visible = [make_person(world.other_team, first_name="Olaf", last_name="Schulz") for _ in range(3)]
    for _ in range(6):
        make_person(world.owner, first_name="Olaf", last_name="Schulz")
    expected = [person_key(p) for p in reversed(visible)]
    assert found(world.other_team, "Schulz", limit=2) == expected[:2]
    assert found(world.other_team, "Schulz") == expected
    assert found(world.other_team, "Olaf Sch") == expected


def test_a_user_without_a_role_finds_nothing(world):
    stranger = make_user(Role.MEMBER, username="stranger")
    stranger.role = None
    assert found(stranger, "Müller") == []


def test_a_change_of_owner_moves_the_record_between_scopes(world):
    records_change_owner(actor=world.admin, records=[world.person], owner=world.other_team)
    assert found(world.other_team, "Müller") == [person_key(world.person)]
    assert found(world.teammate, "Müller") == []


# --- keeping the index current -----------------------------------------------------------------


def test_deleted_records_vanish_and_restored_ones_return(world):
    person_delete(actor=world.admin, person=world.person)
    assert found(world.admin, "Müller") == []
    assert found(world.admin, "030 1234567") == []
    person_restore(actor=world.admin, person=world.person)
    assert found(world.admin, "Müller") == [person_key(world.person)]


def test_changed_contact_points_are_found_and_old_ones_are_not(world):
    person_update(actor=world.owner, person=world.person, expected_version=world.person.version,
                  emails=[{"email": "juergen@example.org"}], phones=[{"number": "040 9876543"}])
    assert found(world.owner, "j.mueller@gunther-glas.de") == []
    assert found(world.owner, "juergen@example.org") == [person_key(world.person)]
    assert found(world.owner, "030 1234567") == []
    assert found(world.owner, "+49 40 9876543") == [person_key(world.person)]


def test_added_tags_are_found(world):
    assert found(world.owner, "Hausmesse") == []
    records_add_tags(actor=world.owner, records=[world.person], tags=["Hausmesse"])
    assert found(world.owner, "Hausmesse") == [person_key(world.person)]


def test_renaming_an_organisation_reindexes_its_people(world):
    organisation_update(actor=world.owner, organisation=world.organisation,
                        expected_version=world.organisation.version, changes={"name": "Kristallwerk"})
    assert found(world.owner, "Kristallwerk") == [org_key(world.organisation), person_key(world.person)]
    # The e-mail domain still says "gunther-glas"; the organisation itself is no longer found.
    assert found(world.owner, "Gunther Glas") == [person_key(world.person)]


def test_only_current_employers_and_living_organisations_are_in_a_persons_document(world):
    nordlicht = make_organisation(world.owner, name="Nordlicht")
    employment = employment_create(actor=world.owner, person=world.person, organisation=nordlicht)
    assert found(world.owner, "Nordlicht") == [org_key(nordlicht), person_key(world.person)]
    employment_update(actor=world.owner, employment=employment,
                      changes={"end_date": timezone.localdate() - dt.timedelta(days=1)})
    assert found(world.owner, "Nordlicht") == [org_key(nordlicht)]
    organisation_delete(actor=world.admin, organisation=world.organisation)
    assert found(world.owner, "Gunther Glas") == [person_key(world.person)]  # e-mail domain only
    assert found(world.owner, "Gunther Glas GmbH") == []


def test_the_index_write_is_part_of_the_callers_transaction(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_person(world.owner, last_name="Rollback")
        assert found(world.owner, "Rollback") != []
        raise RuntimeError("abort")
    assert found(world.owner, "Rollback") == []
    assert not SearchEntry.objects.filter(title__contains="Rollback").exists()


def test_unregistered_models_are_ignored(world):
    search.reindex(world.owner)
    search.remove(world.owner)
    assert SearchEntry.objects.count() == 2


def test_the_reindex_command_rebuilds_the_index(world):
    SearchEntry.objects.all().delete()
    assert found(world.owner, "Müller") == []
    out = io.StringIO()
    call_command("reindex", stdout=out, progress=False)
    assert "2 documents" in out.getvalue()
    assert found(world.owner, "Müller") == [person_key(world.person)]
    assert found(world.owner, "Gunther Glas") == [org_key(world.organisation), person_key(world.person)]
    # The triggers are back: ordinary writes keep the index current again.
    make_person(world.owner, last_name="Danach")
    assert len(found(world.owner, "Danach")) == 1


def test_a_rebuild_keeps_the_most_recently_changed_record_first(world):
    person = make_person(world.owner, first_name="Ida", last_name="Schulz")
    organisation = make_organisation(world.owner, name="Schulz Bau")
    person_update(actor=world.owner, person=person, expected_version=person.version,
                  changes={"first_name": "Ina"})
    before = found(world.owner, "Schulz")
    assert before == [person_key(person), org_key(organisation)]
    call_command("reindex", stdout=io.StringIO(), progress=False)
    assert found(world.owner, "Schulz") == before


@pytest.mark.skipif("not db.is_postgresql()")
def test_postgresql_finds_misspelt_names(world):
    assert found(world.owner, "Mueler") == [person_key(world.person)]
    assert found(world.other_team, "Mueler") == []


@pytest.mark.skipif("not db.is_sqlite()")
def test_sqlite_fts_index_is_consistent_after_writes(world):
    make_person(world.owner, last_name="Konsistenz")
    person_delete(actor=world.admin, person=world.person)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO core_searchentry_fts(core_searchentry_fts) VALUES ('integrity-check')")
