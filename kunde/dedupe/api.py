"""REST API of duplicates: the review queue, dismissing a candidate, merging two records, undoing a merge."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kunde.core.api.auth import actor
from kunde.core.api.errors import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, ApiError, ErrorOut
from kunde.core.api.idempotency import idempotent
from kunde.core.api.pagination import page_out, page_schema
from kunde.core.api.schemas import InputSchema
from kunde.dedupe import selectors, services
from kunde.dedupe.models import DuplicateCandidate, MergeRecord


class ReasonOut(Schema):
    code: str = Field(description="same_email, same_mailbox, same_phone, same_address, same_postal_code, "
                                  "same_name, similar_name, same_birthday, different_birthday, "
                                  "different_first_name, same_vat_id, different_vat_id, same_domain.")
    value: int | None = Field(None, description="The similarity (0-100) for similar_name.")
    text: str = Field(description="The reason in words, in the request's language.")


class CandidateOut(Schema):
    """Two records that may be the same; `first` has the lower id."""

    id: int
    kind: str = Field(description="person or organisation.")
    first: int = Field(description="Id of the first record.")
    second: int = Field(description="Id of the second record.")
    score: int = Field(description="0-100; pairs from 60 are listed.")
    reasons: list[ReasonOut]
    status: str = Field(description="open, merged or dismissed.")
    found_at: dt.datetime
    checked_at: dt.datetime


def _candidate_out(candidate: DuplicateCandidate) -> dict[str, Any]:
    return {
        "id": candidate.pk, "kind": candidate.kind, "first": candidate.first_id, "second": candidate.second_id,
        "score": candidate.score, "status": candidate.status, "found_at": candidate.found_at,
        "checked_at": candidate.checked_at,
        "reasons": [{"code": r.get("code", ""), "value": r.get("value"), "text": selectors.reason_text(r)}
                    for r in candidate.reasons],
    }


CandidatePage = page_schema(CandidateOut, "CandidatePage")


class CandidateQuery(Schema):
    kind: Literal["person", "organisation"] | None = Field(None, description="Only people or only organisations.")
    status: Literal["open", "merged", "dismissed"] = "open"
    sort: Literal["score", "found"] = Field("score", description="Best score first, or newest first.")
    cursor: str | None = None
    page_size: int | None = Field(None, ge=1, le=200)


class MergeIn(InputSchema):
    kind: Literal["person", "organisation"]
    survivor: int = Field(description="Id of the record that stays.")
    loser: int = Field(description="Id of the record merged into it (soft-deleted afterwards).")
    survivor_version: int | None = Field(None, description="The survivor's version you based the choice on; a "
                                                           "newer stored one answers 412.")
    loser_version: int | None = Field(None, description="The same for the loser.")
    fields: dict[str, Literal["survivor", "loser", "both"]] = Field(
        default_factory=dict,
        description='Per field, whose value survives, e.g. {"first_name": "loser"}; "both" keeps both notes. '
                    'Custom fields as "custom_fields.<key>". Fields not named keep the survivor\'s value, or the '
                    "loser's when the survivor's is empty.")


class MergeOut(Schema):
    """A merge: what moved from the loser to the survivor."""

    id: int
    kind: str
    survivor: int
    loser: int
    status: str = Field(description="done or undone.")
    merged_at: dt.datetime
    merged_by: int | None
    candidate: int | None
    field_choices: dict[str, str]
    moved: dict[str, int] = Field(description="Rows moved to the survivor, per model.")
    removed: dict[str, int] = Field(description="Rows of the loser removed because the survivor already had them.")
    undone_at: dt.datetime | None


def _counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["model"]] = counts.get(entry["model"], 0) + 1
    return dict(sorted(counts.items()))


def _merge_out(merge: MergeRecord) -> dict[str, Any]:
    return {
        "id": merge.pk, "kind": merge.kind, "survivor": merge.survivor_id, "loser": merge.loser_id,
        "status": "done" if merge.status == MergeRecord.Status.DONE else "undone", "merged_at": merge.merged_at,
        "merged_by": merge.merged_by_id, "candidate": merge.candidate_id, "field_choices": merge.field_choices,
        "moved": _counts(merge.moves), "removed": _counts(merge.removed), "undone_at": merge.undone_at,
    }


duplicates = Router(tags=["duplicates"])


@duplicates.get("/candidates", response={200: CandidatePage, **LIST_ERRORS})
def list_duplicate_candidates(request: HttpRequest, filters: Query[CandidateQuery]) -> dict[str, Any]:
    """Possible duplicates whose two records you may both see, best score first (keyset pages)."""
    params = {k: str(v) for k, v in filters.model_dump(exclude_none=True).items()}
    page = selectors.candidate_page(actor(request), params)
    return page_out(page, _candidate_out)


@duplicates.get("/candidates/{int:candidate_id}", response={200: CandidateOut, **READ_ERRORS})
def get_duplicate_candidate(request: HttpRequest, candidate_id: int) -> dict[str, Any]:
    """One candidate pair."""
    return _candidate_out(selectors.candidate_get(actor(request), candidate_id))


@duplicates.post("/candidates/{int:candidate_id}/dismiss", response={200: CandidateOut, **WRITE_ERRORS})
@idempotent
def dismiss_duplicate_candidate(request: HttpRequest, candidate_id: int) -> dict[str, Any]:
    """Mark a pair as not a duplicate; later scans keep it dismissed. Needs the right to change both records."""
    user = actor(request)
    return _candidate_out(services.candidate_dismiss(actor=user, candidate=selectors.candidate_get(user, candidate_id)))


@duplicates.post("/merge", response={201: MergeOut, **WRITE_ERRORS})
@idempotent
def merge_records(request: HttpRequest, payload: MergeIn) -> Status:
    """Merge `loser` into `survivor`: the chosen fields are taken over, every related row (history, deals,
    orders, quotes, tickets, consents, e-mail addresses, phones, addresses, employments, tags, segment
    memberships, …) moves to the survivor, and the loser is soft-deleted.

    Needs the right to change both records and to delete the loser (403). A record you cannot see answers 404;
    a stale version 412; a record merged with itself or an unknown field 422 (per field, under `fields`).
    """
    user = actor(request)
    if payload.survivor == payload.loser:
        raise ValidationError({"loser": [_("A record cannot be merged with itself.")]})
    survivor = selectors.record_get(user, payload.kind, payload.survivor)
    loser = selectors.record_get(user, payload.kind, payload.loser)
    outcome = services.record_merge(actor=user, survivor=survivor, loser=loser, choices=payload.fields,
                                    survivor_version=payload.survivor_version, loser_version=payload.loser_version)
    return Status(201, _merge_out(outcome.merge))


@duplicates.get("/merges", response={200: list[MergeOut], **READ_ERRORS})
def list_merges(request: HttpRequest) -> list[dict[str, Any]]:
    """The latest 50 merges whose records you may both see."""
    return [_merge_out(merge) for merge in selectors.merge_list(actor(request))]


@duplicates.get("/merges/{int:merge_id}", response={200: MergeOut, **READ_ERRORS})
def get_merge(request: HttpRequest, merge_id: int) -> dict[str, Any]:
    """One merge."""
    return _merge_out(selectors.merge_get(actor(request), merge_id))


@duplicates.post("/merges/{int:merge_id}/undo", response={200: MergeOut, 409: ErrorOut, **WRITE_ERRORS})
@idempotent
def undo_merge(request: HttpRequest, merge_id: int) -> dict[str, Any]:
    """Undo a merge: the loser comes back with every row that moved, the survivor's fields are reverted.

    Answers 409 with the reason when that is no longer safe (either record changed since, a moved row is gone,
    or the merge was undone already).
    """
    user = actor(request)
    merge = selectors.merge_get(user, merge_id)
    try:
        merge = services.merge_undo(actor=user, merge=merge)
    except services.UndoRefused as refused:
        raise ApiError(409, str(refused)) from None
    return _merge_out(merge)


routers: list[tuple[str, Router]] = [("/duplicates", duplicates)]
