"""REST API of partners (staff only): partners, their portal users, shares and lead handovers.

Partner users never reach this API: they have no Django user and no token. Every read
starts from a `for_user` selector; a reference the user may not see reads "Unknown …".
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kunde.contacts.selectors import organisation_get, person_get
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.etag import etag_docs, expected_version, with_etag
from kunde.core.api.idempotency import idempotent
from kunde.core.api.pagination import page_out, page_schema
from kunde.core.api.references import References
from kunde.core.api.schemas import InputSchema, choice_type
from kunde.core.pagination import keyset_page, page_size
from kunde.partners import selectors, services
from kunde.partners.models import HandoverStatus, LeadHandover, PartnerProfile, PartnerRole, PartnerUser, Share
from kunde.sales.selectors import deal_get, lead_get

if TYPE_CHECKING:
    RoleValue = str
    StatusValue = str
else:
    RoleValue = choice_type(PartnerRole)
    StatusValue = choice_type(HandoverStatus)


class PartnerReferences(References):
    def partner(self, field: str, pk: int | None) -> PartnerProfile | None:
        return self.lookup(field, pk, lambda v: selectors.partner_get(self.user, v), _("Unknown partner."))

    def by(self, field: str, pk: int | None, get: Any, message: str) -> Any:
        return self.lookup(field, pk, lambda v: get(self.user, v), message)


# --- schemas ------------------------------------------------------------------------


class PartnerOut(Schema):
    """An organisation flagged as partner."""

    id: int
    organisation: int
    name: str
    role: str = Field(description="reseller, installation, service, consultant or other.")
    role_note: str
    is_active: bool
    since: dt.date
    version: int
    created_at: dt.datetime

    @staticmethod
    def resolve_organisation(obj: PartnerProfile) -> int:
        return obj.organisation_id

    @staticmethod
    def resolve_name(obj: PartnerProfile) -> str:
        return str(obj.organisation)


class PartnerIn(InputSchema):
    organisation: int
    role: RoleValue = PartnerRole.OTHER
    role_note: str = Field("", max_length=200)
    since: dt.date | None = None


class PartnerPatch(InputSchema):
    role: RoleValue | None = None
    role_note: str | None = Field(None, max_length=200)
    is_active: bool | None = None
    since: dt.date | None = None
    version: int | None = None


class PartnerUserOut(Schema):
    """A person who may sign in to the partner portal (revoked_at set: no longer)."""

    id: int
    partner: int
    person: int
    name: str
    granted_at: dt.datetime
    granted_by: int | None
    revoked_at: dt.datetime | None
    last_login_at: dt.datetime | None

    @staticmethod
    def resolve_partner(obj: PartnerUser) -> int:
        return obj.partner_id

    @staticmethod
    def resolve_person(obj: PartnerUser) -> int:
        return obj.person_id

    @staticmethod
    def resolve_name(obj: PartnerUser) -> str:
        return str(obj.person)

    @staticmethod
    def resolve_granted_by(obj: PartnerUser) -> int | None:
        return obj.granted_by_id


class PartnerUserIn(InputSchema):
    person: int


class ShareOut(Schema):
    """One record shared with a partner; exactly one of person, organisation, lead, deal is set."""

    id: int
    partner: int
    person: int | None
    organisation: int | None
    lead: int | None
    deal: int | None
    note: str
    shared_by: int | None
    shared_at: dt.datetime
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_partner(obj: Share) -> int:
        return obj.partner_id

    @staticmethod
    def resolve_person(obj: Share) -> int | None:
        return obj.person_id

    @staticmethod
    def resolve_organisation(obj: Share) -> int | None:
        return obj.organisation_id

    @staticmethod
    def resolve_lead(obj: Share) -> int | None:
        return obj.lead_id

    @staticmethod
    def resolve_deal(obj: Share) -> int | None:
        return obj.deal_id

    @staticmethod
    def resolve_shared_by(obj: Share) -> int | None:
        return obj.shared_by_id


class ShareIn(InputSchema):
    partner: int
    person: int | None = None
    organisation: int | None = None
    lead: int | None = None
    deal: int | None = None
    note: str = Field("", max_length=500)


class HandoverOut(Schema):
    """A lead offered to a partner and the partner's answer."""

    id: int
    lead: int
    partner: int
    status: str = Field(description="offered, accepted, declined or withdrawn.")
    note: str
    offered_by: int | None
    offered_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: int | None = Field(description="The partner user who accepted or declined.")
    decline_reason: str
    version: int

    @staticmethod
    def resolve_lead(obj: LeadHandover) -> int:
        return obj.lead_id

    @staticmethod
    def resolve_partner(obj: LeadHandover) -> int:
        return obj.partner_id

    @staticmethod
    def resolve_offered_by(obj: LeadHandover) -> int | None:
        return obj.offered_by_id

    @staticmethod
    def resolve_decided_by(obj: LeadHandover) -> int | None:
        return obj.decided_by_id


