"""REST API of people, organisations and their links: selectors in, services out."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kunde.accounts.models import User
from kunde.contacts import choices
from kunde.contacts.filters import OrganisationFilter, PersonFilter
from kunde.contacts.models import CustomerGroup, Employment, LifecycleStage, Organisation, Person
from kunde.contacts.selectors import (
    employment_get,
    organisation_get,
    organisation_get_deleted,
    organisation_page,
    organisation_people,
    person_employments,
    person_get,
    person_get_deleted,
    person_page,
)
from kunde.contacts.services import (
    employment_create,
    employment_delete,
    employment_update,
    organisation_create,
    organisation_delete,
    organisation_restore,
    organisation_update,
    person_create,
    person_delete,
    person_restore,
    person_update,
)
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, ErrorOut
from kunde.core.api.etag import check_version, etag_docs, expected_version, with_etag
from kunde.core.api.idempotency import idempotent
from kunde.core.api.pagination import CUSTOM_FIELD_FILTERS, filter_parameters, list_params, page_out, page_schema
from kunde.core.api.references import References
from kunde.core.api.schemas import InputSchema, choice_type, patch_schema

if TYPE_CHECKING:  # Literal types built from the choices at run time
    SalutationValue = str
    LanguageValue = str
    ChannelValue = str
    EmailKindValue = str
    PhoneKindValue = str
    AddressKindValue = str
    LegalFormValue = str
    CompanySizeValue = str
else:
    SalutationValue = choice_type(choices.Salutation, blank=True)
    LanguageValue = choice_type(choices.Language, blank=True)
    ChannelValue = choice_type(choices.Channel, blank=True)
    EmailKindValue = choice_type(choices.EmailKind)
    PhoneKindValue = choice_type(choices.PhoneKind)
    AddressKindValue = choice_type(choices.AddressKind)
    LegalFormValue = choice_type(choices.LegalForm, blank=True)
    CompanySizeValue = choice_type(choices.CompanySize, blank=True)


class ContactReferences(References):
    """References to people, organisations and lifecycle stages, as the user sees them."""

    def stage(self, field: str, key: str | None) -> LifecycleStage | None:
        return self.lookup(field, key, lambda v: LifecycleStage.objects.filter(key=v, is_active=True).first(),
                           _("Unknown lifecycle stage."))

    def customer_group(self, field: str, key: str | None) -> CustomerGroup | None:
        return self.lookup(field, key, lambda v: CustomerGroup.objects.filter(key=v, is_active=True).first(),
                           _("Unknown customer group."))

    def person(self, field: str, pk: int | None) -> Person | None:
        return self.lookup(field, pk, lambda v: person_get(self.user, v), _("Unknown person."))

    def organisation(self, field: str, pk: int | None) -> Organisation | None:
        return self.lookup(field, pk, lambda v: organisation_get(self.user, v), _("Unknown organisation."))

    def people(self, field: str, pks: list[int]) -> list[Person]:
        return self.lookup_many(field, pks, lambda v: person_get(self.user, v), _("Unknown person."))


# --- schemas: contact points ------------------------------------------------------


class EmailIn(InputSchema):
    """An e-mail address; checked for syntax and stored with a lower-case domain."""

    id: int | None = Field(None, description="Accepted and ignored (the list replaces all stored rows), so rows read "
                                         "from a GET can be sent back as they are.")
    email: str = Field(max_length=254)
    kind: EmailKindValue = "work"
    is_primary: bool = False


class EmailOut(Schema):
    id: int
    email: str
    kind: str
    is_primary: bool


class PhoneIn(InputSchema):
    """A phone number in any common format; stored in E.164."""

    id: int | None = Field(None, description="Accepted and ignored (the list replaces all stored rows), so rows read "
                                         "from a GET can be sent back as they are.")
    number: str = Field(max_length=40)
    kind: PhoneKindValue = "work"
    region: str | None = Field(None, description="ISO country code for national numbers (default: the server's).")
    is_primary: bool = False


class PhoneOut(Schema):
    id: int
    number: str = Field(description="E.164, e.g. +49301234567.")
    kind: str
    is_primary: bool


class AddressIn(InputSchema):
    """A postal address; postal codes of DE, AT and CH are checked."""

    id: int | None = Field(None, description="Accepted and ignored (the list replaces all stored rows), so rows read "
                                         "from a GET can be sent back as they are.")
    kind: AddressKindValue = "postal"
    street: str = Field(max_length=200)
    extra: str = Field("", max_length=200)
    postal_code: str = Field("", max_length=12)
    city: str = Field(max_length=100)
    region: str = Field("", max_length=100)
    country: str = Field("DE", description="ISO 3166-1 alpha-2 code.")
    is_primary: bool = False


class AddressOut(Schema):
    id: int
    kind: str
    street: str
    extra: str
    postal_code: str
    city: str
    region: str
    country: str
    is_primary: bool


class OwnedRecordResolvers(Schema):
    """How the fields every owned record answers with are read (a base without fields)."""

    @staticmethod
    def resolve_lifecycle_stage(obj: Any) -> str | None:
        return obj.lifecycle_stage.key if obj.lifecycle_stage_id else None

    @staticmethod
    def resolve_customer_group(obj: Any) -> str | None:
        return obj.customer_group.key if obj.customer_group_id else None

    @staticmethod
    def resolve_owner(obj: Any) -> int | None:
        return obj.owner_id

    @staticmethod
    def resolve_team(obj: Any) -> int | None:
        return obj.team_id

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


# --- schemas: people --------------------------------------------------------------


class PersonOrganisationOut(Schema):
    """A current employment of a person, as shown on the person."""

    employment: int = Field(description="Id of the link (see /employments).")
    organisation: int
    name: str
    role: str
    department: str
    is_primary_contact: bool

    @staticmethod
    def resolve_employment(obj: Employment) -> int:
        return obj.pk

    @staticmethod
    def resolve_organisation(obj: Employment) -> int:
        return obj.organisation_id

    @staticmethod
    def resolve_name(obj: Employment) -> str:
        return obj.organisation.name


class PersonOut(OwnedRecordResolvers):
    """A person (B2C customer or contact at an organisation)."""

    id: int
    salutation: str
    title: str
    first_name: str
    last_name: str
    full_name: str
    birthday: dt.date | None
    preferred_language: str
    preferred_channel: str
    notes: str
    lifecycle_stage: str | None = Field(description="Key of the lifecycle stage.")
    customer_group: str | None = Field(description="Key of the customer group.")
    owner: int | None = Field(description="User id of the owner.")
    team: int | None = Field(description="Team id.")
    tags: list[str]
    custom_fields: dict[str, Any]
    emails: list[EmailOut]
    phones: list[PhoneOut]
    addresses: list[AddressOut]
    organisations: list[PersonOrganisationOut] = Field(description="Current employments at visible organisations.")
    version: int = Field(description="Bumped by every change; the ETag and If-Match carry it.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_organisations(obj: Any) -> list[Employment]:
        return obj.api_organisations


class PersonIn(InputSchema):
    """A person to create (POST) or the full replacement of one (PUT)."""

    salutation: SalutationValue = ""
    title: str = Field("", max_length=40)
    first_name: str = Field("", max_length=100)
    last_name: str = Field(max_length=100)
    birthday: dt.date | None = None
    preferred_language: LanguageValue = ""
    preferred_channel: ChannelValue = ""
    lifecycle_stage: str | None = Field(None, description="Key of a lifecycle stage, e.g. lead.")
    customer_group: str | None = Field(None, description="Key of a customer group, e.g. dealer.")
    notes: str = ""
    owner: int | None = Field(None, description="User id; POST defaults to you, PUT keeps the owner when omitted.")
    tags: list[str] = Field([], description="Replaces all tags.")
    custom_fields: dict[str, Any] = Field({}, description="Values by key, checked against the definitions.")
    emails: list[EmailIn] = Field([], description="Replaces all addresses; the first primary one wins.")
    phones: list[PhoneIn] = Field([], description="Replaces all numbers.")
    addresses: list[AddressIn] = Field([], description="Replaces all postal addresses.")
    organisation: int | None = Field(None, description="POST only: organisation id to link the person to.")
    role: str = Field("", description="POST only: the role at `organisation`.")
    version: int | None = Field(None, description="PUT: the version the change is based on (or send If-Match).")


if TYPE_CHECKING:
    PersonPatch = Schema
else:
    PersonPatch = patch_schema(
        PersonIn, "PersonPatch", exclude=("organisation", "role"),
        doc="Changes to a person: only the fields sent are changed; lists sent replace the stored ones.",
    )
PersonPageOut = page_schema(PersonOut, "PersonPageOut")

PERSON_SCALARS = ("salutation", "title", "first_name", "last_name", "birthday", "preferred_language",
                  "preferred_channel", "notes")


# --- schemas: organisations -------------------------------------------------------


class OrganisationOut(OwnedRecordResolvers):
    """An organisation (B2B customer)."""

    id: int
    name: str
    legal_form: str
    industry: str
    size: str
    website: str
    vat_id: str
    parent: int | None = Field(description="Id of the parent organisation.")
    notes: str
    lifecycle_stage: str | None = Field(description="Key of the lifecycle stage.")
    customer_group: str | None = Field(description="Key of the customer group.")
    owner: int | None = Field(description="User id of the owner.")
    team: int | None = Field(description="Team id.")
    tags: list[str]
    custom_fields: dict[str, Any]
    emails: list[EmailOut]
    phones: list[PhoneOut]
    addresses: list[AddressOut]
    version: int = Field(description="Bumped by every change; the ETag and If-Match carry it.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_parent(obj: Any) -> int | None:
        return obj.parent_id


class OrganisationIn(InputSchema):
    """An organisation to create (POST) or the full replacement of one (PUT)."""

    name: str = Field(max_length=200)
    legal_form: LegalFormValue = ""
    industry: str = Field("", max_length=100)
    size: CompanySizeValue = ""
    website: str = Field("", max_length=200)
    vat_id: str = Field("", description="EU VAT ID, validated and normalised (e.g. DE123456789).")
    parent: int | None = Field(None, description="Id of the parent organisation.")
    lifecycle_stage: str | None = Field(None, description="Key of a lifecycle stage.")
    customer_group: str | None = Field(None, description="Key of a customer group.")
    notes: str = ""
    owner: int | None = Field(None, description="User id; POST defaults to you, PUT keeps the owner when omitted.")
    tags: list[str] = Field([], description="Replaces all tags.")
    custom_fields: dict[str, Any] = Field({}, description="Values by key, checked against the definitions.")
    emails: list[EmailIn] = Field([], description="Replaces all addresses.")
    phones: list[PhoneIn] = Field([], description="Replaces all numbers.")
    addresses: list[AddressIn] = Field([], description="Replaces all postal addresses.")
    version: int | None = Field(None, description="PUT: the version the change is based on (or send If-Match).")


if TYPE_CHECKING:
    OrganisationPatch = Schema
else:
    OrganisationPatch = patch_schema(
        OrganisationIn, "OrganisationPatch",
        doc="Changes to an organisation: only the fields sent are changed; lists sent replace the stored ones.",
    )
OrganisationPageOut = page_schema(OrganisationOut, "OrganisationPageOut")

ORGANISATION_SCALARS = ("name", "legal_form", "industry", "size", "website", "vat_id", "notes")


# --- schemas: employments ---------------------------------------------------------


class EmploymentOut(Schema):
    """A person works (or worked) at an organisation."""

    id: int
    person: int
    organisation: int
    role: str
    department: str
    start_date: dt.date | None
    end_date: dt.date | None
    is_primary_contact: bool
    is_current: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_person(obj: Employment) -> int:
        return obj.person_id

    @staticmethod
    def resolve_organisation(obj: Employment) -> int:
        return obj.organisation_id


class EmploymentIn(InputSchema):
    """A link of a person to an organisation."""

    person: int
    organisation: int
    role: str = Field("", max_length=100)
    department: str = Field("", max_length=100)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    is_primary_contact: bool = False


if TYPE_CHECKING:
    EmploymentPatch = Schema
else:
    EmploymentPatch = patch_schema(
        EmploymentIn, "EmploymentPatch", exclude=("person", "organisation"),
        doc="Changes to a link (e.g. set end_date when the person left).",
    )


# --- helpers ----------------------------------------------------------------------


def _attach_organisations(user: User, people: list[Person]) -> None:
    """Give each person of a page its current employments (the selector keeps only visible organisations)."""
    for person in people:
        person.api_organisations = person.current_employments  # type: ignore[attr-defined]


def _person_detail(user: User, person: Person, response: HttpResponse) -> Person:
    """Prepare `person` for PersonOut and set its ETag."""
    current = [e for e in person_employments(user, person) if e.is_current]
    person.api_organisations = sorted(current, key=lambda e: (not e.is_primary_contact, e.pk))  # type: ignore[attr-defined]
    with_etag(response, person)
    return person


def _owned_fields(data: dict[str, Any], refs: ContactReferences) -> dict[str, Any]:
    """Resolve the reference fields both record types share (owner, lifecycle stage)."""
    fields: dict[str, Any] = {}
    if "owner" in data:
        fields["owner"] = refs.user_ref("owner", data["owner"]) if data["owner"] is not None else None
    if "lifecycle_stage" in data:
        fields["lifecycle_stage"] = refs.stage("lifecycle_stage", data["lifecycle_stage"])
    if "customer_group" in data:
        fields["customer_group"] = refs.customer_group("customer_group", data["customer_group"])
    return fields


def _replacement(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Custom field input that replaces all stored values (PUT): unmentioned keys are cleared."""
    return {**dict.fromkeys(current), **given}


