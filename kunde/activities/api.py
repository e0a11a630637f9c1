"""REST API of the customer history: contacts, notes and tasks (selectors in, services out)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime

from kunde.activities.choices import Channel, Direction, Kind
from kunde.activities.filters import ActivityFilter
from kunde.activities.models import Activity
from kunde.activities.selectors import activity_get, activity_page
from kunde.activities.services import activity_record, activity_update, contact_log, task_complete, task_create
from kunde.contacts.api import ContactReferences
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.etag import check_version, etag_docs, expected_version, with_etag
from kunde.core.api.idempotency import idempotent
from kunde.core.api.pagination import filter_parameters, list_params, page_out, page_schema
from kunde.core.api.schemas import InputSchema, choice_type, patch_schema

if TYPE_CHECKING:  # Literal types built from the choices at run time
    ChannelValue = str
    DirectionValue = str
else:
    ChannelValue = choice_type(Channel, blank=True)
    DirectionValue = choice_type(Direction, blank=True)


class RelatedOut(Schema):
    """A record of another app the entry is about (a deal, a ticket)."""

    type: str = Field(description="app_label.model, e.g. sales.deal.")
    id: str


class ActivityOut(Schema):
    """One entry of the customer history: a contact, a note, a task or an app's event."""

    id: int
    kind: str = Field(description="contact, task, note, or an app's event such as sales.deal_won.")
    person: int | None
    organisation: int | None
    occurred_at: dt.datetime
    channel: str
    direction: str
    duration_minutes: int | None
    subject: str
    notes: str
    outcome: str
    topic: str = Field(description="What the contact was about, e.g. a product category key.")
    mood: int | None = Field(description="The customer's mood: 1 very negative … 5 very positive.")
    created_by: int | None = Field(description="User id.")
    participant_people: list[int]
    participant_users: list[int]
    due_at: dt.datetime | None
    assignee: int | None = Field(description="User id (tasks).")
    done_at: dt.datetime | None
    related: RelatedOut | None
    data: dict[str, Any]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_person(obj: Activity) -> int | None:
        return obj.person_id

    @staticmethod
    def resolve_organisation(obj: Activity) -> int | None:
        return obj.organisation_id

    @staticmethod
    def resolve_created_by(obj: Activity) -> int | None:
        return obj.created_by_id

    @staticmethod
    def resolve_assignee(obj: Activity) -> int | None:
        return obj.assignee_id

    @staticmethod
    def resolve_participant_people(obj: Activity) -> list[int]:
        return [p.pk for p in obj.participant_people.all()]

    @staticmethod
    def resolve_participant_users(obj: Activity) -> list[int]:
        return [u.pk for u in obj.participant_users.all()]

    @staticmethod
    def resolve_related(obj: Activity) -> dict[str, str] | None:
        if obj.related_type_id is None:
            return None
        content_type = ContentType.objects.get_for_id(obj.related_type_id)
        return {"type": f"{content_type.app_label}.{content_type.model}", "id": obj.related_id}


ActivityPageOut = page_schema(ActivityOut, "ActivityPageOut")


class ActivityIn(InputSchema):
    """A contact with the customer (channel required) or a note, on a person and/or organisation.

    With only a person, the entry also lands on their current primary organisation.
    """

    kind: Literal["contact", "note"] = "contact"
    person: int | None = None
    organisation: int | None = None
    occurred_at: AwareDatetime | None = Field(None, description="Default: now. With a time zone.")
    channel: ChannelValue = ""
    direction: DirectionValue = ""
    duration_minutes: int | None = Field(None, ge=0)
    subject: str = Field(max_length=200)
    notes: str = ""
    outcome: str = Field("", max_length=200)
    topic: str = Field("", max_length=80, description="What the contact was about, e.g. a product category key.")
    mood: int | None = Field(None, ge=1, le=5, description="The customer's mood: 1 very negative … 5 very positive.")
    participant_people: list[int] = Field([], description="Ids of further people present.")
    participant_users: list[int] = Field([], description="Ids of users present.")


