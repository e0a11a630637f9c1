"""CSV and XLSX export of any list: a columns spec, an iterable of rows, bounded memory.

Rows are read in chunks (`QuerySet.iterator(chunk_size=...)`), CSV is streamed as it is
written and XLSX goes through openpyxl's write-only mode into a temporary file, so an
export of 100k rows never holds them all in memory.

Spreadsheet formula injection (CWE-1236) is neutralised: in CSV a text cell that starts
with `=`, `+`, `-`, `@`, tab or carriage return gets a leading apostrophe; in XLSX every
text cell is written as an inline string, never as a formula.

    columns = [ExportColumn(_("Name"), lambda p: p.full_name), ExportColumn(_("Created"), attrgetter("created_at"))]
    response = export_response(rows=queryset, columns=columns, fmt="csv", filename="people")
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from kunde.core.models import AuditEntry

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_SIZE = 1000
BOM = "\ufeff"
# The audit action of an export; not one of AuditEntry.Action's record changes.
EXPORT_ACTION = AuditEntry.Action.EXPORT

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets skip leading blanks and control characters before they look for a formula.
_LEADING_BLANKS = re.compile(r"^[\s\x00-\x1f\x7f\u00a0\u200b\ufeff]+")
# XML 1.0 forbids these control characters; openpyxl refuses them in cell text.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class ExportColumn:
    """One exported column: a header and how to get the value from a row."""

    header: str | Promise
    value: Callable[[Any], Any]


def neutralise(text: str) -> str:
    """Return `text` so that a spreadsheet never reads it as a formula (also behind leading blanks)."""
    if text.startswith(_FORMULA_STARTS) or _LEADING_BLANKS.sub("", text).startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def plain_value(value: Any) -> Any:
    """Reduce `value` to None, bool, int, float, Decimal, date, datetime or str."""
    if value is None or isinstance(value, bool | int | float | decimal.Decimal | dt.date):
        return value
    if isinstance(value, models.Manager):
        value = value.all()
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return ", ".join(str(plain_value(item)) for item in value if item is not None)
    return str(value)


def _local(value: dt.datetime) -> dt.datetime:
    """Return an aware datetime in the current time zone, without tzinfo (spreadsheets lack zones)."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def csv_text(value: Any) -> str:
    """Return one CSV cell: plain text, neutralised; dates in ISO 8601."""
    value = plain_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return _local(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    return neutralise(value)


def iter_rows(rows: Iterable[Any], columns: Sequence[ExportColumn]) -> Iterator[list[Any]]:
    """Yield the column values of each row; querysets are read in chunks."""
    if isinstance(rows, models.QuerySet):
        rows = rows.iterator(chunk_size=CHUNK_SIZE)
    for row in rows:
        yield [column.value(row) for column in columns]


class _Echo:
    """A file-like object whose write returns the text, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(
    rows: Iterable[Any], columns: Sequence[ExportColumn], *, delimiter: str = ",",
    on_row: Callable[[], None] | None = None,
) -> Iterator[bytes]:
    """Yield a UTF-8 CSV (with BOM, so Excel reads umlauts right) in chunks of bytes."""
    writer = csv.writer(_Echo(), delimiter=delimiter, lineterminator="\r\n")
    buffer = [BOM, writer.writerow([str(column.header) for column in columns])]
    for values in iter_rows(rows, columns):
        buffer.append(writer.writerow([csv_text(v) for v in values]))
        if on_row is not None:
            on_row()
        if len(buffer) >= 200:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    value = plain_value(value)
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=_local(value))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=_ILLEGAL_XML.sub("", value))
        # openpyxl reads a leading "=" as a formula; text is always text here.
        cell.data_type = "s"
        return cell
    return WriteOnlyCell(sheet, value=value)


def write_xlsx(
    rows: Iterable[Any], columns: Sequence[ExportColumn], target: Any, *, title: str = "Export",
    on_row: Callable[[], None] | None = None,
) -> None:
    """Write an XLSX workbook of `rows` to the binary file `target` (write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_ILLEGAL_XML.sub("", title)[:31] or "Export")
    header = []
    for column in columns:
        cell = _xlsx_cell(sheet, str(column.header))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    sheet.freeze_panes = "A2"
    for values in iter_rows(rows, columns):
        sheet.append([_xlsx_cell(sheet, v) for v in values])
        if on_row is not None:
            on_row()
    workbook.save(target)


def export_audit(*, actor: Any, object_type: str, label: str, fmt: str, rows: int, query: str,
                 complete: bool, request_id: str) -> AuditEntry:
    """Record that `actor` exported `rows` rows of `object_type` with the filter `query`."""
    return AuditEntry.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_label=getattr(actor, "username", "") or "system",
        action=EXPORT_ACTION,
        object_type=object_type,
        object_id="",
        object_repr=str(label)[:300],
        changes={"_extra": {"format": fmt, "rows": rows, "query": query, "complete": complete}},
        request_id=request_id,
    )


def export_response(
    *, rows: Iterable[Any], columns: Sequence[ExportColumn], fmt: str, filename: str,
    delimiter: str = ",", title: str = "Export",
    on_done: Callable[[int, bool], None] | None = None,
) -> StreamingHttpResponse | FileResponse:
    """Return the download of `rows` in `fmt`; `on_done(rows, complete)` runs once at the end."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    download = f"{filename}-{stamp}.{fmt}"
    counter = _Counter()
    if fmt == CSV:
        def stream() -> Iterator[bytes]:
            complete = False
            try:
                yield from csv_chunks(rows, columns, delimiter=delimiter, on_row=counter)
                complete = True
            finally:
                if on_done is not None:
                    on_done(counter.count, complete)

        response: StreamingHttpResponse | FileResponse = StreamingHttpResponse(
            stream(), content_type=CONTENT_TYPES[CSV]
        )
        response["Content-Disposition"] = f'attachment; filename="{download}"'
    else:
        # The zip container must be finished before the first byte can be sent; the
        # rows go to disk as they are written, never all into memory.
        target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        write_xlsx(rows, columns, target, title=title, on_row=counter)
        target.seek(0)
        if on_done is not None:
            on_done(counter.count, True)
        response = FileResponse(target, as_attachment=True, filename=download, content_type=CONTENT_TYPES[XLSX])
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class _Counter:
    """Count rows as they are written."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def csv_bytes(rows: Iterable[Any], columns: Sequence[ExportColumn], *, delimiter: str = ",") -> bytes:
    """Return the whole CSV at once (tests, small exports)."""
    return b"".join(csv_chunks(rows, columns, delimiter=delimiter))


def xlsx_bytes(rows: Iterable[Any], columns: Sequence[ExportColumn], *, title: str = "Export") -> bytes:
    """Return the whole XLSX at once (tests, small exports)."""
    target = io.BytesIO()
    write_xlsx(rows, columns, target, title=title)
    return target.getvalue()