def _write_changes(data: dict[str, Any], scalars: tuple[str, ...], refs: ContactReferences,
                   current_owner_id: int | None) -> dict[str, Any]:
    """The service `changes` for the fields sent; naming the present owner again is no change."""
    changes = {name: data[name] for name in scalars if name in data}
    changes |= _owned_fields(data, refs)
    if "owner" in changes and data["owner"] == current_owner_id:
        del changes["owner"]
    return changes


def _list_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in ("tags", "emails", "phones", "addresses") if name in data}


# --- people -----------------------------------------------------------------------

people = Router(tags=["people"])


@people.get("", response={200: PersonPageOut, **LIST_ERRORS},
            openapi_extra={"parameters": filter_parameters(PersonFilter)},
            description="People you may see, filtered and sorted like the people list." + CUSTOM_FIELD_FILTERS)
def list_people(request: HttpRequest) -> dict[str, Any]:
    """List people."""
    user = actor(request)
    page, _filters = person_page(user, list_params(request))
    prefetch_related_objects(page.items, "addresses")
    _attach_organisations(user, page.items)
    return page_out(page, lambda person: person)


@people.post("", response={201: PersonOut, **CREATE_ERRORS}, openapi_extra=etag_docs(status=201))
@idempotent
def create_person(request: HttpRequest, payload: PersonIn, response: HttpResponse) -> Status:
    """Create a person, optionally linked to an organisation."""
    user = actor(request)
    data = payload.model_dump()
    refs = ContactReferences(user)
    fields = {name: data[name] for name in PERSON_SCALARS} | _owned_fields(data, refs)
    organisation = refs.organisation("organisation", data["organisation"])
    person = refs.write(lambda: person_create(
        actor=user, **fields, **_list_kwargs(data), custom_fields=data["custom_fields"],
        organisation=organisation, role=data["role"],
    ))
    return Status(201, _person_detail(user, person, response))