class ActivityChanges(InputSchema):
    """The correctable fields of a history entry (its customer and kind stay)."""

    occurred_at: AwareDatetime
    channel: ChannelValue
    direction: DirectionValue
    duration_minutes: int | None = Field(ge=0)
    subject: str = Field(max_length=200)
    notes: str
    outcome: str = Field(max_length=200)
    topic: str = Field(max_length=80)
    mood: int | None = Field(ge=1, le=5)
    due_at: AwareDatetime
    assignee: int | None = Field(description="User id (tasks).")
    version: int | None = Field(description="The version the change is based on (or send If-Match).")


if TYPE_CHECKING:
    ActivityPatch = Schema
else:
    ActivityPatch = patch_schema(ActivityChanges, "ActivityPatch",
                                 doc="Corrections to a history entry: only the fields sent are changed.")


class TaskIn(InputSchema):
    """A task or follow-up on a customer's history."""

    subject: str = Field(max_length=200)
    due_at: AwareDatetime
    assignee: int | None = Field(None, description="User id; default: you.")
    person: int | None = None
    organisation: int | None = None
    notes: str = ""


# --- history entries --------------------------------------------------------------

activities = Router(tags=["history"])


def _stored(user: Any, entry: Activity, response: HttpResponse) -> Activity:
    """`entry` as stored (times in UTC, participants loaded), with its ETag."""
    entry = activity_get(user, entry.pk)
    with_etag(response, entry)
    return entry


def _with_participants(entries: list[Activity]) -> list[Activity]:
    prefetch_related_objects(entries, "participant_people", "participant_users")
    return entries


def _customer(data: dict[str, Any], refs: ContactReferences) -> dict[str, Any]:
    """The person and organisation an entry is on; at least one is needed."""
    person_id, organisation_id = data.pop("person", None), data.pop("organisation", None)
    if person_id is None and organisation_id is None:
        refs.error("person", _("Give a person or an organisation (or both)."))
    return {
        "person": refs.person("person", person_id),
        "organisation": refs.organisation("organisation", organisation_id),
    }


@activities.get("", response={200: ActivityPageOut, **LIST_ERRORS},
                openapi_extra={"parameters": filter_parameters(ActivityFilter)},
                description="History entries you may see, newest first unless sorted otherwise. Unknown "
                "parameters, bad values and unknown sort orders answer 400.")
def list_activities(request: HttpRequest) -> dict[str, Any]:
    """List history entries."""
    page, _filters = activity_page(actor(request), list_params(request))
    _with_participants(page.items)
    return page_out(page, lambda entry: entry)


@activities.post("", response={201: ActivityOut, **CREATE_ERRORS}, openapi_extra=etag_docs(status=201))
@idempotent
def create_activity(request: HttpRequest, payload: ActivityIn, response: HttpResponse) -> Status:
    """Log a contact (with the customer's mood) or a note."""
    user = actor(request)
    data = payload.model_dump()
    refs = ContactReferences(user)
    customer = _customer(data, refs)
    data["participant_people"] = refs.people("participant_people", data["participant_people"])
    data["participant_users"] = refs.users("participant_users", data["participant_users"])
    refs.check()
    kind = data.pop("kind")
    if kind == Kind.CONTACT:
        entry = contact_log(actor=user, **customer, **data)
    else:
        entry = activity_record(actor=user, kind=Kind.NOTE, **customer, **data)
    return Status(201, _stored(user, entry, response))


@activities.get("/{int:activity_id}", response={200: ActivityOut, **READ_ERRORS}, openapi_extra=etag_docs())
def get_activity(request: HttpRequest, activity_id: int, response: HttpResponse) -> Activity:
    """Get a history entry; the ETag header carries the version for If-Match."""
    entry = activity_get(actor(request), activity_id)
    with_etag(response, entry)
    return entry


