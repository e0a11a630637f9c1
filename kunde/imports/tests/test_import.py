"""Importing people: encodings, delimiters, mapping suggestions, dry run, idempotent re-import, resume, undo."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from kunde.contacts.models import EmailAddress, Organisation, Person
from kunde.core.models import AuditEntry
from kunde.imports.mapping import suggest_mapping
from kunde.imports.models import ExternalReference, ImportChange, ImportProblem, ImportRun
from kunde.imports.reading import UnreadableFile, open_table
from kunde.imports.services import import_dry_run, import_execute, import_prepare, import_undo, report_path

pytestmark = pytest.mark.django_db

GERMAN_CSV = (
    "Kundennummer;Anrede;Vorname;Nachname;E-Mail;Telefon;Straße;PLZ;Ort;Land;Firma;Position;Tags\n"
    "K-1;Herr;Jürgen;Weiß;j.weiss@glas.example;030 1234567;Lindenstraße 12;10969;Berlin;Deutschland;"
    "Gunther Glas GmbH;Einkauf;VIP, Messe\n"
    "K-2;Frau;Änne;Groß;aenne@example.de;0171 2345678;;;;;;;\n"
    "K-3;Herr;Kaputt;Mail;keine-adresse;;;;;;;;\n"
    "K-4;Frau;Zoë;Östergaard;zoe@example.dk;+45 32 12 34 56;Strøget 1;1160;København;Dänemark;;;\n"
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run_file(world, tmp_path, data: bytes, name: str = "kunden.csv", **options) -> ImportRun:
    run = import_prepare(actor=world.owner, source=write(tmp_path, name, data), **options)
    return import_execute(actor=world.owner, run=run)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_encodings_and_semicolons_are_detected(tmp_path, encoding):
    table = open_table(write(tmp_path, "k.csv", GERMAN_CSV.replace("ø", "o").replace("Ø", "O").encode(encoding)))
    assert table.delimiter == ";"
    assert table.headers[6] == "Straße"
    assert next(iter(table.rows()))[3] == "Weiß"


def test_tab_separated_file_is_read(tmp_path):
    table = open_table(write(tmp_path, "k.tsv", b"First Name\tLast Name\tEmail\nAnna\tSchmidt\ta@example.de\n"))
    assert (table.delimiter, list(table.rows())) == ("\t", [["Anna", "Schmidt", "a@example.de"]])


@pytest.mark.parametrize(("headers", "expected"), [
    (["First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title", "Record ID"],  # HubSpot
     ["first_name", "last_name", "email", "phone", "organisation", "role", "external_id"]),
    (["First Name", "Last Name", "Mailing Street", "Mailing City", "Mailing Zip/Postal Code", "Account Name"],
     ["first_name", "last_name", "street", "city", "postal_code", "organisation"]),  # Salesforce
    (["Given Name", "Family Name", "E-mail 1 - Value", "Phone 1 - Value", "Organization 1 - Name"],  # Google
     ["first_name", "last_name", "email", "phone", "organisation"]),
    (["First Name", "Last Name", "E-mail Address", "Business Phone", "Mobile Phone", "Business City"],  # Outlook
     ["first_name", "last_name", "email", "phone", "mobile", "city"]),
    (["Person - Name", "Person - Email", "Person - Organization"], ["full_name", "email", "organisation"]),
    (["Name", "Email", "Mobile", "ZIP", "Company"], ["full_name", "email", "mobile", "postal_code", "organisation"]),
    (["Vorname", "Nachname", "E-Mail-Adresse", "Handy", "Lieblingsfarbe"],
     ["first_name", "last_name", "email", "mobile", ""]),
])
def test_mapping_suggestions_know_the_common_exports(headers, expected):
    assert list(suggest_mapping(headers).values()) == expected


def test_import_creates_people_with_everything_and_reports_bad_rows(world, tmp_path):
    run = run_file(world, tmp_path, GERMAN_CSV.encode())
    assert run.status == "done" and run.counts == {"created": 3, "failed": 1}
    weiss = Person.objects.get(last_name="Weiß")
    assert (weiss.salutation, weiss.first_name, weiss.owner, weiss.team) == ("mr", "Jürgen", world.owner,
                                                                             world.team_a)
    assert [e.email for e in weiss.emails.all()] == ["j.weiss@glas.example"]
    assert [p.number for p in weiss.phones.all()] == ["+49301234567"]
    assert [(a.street, a.postal_code, a.city, a.country) for a in weiss.addresses.all()] == [
        ("Lindenstraße 12", "10969", "Berlin", "DE")]
    assert [(e.organisation.name, e.role) for e in weiss.employments.all()] == [("Gunther Glas GmbH", "Einkauf")]
    assert sorted(t.name for t in weiss.tags.all()) == ["Messe", "VIP"]
    assert Person.objects.get(last_name="Östergaard").phones.get().number == "+4532123456"
    assert ExternalReference.objects.get(value="K-1").object_id == weiss.pk
    problem = ImportProblem.objects.get(run=run)
    assert problem.row_number == 3 and "e-mail" in problem.message and "keine-adresse" in problem.message
    assert AuditEntry.objects.filter(object_type="contacts.person", object_id=str(weiss.pk), action="create").exists()
    report = report_path(run, dry_run=False).read_text().splitlines()
    assert report[0] == "row,result,detail" and report[3].startswith("3,failed,")
    assert not (Path(run.file_path)).exists()  # the copy of the file is gone once the run is done


def test_new_people_are_searchable(world, tmp_path):
    from kunde.core.search import search

    run_file(world, tmp_path, GERMAN_CSV.encode())
    assert [hit.title for hit in search(world.owner, "Östergaard")] == ["Zoë Östergaard"]


def test_dry_run_reports_and_changes_nothing(world, tmp_path):
    run = import_prepare(actor=world.owner, source=write(tmp_path, "k.csv", GERMAN_CSV.encode()))
    before = (Person.objects.count(), Organisation.objects.count(), AuditEntry.objects.count())
    counts = import_dry_run(actor=world.owner, run=run)
    assert counts == {"created": 3, "failed": 1}
    assert (Person.objects.count(), Organisation.objects.count(), AuditEntry.objects.count()) == before
    lines = report_path(run, dry_run=True).read_text().splitlines()
    assert lines[1:3] == ["1,created,", "2,created,"]


def test_reimport_changes_nothing_and_a_corrected_file_updates_in_place(world, tmp_path):
    run_file(world, tmp_path, GERMAN_CSV.encode())
    people, audit = Person.objects.count(), AuditEntry.objects.count()
    again = run_file(world, tmp_path, GERMAN_CSV.encode(), name="again.csv")
    assert again.counts == {"unchanged": 3, "failed": 1}
    assert (Person.objects.count(), AuditEntry.objects.count()) == (people, audit)
    corrected = GERMAN_CSV.replace("Änne;Groß;aenne@example.de;0171 2345678;;;;;;;",
                                   "Anne;Groß;aenne@example.de;0171 2345678;Hauptstr. 5;80331;München;DE;;;Neu")
    fixed = run_file(world, tmp_path, corrected.encode(), name="fixed.csv")
    assert fixed.counts == {"unchanged": 2, "updated": 1, "failed": 1}
    anne = Person.objects.get(last_name="Groß")
    assert anne.first_name == "Anne" and anne.version == 2
    assert [a.city for a in anne.addresses.all()] == ["München"] and [t.name for t in anne.tags.all()] == ["Neu"]
    assert Person.objects.count() == people


def test_duplicate_rows_in_one_file_create_one_person(world, tmp_path):
    data = (b"Name,Email\nAnna Schmidt,anna@example.de\nAnna Schmidt,ANNA@example.de\n"
            b"Bernd Weber,bernd@example.de\n")
    run = run_file(world, tmp_path, data)
    assert run.counts == {"created": 2, "duplicate": 1}
    assert EmailAddress.objects.filter(email__iexact="anna@example.de").count() == 1


def test_match_by_external_id_of_the_source_system(world, tmp_path):
    first = run_file(world, tmp_path, b"Record ID,First Name,Last Name\n77,Anna,Schmidt\n", system="hubspot")
    person = Person.objects.get(pk=ImportChange.objects.get(run=first).object_id)
    second = run_file(world, tmp_path, b"Record ID,First Name,Last Name\n77,Anna,Schmidt-Lang\n", name="b.csv",
                      system="hubspot")
    assert second.counts == {"updated": 1}
    person.refresh_from_db()
    assert person.last_name == "Schmidt-Lang"
    other_system = run_file(world, tmp_path, b"Record ID,First Name,Last Name\n77,Karl,Klein\n", name="c.csv",
                            system="erp")
    assert other_system.counts == {"created": 1}


def test_people_other_users_cannot_see_are_not_matched_or_changed(world, tmp_path):
    data = b"Name,Email\nFremd Person,j.mueller@gunther-glas.de\n"
    run = import_prepare(actor=world.other_team, source=write(tmp_path, "k.csv", data))
    import_execute(actor=world.other_team, run=run)
    assert run.counts == {"created": 1}
    world.person.refresh_from_db()
    assert world.person.version == 1


def test_interrupted_import_resumes_without_duplicates_or_half_rows(world, tmp_path, monkeypatch):
    lines = ["Name,Email,Phone"] + [f"Person {i},p{i}@example.de," for i in range(250)]
    run = import_prepare(actor=world.owner, source=write(tmp_path, "many.csv", "\n".join(lines).encode()))
    from kunde.imports import engine

    real_write, writes = engine.Importer.write, []

    def crash_on_third_batch(self, outcomes):
        writes.append(len(outcomes))
        real_write(self, outcomes)
        if len(writes) == 3:
            raise KeyboardInterrupt("killed")  # inside the batch's transaction: rolled back

    monkeypatch.setattr(engine.Importer, "write", crash_on_third_batch)
    with pytest.raises(KeyboardInterrupt):
        import_execute(actor=world.owner, run=run, batch_size=40)
    run.refresh_from_db()
    assert (run.status, run.rows_done, Person.objects.filter(last_name__isnull=False).count()) == (
        "interrupted", 80, 81)  # two batches of 40, plus the world's person
    monkeypatch.setattr(engine.Importer, "write", real_write)
    import_execute(actor=world.owner, run=run, batch_size=40)
    run.refresh_from_db()
    assert (run.status, run.rows_done, run.counts) == ("done", 250, {"created": 250})
    assert Person.objects.count() == 251
    assert EmailAddress.objects.filter(email__startswith="p").values("email").distinct().count() == 250


def test_undo_removes_created_people_and_reverts_updates(world, tmp_path):
    run_file(world, tmp_path, GERMAN_CSV.encode())
    baseline = {p.pk: (p.first_name, p.version) for p in Person.objects.all()}
    corrected = GERMAN_CSV.replace("Jürgen;Weiß", "Jörg;Weiß") + "K-9;Herr;Neu;Mann;neu@example.de;;;;;;;;\n"
    run = run_file(world, tmp_path, corrected.encode(), name="second.csv")
    assert run.counts == {"updated": 1, "unchanged": 2, "created": 1, "failed": 1}
    import_undo(actor=world.owner, run=run)
    assert {p.pk: p.first_name for p in Person.objects.all()} == {pk: v[0] for pk, v in baseline.items()}
    assert not Person.all_objects.filter(last_name="Mann").exists()
    with pytest.raises(ValidationError):
        import_undo(actor=world.owner, run=run)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    (b"PK\x03\x04garbage", "damaged"),
])
def test_unreadable_files_are_refused_clearly(world, tmp_path, data, message):
    with pytest.raises(ValidationError, match=message):
        import_prepare(actor=world.owner, source=write(tmp_path, "bad.csv", data))
    assert not ImportRun.objects.exists()


def test_zip_bomb_spreadsheet_is_refused_before_unpacking(tmp_path, monkeypatch):
    from kunde.imports import reading

    monkeypatch.setattr(reading, "MAX_XLSX_UNPACKED", 1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (5 * 1024 * 1024))
    with pytest.raises(UnreadableFile, match="unpack"):
        open_table(write(tmp_path, "bomb.xlsx", buffer.getvalue()))


def test_xlsx_with_formulas_and_long_cells(world, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Vorname", "Nachname", "E-Mail", "Notizen"])
    sheet.append(["Anna", "=HYPERLINK(\"http://evil\")", "anna@example.de", "  @SUM(A1)  "])
    path = tmp_path / "k.xlsx"
    workbook.save(path)
    run = import_prepare(actor=world.owner, source=path)
    import_execute(actor=world.owner, run=run)
    assert run.counts == {"created": 1}
    anna = Person.objects.get(first_name="Anna")
    assert (anna.last_name, anna.notes) == ('=HYPERLINK("http://evil")', "@SUM(A1)")  # text, never evaluated


def test_ten_megabyte_cell_fails_its_row_only(world, tmp_path):
    data = b"Name,Email,Notes\nAnna Schmidt,anna@example.de,ok\nBernd Weber,bernd@example.de," + b"x" * (10 << 20)
    run = run_file(world, tmp_path, data + b"\nCarl Klein,carl@example.de,ok\n")
    assert run.counts == {"created": 2, "failed": 1}
    assert "too long" in ImportProblem.objects.get().message


# --- external ids that are not the importer's to use ------------------------------------------


def test_external_id_of_a_person_others_own_fails_its_row_only(world, tmp_path):
    """An external id held by a person the importing user may not change fails that row; the rest is imported."""
    run_file(world, tmp_path, b"Kundennummer,Name,Email\nK-7,Anna Schmidt,anna@example.de\n")
    data = b"Kundennummer,Name,Email\nK-7,Anna Schmidt,anna@example.de\nK-8,Bernd Weber,bernd@example.de\n"
    run = import_prepare(actor=world.other_team, source=write(tmp_path, "theirs.csv", data))
    import_execute(actor=world.other_team, run=run)
    assert (run.status, run.counts) == ("done", {"failed": 1, "created": 1})
    problem = ImportProblem.objects.get(run=run)
    assert problem.row_number == 1 and "'K-7'" in problem.message and "may not change" in problem.message
    assert list(Person.objects.filter(last_name="Schmidt").values_list("owner", flat=True)) == [world.owner.pk]
    assert ExternalReference.objects.get(value="K-8").object_id == Person.objects.get(last_name="Weber").pk


def test_external_id_of_a_deleted_person_fails_its_row_on_every_run(world, tmp_path):
    """A soft-deleted person keeps their external id: re-importing it fails the row clearly, also on resume."""
    from kunde.contacts.services import person_delete

    run_file(world, tmp_path, b"Kundennummer,Name\nK-7,Anna Schmidt\n")
    person_delete(actor=world.admin, person=Person.objects.get(last_name="Schmidt"))
    data = b"Kundennummer,Name\nK-7,Anna Schmidt\nK-8,Bernd Weber\n"
    for name in ("again.csv", "once-more.csv"):
        run = run_file(world, tmp_path, data, name=name)
        assert (run.status, run.counts) == ("done", {"failed": 1, "created": 1} if name == "again.csv"
                                            else {"failed": 1, "unchanged": 1})
        assert "deleted" in ImportProblem.objects.get(run=run).message
    assert not Person.objects.filter(last_name="Schmidt").exists()
    assert ExternalReference.objects.filter(value="K-7").count() == 1


def test_external_id_of_a_person_who_no_longer_exists_goes_to_the_new_person(world, tmp_path):
    """An id left behind by a person removed from the database is free again, not a crash."""
    first = run_file(world, tmp_path, b"Kundennummer,Name\nK-7,Anna Schmidt\n")
    Person.all_objects.filter(pk=ImportChange.objects.get(run=first).object_id).delete()  # as an erasure would
    again = run_file(world, tmp_path, b"Kundennummer,Name\nK-7,Anna Schmidt\n", name="again.csv")
    assert again.counts == {"created": 1}
    assert ExternalReference.objects.get(value="K-7").object_id == Person.objects.get(last_name="Schmidt").pk


# --- matching without duplicates ----------------------------------------------------------------


def test_reimport_matches_e_mail_addresses_whatever_their_case(world, tmp_path):
    """An address stored as J.Weiss@… is found again, also when another file writes it in lower case."""
    data = b"Name,Email\nJ\xc3\xbcrgen Wei\xc3\x9f,J.Weiss@Glas.example\n"
    first = run_file(world, tmp_path, data)
    assert first.counts == {"created": 1}
    assert list(EmailAddress.objects.values_list("email", flat=True).filter(person__last_name="Weiß")) == [
        "J.Weiss@glas.example"]  # stored as given (domain lower-cased by contacts)
    people, audit = Person.objects.count(), AuditEntry.objects.count()
    assert run_file(world, tmp_path, data, name="again.csv").counts == {"unchanged": 1}
    lower = run_file(world, tmp_path, b"Name,Email,Ort\nJ\xc3\xbcrgen Wei\xc3\x9f,j.weiss@glas.example,\n",
                     name="lower.csv")
    assert lower.counts == {"unchanged": 1}
    assert (Person.objects.count(), AuditEntry.objects.count()) == (people, audit)
    existing = run_file(world, tmp_path, b"Name,Email\nJ\xc3\xbcrgen M\xc3\xbcller,J.MUELLER@gunther-glas.de\n",
                        name="world.csv")
    assert existing.counts == {"unchanged": 1}  # the world's person, stored in lower case


def test_rows_without_keys_match_only_their_own_row_of_the_same_file(world, tmp_path):
    """Name-only rows: the same file again changes nothing; another file creates them and says why."""
    data = b"Vorname,Nachname,Notizen\nAnna,Schmidt,Messe 2026\nBernd,Weber,\n"
    first = run_file(world, tmp_path, data)
    assert first.counts == {"created": 2}
    report = report_path(first, dry_run=False).read_text().splitlines()
    assert report[1] == "1,created,\"no e-mail, phone or external id to match an existing person by\""
    people, audit = Person.objects.count(), AuditEntry.objects.count()
    again = run_file(world, tmp_path, data, name="same-again.csv")
    assert again.counts == {"unchanged": 2}
    assert (Person.objects.count(), AuditEntry.objects.count()) == (people, audit)
    other = run_file(world, tmp_path, data + b"Carl,Klein,\n", name="other.csv")
    assert other.counts == {"created": 3}  # another file: nothing says these are the same people
    assert Person.objects.filter(last_name="Schmidt").count() == 2


def test_rows_without_keys_are_created_again_after_their_run_was_undone(world, tmp_path):
    """The earlier run's row counts only while that run stands."""
    data = b"Vorname,Nachname\nAnna,Schmidt\n"
    import_undo(actor=world.owner, run=run_file(world, tmp_path, data))
    assert run_file(world, tmp_path, data, name="again.csv").counts == {"created": 1}
    assert Person.objects.filter(last_name="Schmidt").count() == 1