@people.get("/{int:person_id}", response={200: PersonOut, **READ_ERRORS}, openapi_extra=etag_docs())
def get_person(request: HttpRequest, person_id: int, response: HttpResponse) -> Person:
    """Get a person; the ETag header carries the version for If-Match."""
    user = actor(request)
    return _person_detail(user, person_get(user, person_id), response)


def _update_person(request: HttpRequest, person_id: int, data: dict[str, Any], version: int | None,
                   response: HttpResponse, *, replace: bool) -> Person:
    user = actor(request)
    person = person_get(user, person_id)
    refs = ContactReferences(user)
    changes = _write_changes(data, PERSON_SCALARS, refs, person.owner_id)
    custom_fields = data.get("custom_fields")
    if replace and custom_fields is not None:
        custom_fields = _replacement(person.custom_fields, custom_fields)
    person = refs.write(lambda: person_update(actor=user, person=person, expected_version=version, changes=changes,
                                              custom_fields=custom_fields, **_list_kwargs(data)))
    return _person_detail(user, person, response)


@people.put("/{int:person_id}", response={200: PersonOut, 428: ErrorOut, **WRITE_ERRORS},
            openapi_extra=etag_docs(if_match="required"))
def replace_person(request: HttpRequest, person_id: int, payload: PersonIn, response: HttpResponse) -> Person:
    """Replace a person (needs If-Match or version; lists and custom fields not sent are cleared)."""
    data = payload.model_dump()
    version = expected_version(request, data.pop("version"), required=True)
    organisation, role = data.pop("organisation"), data.pop("role")
    if organisation is not None or role:
        raise ValidationError({"organisation": [_("Links are changed through /employments.")]})
    if data["owner"] is None:
        del data["owner"]
    return _update_person(request, person_id, data, version, response, replace=True)