def _update(request: HttpRequest, entry: Activity, payload: Schema, response: HttpResponse) -> Activity:
    user = actor(request)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    refs = ContactReferences(user)
    if "assignee" in data and data["assignee"] is not None:
        data["assignee"] = refs.user_ref("assignee", data["assignee"])
    refs.check()
    entry = activity_update(actor=user, activity=entry, expected_version=version, changes=data)
    return _stored(user, entry, response)


@activities.patch("/{int:activity_id}", response={200: ActivityOut, **WRITE_ERRORS},
                  openapi_extra=etag_docs(if_match="optional"))
def update_activity(request: HttpRequest, activity_id: int, payload: ActivityPatch,
                    response: HttpResponse) -> Activity:
    """Correct a history entry (If-Match or version optional but recommended)."""
    return _update(request, activity_get(actor(request), activity_id), payload, response)


# --- tasks ------------------------------------------------------------------------

tasks = Router(tags=["tasks"])


def _task_get(request: HttpRequest, task_id: int) -> Activity:
    entry = activity_get(actor(request), task_id)
    if entry.kind != Kind.TASK:
        raise Http404("No such task.")
    return entry


@tasks.get("", response={200: ActivityPageOut, **LIST_ERRORS},
           openapi_extra={"parameters": filter_parameters(ActivityFilter, exclude=("kind",), default_sort="due")},
           description="Tasks you may see, oldest due first; open=true for open tasks, assignee=<id> for "
           "someone's.")
def list_tasks(request: HttpRequest) -> dict[str, Any]:
    """List tasks."""
    params = list_params(request, fixed={"kind": Kind.TASK}, defaults={"sort": "due"}, refused=("kind",))
    page, _filters = activity_page(actor(request), params)
    _with_participants(page.items)
    return page_out(page, lambda entry: entry)


@tasks.post("", response={201: ActivityOut, **CREATE_ERRORS}, openapi_extra=etag_docs(status=201))
@idempotent
def create_task(request: HttpRequest, payload: TaskIn, response: HttpResponse) -> Status:
    """Create a task on a person and/or organisation, assigned to a user (default: you)."""
    user = actor(request)
    data = payload.model_dump()
    refs = ContactReferences(user)
    customer = _customer(data, refs)
    assignee = refs.user_ref("assignee", data.pop("assignee"))
    refs.check()
    entry = task_create(actor=user, assignee=assignee, **customer, **data)
    return Status(201, _stored(user, entry, response))


@tasks.get("/{int:task_id}", response={200: ActivityOut, **READ_ERRORS}, openapi_extra=etag_docs())
def get_task(request: HttpRequest, task_id: int, response: HttpResponse) -> Activity:
    """Get a task."""
    entry = _task_get(request, task_id)
    with_etag(response, entry)
    return entry


@tasks.patch("/{int:task_id}", response={200: ActivityOut, **WRITE_ERRORS},
             openapi_extra=etag_docs(if_match="optional"))
def update_task(request: HttpRequest, task_id: int, payload: ActivityPatch, response: HttpResponse) -> Activity:
    """Change a task (subject, due date, assignee, …)."""
    return _update(request, _task_get(request, task_id), payload, response)


def _complete(request: HttpRequest, task_id: int, response: HttpResponse, *, done: bool) -> Activity:
    user = actor(request)
    entry = _task_get(request, task_id)
    with transaction.atomic():
        check_version(entry, expected_version(request))
        entry = task_complete(actor=user, task=entry, done=done)
    return _stored(user, entry, response)


@tasks.post("/{int:task_id}/complete", response={200: ActivityOut, **WRITE_ERRORS},
            openapi_extra=etag_docs(if_match="optional"))
def complete_task(request: HttpRequest, task_id: int, response: HttpResponse) -> Activity:
    """Mark a task done (If-Match optional)."""
    return _complete(request, task_id, response, done=True)


@tasks.post("/{int:task_id}/reopen", response={200: ActivityOut, **WRITE_ERRORS},
            openapi_extra=etag_docs(if_match="optional"))
def reopen_task(request: HttpRequest, task_id: int, response: HttpResponse) -> Activity:
    """Mark a done task open again (If-Match optional)."""
    return _complete(request, task_id, response, done=False)
