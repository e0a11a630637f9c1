"""`kunde import people`: the command line a user runs, from the file to the report, again, and undone."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from kunde.contacts.models import Person
from kunde.core.models import AuditEntry
from kunde.imports.models import ImportRun

pytestmark = pytest.mark.django_db

CSV = (
    "Kundennummer;Vorname;Nachname;E-Mail;Telefon;Firma\n"
    "K-1;Jürgen;Weiß;J.Weiss@glas.example;030 1234567;Gunther Glas GmbH\n"
    "K-2;Änne;Groß;;0171 2345678;\n"
    "K-3;Kaputt;Mail;keine-adresse;;\n"
    ";Olga;Ohnekey;;;\n"
)


def kunde_import(*args: str) -> str:
    out = io.StringIO()
    call_command("import", "people", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_command_imports_a_file_and_running_it_again_changes_nothing(world, tmp_path):
    """The file's people are created once; the same command again reports every row unchanged."""
    path = tmp_path / "kunden.csv"
    path.write_text(CSV, encoding="utf-8")
    output = kunde_import(str(path), "--as", "owner")
    first = ImportRun.objects.get()
    assert f"Import {first.pk}: kunden.csv" in output and "'Nachname' -> last_name" in output
    assert f"Import {first.pk} done: {{'created': 3, 'failed': 1}}" in output
    weiss = Person.objects.get(last_name="Weiß")
    assert ([e.email for e in weiss.emails.all()], weiss.owner) == (["J.Weiss@glas.example"], world.owner)
    assert [e.organisation.name for e in weiss.employments.all()] == ["Gunther Glas GmbH"]
    assert Person.objects.get(last_name="Groß").phones.get().number == "+491712345678"
    people, audit = Person.objects.count(), AuditEntry.objects.count()

    again = kunde_import(str(path), "--as", "owner")
    second = ImportRun.objects.latest("id")
    assert f"Import {second.pk} done: {{'failed': 1, 'unchanged': 3}}" in again
    assert (Person.objects.count(), AuditEntry.objects.count()) == (people, audit)

    assert kunde_import("--undo", str(second.pk), "--as", "owner") == f"Import {second.pk} undone.\n"
    kunde_import("--undo", str(first.pk), "--as", "owner")
    assert list(Person.objects.all()) == [world.person]


def test_import_command_dry_run_and_refusals(world, tmp_path):
    """A dry run saves nothing; an unknown user or a missing file is a clear error."""
    path = tmp_path / "kunden.csv"
    path.write_text(CSV, encoding="utf-8")
    output = kunde_import(str(path), "--as", "owner", "--dry-run")
    assert "Dry run: {'created': 3, 'failed': 1}" in output
    assert list(Person.objects.all()) == [world.person]
    with pytest.raises(CommandError, match="no active user 'nobody'"):
        kunde_import(str(path), "--as", "nobody")
    with pytest.raises(CommandError, match="is not a file"):
        kunde_import(str(tmp_path / "missing.csv"), "--as", "owner")


def test_import_command_imports_organisations_and_history_and_undoes_them(world, tmp_path):
    """The same command takes organisations and history entries, with --map, --system, dry run and undo."""
    from kunde.activities.models import Activity
    from kunde.contacts.models import Organisation

    companies = tmp_path / "firmen.csv"
    companies.write_text("Firmen-Nr;Firma;Branche;Egal\nF-1;Nordlicht Solar GmbH;Energie;x\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import", "organisations", str(companies), "--as", "owner", "--dry-run", "--map",
                 "Firmen-Nr=external_id", "--system", "erp", stdout=out, stderr=io.StringIO())
    assert "Dry run: {'created': 1}" in out.getvalue() and not Organisation.objects.filter(industry="Energie")
    call_command("import", "organisations", str(companies), "--as", "owner", "--map", "Firmen-Nr=external_id",
                 "--system", "erp", stdout=out, stderr=io.StringIO())
    run = ImportRun.objects.latest("id")
    assert (run.object_type, run.system, run.counts) == ("contacts.organisation", "erp", {"created": 1})
    history = tmp_path / "historie.csv"
    history.write_text("Betreff;Typ;Datum;Firma\nErstgespräch;Telefon;03.11.2026 10:00;Nordlicht Solar GmbH\n",
                       encoding="utf-8")
    out = io.StringIO()
    call_command("import", "activities", str(history), "--as", "owner", stdout=out, stderr=io.StringIO())
    assert "done: {'created': 1}" in out.getvalue()
    assert Activity.objects.get().organisation.name == "Nordlicht Solar GmbH"
    call_command("import", "activities", "--undo", str(ImportRun.objects.latest("id").pk), "--as", "owner",
                 stdout=io.StringIO())
    assert not Activity.objects.exists()


def test_import_command_refuses_products_for_non_administrators(world, tmp_path):
    path = tmp_path / "produkte.csv"
    path.write_text("SKU;Name;Preis\nA-1;Tisch;100\n", encoding="utf-8")
    with pytest.raises(CommandError, match="administrators"):
        call_command("import", "products", str(path), "--as", "owner", stdout=io.StringIO())
    assert not ImportRun.objects.exists()
