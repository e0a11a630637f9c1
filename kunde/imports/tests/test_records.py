"""Importing organisations, products and history entries: suggestions, dry run, matching, references, resume, undo."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from kunde.activities.models import Activity
from kunde.commerce.models import Product, ProductCategory
from kunde.contacts.models import Organisation
from kunde.core.exceptions import PermissionDenied
from kunde.core.models import AuditEntry
from kunde.core.testing.factories import make_organisation, make_person
from kunde.imports import records
from kunde.imports.mapping import ACTIVITY, ORGANISATION, PRODUCT, suggest_mapping
from kunde.imports.models import ExternalReference, ImportChange, ImportRun
from kunde.imports.services import import_dry_run, import_execute, import_prepare, import_undo, report_path

pytestmark = pytest.mark.django_db

ORGS = (
    "Record ID,Company name,Industry,Number of Employees,VAT Number,Phone Number,Street Address,City,Postal Code,"
    "Country/Region\n"
    "H-1,Nordlicht Solar GmbH,Energie,35,DE136695976,030 1234567,Hauptstraße 1,Berlin,10115,Deutschland\n"
    "H-2,Gunther Glas AG,Glas,,,,,,,\n"
    "H-3,Kaputt GmbH,,,DE123456789,,,,,\n"
    "H-4,Atlantis Ltd,,,,,Meeresgrund 1,Poseidonia,12345,Atlantis\n"
    "H-5,Nordlicht Solar,,,,,,,,\n"
)


def write(tmp_path: Path, name: str, data: str) -> Path:
    path = tmp_path / name
    path.write_text(data, encoding="utf-8")
    return path


def prepare(user, tmp_path, data: str, object_type: str, name: str = "file.csv", **options) -> ImportRun:
    return import_prepare(actor=user, source=write(tmp_path, name, data), object_type=object_type, **options)


def run_file(user, tmp_path, data: str, object_type: str, name: str = "file.csv", **options) -> ImportRun:
    return import_execute(actor=user, run=prepare(user, tmp_path, data, object_type, name, **options))


def report(run: ImportRun, *, dry_run: bool = False) -> dict[int, tuple[str, str]]:
    lines = report_path(run, dry_run=dry_run).read_text(encoding="utf-8").splitlines()[1:]
    import csv

    return {int(row[0]): (row[1], row[2]) for row in csv.reader(lines)}


# --- suggestions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("object_type", "headers", "expected"), [
    (ORGANISATION, ["Record ID", "Company name", "Website URL", "Industry", "Number of Employees", "City",
                    "Country/Region"],  # HubSpot companies
     ["external_id", "name", "website", "industry", "size", "city", "country"]),
    (ORGANISATION, ["Account ID", "Account Name", "Billing Street", "Billing City", "Billing Zip/Postal Code",
                    "Billing Country", "Phone", "Website", "Description"],  # Salesforce accounts
     ["external_id", "name", "street", "city", "postal_code", "country", "phone", "website", "notes"]),
    (ORGANISATION, ["Organization - ID", "Organization - Name", "Organization - Address", "Organization - Label"],
     ["external_id", "name", "street", "tags"]),  # Pipedrive organisations
    (ORGANISATION, ["ID", "Name", "Street", "Zip", "City", "Country", "Email", "Tax ID", "Tags"],  # Odoo contacts
     ["external_id", "name", "street", "postal_code", "city", "country", "email", "vat_id", "tags"]),
    (PRODUCT, ["Product Code", "Product Name", "List Price", "Product Family", "Active"],  # Salesforce
     ["sku", "name", "net_price", "category", "is_active"]),
    (PRODUCT, ["Internal Reference", "Name", "Sales Price", "Customer Taxes", "Product Category",
               "Unit of Measure"],  # Odoo
     ["sku", "name", "net_price", "vat_rate", "category", "unit"]),
    (PRODUCT, ["Record ID", "Name", "SKU", "Unit price", "Description"],  # HubSpot
     ["external_id", "name", "sku", "net_price", "description"]),
    (PRODUCT, ["Artikelnummer", "Bezeichnung", "Nettopreis", "MwSt", "Einheit"],
     ["sku", "name", "net_price", "vat_rate", "unit"]),
    (ACTIVITY, ["Activity - ID", "Activity - Subject", "Activity - Type", "Activity - Due date", "Activity - Note",
                "Person - Email", "Organization - Name"],  # Pipedrive
     ["external_id", "subject", "channel", "occurred_at", "notes", "person_email", "organisation"]),
    (ACTIVITY, ["Record ID", "Activity date", "Activity type", "Call title", "Call notes", "Associated Contact",
                "Associated Company"],  # HubSpot
     ["external_id", "occurred_at", "channel", "subject", "notes", "person_email", "organisation"]),
    (ACTIVITY, ["Activity ID", "Subject", "Date", "Type", "Comments", "Contact ID", "Account Name"],  # Salesforce
     ["external_id", "subject", "occurred_at", "channel", "notes", "person_external_id", "organisation"]),
    (ACTIVITY, ["Activity Type", "Summary", "Due Date", "Note", "Related Document"],  # Odoo
     ["channel", "subject", "due_at", "notes", "organisation"]),
])
def test_mapping_suggestions_know_the_exports_of_each_type(object_type, headers, expected):
    assert list(suggest_mapping(headers, object_type).values()) == expected


# --- organisations ---------------------------------------------------------------------------------


def test_organisation_dry_run_reports_each_row_and_changes_nothing(world, tmp_path):
    run = prepare(world.owner, tmp_path, ORGS, ORGANISATION)
    counts = import_dry_run(actor=world.owner, run=run)
    assert counts == {"created": 1, "updated": 1, "failed": 2, "duplicate": 1}
    rows = report(run, dry_run=True)
    assert rows[1] == ("created", "")
    assert rows[2][0] == "updated" and "industry" in rows[2][1]  # found by name without legal form
    assert rows[3][0] == "failed" and "invalid VAT id 'DE123456789'" in rows[3][1]
    assert rows[4] == ("failed", "unknown country 'Atlantis'")
    assert rows[5] == ("duplicate", "same organisation as row 1")
    assert Organisation.objects.count() == 1 and not ImportChange.objects.exists()


def test_organisations_import_with_contact_points_and_reimport_changes_nothing(world, tmp_path):
    run = run_file(world.owner, tmp_path, ORGS, ORGANISATION)
    assert run.counts == {"created": 1, "updated": 1, "failed": 2, "duplicate": 1}
    solar = Organisation.objects.get(name="Nordlicht Solar GmbH")
    assert (solar.vat_id, solar.size, solar.industry, solar.owner, solar.team) == (
        "DE136695976", "10-49", "Energie", world.owner, world.team_a)
    assert [p.number for p in solar.phones.all()] == ["+49301234567"]
    assert [(a.street, a.city, a.country) for a in solar.addresses.all()] == [("Hauptstraße 1", "Berlin", "DE")]
    assert AuditEntry.objects.filter(object_type="contacts.organisation", object_id=str(solar.pk),
                                     action="create").exists()
    world.organisation.refresh_from_db()
    assert (world.organisation.name, world.organisation.industry) == ("Gunther Glas", "Glas")  # name kept
    versions = dict(Organisation.objects.values_list("pk", "version"))
    again = run_file(world.owner, tmp_path, ORGS, ORGANISATION, name="again.csv")
    assert again.counts == {"unchanged": 3, "failed": 2}
    assert dict(Organisation.objects.values_list("pk", "version")) == versions


def test_corrected_organisation_file_updates_in_place_and_undo_reverts_it(world, tmp_path):
    run_file(world.owner, tmp_path, ORGS, ORGANISATION)
    corrected = (ORGS.replace("Energie,35", "Solarenergie,35").replace("DE123456789", "DE129273398")
                 .replace("H-4,Atlantis Ltd,,,,,Meeresgrund 1,Poseidonia,12345,Atlantis\n", ""))
    run = run_file(world.owner, tmp_path, corrected, ORGANISATION, name="corrected.csv")
    assert run.counts == {"updated": 1, "unchanged": 2, "created": 1}
    assert Organisation.objects.get(name="Nordlicht Solar GmbH").industry == "Solarenergie"
    assert Organisation.objects.get(name="Kaputt GmbH").vat_id == "DE129273398"
    import_undo(actor=world.owner, run=run)
    assert Organisation.objects.get(name="Nordlicht Solar GmbH").industry == "Energie"
    assert not Organisation.all_objects.filter(name="Kaputt GmbH").exists()
    assert not ExternalReference.objects.filter(object_type=ORGANISATION, value="H-3").exists()


def test_organisations_match_by_vat_id_before_name(world, tmp_path):
    world.organisation.vat_id = "DE811907980"
    world.organisation.save()
    data = "Name,USt-IdNr\nGanz Anders KG,DE 811 907 980\n"
    run = run_file(world.owner, tmp_path, data, ORGANISATION)
    assert run.counts == {"updated": 1}
    world.organisation.refresh_from_db()
    assert world.organisation.name == "Ganz Anders KG"  # matched by its VAT id: the name is a correction


def test_other_teams_organisations_are_never_matched_or_changed(world, tmp_path):
    run_file(world.owner, tmp_path, ORGS, ORGANISATION)
    world.organisation.refresh_from_db()
    version = world.organisation.version
    run = run_file(world.other_team, tmp_path, "Company,Industry\nGunther Glas GmbH,Fremd\n", ORGANISATION,
                   name="other.csv")
    assert run.counts == {"created": 1}  # their own organisation of that name
    taken = run_file(world.other_team, tmp_path, "Record ID,Company name\nH-2,Übernahme\n", ORGANISATION,
                     name="taken.csv")
    assert taken.counts == {"failed": 1}
    assert "belongs to a record you may not change" in report(taken)[1][1]
    world.organisation.refresh_from_db()
    assert (world.organisation.version, world.organisation.industry) == (version, "Glas")
    assert Organisation.objects.get(team=world.team_b).industry == "Fremd"


def test_read_only_user_cannot_import(world, tmp_path):
    for object_type in (ORGANISATION, ACTIVITY, PRODUCT):
        with pytest.raises(PermissionDenied):
            prepare(world.read_only, tmp_path, ORGS, object_type)
    assert not ImportRun.objects.exists()


def test_unknown_object_type_is_refused(world, tmp_path):
    with pytest.raises(ValidationError, match="Unknown kind"):
        prepare(world.owner, tmp_path, ORGS, "sales.nonsense")


def test_mapping_without_a_name_is_refused_for_organisations(world, tmp_path):
    with pytest.raises(ValidationError, match="organisation's name"):
        prepare(world.owner, tmp_path, ORGS, ORGANISATION, mapping={"Record ID": "external_id"})


def _crash_on_third_batch(monkeypatch):
    real_write, writes = records.RecordImporter.write, []

    def crash(self, outcomes):
        writes.append(len(outcomes))
        real_write(self, outcomes)
        if len(writes) == 3:
            raise KeyboardInterrupt("killed")  # inside the batch's transaction: rolled back

    monkeypatch.setattr(records.RecordImporter, "write", crash)
    return real_write


def test_interrupted_organisation_import_resumes_without_duplicates(world, tmp_path, monkeypatch):
    data = "Name,Branche\n" + "".join(f"Firma Nummer {i},Handel\n" for i in range(130))
    run = prepare(world.owner, tmp_path, data, ORGANISATION)
    real_write = _crash_on_third_batch(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        import_execute(actor=world.owner, run=run, batch_size=40)
    run.refresh_from_db()
    assert (run.status, run.rows_done, Organisation.objects.count()) == ("interrupted", 80, 81)
    monkeypatch.setattr(records.RecordImporter, "write", real_write)
    import_execute(actor=world.owner, run=run, batch_size=40)
    run.refresh_from_db()
    assert (run.status, run.rows_done, run.counts) == ("done", 130, {"created": 130})
    assert Organisation.objects.filter(name__startswith="Firma Nummer").values("name").distinct().count() == 130
    assert Organisation.objects.count() == 131


def test_undo_soft_deletes_an_organisation_that_got_people_since(world, tmp_path):
    run = run_file(world.admin, tmp_path, "Name\nNeue Firma\n", ORGANISATION)
    organisation = Organisation.objects.get(name="Neue Firma")
    make_person(world.admin, last_name="Angestellt", organisation=organisation)
    import_undo(actor=world.admin, run=run)
    organisation = Organisation.all_objects.get(name="Neue Firma")
    assert organisation.deleted_at is not None
    assert organisation.employments.count() == 1  # the person's link stays reachable


def test_undo_leaves_an_organisation_changed_since(world, tmp_path):
    run = run_file(world.owner, tmp_path, "Name,Branche\nNeue Firma,Holz\n", ORGANISATION)
    organisation = Organisation.objects.get(name="Neue Firma")
    from kunde.contacts.services import organisation_update

    organisation_update(actor=world.owner, organisation=organisation, expected_version=None,
                        changes={"industry": "Stein"})
    run = import_undo(actor=world.owner, run=run)
    assert Organisation.objects.get(name="Neue Firma").industry == "Stein"
    assert list(run.changes.values_list("undo_skipped", flat=True)) == [
        "changed since the import; undo would overwrite the newer values"]


# --- products --------------------------------------------------------------------------------------

PRODUCTS = (
    "Artikelnummer;Bezeichnung;Nettopreis;MwSt;Kategorie;Aktiv\n"
    "VAS-1;Glasvase;1.234,56;19;Deko;ja\n"
    "KER-2;Kerze;4,99;7 %;;ja\n"
    "NEG-3;Gutschein;-5,00;19;;\n"
    "FAL-4;Falscher Satz;10,00;16;;\n"
    "UNK-5;Unbekannt;10,00;19;Möbel;\n"
    "VAS-1;Glasvase;1.234,56;19;Deko;ja\n"
)


@pytest.fixture
def deko(db) -> ProductCategory:
    return ProductCategory.objects.create(key="deko", name_en="Decoration", name_de="Deko")


def test_product_dry_run_reports_reasons(world, tmp_path, deko):
    run = prepare(world.admin, tmp_path, PRODUCTS, PRODUCT)
    assert import_dry_run(actor=world.admin, run=run) == {"created": 2, "failed": 3, "duplicate": 1}
    rows = report(run, dry_run=True)
    assert rows[3] == ("failed", "negative price '-5,00'")
    assert rows[4] == ("failed", "unknown VAT rate '16' (allowed: 0, 7, 19 %)")
    assert rows[5] == ("failed", "unknown category 'Möbel'")
    assert rows[6] == ("duplicate", "same product as row 1")
    assert not Product.objects.exists()


def test_products_import_reimport_and_corrected_file(world, tmp_path, deko):
    run = run_file(world.admin, tmp_path, PRODUCTS, PRODUCT)
    assert run.counts == {"created": 2, "failed": 3, "duplicate": 1}
    vase = Product.objects.get(sku="VAS-1")
    assert (vase.net_price, vase.vat_rate, vase.category, vase.is_active) == (
        Decimal("1234.56"), Decimal("19.00"), deko, True)
    assert Product.objects.get(sku="KER-2").vat_rate == Decimal("7.00")
    stamps = dict(Product.objects.values_list("sku", "updated_at"))
    assert run_file(world.admin, tmp_path, PRODUCTS, PRODUCT, name="again.csv").counts == {
        "unchanged": 3, "failed": 3}
    assert dict(Product.objects.values_list("sku", "updated_at")) == stamps
    corrected = PRODUCTS.replace("Kerze;4,99", "Kerze;5,49").replace(";16;", ";19;")
    run = run_file(world.admin, tmp_path, corrected, PRODUCT, name="corrected.csv")
    assert run.counts == {"updated": 1, "unchanged": 2, "created": 1, "failed": 2}
    assert Product.objects.get(sku="KER-2").net_price == Decimal("5.49")
    import_undo(actor=world.admin, run=run)
    assert Product.objects.get(sku="KER-2").net_price == Decimal("4.99")
    assert not Product.objects.filter(sku="FAL-4").exists()


def test_products_are_imported_by_administrators_only(world, tmp_path):
    with pytest.raises(PermissionDenied, match="administrators"):
        prepare(world.owner, tmp_path, PRODUCTS, PRODUCT)


def test_products_match_by_external_id_when_the_sku_was_corrected(world, tmp_path):
    run_file(world.admin, tmp_path, "ID,SKU,Name,Price\nP-1,OLD-1,Tisch,100\n", PRODUCT)
    run = run_file(world.admin, tmp_path, "ID,SKU,Name,Price\nP-1,NEW-1,Tisch,100\n", PRODUCT, name="b.csv")
    assert run.counts == {"updated": 1}
    assert list(Product.objects.values_list("sku", flat=True)) == ["NEW-1"]


# --- history entries -------------------------------------------------------------------------------

HISTORY = (
    "Activity - ID,Activity - Subject,Activity - Type,Activity - Due date,Activity - Note,Person - Email,"
    "Organization - Name\n"
    "A-1,Anruf wegen Angebot,Call,2026-11-20 10:00,Will ein Angebot,J.Mueller@gunther-glas.de,\n"
    "A-2,Besuch im Werk,Meeting,20.11.2026 14:30,,,Gunther Glas\n"
    "A-3,Zukunft,Call,2099-01-01 10:00,,j.mueller@gunther-glas.de,\n"
    "A-4,Unbekannt,Call,2026-11-20,,nobody@example.de,\n"
    "A-5,Fax geschickt,Fax,2026-11-20,,j.mueller@gunther-glas.de,\n"
    "A-6,Angebot nachfassen,Task,2027-01-15 09:00,,j.mueller@gunther-glas.de,\n"
    "A-7,Notiz,Note,2026-11-19,Hat Hund,,Nirgendwo AG\n"
)


def test_history_dry_run_reports_references_and_reasons(world, tmp_path):
    run = prepare(world.owner, tmp_path, HISTORY, ACTIVITY)
    assert import_dry_run(actor=world.owner, run=run) == {"created": 3, "failed": 4}
    rows = report(run, dry_run=True)
    assert rows[3] == ("failed", "date in the future (2099-01-01 10:00) for a contact that already happened")
    assert rows[4] == ("failed", "no person with e-mail nobody@example.de you may see")
    assert rows[5] == ("failed", "unknown channel 'Fax'")
    assert rows[7] == ("failed", "no organisation called 'Nirgendwo AG' you may see")
    assert not Activity.objects.exists()


def test_history_entries_land_on_the_timelines_and_reimport_changes_nothing(world, tmp_path):
    run = run_file(world.owner, tmp_path, HISTORY, ACTIVITY)
    assert run.counts == {"created": 3, "failed": 4}
    call = Activity.objects.get(subject="Anruf wegen Angebot")
    assert (call.kind, call.channel, call.person, call.organisation, call.notes, call.created_by) == (
        "contact", "phone", world.person, world.organisation, "Will ein Angebot", world.owner)
    visit = Activity.objects.get(subject="Besuch im Werk")
    assert (visit.person, visit.organisation, visit.channel, visit.occurred_at.day) == (
        None, world.organisation, "meeting", 20)
    task = Activity.objects.get(subject="Angebot nachfassen")
    assert (task.kind, task.assignee, task.due_at.year) == ("task", world.owner, 2027)
    versions = dict(Activity.objects.values_list("pk", "version"))
    assert run_file(world.owner, tmp_path, HISTORY, ACTIVITY, name="again.csv").counts == {
        "unchanged": 3, "failed": 4}
    assert dict(Activity.objects.values_list("pk", "version")) == versions
    corrected = HISTORY.replace("Will ein Angebot", "Will zwei Angebote")
    run = run_file(world.owner, tmp_path, corrected, ACTIVITY, name="corrected.csv")
    assert run.counts == {"updated": 1, "unchanged": 2, "failed": 4}
    assert Activity.objects.get(subject="Anruf wegen Angebot").notes == "Will zwei Angebote"
    import_undo(actor=world.owner, run=run)
    assert Activity.objects.get(subject="Anruf wegen Angebot").notes == "Will ein Angebot"


def test_history_rows_without_external_id_match_their_own_row_of_the_same_file(world, tmp_path):
    data = "Betreff,Typ,Datum,E-Mail\nTelefonat,Anruf,01.11.2026 09:15,j.mueller@gunther-glas.de\n"
    assert run_file(world.owner, tmp_path, data, ACTIVITY).counts == {"created": 1}
    assert run_file(world.owner, tmp_path, data, ACTIVITY, name="same.csv").counts == {"unchanged": 1}
    assert Activity.objects.count() == 1


def test_history_references_people_by_external_id_of_the_system(world, tmp_path):
    ExternalReference.objects.create(object_type="contacts.person", object_id=world.person.pk, system="crm",
                                     value="P-77")
    data = "Subject,Type,Date,Contact ID\nRückruf,Call,2026-11-02,P-77\nRückruf,Call,2026-11-02,P-78\n"
    run = run_file(world.owner, tmp_path, data, ACTIVITY, system="crm")
    assert run.counts == {"created": 1, "failed": 1}
    assert report(run)[2] == ("failed", "no person with external id 'P-78' of 'crm' you may see")
    assert Activity.objects.get().person == world.person


def test_history_on_customers_of_another_team_fails_and_changes_nothing(world, tmp_path):
    run = run_file(world.other_team, tmp_path, HISTORY, ACTIVITY)
    rows = report(run)
    assert rows[1] == ("failed", "no person with e-mail j.mueller@gunther-glas.de you may see")
    assert rows[2] == ("failed", "no organisation called 'Gunther Glas' you may see")
    assert not Activity.objects.exists()
    run_file(world.owner, tmp_path, HISTORY, ACTIVITY)
    make_organisation(world.other_team, name="Eigene Firma")
    taken = run_file(world.other_team, tmp_path,
                     "ID,Subject,Type,Date,Company\nA-1,Übernahme,Call,2026-11-20,Eigene Firma\n", ACTIVITY,
                     name="taken.csv")
    assert taken.counts == {"failed": 1}
    assert "belongs to a record you may not change" in report(taken)[1][1]
    assert Activity.objects.get(subject="Anruf wegen Angebot").version == 1


def test_interrupted_history_import_resumes_without_duplicates(world, tmp_path, monkeypatch):
    data = "Subject,Type,Date,Email\n" + "".join(
        f"Anruf {i},Call,2026-10-01 10:{i % 60:02d},j.mueller@gunther-glas.de\n" for i in range(100))
    run = prepare(world.owner, tmp_path, data, ACTIVITY)
    real_write = _crash_on_third_batch(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        import_execute(actor=world.owner, run=run, batch_size=30)
    run.refresh_from_db()
    assert (run.status, run.rows_done, Activity.objects.count()) == ("interrupted", 60, 60)
    monkeypatch.setattr(records.RecordImporter, "write", real_write)
    import_execute(actor=world.owner, run=run, batch_size=30)
    run.refresh_from_db()
    assert (run.status, run.counts) == ("done", {"created": 100})
    assert Activity.objects.values("subject").distinct().count() == Activity.objects.count() == 100


def test_undo_removes_imported_history_entries(world, tmp_path):
    run = run_file(world.owner, tmp_path, HISTORY, ACTIVITY)
    import_undo(actor=world.owner, run=run)
    assert not Activity.objects.exists()
    assert AuditEntry.objects.filter(object_type="activities.activity", action="delete").count() == 3


def test_import_announces_created_organisations_and_history(world, tmp_path, django_capture_on_commit_callbacks):
    from kunde.core import events

    seen: list[str] = []

    def handler(event_type: str, payload: dict) -> None:
        seen.append(event_type)

    events.subscribe("*", handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run_file(world.owner, tmp_path, "Name\nNeue Firma\n", ORGANISATION)
            run_file(world.owner, tmp_path, HISTORY, ACTIVITY, name="h.csv")
    finally:
        events.unsubscribe("*", handler)
    assert seen.count("contacts.organisation_created") == 1
    assert seen.count("activities.activity_recorded") == 3
    assert seen.count("imports.run_finished") == 2


# --- deals -----------------------------------------------------------------------------------------

DEALS = (
    "Deal - ID;Deal - Title;Deal - Value;Deal - Currency;Deal - Stage;Deal - Expected close date;Person - Email;"
    "Organization - Name\n"
    "D-1;Glasfassade Nord;12.500,00;EUR;Angebot;2027-03-31;j.mueller@gunther-glas.de;\n"
    "D-2;Wartungsvertrag;4.800;EUR;Won;;;Gunther Glas\n"
    "D-3;Verloren;100;EUR;Lost;;;Gunther Glas\n"
    "D-4;Negativ;-100;EUR;Angebot;;;Gunther Glas\n"
    "D-5;Niemand;100;EUR;Angebot;;fremd@example.de;\n"
    "D-6;Phantasie;100;EUR;Traumphase;;;Gunther Glas\n"
)


def test_deals_import_with_stages_and_references_and_reimport_changes_nothing(world, tmp_path):
    from kunde.sales.models import Deal

    assert list(suggest_mapping(DEALS.splitlines()[0].split(";"), "sales.deal").values()) == [
        "external_id", "title", "amount", "currency", "stage", "expected_close_date", "person_email",
        "organisation"]  # Pipedrive's deal export
    run = run_file(world.owner, tmp_path, DEALS, "sales.deal")
    assert run.counts == {"created": 2, "failed": 4}
    rows = report(run)
    assert rows[3][0] == "failed" and "a lost deal needs a reason" in rows[3][1]
    assert rows[4] == ("failed", "negative amount '-100'")
    assert rows[5] == ("failed", "no person with e-mail fremd@example.de you may see")
    assert rows[6][0] == "failed" and "unknown stage 'Traumphase'" in rows[6][1]
    facade = Deal.objects.get(title="Glasfassade Nord")
    assert (facade.amount, facade.stage.name_en, facade.person, facade.status) == (
        Decimal("12500.00"), "Proposal", world.person, "open")
    assert Deal.objects.get(title="Wartungsvertrag").status == "won"
    assert Activity.objects.filter(kind="sales.deal_created", person=world.person).exists()  # on the timeline
    versions = dict(Deal.objects.values_list("pk", "version"))
    assert run_file(world.owner, tmp_path, DEALS, "sales.deal", name="again.csv").counts == {
        "unchanged": 2, "failed": 4}
    assert dict(Deal.objects.values_list("pk", "version")) == versions
    corrected = DEALS.replace("12.500,00;EUR;Angebot", "13.000,00;EUR;Verhandlung")
    run = run_file(world.owner, tmp_path, corrected, "sales.deal", name="corrected.csv")
    assert run.counts == {"updated": 1, "unchanged": 1, "failed": 4}
    facade.refresh_from_db()
    assert (facade.amount, facade.stage.name_en) == (Decimal("13000.00"), "Negotiation")
    import_undo(actor=world.owner, run=run)
    facade.refresh_from_db()
    assert (facade.amount, facade.stage.name_en) == (Decimal("12500.00"), "Proposal")


def test_undo_of_a_deal_import_removes_the_deals_and_their_timeline_entries(world, tmp_path):
    from kunde.sales.models import Deal

    run = run_file(world.owner, tmp_path, DEALS, "sales.deal")
    assert Activity.objects.filter(kind__startswith="sales.deal_").exists()
    import_undo(actor=world.owner, run=run)
    assert not Deal.all_objects.exists()
    assert not Activity.objects.filter(kind__startswith="sales.deal_").exists()


def test_deals_of_another_team_are_never_matched(world, tmp_path):
    from kunde.sales.models import Deal

    run_file(world.owner, tmp_path, DEALS, "sales.deal")
    make_organisation(world.other_team, name="Süd GmbH")
    run = run_file(world.other_team, tmp_path, "ID,Title,Company\nD-1,Übernahme,Süd GmbH\n", "sales.deal",
                   name="taken.csv")
    assert run.counts == {"failed": 1}
    assert Deal.objects.get(title="Glasfassade Nord").version == 1