@people.patch("/{int:person_id}", response={200: PersonOut, **WRITE_ERRORS},
              openapi_extra=etag_docs(if_match="optional"))
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch, response: HttpResponse) -> Person:
    """Change some fields of a person (If-Match or version optional but recommended)."""
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    return _update_person(request, person_id, data, version, response, replace=False)


@people.delete("/{int:person_id}", response={204: None, **WRITE_ERRORS},
               openapi_extra=etag_docs(status=None, if_match="optional"))
def delete_person(request: HttpRequest, person_id: int) -> Status:
    """Delete a person (soft: the history stays, POST …/restore undoes it)."""
    user = actor(request)
    person = person_get(user, person_id)
    with transaction.atomic():
        check_version(person, expected_version(request))
        person_delete(actor=user, person=person)
    return Status(204, None)


@people.post("/{int:person_id}/restore", response={200: PersonOut, **READ_ERRORS}, openapi_extra=etag_docs())
def restore_person(request: HttpRequest, person_id: int, response: HttpResponse) -> Person:
    """Undo the deletion of a person."""
    user = actor(request)
    person = person_restore(actor=user, person=person_get_deleted(user, person_id))
    return _person_detail(user, person_get(user, person.pk), response)


@people.get("/{int:person_id}/employments", response={200: list[EmploymentOut], **READ_ERRORS})
def list_person_employments(request: HttpRequest, person_id: int) -> list[Employment]:
    """The person's links to organisations (current and past) that you may see."""
    user = actor(request)
    return person_employments(user, person_get(user, person_id))


