"""Reads of imports: whose runs a user sees, a run's column samples and report, saved mappings."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

from django.db.models import QuerySet
from django.http import Http404

from kunde.accounts.models import User
from kunde.core.permissions import is_admin
from kunde.imports.models import ImportRun, SavedMapping
from kunde.imports.reading import UnreadableFile, open_table

REPORT_PREVIEW_ROWS = 200


def runs_for(user: User) -> QuerySet[ImportRun]:
    """A user's own import runs; administrators see everyone's."""
    return ImportRun.objects.all() if is_admin(user) else ImportRun.objects.filter(created_by=user)


def run_get(user: User, pk: int) -> ImportRun:
    run = runs_for(user).filter(pk=pk).first()
    if run is None:
        raise Http404("No such import.")
    return run


def column_samples(run: ImportRun, rows: int = 3) -> dict[str, list[str]]:
    """The first non-empty values of each column (to help choose the mapping); empty once the file is gone."""
    if not run.file_path or not Path(run.file_path).exists():
        return {}
    try:
        table = open_table(Path(run.file_path))
    except UnreadableFile:
        return {}
    samples: dict[str, list[str]] = {header: [] for header in table.headers}
    for cells in itertools.islice(table.rows(), 50):
        for header, cell in zip(table.headers, cells, strict=False):
            if cell.strip() and len(samples[header]) < rows:
                samples[header].append(cell.strip()[:80])
    return samples


def report_preview(path: Path, limit: int = REPORT_PREVIEW_ROWS) -> list[list[str]]:
    """The first `limit` rows of a run's report (row, result, detail), problems first."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(itertools.islice(csv.reader(handle), 1, 20 * limit + 1))
    rows.sort(key=lambda row: (row[1] in {"created", "updated", "unchanged"}, int(row[0]) if row[0].isdigit() else 0))
    return rows[:limit]


def saved_mapping_for(headers: list[str]) -> SavedMapping | None:
    """The latest saved mapping made for exactly these columns."""
    for saved in SavedMapping.objects.order_by("-created_at", "-id"):
        if saved.headers == headers:
            return saved
    return None
