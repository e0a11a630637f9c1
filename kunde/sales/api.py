"""REST API of sales: the routers kunde/api.py mounts, as (prefix, router)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kunde.contacts.models import Organisation, Person
from kunde.contacts.selectors import organisation_get, person_get
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.etag import check_version, etag_docs, expected_version, with_etag
from kunde.core.api.idempotency import idempotent
from kunde.core.api.pagination import filter_parameters, list_params, page_out, page_schema
from kunde.core.api.references import References
from kunde.core.api.schemas import InputSchema, choice_type, patch_schema
from kunde.sales import selectors, services
from kunde.sales.filters import DealFilter, LeadFilter
from kunde.sales.models import Deal, Lead, LeadSource, LostReason, Pipeline, Stage

if TYPE_CHECKING:
    SourceValue = str
else:
    SourceValue = choice_type(LeadSource, blank=True)


class SalesReferences(References):
    def person(self, field: str, pk: int | None) -> Person | None:
        return self.lookup(field, pk, lambda v: person_get(self.user, v), _("Unknown person."))

    def organisation(self, field: str, pk: int | None) -> Organisation | None:
        return self.lookup(field, pk, lambda v: organisation_get(self.user, v), _("Unknown organisation."))

    def pipeline(self, field: str, pk: int | None) -> Pipeline | None:
        return self.lookup(field, pk, lambda v: Pipeline.objects.filter(pk=v, is_active=True).first(),
                           _("Unknown pipeline."))

    def stage(self, field: str, pk: int | None) -> Stage | None:
        return self.lookup(field, pk, lambda v: Stage.objects.select_related("pipeline").filter(pk=v).first(),
                           _("Unknown stage."))

    def lost_reason(self, field: str, key: str | None) -> LostReason | None:
        return self.lookup(field, key, lambda v: LostReason.objects.filter(key=v, is_active=True).first(),
                           _("Unknown lost reason."))


# --- schemas ------------------------------------------------------------------------


class StageOut(Schema):
    id: int
    name_en: str
    name_de: str
    position: int
    probability: int = Field(description="Default probability (%) of deals in this stage.")
    rotting_days: int | None
    kind: str = Field(description="open, won or lost.")


class PipelineOut(Schema):
    id: int
    name_en: str
    name_de: str
    is_default: bool
    position: int
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: Pipeline) -> list[Stage]:
        return list(obj.stages.all())


class DealOut(Schema):
    """A deal. Amounts are decimal strings; amount_eur is converted with the stored exchange rate."""

    id: int
    title: str
    organisation: int | None
    person: int | None
    amount: Decimal
    currency: str
    amount_eur: Decimal
    expected_close_date: dt.date | None
    probability: int
    pipeline: int
    stage: int
    stage_entered_at: dt.datetime
    status: str = Field(description="open, won or lost.")
    next_step: str
    lost_reason: str | None = Field(description="Key of the lost reason.")
    lost_note: str
    won_at: dt.datetime | None
    lost_at: dt.datetime | None
    source: str
    campaign: str
    lead: int | None
    notes: str
    owner: int | None
    team: int | None
    custom_fields: dict[str, Any]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_organisation(obj: Deal) -> int | None:
        return obj.organisation_id

    @staticmethod
    def resolve_person(obj: Deal) -> int | None:
        return obj.person_id

    @staticmethod
    def resolve_pipeline(obj: Deal) -> int:
        return obj.pipeline_id

    @staticmethod
    def resolve_stage(obj: Deal) -> int:
        return obj.stage_id

    @staticmethod
    def resolve_lost_reason(obj: Deal) -> str | None:
        return obj.lost_reason.key if obj.lost_reason is not None else None

    @staticmethod
    def resolve_lead(obj: Deal) -> int | None:
        return obj.lead_id

    @staticmethod
    def resolve_owner(obj: Deal) -> int | None:
        return obj.owner_id

    @staticmethod
    def resolve_team(obj: Deal) -> int | None:
        return obj.team_id


class DealIn(InputSchema):
    """A deal to create: an organisation and/or a person; stage or pipeline (default: first open stage)."""

    title: str = Field(max_length=200)
    organisation: int | None = None
    person: int | None = None
    amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    currency: str = Field("EUR", min_length=3, max_length=3, description="ISO 4217; not EUR needs a stored rate.")
    expected_close_date: dt.date | None = None
    probability: int | None = Field(None, ge=0, le=100, description="Default: the stage's probability.")
    pipeline: int | None = None
    stage: int | None = None
    next_step: str = Field("", max_length=300)
    source: SourceValue = ""
    campaign: str = Field("", max_length=100)
    notes: str = ""
    owner: int | None = Field(None, description="User id; defaults to you.")
    custom_fields: dict[str, Any] = {}


class DealChange(InputSchema):
    title: str = Field(max_length=200)
    organisation: int | None = None
    person: int | None = None
    amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    currency: str = Field("EUR", min_length=3, max_length=3)
    expected_close_date: dt.date | None = None
    probability: int = Field(0, ge=0, le=100)
    next_step: str = Field("", max_length=300)
    source: SourceValue = ""
    campaign: str = Field("", max_length=100)
    notes: str = ""
    owner: int | None = None
    version: int | None = Field(None, description="The version the change is based on (or send If-Match).")


if TYPE_CHECKING:
    DealPatch = Schema
else:
    DealPatch = patch_schema(DealChange, "DealPatch",
                             doc="Changes to a deal (not its stage: POST …/move, …/win, …/lose, …/reopen).")
DealPageOut = page_schema(DealOut, "DealPageOut")


class MoveIn(InputSchema):
    stage: int
    position: int | None = Field(None, ge=0, description="Card position in the stage, 0 = top (default: top).")
    lost_reason: str | None = Field(None, description="Key of a lost reason; needed when `stage` is a lost stage.")


class LoseIn(InputSchema):
    reason: str = Field(description="Key of a lost reason, e.g. price.")
    note: str = Field("", max_length=300)


class ReopenIn(InputSchema):
    stage: int | None = None


class LeadOut(Schema):
    id: int
    name: str
    company: str
    email: str
    phone: str
    message: str
    source: str
    campaign: str
    status: str
    disqualify_reason: str
    score: int
    person: int | None
    organisation: int | None
    converted_at: dt.datetime | None
    owner: int | None
    team: int | None
    custom_fields: dict[str, Any]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_person(obj: Lead) -> int | None:
        return obj.person_id

    @staticmethod
    def resolve_organisation(obj: Lead) -> int | None:
        return obj.organisation_id

    @staticmethod
    def resolve_owner(obj: Lead) -> int | None:
        return obj.owner_id

    @staticmethod
    def resolve_team(obj: Lead) -> int | None:
        return obj.team_id


class LeadIn(InputSchema):
    """A lead: an e-mail address or a phone number is needed."""

    name: str = Field(max_length=200)
    company: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    message: str = ""
    source: SourceValue = "api"
    campaign: str = Field("", max_length=100)
    owner: int | None = None
    version: int | None = Field(None, description="PATCH: the version the change is based on.")


if TYPE_CHECKING:
    LeadPatch = Schema
else:
    LeadPatch = patch_schema(LeadIn, "LeadPatch", doc="Changes to a lead.")
LeadPageOut = page_schema(LeadOut, "LeadPageOut")


class DisqualifyIn(InputSchema):
    reason: str = Field(max_length=300)


class ConvertIn(InputSchema):
    """Reuse existing records (ids from …/matches) or create new ones from the lead."""

    person: int | None = Field(None, description="Existing person to reuse; omitted: create one from the lead.")
    organisation: int | None = Field(None, description="Existing organisation; omitted: create one from the "
                                                       "lead's company (if any).")
    create_organisation: bool = True
    create_deal: bool = True
    deal_title: str = Field("", max_length=200)
    amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    currency: str = Field("EUR", min_length=3, max_length=3)
    pipeline: int | None = None
    expected_close_date: dt.date | None = None


class ConvertOut(Schema):
    lead: LeadOut
    person: int | None
    organisation: int | None
    deal: int | None


class MatchOut(Schema):
    id: int
    name: str
    reasons: list[str] = Field(description="email, phone, company or email_domain.")


class MatchesOut(Schema):
    people: list[MatchOut]
    organisations: list[MatchOut]


# --- deals --------------------------------------------------------------------------

deals = Router(tags=["deals"])


def _deal_detail(deal: Deal, response: HttpResponse) -> Deal:
    with_etag(response, deal)
    return deal


@deals.get("", response={200: DealPageOut, **LIST_ERRORS}, openapi_extra={"parameters": filter_parameters(DealFilter)},
           description="Deals you may see, filtered and sorted like the deal list.")
def list_deals(request: HttpRequest) -> dict[str, Any]:
    """List deals."""
    page, _filters = selectors.deal_page(actor(request), list_params(request))
    return page_out(page, lambda deal: deal)


@deals.post("", response={201: DealOut, **CREATE_ERRORS}, openapi_extra=etag_docs(status=201))
@idempotent
def create_deal(request: HttpRequest, payload: DealIn, response: HttpResponse) -> Status:
    """Create a deal."""
    user = actor(request)
    data = payload.model_dump()
    refs = SalesReferences(user)
    organisation = refs.organisation("organisation", data.pop("organisation"))
    person = refs.person("person", data.pop("person"))
    pipeline = refs.pipeline("pipeline", data.pop("pipeline"))
    stage = refs.stage("stage", data.pop("stage"))
    owner = refs.user_ref("owner", data.pop("owner"))
    refs.check()
    deal = services.deal_create(actor=user, organisation=organisation, person=person, pipeline=pipeline, stage=stage,
                                owner=owner, **data)
    return Status(201, _deal_detail(deal, response))


@deals.get("/{int:deal_id}", response={200: DealOut, **READ_ERRORS}, openapi_extra=etag_docs())
def get_deal(request: HttpRequest, deal_id: int, response: HttpResponse) -> Deal:
    """Get a deal; the ETag header carries the version for If-Match."""
    return _deal_detail(selectors.deal_get(actor(request), deal_id), response)


@deals.patch("/{int:deal_id}", response={200: DealOut, **WRITE_ERRORS}, openapi_extra=etag_docs(if_match="optional"))
def update_deal(request: HttpRequest, deal_id: int, payload: DealPatch, response: HttpResponse) -> Deal:
    """Change some fields of a deal."""
    user = actor(request)
    deal = selectors.deal_get(user, deal_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    refs = SalesReferences(user)
    if "organisation" in data:
        data["organisation"] = refs.organisation("organisation", data["organisation"])
    if "person" in data:
        data["person"] = refs.person("person", data["person"])
    if "owner" in data:
        owner = refs.user_ref("owner", data["owner"])
        if owner is None or owner.pk == deal.owner_id:
            data.pop("owner")
        else:
            data["owner"], data["team"] = owner, owner.primary_team
    refs.check()
    deal = services.deal_update(actor=user, deal=deal, changes=data, expected_version=version)
    return _deal_detail(selectors.deal_get(user, deal.pk), response)


@deals.delete("/{int:deal_id}", response={204: None, **WRITE_ERRORS},
              openapi_extra=etag_docs(status=None, if_match="optional"))
def delete_deal(request: HttpRequest, deal_id: int) -> Status:
    """Delete a deal (soft)."""
    user = actor(request)
    deal = selectors.deal_get(user, deal_id)
    with transaction.atomic():
        check_version(deal, expected_version(request))
        services.deal_delete(actor=user, deal=deal)
    return Status(204, None)


@deals.post("/{int:deal_id}/move", response={200: DealOut, **WRITE_ERRORS}, openapi_extra=etag_docs())
@idempotent
def move_deal(request: HttpRequest, deal_id: int, payload: MoveIn, response: HttpResponse) -> Deal:
    """Move a deal to a stage of its pipeline (a won/lost stage closes it; lost needs lost_reason)."""
    user = actor(request)
    deal = selectors.deal_get(user, deal_id)
    refs = SalesReferences(user)
    stage = refs.stage("stage", payload.stage)
    reason = refs.lost_reason("lost_reason", payload.lost_reason)
    refs.check()
    assert stage is not None
    moved = services.deal_move(actor=user, deal=deal, stage=stage, position=payload.position,
                               expected_version=expected_version(request), lost_reason=reason)
    return _deal_detail(selectors.deal_get(user, moved.pk), response)


@deals.post("/{int:deal_id}/win", response={200: DealOut, **WRITE_ERRORS}, openapi_extra=etag_docs())
@idempotent
def win_deal(request: HttpRequest, deal_id: int, response: HttpResponse) -> Deal:
    """Close a deal as won (again: no change)."""
    user = actor(request)
    deal = services.deal_win(actor=user, deal=selectors.deal_get(user, deal_id))
    return _deal_detail(selectors.deal_get(user, deal.pk), response)


@deals.post("/{int:deal_id}/lose", response={200: DealOut, **WRITE_ERRORS}, openapi_extra=etag_docs())
@idempotent
def lose_deal(request: HttpRequest, deal_id: int, payload: LoseIn, response: HttpResponse) -> Deal:
    """Close a deal as lost with a reason key."""
    user = actor(request)
    deal = selectors.deal_get(user, deal_id)
    refs = SalesReferences(user)
    reason = refs.lost_reason("reason", payload.reason)
    refs.check()
    assert reason is not None
    deal = services.deal_lose(actor=user, deal=deal, reason=reason, note=payload.note)
    return _deal_detail(selectors.deal_get(user, deal.pk), response)


@deals.post("/{int:deal_id}/reopen", response={200: DealOut, **WRITE_ERRORS}, openapi_extra=etag_docs())
def reopen_deal(request: HttpRequest, deal_id: int, payload: ReopenIn, response: HttpResponse) -> Deal:
    """Open a won or lost deal again."""
    user = actor(request)
    deal = selectors.deal_get(user, deal_id)
    refs = SalesReferences(user)
    stage = refs.stage("stage", payload.stage)
    refs.check()
    deal = services.deal_reopen(actor=user, deal=deal, stage=stage)
    return _deal_detail(selectors.deal_get(user, deal.pk), response)


# --- leads --------------------------------------------------------------------------

leads = Router(tags=["leads"])


def _lead_detail(lead: Lead, response: HttpResponse) -> Lead:
    with_etag(response, lead)
    return lead


@leads.get("", response={200: LeadPageOut, **LIST_ERRORS}, openapi_extra={"parameters": filter_parameters(LeadFilter)},
           description="Leads you may see.")
def list_leads(request: HttpRequest) -> dict[str, Any]:
    """List leads."""
    page, _filters = selectors.lead_page(actor(request), list_params(request))
    return page_out(page, lambda lead: lead)


@leads.post("", response={201: LeadOut, **CREATE_ERRORS}, openapi_extra=etag_docs(status=201))
@idempotent
def create_lead(request: HttpRequest, payload: LeadIn, response: HttpResponse) -> Status:
    """Create a lead (send Idempotency-Key: a retry gives the same lead)."""
    user = actor(request)
    data = payload.model_dump()
    data.pop("version")
    refs = SalesReferences(user)
    owner = refs.user_ref("owner", data.pop("owner"))
    refs.check()
    lead = services.lead_create(actor=user, owner=owner, **data)
    return Status(201, _lead_detail(lead, response))


@leads.get("/{int:lead_id}", response={200: LeadOut, **READ_ERRORS}, openapi_extra=etag_docs())
def get_lead(request: HttpRequest, lead_id: int, response: HttpResponse) -> Lead:
    """Get a lead."""
    return _lead_detail(selectors.lead_get(actor(request), lead_id), response)


@leads.patch("/{int:lead_id}", response={200: LeadOut, **WRITE_ERRORS}, openapi_extra=etag_docs(if_match="optional"))
def update_lead(request: HttpRequest, lead_id: int, payload: LeadPatch, response: HttpResponse) -> Lead:
    """Change some fields of a lead."""
    user = actor(request)
    lead = selectors.lead_get(user, lead_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    if "owner" in data:
        refs = SalesReferences(user)
        owner = refs.user_ref("owner", data["owner"])
        refs.check()
        if owner is None or owner.pk == lead.owner_id:
            data.pop("owner")
        else:
            data["owner"], data["team"] = owner, owner.primary_team
    lead = services.lead_update(actor=user, lead=lead, changes=data, expected_version=version)
    return _lead_detail(lead, response)


@leads.delete("/{int:lead_id}", response={204: None, **WRITE_ERRORS},
              openapi_extra=etag_docs(status=None, if_match="optional"))
def delete_lead(request: HttpRequest, lead_id: int) -> Status:
    """Delete a lead (soft)."""
    user = actor(request)
    lead = selectors.lead_get(user, lead_id)
    with transaction.atomic():
        check_version(lead, expected_version(request))
        services.lead_delete(actor=user, lead=lead)
    return Status(204, None)


@leads.post("/{int:lead_id}/qualify", response={200: LeadOut, **WRITE_ERRORS}, openapi_extra=etag_docs())
@idempotent
def qualify_lead(request: HttpRequest, lead_id: int, response: HttpResponse) -> Lead:
    """Mark a lead as qualified."""
    user = actor(request)
    return _lead_detail(services.lead_qualify(actor=user, lead=selectors.lead_get(user, lead_id)), response)


@leads.post("/{int:lead_id}/disqualify", response={200: LeadOut, **WRITE_ERRORS}, openapi_extra=etag_docs())
@idempotent
def disqualify_lead(request: HttpRequest, lead_id: int, payload: DisqualifyIn, response: HttpResponse) -> Lead:
    """Disqualify a lead with a reason."""
    user = actor(request)
    lead = services.lead_disqualify(actor=user, lead=selectors.lead_get(user, lead_id), reason=payload.reason)
    return _lead_detail(lead, response)


@leads.get("/{int:lead_id}/matches", response={200: MatchesOut, **READ_ERRORS})
def lead_matches(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    """Existing people and organisations you may see that match the lead (same e-mail, phone or company)."""
    user = actor(request)
    matches = selectors.lead_matches(user, selectors.lead_get(user, lead_id))
    return {
        "people": [{"id": p.pk, "name": str(p), "reasons": why} for p, why in matches.people],
        "organisations": [{"id": o.pk, "name": str(o), "reasons": why} for o, why in matches.organisations],
    }


@leads.post("/{int:lead_id}/convert", response={200: ConvertOut, **WRITE_ERRORS})
@idempotent
def convert_lead(request: HttpRequest, lead_id: int, payload: ConvertIn) -> dict[str, Any]:
    """Convert a lead into person + organisation + deal in one transaction."""
    user = actor(request)
    lead = selectors.lead_get(user, lead_id)
    data = payload.model_dump()
    refs = SalesReferences(user)
    person = refs.person("person", data.pop("person"))
    organisation = refs.organisation("organisation", data.pop("organisation"))
    pipeline = refs.pipeline("pipeline", data.pop("pipeline"))
    refs.check()
    person, organisation, deal = services.lead_convert(
        actor=user, lead=lead, person=person, organisation=organisation, pipeline=pipeline, **data,
    )
    return {"lead": selectors.lead_get(user, lead.pk), "person": person.pk if person else None,
            "organisation": organisation.pk if organisation else None, "deal": deal.pk if deal else None}


# --- pipelines ----------------------------------------------------------------------

pipelines = Router(tags=["pipelines"])


@pipelines.get("", response={200: list[PipelineOut], **READ_ERRORS})
def list_pipelines(request: HttpRequest) -> list[Pipeline]:
    """Active pipelines with their stages (the default first)."""
    actor(request)
    return selectors.pipelines()


@pipelines.get("/{int:pipeline_id}", response={200: PipelineOut, **READ_ERRORS})
def get_pipeline(request: HttpRequest, pipeline_id: int) -> Pipeline:
    """A pipeline with its stages."""
    actor(request)
    return selectors.pipeline_get(pipeline_id)


routers: list[tuple[str, Router]] = [("/deals", deals), ("/leads", leads), ("/pipelines", pipelines)]