# --- organisations ----------------------------------------------------------------

organisations = Router(tags=["organisations"])


def _organisation_detail(organisation: Organisation, response: HttpResponse) -> Organisation:
    with_etag(response, organisation)
    return organisation


@organisations.get("", response={200: OrganisationPageOut, **LIST_ERRORS},
                   openapi_extra={"parameters": filter_parameters(OrganisationFilter)},
                   description="Organisations you may see, filtered and sorted like the list page."
                   + CUSTOM_FIELD_FILTERS)
def list_organisations(request: HttpRequest) -> dict[str, Any]:
    """List organisations."""
    page, _filters = organisation_page(actor(request), list_params(request))
    prefetch_related_objects(page.items, "emails", "phones")
    return page_out(page, lambda organisation: organisation)


def _organisation_fields(data: dict[str, Any], refs: ContactReferences) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "parent" in data:
        fields["parent"] = refs.organisation("parent", data["parent"]) if data["parent"] is not None else None
    return fields


@organisations.post("", response={201: OrganisationOut, **CREATE_ERRORS}, openapi_extra=etag_docs(status=201))
@idempotent
def create_organisation(request: HttpRequest, payload: OrganisationIn, response: HttpResponse) -> Status:
    """Create an organisation."""
    user = actor(request)
    data = payload.model_dump()
    refs = ContactReferences(user)
    fields = ({name: data[name] for name in ORGANISATION_SCALARS} | _owned_fields(data, refs)
              | _organisation_fields(data, refs))
    organisation = refs.write(lambda: organisation_create(actor=user, **fields, **_list_kwargs(data),
                                                          custom_fields=data["custom_fields"]))
    return Status(201, _organisation_detail(organisation, response))


@organisations.get("/{int:organisation_id}", response={200: OrganisationOut, **READ_ERRORS},
                   openapi_extra=etag_docs())
def get_organisation(request: HttpRequest, organisation_id: int, response: HttpResponse) -> Organisation:
    """Get an organisation; the ETag header carries the version for If-Match."""
    return _organisation_detail(organisation_get(actor(request), organisation_id), response)


def _update_organisation(request: HttpRequest, organisation_id: int, data: dict[str, Any], version: int | None,
                         response: HttpResponse, *, replace: bool) -> Organisation:
    user = actor(request)
    organisation = organisation_get(user, organisation_id)
    refs = ContactReferences(user)
    changes = _write_changes(data, ORGANISATION_SCALARS, refs, organisation.owner_id)
    changes |= _organisation_fields(data, refs)
    custom_fields = data.get("custom_fields")
    if replace and custom_fields is not None:
        custom_fields = _replacement(organisation.custom_fields, custom_fields)
    organisation = refs.write(lambda: organisation_update(
        actor=user, organisation=organisation, expected_version=version, changes=changes,
        custom_fields=custom_fields, **_list_kwargs(data)))
    return _organisation_detail(organisation, response)