class HandoverIn(InputSchema):
    lead: int
    partner: int
    note: str = Field("", max_length=500)


PartnerPageOut = page_schema(PartnerOut, "PartnerPageOut")
ShareOutPage = page_schema(ShareOut, "PartnerSharePageOut")
HandoverPageOut = page_schema(HandoverOut, "LeadHandoverPageOut")


class PartnerQuery(Schema):
    role: RoleValue | None = None
    active: bool | None = None
    cursor: str | None = None
    page_size: int | None = None


class ShareQuery(Schema):
    partner: int | None = None
    active: bool | None = None
    cursor: str | None = None
    page_size: int | None = None


class HandoverQuery(Schema):
    partner: int | None = None
    lead: int | None = None
    status: StatusValue | None = None
    cursor: str | None = None
    page_size: int | None = None


def _params(query: Schema) -> dict[str, Any]:
    data = {key: value for key, value in query.model_dump().items() if value is not None}
    if "active" in data:
        data["active"] = "1" if data["active"] else "0"
    return data


def _page(queryset: Any, ordering: tuple[str, ...], query: Any) -> dict[str, Any]:
    page = keyset_page(queryset, ordering=ordering, cursor=query.cursor, size=page_size(query.page_size))
    return page_out(page, lambda row: row)


# --- partners -----------------------------------------------------------------------

partners = Router(tags=["partners"])


@partners.get("", response={200: PartnerPageOut, **LIST_ERRORS}, description="Partners you may see.")
def list_partners(request: HttpRequest, query: Query[PartnerQuery]) -> dict[str, Any]:
    """List partners."""
    queryset = selectors.partner_list(actor(request), _params(query))
    return _page(queryset.order_by("-created_at", "-id"), ("-created_at", "-id"), query)


@partners.post("", response={201: PartnerOut, **CREATE_ERRORS}, openapi_extra=etag_docs(status=201))
@idempotent
def create_partner(request: HttpRequest, payload: PartnerIn, response: HttpResponse) -> Status:
    """Flag an organisation as partner (an inactive partner is reactivated)."""
    user = actor(request)
    refs = PartnerReferences(user)
    organisation = refs.by("organisation", payload.organisation, organisation_get, _("Unknown organisation."))
    refs.check()
    assert organisation is not None
    partner = services.partner_mark(actor=user, organisation=organisation, role=payload.role,
                                    role_note=payload.role_note, since=payload.since)
    with_etag(response, partner)
    return Status(201, selectors.partner_get(user, partner.pk))


@partners.get("/{int:partner_id}", response={200: PartnerOut, **READ_ERRORS}, openapi_extra=etag_docs())
def get_partner(request: HttpRequest, partner_id: int, response: HttpResponse) -> PartnerProfile:
    """Get a partner."""
    partner = selectors.partner_get(actor(request), partner_id)
    with_etag(response, partner)
    return partner


@partners.patch("/{int:partner_id}", response={200: PartnerOut, **WRITE_ERRORS},
                openapi_extra=etag_docs(if_match="optional"))