# --- undo -------------------------------------------------------------------------------------------


def test_undo_removes_contact_points_tags_and_external_ids_it_added(world, tmp_path):
    """Undoing an update takes back what it added, and nothing else."""
    data = ("Kundennummer,Name,Email,Mobil,Tags\n"
            "K-1,Jürgen Müller,j.mueller@gunther-glas.de,0171 2345678,VIP\n").encode()
    run = run_file(world, tmp_path, data)
    assert run.counts == {"updated": 1}
    assert ExternalReference.objects.filter(value="K-1", object_id=world.person.pk).exists()
    import_undo(actor=world.owner, run=run)
    world.person.refresh_from_db()
    assert [p.number for p in world.person.phones.all()] == ["+49301234567"]
    assert list(world.person.tags.all()) == [] and not ExternalReference.objects.exists()
    assert [e.email for e in world.person.emails.all()] == ["j.mueller@gunther-glas.de"]
    assert list(ImportChange.objects.filter(run=run).values_list("undo_skipped", flat=True)) == [""]


def test_undo_leaves_people_changed_since_and_reports_them(world, tmp_path):
    """A later edit by someone else survives the undo; the skipped rows say why; the rest is undone."""
    from kunde.contacts.services import person_update

    base = b"Name,Email\nAnna Schmidt,anna@example.de\nBernd Weber,bernd@example.de\n"
    run_file(world, tmp_path, base)
    run = run_file(world, tmp_path, b"Name,Email\nAnna Schmidt-Lang,anna@example.de\nBernd Weber-Neu,bernd@example.de\n"
                   b"Carl Klein,carl@example.de\nDora Dorn,dora@example.de\n", name="second.csv")
    assert run.counts == {"updated": 2, "created": 2}
    anna, carl = Person.objects.get(first_name="Anna"), Person.objects.get(first_name="Carl")
    person_update(actor=world.manager, person=anna, expected_version=anna.version, changes={"notes": "Anruf"})
    person_update(actor=world.manager, person=carl, expected_version=carl.version, changes={"first_name": "Karl"})
    import_undo(actor=world.owner, run=run)
    anna.refresh_from_db()
    assert (anna.last_name, anna.notes) == ("Schmidt-Lang", "Anruf")  # the manager's edit and the import stay
    assert Person.objects.get(first_name="Bernd").last_name == "Weber"  # untouched since: reverted
    assert Person.objects.get(last_name="Klein").first_name == "Karl"  # kept, with the manager's edit
    assert not Person.all_objects.filter(last_name="Dorn").exists()
    skipped = ImportChange.objects.filter(run=run).exclude(undo_skipped="").order_by("row_number")
    assert [(c.row_number, c.object_id) for c in skipped] == [(1, anna.pk), (3, carl.pk)]
    assert all("changed since the import" in c.undo_skipped for c in skipped)


