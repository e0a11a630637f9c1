"""The import wizard in the web UI: upload, mapping, dry run, import in the worker, report, undo."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kunde.contacts.models import Person
from kunde.imports.models import ImportRun, SavedMapping

pytestmark = pytest.mark.django_db

CSV = (
    "Vorname;Nachname;E-Mail-Adresse;Firma;Lieblingsfarbe\n"
    "Gunther;Glas;gg@glas.example;Gunther Glas GmbH;blau\n"
    "Petra;Paulsen;petra@paulsen.example;;grün\n"
    "Kaputt;Adresse;not-an-address;;rot\n"
).encode("cp1252")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, content: bytes = CSV, name: str = "kunden.csv"):
    return client.post(reverse("imports:new"), {"file": SimpleUploadedFile(name, content), "system": "shop"})


def test_upload_suggests_a_mapping_and_shows_sample_values(world):
    client = _client(world.owner)
    response = _upload(client)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[run.pk])
    assert run.mapping == {"Vorname": "first_name", "Nachname": "last_name", "E-Mail-Adresse": "email",
                           "Firma": "organisation", "Lieblingsfarbe": ""}
    page = client.get(response["Location"]).content.decode()
    assert "gg@glas.example · petra@paulsen.example" in page  # the column's first values, decoded from cp1252
    assert "grün" in page
    assert not Person.objects.filter(last_name="Glas").exists()


def test_an_unreadable_file_is_refused_with_the_reason(world):
    response = _upload(_client(world.owner), content=b"\x00\x01\x02binary", name="x.csv")
    assert response.status_code == 200
    assert ImportRun.objects.count() == 0
    assert "invalid-feedback" in response.content.decode()


def test_dry_run_then_import_then_undo(world, django_capture_on_commit_callbacks):
    client = _client(world.owner)
    run = ImportRun.objects.get(pk=int(_upload(client)["Location"].rstrip("/").split("/")[-1]))

    with django_capture_on_commit_callbacks(execute=True):  # the worker runs the task after the commit
        client.post(reverse("imports:dry_run", args=[run.pk]))
    run.refresh_from_db()
    assert run.dry_run_counts == {"created": 2, "failed": 1} and run.dry_run_rows == 3 and run.queued == ""
    assert not Person.objects.filter(last_name__in=["Glas", "Paulsen"]).exists()  # a dry run saves nothing
    page = client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    assert page.index('data-result="failed"') < page.index('data-result="created"')  # problems first
    report = client.get(reverse("imports:report", args=[run.pk, "dry-run"]))
    assert b"".join(report.streaming_content).decode().startswith("row,result,detail")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:start", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and run.counts == {"created": 2, "failed": 1}
    glas = Person.objects.get(last_name="Glas")
    assert glas.owner == world.owner and glas.emails.get().email == "gg@glas.example"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("imports:start", args=[run.pk])).status_code == 302
    assert Person.objects.filter(last_name="Glas").count() == 1  # a second click imports nothing twice

    client.post(reverse("imports:undo", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == ImportRun.Status.UNDONE
    assert not Person.objects.filter(last_name__in=["Glas", "Paulsen"]).exists()


def test_mapping_is_saved_and_offered_for_the_next_file_with_the_same_columns(world):
    client = _client(world.owner)
    run = ImportRun.objects.get(pk=int(_upload(client)["Location"].rstrip("/").split("/")[-1]))
    mapping = {f"map:{header}": field for header, field in run.mapping.items()}
    mapping["map:Lieblingsfarbe"] = "notes"
    client.post(reverse("imports:mapping", args=[run.pk]), {**mapping, "mapping_name": "Shop-Export"})
    run.refresh_from_db()
    assert run.mapping["Lieblingsfarbe"] == "notes"
    assert SavedMapping.objects.get().name == "Shop-Export"
    _upload(client, name="kunden-2.csv")
    assert ImportRun.objects.latest("id").mapping["Lieblingsfarbe"] == "notes"


def test_a_mapping_without_a_name_column_cannot_run(world):
    client = _client(world.owner)
    run = ImportRun.objects.get(pk=int(_upload(client)["Location"].rstrip("/").split("/")[-1]))
    mapping = {f"map:{header}": field for header, field in run.mapping.items()}
    mapping["map:Nachname"] = ""
    response = client.post(reverse("imports:mapping", args=[run.pk]), mapping, follow=True)
    run.refresh_from_db()
    assert run.mapping["Nachname"] == "last_name"  # the unusable mapping was not stored
    assert "last name" in response.content.decode().lower()


@pytest.mark.parametrize("who, status", [("teammate", 404), ("other_team", 404), ("admin", 200)])
def test_only_the_importer_and_admins_see_a_run(world, who, status):
    run = ImportRun.objects.get(pk=int(_upload(_client(world.owner))["Location"].rstrip("/").split("/")[-1]))
    client = _client(getattr(world, who))
    assert client.get(reverse("imports:detail", args=[run.pk])).status_code == status
    assert client.get(reverse("imports:status", args=[run.pk])).status_code == status
    if status == 404:
        assert client.post(reverse("imports:start", args=[run.pk])).status_code == 404
        assert not Person.objects.filter(last_name="Glas").exists()


def test_a_read_only_user_cannot_import(world):
    response = _upload(_client(world.read_only))
    assert response.status_code == 403
    assert ImportRun.objects.count() == 0


def test_the_wizard_needs_a_login(world):
    assert Client().get(reverse("imports:list")).status_code == 302


ORGANISATIONS = (
    "Account ID,Account Name,Industry,Billing City,Billing Street\n"
    "SF-1,Nordlicht Solar GmbH,Energie,Berlin,Hauptstraße 1\n"
    "SF-2,Gunther Glas AG,Glas,,\n"
).encode()


def test_the_upload_form_asks_what_the_file_holds_and_the_mapping_offers_that_types_fields(world,
                                                                                          django_capture_on_commit_callbacks):
    from kunde.contacts.models import Organisation

    client = _client(world.owner)
    form = client.get(reverse("imports:new") + "?object_type=contacts.organisation").content.decode()
    assert "What the file holds" in form and '<option value="contacts.organisation" selected>' in form
    response = client.post(reverse("imports:new"), {"file": SimpleUploadedFile("accounts.csv", ORGANISATIONS),
                                                    "system": "salesforce", "object_type": "contacts.organisation"})
    run = ImportRun.objects.get()
    assert (run.object_type, run.mapping) == ("contacts.organisation", {
        "Account ID": "external_id", "Account Name": "name", "Industry": "industry", "Billing City": "city",
        "Billing Street": "street"})
    page = client.get(response["Location"]).content.decode()
    assert '<option value="vat_id">' in page and '<option value="first_name">' not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:dry_run", args=[run.pk]))
    run.refresh_from_db()
    assert run.dry_run_counts == {"created": 1, "updated": 1}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:start", args=[run.pk]))
    run.refresh_from_db()
    assert (run.status, run.counts) == ("done", {"created": 1, "updated": 1})
    assert Organisation.objects.get(name="Nordlicht Solar GmbH").addresses.get().city == "Berlin"
    client.post(reverse("imports:undo", args=[run.pk]))
    assert not Organisation.objects.filter(name="Nordlicht Solar GmbH").exists()


def test_a_mapping_of_another_type_is_refused(world):
    client = _client(world.owner)
    client.post(reverse("imports:new"), {"file": SimpleUploadedFile("accounts.csv", ORGANISATIONS),
                                         "system": "salesforce", "object_type": "contacts.organisation"})
    run = ImportRun.objects.get()
    client.post(reverse("imports:mapping", args=[run.pk]), {"map:Account Name": "last_name"})
    run.refresh_from_db()
    assert run.mapping["Account Name"] == "name"  # unchanged: last_name is not an organisation's field


def test_only_administrators_may_upload_products(world):
    upload = {"file": SimpleUploadedFile("p.csv", b"SKU,Name,Price\nA-1,Tisch,100\n"), "system": "erp",
              "object_type": "commerce.product"}
    assert _client(world.owner).post(reverse("imports:new"), upload).status_code == 403
    upload["file"] = SimpleUploadedFile("p.csv", b"SKU,Name,Price\nA-1,Tisch,100\n")
    assert _client(world.admin).post(reverse("imports:new"), upload).status_code == 302
    assert ImportRun.objects.get().object_type == "commerce.product"