@organisations.put("/{int:organisation_id}", response={200: OrganisationOut, 428: ErrorOut, **WRITE_ERRORS},
                   openapi_extra=etag_docs(if_match="required"))
def replace_organisation(request: HttpRequest, organisation_id: int, payload: OrganisationIn,
                         response: HttpResponse) -> Organisation:
    """Replace an organisation (needs If-Match or version; lists and custom fields not sent are cleared)."""
    data = payload.model_dump()
    version = expected_version(request, data.pop("version"), required=True)
    if data["owner"] is None:
        del data["owner"]
    return _update_organisation(request, organisation_id, data, version, response, replace=True)


@organisations.patch("/{int:organisation_id}", response={200: OrganisationOut, **WRITE_ERRORS},
                     openapi_extra=etag_docs(if_match="optional"))
def update_organisation(request: HttpRequest, organisation_id: int, payload: OrganisationPatch,
                        response: HttpResponse) -> Organisation:
    """Change some fields of an organisation (If-Match or version optional but recommended)."""
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    return _update_organisation(request, organisation_id, data, version, response, replace=False)


@organisations.delete("/{int:organisation_id}", response={204: None, **WRITE_ERRORS},
                      openapi_extra=etag_docs(status=None, if_match="optional"))
def delete_organisation(request: HttpRequest, organisation_id: int) -> Status:
    """Delete an organisation (soft: people, links and history stay; POST …/restore undoes it)."""
    user = actor(request)
    organisation = organisation_get(user, organisation_id)
    with transaction.atomic():
        check_version(organisation, expected_version(request))
        organisation_delete(actor=user, organisation=organisation)
    return Status(204, None)


@organisations.post("/{int:organisation_id}/restore", response={200: OrganisationOut, **READ_ERRORS},
                    openapi_extra=etag_docs())
def restore_organisation(request: HttpRequest, organisation_id: int, response: HttpResponse) -> Organisation:
    """Undo the deletion of an organisation."""
    user = actor(request)
    organisation = organisation_restore(actor=user, organisation=organisation_get_deleted(user, organisation_id))
    return _organisation_detail(organisation_get(user, organisation.pk), response)


@organisations.get("/{int:organisation_id}/employments", response={200: list[EmploymentOut], **READ_ERRORS})
def list_organisation_employments(request: HttpRequest, organisation_id: int, current: bool = True) -> list[Employment]:
    """Links of the people you may see at this organisation (only current ones unless current=false)."""
    user = actor(request)
    return organisation_people(user, organisation_get(user, organisation_id), current_only=current)


# --- employments ------------------------------------------------------------------

employments = Router(tags=["employments"])


@employments.post("", response={201: EmploymentOut, **CREATE_ERRORS})
@idempotent
def create_employment(request: HttpRequest, payload: EmploymentIn) -> Status:
    """Link a person to an organisation (needs the right to change the person)."""
    user = actor(request)
    data = payload.model_dump()
    refs = ContactReferences(user)
    person = refs.person("person", data.pop("person"))
    organisation = refs.organisation("organisation", data.pop("organisation"))
    refs.check()
    assert person is not None and organisation is not None
    return Status(201, employment_create(actor=user, person=person, organisation=organisation, **data))


@employments.get("/{int:employment_id}", response={200: EmploymentOut, **READ_ERRORS})
def get_employment(request: HttpRequest, employment_id: int) -> Employment:
    """Get a link."""
    return employment_get(actor(request), employment_id)


@employments.patch("/{int:employment_id}", response={200: EmploymentOut, **WRITE_ERRORS})
def update_employment(request: HttpRequest, employment_id: int, payload: EmploymentPatch) -> Employment:
    """Change a link's role, period or primary-contact flag."""
    user = actor(request)
    employment = employment_get(user, employment_id)
    return employment_update(actor=user, employment=employment, changes=payload.model_dump(exclude_unset=True))


@employments.delete("/{int:employment_id}", response={204: None, **WRITE_ERRORS})
def delete_employment(request: HttpRequest, employment_id: int) -> Status:
    """Remove a link entered by mistake (set end_date instead when the person left)."""
    user = actor(request)
    employment_delete(actor=user, employment=employment_get(user, employment_id))
    return Status(204, None)
