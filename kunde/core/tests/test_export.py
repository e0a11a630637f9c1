"""CSV/XLSX export: exact content, formula neutralisation, umlauts, scope, chunks, audit."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kunde.core import export
from kunde.core.export import ExportColumn, csv_bytes, csv_text, neutralise, xlsx_bytes
from kunde.core.models import AuditEntry
from kunde.core.testing.factories import make_person

URL = "/test-people/"
COLUMNS = [
    ExportColumn("Name", lambda r: r.name),
    ExportColumn("Amount", lambda r: r.amount),
    ExportColumn("Since", lambda r: r.since),
]


def rows(*names, amount=None, since=None):
    return [SimpleNamespace(name=n, amount=amount, since=since) for n in names]


def parse_csv(data: bytes, delimiter: str = ",") -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8")), delimiter=delimiter))


def read_xlsx(data: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


# --- the service -------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("=1+1", "'=1+1"),
    ("+49 30 123", "'+49 30 123"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("  =1+1", "'  =1+1"),
    ("\n@SUM(A1)", "'\n@SUM(A1)"),
    ("\x00\x1f-2+3", "'\x00\x1f-2+3"),
    ("\u00a0+cmd", "'\u00a0+cmd"),
    ("  Müller", "  Müller"),
    ("Müller = Meier", "Müller = Meier"),
    ("", ""),
])
def test_neutralise(raw, expected):
    assert neutralise(raw) == expected


def test_numbers_are_not_neutralised():
    assert csv_text(-5) == "-5"
    assert csv_text(Decimal("-1.50")) == "-1.50"
    assert csv_text(None) == ""


def test_csv_content_with_bom_umlauts_and_neutralised_formulas():
    data = csv_bytes(rows("Jürgen Müller", '=HYPERLINK("http://evil","x")', "Ærøskøbing; Straße", amount=3,
                          since=dt.date(2026, 1, 31)), COLUMNS)
    assert parse_csv(data) == [
        ["Name", "Amount", "Since"],
        ["Jürgen Müller", "3", "2026-01-31"],
        ["'=HYPERLINK(\"http://evil\",\"x\")", "3", "2026-01-31"],
        ["Ærøskøbing; Straße", "3", "2026-01-31"],
    ]
    assert data.count(b"\r\n") == 4


def test_csv_with_semicolons():
    data = csv_bytes(rows("a;b", "c"), COLUMNS[:1], delimiter=";")
    assert data == "\ufeffName\r\n\"a;b\"\r\nc\r\n".encode()


def test_csv_datetimes_in_local_time():
    moment = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)  # 12:00 in Berlin (summer time)
    assert csv_text(moment) == "2026-06-01 12:00:00"


def test_xlsx_writes_text_never_formulas():
    since = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
    data = xlsx_bytes(rows("=1+1", "+49 30 123", "@cmd", "Jürgen", amount=Decimal("2.5"), since=since), COLUMNS)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    cells = list(sheet.iter_rows(min_row=2, max_col=1))
    assert [c[0].value for c in cells] == ["=1+1", "+49 30 123", "@cmd", "Jürgen"]
    assert [c[0].data_type for c in cells] == ["s", "s", "s", "s"]
    assert sheet["B2"].value == 2.5 and sheet["B2"].data_type == "n"
    assert sheet["C2"].value == dt.datetime(2026, 6, 1, 12, 0)
    # No formula anywhere in the sheet XML.
    import zipfile
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert 'inlineStr' in xml


def test_xlsx_drops_control_characters_openpyxl_refuses():
    data = xlsx_bytes(rows("Bell\x07 und \x0bTab"), COLUMNS[:1])
    assert read_xlsx(data) == [["Name"], ["Bell und Tab"]]


def test_lists_and_none_become_plain_cells():
    columns = [ExportColumn("Tags", lambda r: r), ExportColumn("Empty", lambda r: None)]
    assert parse_csv(csv_bytes([["VIP", "=x"]], columns)) == [["Tags", "Empty"], ["VIP, =x", ""]]
    assert read_xlsx(xlsx_bytes([["VIP", "B"]], columns)) == [["Tags", "Empty"], ["VIP, B", None]]


# --- through the list page ----------------------------------------------------------


def download(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.django_db
@pytest.mark.urls("kunde.core.tests.list_urls")
def test_export_has_all_matching_rows_not_just_the_page(client, world):
    for index in range(60):
        make_person(world.owner, first_name="Anna", last_name=f"Messe{index:02d}", tags=["Messe"],
                    emails=[{"email": f"anna{index}@example.de"}])
    make_person(world.owner, last_name="Ohne Tag")
    client.force_login(world.admin)
    response = client.get(URL, {"tag": "Messe", "sort": "-name", "cursor": "ignored", "page_size": "2",
                                "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="people-{today}.csv"'
    table = parse_csv(download(response))
    assert table[0] == ["Name", "E-mail", "Tags", "Owner"]
    assert len(table) == 61
    assert table[1] == ["Anna Messe59", "anna59@example.de", "Messe", "owner"]
    assert table[-1] == ["Anna Messe00", "anna0@example.de", "Messe", "owner"]


@pytest.mark.django_db
@pytest.mark.urls("kunde.core.tests.list_urls")
def test_export_is_scoped_to_the_user(client, world):
    mine = make_person(world.other_team, first_name="Zoë", last_name="Süß")
    client.force_login(world.other_team)
    table = parse_csv(download(client.get(URL, {"format": "csv"})))
    assert table == [["Name", "E-mail", "Tags", "Owner"], [mine.full_name, "", "", "other"]]


@pytest.mark.django_db
@pytest.mark.urls("kunde.core.tests.list_urls")
def test_export_neutralises_formulas_from_records(client, world):
    make_person(world.owner, first_name="=cmd|' /C calc'!A0", last_name="Angreifer", tags=["@evil"])
    client.force_login(world.admin)
    table = parse_csv(download(client.get(URL, {"tag": "@evil", "format": "csv"})))
    assert table[1][:3] == ["'=cmd|' /C calc'!A0 Angreifer", "", "'@evil"]
    workbook = read_xlsx(download(client.get(URL, {"tag": "@evil", "format": "xlsx"})))
    assert workbook[1][:3] == ["=cmd|' /C calc'!A0 Angreifer", None, "@evil"]


@pytest.mark.django_db
@pytest.mark.urls("kunde.core.tests.list_urls")
def test_xlsx_export_through_the_page(client, world):
    client.force_login(world.admin)
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == export.CONTENT_TYPES["xlsx"]
    assert response["Cache-Control"] == "no-store"
    assert read_xlsx(download(response)) == [
        ["Name", "E-mail", "Tags", "Owner"],
        ["Jürgen Müller", "j.mueller@gunther-glas.de", None, "owner"],
    ]


@pytest.mark.django_db
@pytest.mark.urls("kunde.core.tests.list_urls")
def test_german_ui_exports_semicolons(client, world):
    make_person(world.owner, first_name="Jörg", last_name="Übel", tags=["A", "B"])
    client.force_login(world.admin)
    client.cookies["django_language"] = "de"
    data = download(client.get(URL, {"format": "csv", "tag": "A"}))
    assert parse_csv(data, delimiter=";")[1] == ["Jörg Übel", "", "A, B", "owner"]


@pytest.mark.django_db
@pytest.mark.urls("kunde.core.tests.list_urls")
def test_export_is_audited(client, world):
    for index in range(3):
        make_person(world.owner, last_name=f"Messe{index}", tags=["Messe"])
    client.force_login(world.admin)
    AuditEntry.objects.all().delete()
    download(client.get(URL, {"tag": "Messe", "format": "csv"}))
    download(client.get(URL, {"format": "xlsx"}))
    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.actor_id, e.action, e.object_type, e.changes["_extra"]) for e in entries] == [
        (world.admin.pk, "export", "contacts.person",
         {"format": "csv", "rows": 3, "query": "tag=Messe", "complete": True}),
        (world.admin.pk, "export", "contacts.person",
         {"format": "xlsx", "rows": 4, "query": "", "complete": True}),
    ]
    assert all(len(e.request_id) == 32 for e in entries)


@pytest.mark.django_db
@pytest.mark.urls("kunde.core.tests.list_urls")
def test_bad_export_requests_are_400(client, world):
    client.force_login(world.admin)
    AuditEntry.objects.all().delete()
    response = client.get(URL, {"format": "pdf"})
    assert response.status_code == 400
    assert "<code>format</code>" in response.content.decode()
    response = client.get(URL, {"format": "csv", "colour": "blue"})
    assert response.status_code == 400
    assert "<code>colour</code>" in response.content.decode()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.urls("kunde.core.tests.list_urls")
def test_export_reads_rows_in_chunks(client, world, monkeypatch):
    """Prefetches run once per chunk: the rows are never all loaded at once."""
    monkeypatch.setattr(export, "CHUNK_SIZE", 10)
    for index in range(24):
        make_person(world.owner, last_name=f"Chunk{index:02d}")
    client.force_login(world.admin)
    with CaptureQueriesContext(connection) as queries:
        table = parse_csv(download(client.get(URL, {"format": "csv"})))
    assert len(table) == 26
    tag_queries = [q for q in queries.captured_queries if '"core_tag"' in q["sql"]]
    assert len(tag_queries) == 3  # 25 rows in chunks of 10


@pytest.mark.django_db
@pytest.mark.urls("kunde.core.tests.list_urls")
def test_export_appends_custom_fields(client, world):
    from kunde.core.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(object_type="contacts.person", key="since", label="Kunde seit",
                                         field_type="date", position=1)
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="vip", label="VIP",
                                         field_type="boolean", position=2)
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="note", label="Notiz",
                                         field_type="text", position=3)
    make_person(world.owner, first_name="Ida", last_name="Custom", tags=["cf"],
                custom_fields={"since": "2024-05-01", "vip": "ja", "note": "=SUMME(A1)"})
    client.force_login(world.admin)
    table = parse_csv(download(client.get(URL, {"tag": "cf", "format": "csv"})))
    assert table == [["Name", "E-mail", "Tags", "Owner", "Kunde seit", "VIP", "Notiz"],
                     ["Ida Custom", "", "cf", "owner", "2024-05-01", "yes", "'=SUMME(A1)"]]
    sheet = read_xlsx(download(client.get(URL, {"tag": "cf", "format": "xlsx"})))
    assert sheet[1][4:] == [dt.datetime(2024, 5, 1), True, "=SUMME(A1)"]
