"""REST API of imports: bulk upsert of people (ERP/shop sync), import runs and their undo."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.idempotency import idempotent
from kunde.core.api.schemas import InputSchema
from kunde.imports.models import ImportRun
from kunde.imports.selectors import run_get, runs_for
from kunde.imports.services import MAX_BULK_RECORDS, import_undo, people_upsert_bulk


class PersonRecord(InputSchema):
    """One person in the import's field names; empty or missing fields leave stored values alone."""

    external_id: str = Field("", max_length=200, description="The person's id in your system (matched first).")
    salutation: str = Field("", description="mr/ms/mx or Herr/Frau/Mr/Ms.")
    title: str = ""
    first_name: str = ""
    last_name: str = Field("", description="Required for a new person (or give full_name).")
    full_name: str = ""
    email: str = ""
    email_2: str = ""
    phone: str = ""
    mobile: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = Field("", description="ISO code or a German/English name.")
    organisation: str = Field("", description="Found by name among organisations you see, else created.")
    role: str = ""
    birthday: str = Field("", description="2024-03-31 or 31.03.2024.")
    preferred_language: str = ""
    lifecycle_stage: str = Field("", description="Key or label.")
    customer_group: str = Field("", description="Key or label.")
    tags: list[str] = []
    notes: str = ""


class BulkPeopleIn(InputSchema):
    system: str = Field("api", max_length=40, description="Names the system whose external ids these are.")
    records: list[PersonRecord] = Field(min_length=1, max_length=MAX_BULK_RECORDS)


class RecordResult(Schema):
    index: int = Field(description="Position of the record in the request, from 0.")
    result: str = Field(description="created, updated, unchanged, duplicate or failed.")
    id: int | None = Field(description="The person's id (not for failed records).")
    detail: str = Field(description="Why a record failed, or which fields changed.")


class BulkPeopleOut(Schema):
    import_run: int = Field(description="The import run; POST /imports/{id}/undo takes the request back.")
    counts: dict[str, int]
    results: list[RecordResult]


class UndoSkippedOut(Schema):
    row: int = Field(description="The row (or record, from 1) whose change undo left in place.")
    id: int = Field(description="The person's id.")
    reason: str = Field(description="Why: changed or deleted since the import, or no longer yours to change.")


class ImportRunOut(Schema):
    id: int
    file_name: str
    file_hash: str
    system: str
    status: str
    rows_done: int
    counts: dict[str, int]
    created_by: int | None = Field(alias="created_by_id")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    undo_skipped: list[UndoSkippedOut] = Field(
        description="After an undo: the people it left alone because taking the import back would have "
                    "overwritten a later change or gone beyond your rights.")

    @staticmethod
    def resolve_undo_skipped(run: ImportRun) -> list[dict[str, Any]]:
        if run.status != ImportRun.Status.UNDONE:
            return []
        return [{"row": change.row_number, "id": change.object_id, "reason": change.undo_skipped}
                for change in run.changes.exclude(undo_skipped="").order_by("row_number", "id")]


bulk = Router(tags=["bulk"])
imports = Router(tags=["imports"])


@bulk.post("/people", response={200: BulkPeopleOut, **CREATE_ERRORS})
@idempotent
def upsert_people(request: HttpRequest, payload: BulkPeopleIn) -> dict[str, Any]:
    """Create or update up to 1,000 people in one transaction.

    Each record is matched to a person you may change by `external_id` (of `system`), else
    by e-mail, else (without e-mail) by phone. Matched people get the fields that differ and
    the contact points they lack; nothing is cleared. Invalid records fail on their own with
    the reason; the others are written. Sending the same records again changes nothing.
    """
    records = [{k: (", ".join(v) if isinstance(v, list) else v) for k, v in record.model_dump().items() if v}
               for record in payload.records]
    fingerprint = hashlib.sha256(request.body).hexdigest()
    run, outcomes = people_upsert_bulk(actor=actor(request), records=records, system=payload.system,
                                       fingerprint=fingerprint)
    return {
        "import_run": run.pk, "counts": run.counts,
        "results": [{"index": index, "result": o.action, "id": o.person.pk if o.person else None,
                     "detail": o.detail} for index, o in enumerate(outcomes)],
    }


def _run_get(request: HttpRequest, run_id: int) -> ImportRun:
    return run_get(actor(request), run_id)


@imports.get("", response={200: list[ImportRunOut], **READ_ERRORS})
def list_imports(request: HttpRequest) -> list[ImportRun]:
    """Your latest 100 imports (administrators: everyone's)."""
    return list(runs_for(actor(request)).order_by("-created_at", "-id")[:100])


@imports.get("/{int:run_id}", response={200: ImportRunOut, **READ_ERRORS})
def get_import(request: HttpRequest, run_id: int) -> ImportRun:
    """One import run with its counts."""
    return _run_get(request, run_id)


@imports.post("/{int:run_id}/undo", response={200: ImportRunOut, **WRITE_ERRORS})
@idempotent
def undo_import(request: HttpRequest, run_id: int) -> ImportRun:
    """Remove the people the run created and revert its updates."""
    return import_undo(actor=actor(request), run=_run_get(request, run_id))


routers: list[tuple[str, Router]] = [("/bulk", bulk), ("/imports", imports)]
