"""REST API of segments and consent: the routers kunde/api.py mounts, as (prefix, router)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from kunde.audience import consent
from kunde.audience.models import ConsentRecord, Segment
from kunde.audience.segments import segment_count, segment_people
from kunde.audience.services import segment_create, segment_delete, segment_update
from kunde.contacts.models import Person
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.idempotency import idempotent
from kunde.core.permissions import Action

segments = Router(tags=["segments"])
consents = Router(tags=["consents"])


class SegmentIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["dynamic", "frozen"] = "dynamic"
    definition: dict[str, Any] = Field(
        description='{"op": "and"|"or", "rules": [{"field", "operator", "value"} | group]}; see docs/consent.md')


class SegmentPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Literal["dynamic", "frozen"] | None = None
    definition: dict[str, Any] | None = None


class SegmentOut(Schema):
    id: int
    name: str
    kind: str
    definition: dict[str, Any]
    frozen_at: dt.datetime | None
    owner: int | None = Field(None, alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    version: int
    created_at: dt.datetime


class CountOut(Schema):
    count: int


class DefinitionIn(Schema):
    definition: dict[str, Any]


class MemberOut(Schema):
    id: int
    first_name: str
    last_name: str


class MembersOut(Schema):
    count: int
    items: list[MemberOut]


def _visible(request: HttpRequest, segment_id: int, action: Action = Action.VIEW) -> Segment:
    user = actor(request)
    return get_object_or_404(Segment.objects.for_user(user, action), pk=segment_id)


@segments.get("", response={200: list[SegmentOut], **LIST_ERRORS})
def list_segments(request: HttpRequest) -> QuerySet[Segment]:
    """Segments you may see (at most 500)."""
    return Segment.objects.for_user(actor(request)).order_by("name", "id")[:500]


@segments.post("", response={201: SegmentOut, **CREATE_ERRORS})
@idempotent
def create_segment(request: HttpRequest, payload: SegmentIn) -> Status:
    """Create a segment; a frozen one snapshots who matches now (of the people you may see)."""
    segment = segment_create(actor=actor(request), **payload.model_dump())
    return Status(201, segment)


@segments.post("/count", response={200: CountOut, **LIST_ERRORS})
@idempotent
def count_definition(request: HttpRequest, payload: DefinitionIn) -> dict[str, int]:
    """How many people you may see match a definition (the builder's live count)."""
    return {"count": segment_count(payload.definition, actor(request))}


@segments.get("/{int:segment_id}", response={200: SegmentOut, **READ_ERRORS})
def get_segment(request: HttpRequest, segment_id: int) -> Segment:
    return _visible(request, segment_id)


@segments.patch("/{int:segment_id}", response={200: SegmentOut, **WRITE_ERRORS})
def update_segment(request: HttpRequest, segment_id: int, payload: SegmentPatch) -> Segment:
    segment = _visible(request, segment_id)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    return segment_update(actor=actor(request), segment=segment, changes=changes)


@segments.delete("/{int:segment_id}", response={204: None, **WRITE_ERRORS})
def delete_segment(request: HttpRequest, segment_id: int) -> Status:
    segment_delete(actor=actor(request), segment=_visible(request, segment_id))
    return Status(204, None)


@segments.get("/{int:segment_id}/count", response={200: CountOut, **READ_ERRORS})
def count_segment(request: HttpRequest, segment_id: int) -> dict[str, int]:
    """How many of the segment's people you may see."""
    return {"count": segment_count(_visible(request, segment_id), actor(request))}


@segments.get("/{int:segment_id}/members", response={200: MembersOut, **READ_ERRORS})
def segment_members(request: HttpRequest, segment_id: int, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """The segment's people you may see, by name (limit at most 500)."""
    segment = _visible(request, segment_id)
    people = segment_people(segment, actor(request)).order_by("last_name", "first_name", "id")
    limit = max(1, min(limit, 500))
    return {"count": people.count(), "items": list(people[max(offset, 0):max(offset, 0) + limit])}


# ---------------------------------------------------------------- consents

class ConsentOut(Schema):
    id: int
    purpose: str
    channel: str
    action: str
    at: dt.datetime
    source: str
    confirmed_at: dt.datetime | None
    wording_version: int | None
    actor: int | None = Field(None, alias="actor_id")

    @staticmethod
    def resolve_purpose(obj: ConsentRecord) -> str:
        return obj.purpose.key

    @staticmethod
    def resolve_wording_version(obj: ConsentRecord) -> int | None:
        return obj.wording.version if obj.wording else None


class ConsentStateOut(Schema):
    purpose: str
    channel: str
    state: str
    may_contact: bool


class PersonConsentsOut(Schema):
    states: list[ConsentStateOut]
    records: list[ConsentOut]


class ConsentIn(Schema):
    purpose: str
    channel: Literal["email", "phone", "letter", "sms"] = "email"
    action: Literal["given", "withdrawn"]
    source: str = Field("", max_length=100, description="Where it was given or withdrawn (call, fair, form …).")
    proof: dict[str, Any] = Field({}, description="What proves it (form, document reference …).")


def _person(request: HttpRequest, person_id: int, action: Action = Action.VIEW) -> Person:
    return get_object_or_404(Person.objects.for_user(actor(request), action), pk=person_id)


@consents.get("/{int:person_id}", response={200: PersonConsentsOut, **READ_ERRORS})
def person_consents(request: HttpRequest, person_id: int) -> dict[str, Any]:
    """A person's consent ledger (oldest first) and the current state per purpose and channel."""
    person = _person(request, person_id)
    records = list(ConsentRecord.objects.filter(person=person).select_related("purpose", "wording")
                   .order_by("at", "id"))
    pairs = sorted({(r.purpose.key, r.channel) for r in records})
    states = [{"purpose": key, "channel": channel, "state": consent.consent_state(person, key, channel),
               "may_contact": consent.may_contact(person, purpose=key, channel=channel)} for key, channel in pairs]
    return {"states": states, "records": records}


@consents.post("/{int:person_id}", response={201: PersonConsentsOut, **WRITE_ERRORS})
@idempotent
def record_consent(request: HttpRequest, person_id: int, payload: ConsentIn) -> Status:
    """Record a consent given or withdrawn (e-mail consent is confirmed by the person's double opt-in)."""
    user = actor(request)
    person = _person(request, person_id)
    proof = {"form": "api", **payload.proof}
    if payload.action == "given":
        consent.consent_give(actor=user, person=person, purpose=payload.purpose, channel=payload.channel,
                             source=payload.source or "api", proof=proof)
    else:
        consent.consent_withdraw(actor=user, person=person, purpose=payload.purpose, channel=payload.channel,
                                 source=payload.source or "api", proof=proof)
    return Status(201, person_consents(request, person_id))


routers: list[tuple[str, Router]] = [("/segments", segments), ("/consents", consents)]