def test_undo_checks_the_acting_users_rights_again(world, tmp_path):
    """A user who may no longer change people takes nothing back; every row is reported."""
    from kunde.accounts.models import Role

    run_file(world, tmp_path, b"Name,Email\nAnna Schmidt,anna@example.de\n")
    run = run_file(world, tmp_path, b"Name,Email\nAnna Schmidt-Lang,anna@example.de\nCarl Klein,carl@example.de\n",
                   name="second.csv")
    world.owner.role = Role.objects.get(key=Role.READ_ONLY)
    world.owner.save()
    import_undo(actor=world.owner, run=run)
    assert set(Person.objects.values_list("last_name", flat=True)) == {"Müller", "Schmidt-Lang", "Klein"}
    reasons = list(ImportChange.objects.filter(run=run).values_list("undo_skipped", flat=True))
    assert reasons == ["you may no longer change this person"] * 2


def test_undo_records_history_and_keeps_people_with_history_for_users_who_may_not_delete(world, tmp_path):
    """A created person with a history entry since is soft-deleted only by a user who may delete; else reported."""
    from kunde.activities.services import activity_record

    run = run_file(world, tmp_path, b"Name,Email\nAnna Schmidt,anna@example.de\nBernd Weber,bernd@example.de\n")
    anna = Person.objects.get(last_name="Schmidt")
    activity_record(actor=world.owner, subject="Anruf", person=anna)
    import_undo(actor=world.owner, run=run)  # a member may not delete
    assert list(Person.objects.values_list("last_name", flat=True).order_by("last_name")) == ["Müller", "Schmidt"]
    assert "who may delete" in ImportChange.objects.get(run=run, object_id=anna.pk).undo_skipped
    assert AuditEntry.objects.filter(object_type="contacts.person", action="delete").count() == 1  # Bernd


