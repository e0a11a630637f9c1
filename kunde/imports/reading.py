"""Reading CSV and XLSX files as a header row plus a stream of data rows.

CSV: the encoding is detected (a BOM; else UTF-8 if the whole file decodes, else
Windows-1252, which also reads Latin-1 text) and the delimiter sniffed among , ; tab and |.
XLSX: read in read-only mode, first sheet; an archive whose contents would unpack to more
than `MAX_XLSX_UNPACKED` bytes (a zip bomb) is refused before any parsing. Cells are
returned as text and never evaluated: a cell starting with "=" is a string like any other.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_CELL = 100_000  # characters; longer cells are refused with the row
MAX_FIELD = 16 * 1024 * 1024  # what the CSV parser accepts at all (its default is 128 KB)
MAX_XLSX_UNPACKED = 500 * 1024 * 1024
SAMPLE = 64 * 1024
DELIMITERS = ",;\t|"


class UnreadableFile(ValueError):
    """The file is not a table Kunde can read; the message says why."""


@dataclass
class Table:
    headers: list[str]
    encoding: str  # "xlsx" for spreadsheets
    delimiter: str
    path: Path

    def rows(self, *, skip: int = 0) -> Iterator[list[str]]:
        """The data rows (after the header), from data row `skip` + 1 on."""
        reader = _xlsx_rows(self.path) if self.encoding == "xlsx" else _csv_rows(self.path, self.encoding,
                                                                                   self.delimiter)
        next(reader, None)  # the header
        for number, row in enumerate(reader, start=1):
            if number > skip:
                yield row


def _detect_encoding(path: Path) -> str:
    head = path.read_bytes()[:4]
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Generator[list[str], None, None]:
    errors = "replace" if encoding == "cp1252" else "strict"  # cp1252 leaves 5 bytes undefined
    csv.field_size_limit(MAX_FIELD)
    with path.open(encoding=encoding, errors=errors, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            yield from reader
        except csv.Error as error:
            raise UnreadableFile(f"Line {reader.line_num} cannot be read: {error}") from error


def _xlsx_rows(path: Path) -> Generator[list[str], None, None]:
    import openpyxl

    with path.open("rb") as handle:  # a file object: openpyxl would insist on the file name's extension
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=False)
        try:
            sheet = workbook.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield [_cell_text(value) for value in values]
        finally:
            workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "hour"):  # datetime
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) else str(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_xlsx(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_XLSX_UNPACKED:
                raise UnreadableFile(f"The spreadsheet would unpack to {unpacked // (1024 * 1024)} MB; "
                                     f"at most {MAX_XLSX_UNPACKED // (1024 * 1024)} MB are read.")
            if "xl/workbook.xml" not in archive.namelist():
                raise UnreadableFile("This ZIP file is not an Excel workbook (.xlsx).")
    except zipfile.BadZipFile as error:
        raise UnreadableFile("The spreadsheet is damaged (not a valid .xlsx file).") from error


def open_table(path: Path) -> Table:
    """Open `path` (CSV or XLSX, by content) and read its header row."""
    with path.open("rb") as handle:
        start = handle.read(SAMPLE)
    if not start.strip():
        raise UnreadableFile("The file is empty.")
    if start.startswith(b"PK\x03\x04"):
        _check_xlsx(path)
        table = Table(headers=[], encoding="xlsx", delimiter="", path=path)
    else:
        if b"\x00" in start and not start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise UnreadableFile("This is not a text file (it contains binary data); save it as CSV or XLSX.")
        encoding = _detect_encoding(path)
        sample = start.decode(encoding, errors="replace")
        table = Table(headers=[], encoding=encoding, delimiter=_sniff_delimiter(sample), path=path)
    reader = _xlsx_rows(path) if table.encoding == "xlsx" else _csv_rows(path, table.encoding, table.delimiter)
    try:
        headers = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as error:
        raise UnreadableFile(f"The header row cannot be read: {error}") from error
    finally:
        reader.close()
    if not headers or not any(cell.strip() for cell in headers):
        raise UnreadableFile("The first row must name the columns.")
    table.headers = [cell.strip().lstrip("\ufeff") for cell in headers]
    return table


def _sniff_delimiter(sample: str) -> str:
    lines = sample.splitlines()[:20]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","