def update_partner(request: HttpRequest, partner_id: int, payload: PartnerPatch,
                   response: HttpResponse) -> PartnerProfile:
    """Change a partner's role, note, start date or active flag (inactive: its portal closes)."""
    user = actor(request)
    partner = selectors.partner_get(user, partner_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    partner = services.partner_update(actor=user, partner=partner, changes=data, expected_version=version)
    with_etag(response, partner)
    return partner


@partners.get("/{int:partner_id}/users", response={200: list[PartnerUserOut], **READ_ERRORS})
def list_partner_users(request: HttpRequest, partner_id: int) -> list[PartnerUser]:
    """Everyone who has or had access to the partner portal of this partner."""
    return list(selectors.partner_user_list(selectors.partner_get(actor(request), partner_id)))


@partners.post("/{int:partner_id}/users", response={201: PartnerUserOut, **WRITE_ERRORS})
@idempotent
def grant_partner_user(request: HttpRequest, partner_id: int, payload: PartnerUserIn) -> Status:
    """Let a person who works at the partner sign in to the partner portal."""
    user = actor(request)
    partner = selectors.partner_get(user, partner_id)
    refs = PartnerReferences(user)
    person = refs.by("person", payload.person, person_get, _("Unknown person."))
    refs.check()
    assert person is not None
    return Status(201, services.partner_user_grant(actor=user, partner=partner, person=person))


@partners.post("/users/{int:partner_user_id}/revoke", response={200: PartnerUserOut, **WRITE_ERRORS})
@idempotent
def revoke_partner_user(request: HttpRequest, partner_user_id: int) -> PartnerUser:
    """End a person's access to the partner portal at once."""
    user = actor(request)
    return services.partner_user_revoke(actor=user, access=selectors.partner_user_get(user, partner_user_id))


# --- shares -------------------------------------------------------------------------

shares = Router(tags=["partner shares"])


@shares.get("", response={200: ShareOutPage, **LIST_ERRORS}, description="Shares of records you may see.")
def list_partner_shares(request: HttpRequest, query: Query[ShareQuery]) -> dict[str, Any]:
    """List shares."""
    return _page(selectors.share_list(actor(request), _params(query)), ("-shared_at", "-id"), query)


@shares.post("", response={201: ShareOut, **CREATE_ERRORS})
@idempotent
def create_partner_share(request: HttpRequest, payload: ShareIn) -> Status:
    """Share exactly one record (person, organisation, lead or deal) with a partner."""
    user = actor(request)
    refs = PartnerReferences(user)
    partner = refs.partner("partner", payload.partner)
    records = {
        "person": refs.by("person", payload.person, person_get, _("Unknown person.")),
        "organisation": refs.by("organisation", payload.organisation, organisation_get, _("Unknown organisation.")),
        "lead": refs.by("lead", payload.lead, lead_get, _("Unknown lead.")),
        "deal": refs.by("deal", payload.deal, deal_get, _("Unknown deal.")),
    }
    refs.check()
    assert partner is not None
    share = services.share_create(actor=user, partner=partner, note=payload.note, **records)
    return Status(201, share)


@shares.get("/{int:share_id}", response={200: ShareOut, **READ_ERRORS})
def get_partner_share(request: HttpRequest, share_id: int) -> Share:
    """Get a share."""
    return selectors.share_get(actor(request), share_id)


@shares.post("/{int:share_id}/revoke", response={200: ShareOut, **WRITE_ERRORS})
@idempotent
def revoke_partner_share(request: HttpRequest, share_id: int) -> Share:
    """Take the record away from the partner (it leaves their portal at once)."""
    user = actor(request)
    return services.share_revoke(actor=user, share=selectors.share_get(user, share_id))


# --- lead handovers -----------------------------------------------------------------

handovers = Router(tags=["lead handovers"])


@handovers.get("", response={200: HandoverPageOut, **LIST_ERRORS}, description="Handovers of leads you may see.")
def list_lead_handovers(request: HttpRequest, query: Query[HandoverQuery]) -> dict[str, Any]:
    """List lead handovers."""
    return _page(selectors.handover_list(actor(request), _params(query)), ("-offered_at", "-id"), query)


@handovers.post("", response={201: HandoverOut, **CREATE_ERRORS})
@idempotent
def create_lead_handover(request: HttpRequest, payload: HandoverIn) -> Status:
    """Offer a lead to a partner; the partner accepts or declines it in the partner portal."""
    user = actor(request)
    refs = PartnerReferences(user)
    lead = refs.by("lead", payload.lead, lead_get, _("Unknown lead."))
    partner = refs.partner("partner", payload.partner)
    refs.check()
    assert lead is not None and partner is not None
    return Status(201, services.lead_handover(actor=user, lead=lead, partner=partner, note=payload.note))


@handovers.get("/{int:handover_id}", response={200: HandoverOut, **READ_ERRORS})
def get_lead_handover(request: HttpRequest, handover_id: int) -> LeadHandover:
    """Get a lead handover and its status."""
    return selectors.handover_get(actor(request), handover_id)


@handovers.post("/{int:handover_id}/withdraw", response={200: HandoverOut, **WRITE_ERRORS})
@idempotent
def withdraw_lead_handover(request: HttpRequest, handover_id: int) -> LeadHandover:
    """Take back a lead the partner has not answered yet."""
    user = actor(request)
    return services.handover_withdraw(actor=user, handover=selectors.handover_get(user, handover_id))


routers: list[tuple[str, Router]] = [("/partners", partners), ("/partner-shares", shares),
                                     ("/lead-handovers", handovers)]
