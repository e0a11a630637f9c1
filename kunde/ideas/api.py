"""REST API of ideas: list, read, create, triage (status and answer), votes, customer links, merge."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kunde.commerce.models import Product
from kunde.contacts.api import ContactReferences
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.etag import expected_version
from kunde.core.api.idempotency import idempotent
from kunde.core.api.pagination import filter_parameters, list_params, page_out, page_schema
from kunde.core.api.schemas import InputSchema, choice_type
from kunde.core.exceptions import PermissionDenied
from kunde.ideas import selectors, services
from kunde.ideas.filters import IdeaFilter
from kunde.ideas.models import Idea, IdeaLink, Vote

StatusValue = choice_type(Idea.Status)


class IdeaOut(Schema):
    id: int
    title: str
    description: str
    status: str
    status_note: str = Field(description="The public answer shown in the customer portal.")
    status_changed_at: dt.datetime | None
    is_public: bool
    source: str = Field(description="portal, staff or api.")
    product: int | None = Field(alias="product_id")
    category: int | None = Field(alias="category_id")
    submitted_by: int | None = Field(alias="submitted_by_id", description="The person who submitted it.")
    owner: int | None = Field(alias="owner_id")
    merged_into: int | None = Field(alias="merged_into_id")
    vote_count: int
    version: int
    created_at: dt.datetime


IdeaPageOut = page_schema(IdeaOut, "IdeaPageOut")


class IdeaIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    product: int | None = Field(None, description="A product's id.")
    person: int | None = Field(None, description="The person who asked for it (their submission and vote).")
    is_public: bool = True


class IdeaPatch(InputSchema):
    status: StatusValue | None = None  # type: ignore[valid-type]
    status_note: str | None = Field(None, max_length=5000)
    is_public: bool | None = None
    product: int | None = Field(None, description="A product's id (null: none).")
    owner: int | None = Field(None, description="A user's id (null: nobody).")
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    version: int | None = Field(None, description="The version the change is based on (or send If-Match).")


class VoteIn(InputSchema):
    person: int


class VoteOut(Schema):
    person: int = Field(alias="person_id")
    created_at: dt.datetime
    recorded_by: int | None = Field(alias="recorded_by_id", description="Empty: the customer voted in the portal.")


class VoteResultOut(Schema):
    added: bool = Field(description="False when the person had voted already (nothing changed).")
    vote_count: int


class LinkIn(InputSchema):
    person: int | None = None
    organisation: int | None = None
    note: str = Field("", max_length=500)


class LinkOut(Schema):
    id: int
    person: int | None = Field(alias="person_id")
    organisation: int | None = Field(alias="organisation_id")
    linked_by: int | None = Field(alias="linked_by_id")
    note: str
    created_at: dt.datetime


class MergeIn(InputSchema):
    into: int = Field(description="The id of the idea this one duplicates.")


ideas = Router(tags=["ideas"])


def _product(pk: int | None) -> Product | None:
    if pk is None:
        return None
    product = Product.objects.filter(pk=pk).first()
    if product is None:
        raise ValidationError({"product": [_("Unknown product.")]})
    return product


@ideas.get("", response={200: IdeaPageOut, **LIST_ERRORS},
           openapi_extra={"parameters": filter_parameters(IdeaFilter)})
def list_ideas(request: HttpRequest) -> dict[str, Any]:
    """Every idea (ideas are company-wide), most votes first by default."""
    page, _filters = selectors.idea_page(actor(request), list_params(request))
    return page_out(page, lambda idea: idea)


@ideas.get("/{int:idea_id}", response={200: IdeaOut, **READ_ERRORS})
def get_idea(request: HttpRequest, idea_id: int) -> Idea:
    return selectors.idea_get(actor(request), idea_id)


@ideas.post("", response={201: IdeaOut, **CREATE_ERRORS})
@idempotent
def create_idea(request: HttpRequest, payload: IdeaIn) -> Status:
    """Record an idea a customer gave (with `person`, it counts as their vote and is on their timeline)."""
    user = actor(request)
    refs = ContactReferences(user)
    person = refs.person("person", payload.person)
    refs.check()
    idea = services.idea_submit(actor=user, title=payload.title, description=payload.description,
                                product=_product(payload.product), person=person, is_public=payload.is_public,
                                source=Idea.Source.API, owner=user)
    return Status(201, idea)


@ideas.patch("/{int:idea_id}", response={200: IdeaOut, **WRITE_ERRORS})
def update_idea(request: HttpRequest, idea_id: int, payload: IdeaPatch) -> Idea:
    """Triage: status (planned and done e-mail the voters once), public answer, visibility, owner, product.

    Only the idea's owner, managers and administrators may; others get 403."""
    user = actor(request)
    idea = selectors.idea_get(user, idea_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    changes: dict[str, Any] = {}
    for name in ("status", "status_note", "is_public", "title", "description"):
        if name in data:
            if data[name] is None:
                raise ValidationError({name: [_("This field cannot be empty.")]})
            changes[name] = data[name]
    if "product" in data:
        changes["product"] = _product(data["product"])
    if "owner" in data:
        refs = ContactReferences(user)
        changes["owner"] = refs.user_ref("owner", data["owner"])
        refs.check()
    return services.idea_update(actor=user, idea=idea, changes=changes, expected_version=version)


@ideas.post("/{int:idea_id}/merge", response={200: IdeaOut, **WRITE_ERRORS})
@idempotent
def merge_idea(request: HttpRequest, idea_id: int, payload: MergeIn) -> Idea:
    """Merge this idea into `into`: votes and links move, nobody keeps two votes. Returns the survivor."""
    user = actor(request)
    duplicate = selectors.idea_get(user, idea_id)
    try:
        survivor = selectors.idea_get(user, payload.into)
    except Exception as error:
        raise ValidationError({"into": [_("Unknown idea.")]}) from error
    return services.idea_merge(actor=user, duplicate=duplicate, survivor=survivor)


@ideas.get("/{int:idea_id}/votes", response={200: list[VoteOut], **READ_ERRORS})
def list_votes(request: HttpRequest, idea_id: int) -> list[Vote]:
    """The votes of people you may see."""
    user = actor(request)
    return selectors.idea_votes(user, selectors.idea_get(user, idea_id))


def _person(request: HttpRequest, pk: int) -> Any:
    refs = ContactReferences(actor(request))
    person = refs.person("person", pk)
    refs.check()
    return person


@ideas.post("/{int:idea_id}/votes", response={200: VoteResultOut, **WRITE_ERRORS})
@idempotent
def add_vote(request: HttpRequest, idea_id: int, payload: VoteIn) -> dict[str, Any]:
    """Record a customer's vote (e.g. given on the phone); sending it twice changes nothing."""
    user = actor(request)
    idea = selectors.idea_get(user, idea_id)
    added = services.idea_vote(actor=user, idea=idea, person=_person(request, payload.person))
    return {"added": added, "vote_count": Idea.objects.get(pk=idea.pk).vote_count}


@ideas.delete("/{int:idea_id}/votes/{int:person_id}", response={204: None, **WRITE_ERRORS})
def remove_vote(request: HttpRequest, idea_id: int, person_id: int) -> HttpResponse:
    """Take a person's vote back (204 also when there was none)."""
    user = actor(request)
    idea = selectors.idea_get(user, idea_id)
    services.idea_unvote(actor=user, idea=idea, person=_person(request, person_id))
    return HttpResponse(status=204)


@ideas.get("/{int:idea_id}/links", response={200: list[LinkOut], **READ_ERRORS})
def list_links(request: HttpRequest, idea_id: int) -> list[IdeaLink]:
    """The linked customers you may see."""
    user = actor(request)
    return selectors.idea_links(user, selectors.idea_get(user, idea_id))


@ideas.post("/{int:idea_id}/links", response={201: LinkOut, **CREATE_ERRORS, **READ_ERRORS})
@idempotent
def add_link(request: HttpRequest, idea_id: int, payload: LinkIn) -> Status:
    """Link a person or an organisation who asked for the idea (linking again returns the first link)."""
    user = actor(request)
    idea = selectors.idea_get(user, idea_id)
    if not services.may_enter(user):
        raise PermissionDenied("read-only")
    refs = ContactReferences(user)
    person = refs.person("person", payload.person)
    organisation = refs.organisation("organisation", payload.organisation)
    refs.check()
    return Status(201, services.idea_link_customer(actor=user, idea=idea, person=person, organisation=organisation,
                                                   note=payload.note))


@ideas.delete("/{int:idea_id}/links/{int:link_id}", response={204: None, **WRITE_ERRORS})
def remove_link(request: HttpRequest, idea_id: int, link_id: int) -> HttpResponse:
    user = actor(request)
    idea = selectors.idea_get(user, idea_id)
    services.idea_unlink_customer(actor=user, link=selectors.link_get(user, idea, link_id))
    return HttpResponse(status=204)


routers: list[tuple[str, Router]] = [("/ideas", ideas)]