# --- domain events --------------------------------------------------------------------------------


@pytest.fixture
def person_events():
    from kunde.core import events

    seen: list[tuple[str, int]] = []

    def handler(event_type, payload):
        if event_type.startswith("contacts.person_"):
            seen.append((event_type, payload["id"]))

    events.subscribe("*", handler)
    yield seen
    events.unsubscribe("*", handler)


def test_import_and_undo_announce_created_updated_and_deleted_people(world, tmp_path, person_events,
                                                                     django_capture_on_commit_callbacks):
    """Webhooks hear of imported people like of people created in the app."""
    with django_capture_on_commit_callbacks(execute=True):
        run_file(world, tmp_path, GERMAN_CSV.encode())
    created = {p.pk for p in Person.objects.exclude(pk=world.person.pk)}
    assert sorted(person_events) == sorted(("contacts.person_created", pk) for pk in created)
    person_events.clear()
    corrected = (GERMAN_CSV.replace("Jürgen;Weiß", "Jörg;Weiß")
                 .replace("aenne@example.de;0171 2345678;;;;;;;", "aenne@example.de;0171 2345678;;;;;;;Neu"))
    with django_capture_on_commit_callbacks(execute=True):
        run = run_file(world, tmp_path, corrected.encode(), name="second.csv")
    assert run.counts == {"updated": 2, "unchanged": 1, "failed": 1}
    weiss, aenne = Person.objects.get(last_name="Weiß"), Person.objects.get(last_name="Groß")
    assert sorted(person_events) == sorted([("contacts.person_updated", weiss.pk),
                                            ("contacts.person_updated", aenne.pk)])
    tag_entry = AuditEntry.objects.filter(object_type="contacts.person", object_id=str(aenne.pk),
                                          action="update").get()  # a tag only: audited too
    assert tag_entry.changes["tags"] == [[], ["Neu"]]
    person_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        import_undo(actor=world.owner, run=run)
    assert sorted(person_events) == sorted([("contacts.person_updated", weiss.pk),
                                            ("contacts.person_updated", aenne.pk)])
