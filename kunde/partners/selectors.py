"""Reads of partners: the staff side scoped by `for_user`, the partner side scoped by the partner's shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from kunde.accounts.models import User
from kunde.activities.models import Activity
from kunde.contacts.models import Employment, Organisation, Person
from kunde.core.permissions import Action
from kunde.partners.models import HandoverStatus, LeadHandover, PartnerProfile, PartnerUser, Share
from kunde.sales.models import Deal, Lead

# --- staff --------------------------------------------------------------------------


def partner_queryset(user: User, action: Action | str = Action.VIEW) -> QuerySet[PartnerProfile]:
    """Partners whose organisation `user` may see (or change)."""
    return (PartnerProfile.objects.for_user(user, action).filter(organisation__deleted_at__isnull=True)
            .select_related("organisation"))


def partner_list(user: User, params: Mapping[str, Any]) -> QuerySet[PartnerProfile]:
    """Partners for the list page and the API, filtered by `role` and `active` ("1"/"0", "true"/"false")."""
    queryset = partner_queryset(user)
    if params.get("role"):
        queryset = queryset.filter(role=params["role"])
    active = str(params.get("active", "")).lower()
    if active in {"1", "true", "yes"}:
        queryset = queryset.filter(is_active=True)
    elif active in {"0", "false", "no"}:
        queryset = queryset.filter(is_active=False)
    return queryset.order_by("organisation__name", "id")


def partner_get(user: User, pk: Any, action: Action | str = Action.VIEW) -> PartnerProfile:
    """The partner `pk` if `user` may act on it; otherwise 404."""
    try:
        return partner_queryset(user, action).get(pk=pk)
    except (PartnerProfile.DoesNotExist, ValueError, TypeError):
        raise Http404("No such partner.") from None


def partner_of(user: User, organisation: Organisation) -> PartnerProfile | None:
    return partner_queryset(user).filter(organisation=organisation).first()


def partners_to_share_with(user: User) -> QuerySet[PartnerProfile]:
    """Active partners `user` may see: the choices of a share or handover form."""
    return partner_queryset(user).filter(is_active=True).order_by("organisation__name", "id")


def partner_user_list(partner: PartnerProfile) -> QuerySet[PartnerUser]:
    """Everyone who has or had portal access at `partner` (the caller has checked the partner is visible)."""
    return partner.users.select_related("person", "granted_by", "revoked_by").order_by("revoked_at", "-granted_at")


def partner_user_get(user: User, pk: Any, action: Action | str = Action.VIEW) -> PartnerUser:
    try:
        return PartnerUser.objects.for_user(user, action).select_related("partner__organisation", "person").get(pk=pk)
    except (PartnerUser.DoesNotExist, ValueError, TypeError):
        raise Http404("No such partner user.") from None


def partner_employees(partner: PartnerProfile, user: User) -> QuerySet[Person]:
    """People currently working at the partner whom `user` may see and who have no portal access yet."""
    working = Employment.objects.current().filter(organisation_id=partner.organisation_id).values("person_id")
    granted = partner.users.filter(revoked_at__isnull=True).values("person_id")
    return (Person.objects.for_user(user).filter(pk__in=working).exclude(pk__in=granted)
            .order_by("last_name", "first_name", "id"))


def share_queryset(user: User, action: Action | str = Action.VIEW) -> QuerySet[Share]:
    """Shares of records `user` may see (or change)."""
    return Share.objects.for_user(user, action).select_related(
        "partner__organisation", "person", "organisation", "lead", "deal", "shared_by")


def share_list(user: User, params: Mapping[str, Any]) -> QuerySet[Share]:
    """Shares filtered by `partner` and `active`; newest first."""
    queryset = share_queryset(user)
    if params.get("partner"):
        queryset = queryset.filter(partner_id=params["partner"])
    active = str(params.get("active", "")).lower()
    if active in {"1", "true", "yes"}:
        queryset = queryset.filter(revoked_at__isnull=True)
    elif active in {"0", "false", "no"}:
        queryset = queryset.filter(revoked_at__isnull=False)
    return queryset.order_by("-shared_at", "-id")


def share_get(user: User, pk: Any, action: Action | str = Action.VIEW) -> Share:
    try:
        return share_queryset(user, action).get(pk=pk)
    except (Share.DoesNotExist, ValueError, TypeError):
        raise Http404("No such share.") from None


def customer_shares(user: User, customer: Person | Organisation) -> QuerySet[Share]:
    """The live shares of a customer and of their deals, for the 360° panel."""
    if isinstance(customer, Person):
        condition = Q(person=customer) | Q(deal__person=customer)
    else:
        condition = Q(organisation=customer) | Q(deal__organisation=customer)
    return share_queryset(user).filter(condition, revoked_at__isnull=True).order_by("-shared_at", "-id")


def handover_queryset(user: User, action: Action | str = Action.VIEW) -> QuerySet[LeadHandover]:
    """Handovers of leads `user` may see (or change)."""
    return LeadHandover.objects.for_user(user, action).select_related(
        "lead", "partner__organisation", "offered_by", "decided_by__person")


def handover_list(user: User, params: Mapping[str, Any]) -> QuerySet[LeadHandover]:
    queryset = handover_queryset(user)
    if params.get("partner"):
        queryset = queryset.filter(partner_id=params["partner"])
    if params.get("status"):
        queryset = queryset.filter(status=params["status"])
    if params.get("lead"):
        queryset = queryset.filter(lead_id=params["lead"])
    return queryset.order_by("-offered_at", "-id")


def handover_get(user: User, pk: Any, action: Action | str = Action.VIEW) -> LeadHandover:
    try:
        return handover_queryset(user, action).get(pk=pk)
    except (LeadHandover.DoesNotExist, ValueError, TypeError):
        raise Http404("No such handover.") from None


def leads_to_hand_over(user: User, limit: int | None = 200) -> QuerySet[Lead]:
    """Open leads `user` may change that are with no partner now: the choices of the handover form.

    The form shows the newest `limit`; validating a submitted choice passes `limit=None`
    (a sliced queryset cannot be filtered by the chosen id).
    """
    taken = LeadHandover.objects.filter(status__in=[HandoverStatus.OFFERED, HandoverStatus.ACCEPTED]).values("lead_id")
    queryset = (Lead.objects.for_user(user, Action.CHANGE).filter(status__in=["new", "qualified"])
                .exclude(pk__in=taken).order_by("-created_at", "-id"))
    if limit is None:
        return queryset
    return Lead.objects.filter(pk__in=list(queryset.values_list("pk", flat=True)[:limit])).order_by("-created_at",
                                                                                                   "-id")


# --- the partner portal -------------------------------------------------------------
# None of these take a user: a partner is no Django user, and what they see is exactly
# what is shared with their partner organisation now (a revoked share is gone at once).


def partner_live_shares(partner: PartnerProfile) -> QuerySet[Share]:
    return Share.objects.filter(partner=partner, revoked_at__isnull=True)


def partner_shared_people(partner: PartnerProfile) -> QuerySet[Person]:
    ids = partner_live_shares(partner).filter(person__isnull=False).values("person_id")
    return Person.objects.filter(pk__in=ids).order_by("last_name", "first_name", "id")


def partner_shared_organisations(partner: PartnerProfile) -> QuerySet[Organisation]:
    ids = partner_live_shares(partner).filter(organisation__isnull=False).values("organisation_id")
    return Organisation.objects.filter(pk__in=ids).order_by("name", "id")


def partner_shared_deals(partner: PartnerProfile) -> QuerySet[Deal]:
    ids = partner_live_shares(partner).filter(deal__isnull=False).values("deal_id")
    return (Deal.objects.filter(pk__in=ids).select_related("stage", "person", "organisation")
            .order_by("-updated_at", "-id"))


def partner_shared_leads(partner: PartnerProfile) -> QuerySet[Lead]:
    ids = partner_live_shares(partner).filter(lead__isnull=False).values("lead_id")
    return Lead.objects.filter(pk__in=ids).order_by("-created_at", "-id")


def partner_offered_handovers(partner: PartnerProfile) -> QuerySet[LeadHandover]:
    return (LeadHandover.objects.filter(partner=partner, status=HandoverStatus.OFFERED,
                                        lead__deleted_at__isnull=True)
            .select_related("lead").order_by("-offered_at", "-id"))


def partner_lead(partner: PartnerProfile, lead_id: Any) -> tuple[Lead, LeadHandover | None]:
    """A lead the partner may see (offered to them or shared with them) and its open offer; otherwise 404."""
    try:
        lead_pk = int(lead_id)
    except (TypeError, ValueError):
        raise Http404("No such lead.") from None
    offer = partner_offered_handovers(partner).filter(lead_id=lead_pk).first()
    if offer is not None:
        return offer.lead, offer
    lead = partner_shared_leads(partner).filter(pk=lead_pk).first()
    if lead is None:
        raise Http404("No such lead.")
    return lead, None


def partner_customer_history(partner: PartnerProfile, customer: Person | Organisation,
                             limit: int = 50) -> QuerySet[Activity]:
    """The entries of a shared customer the partner may read: marked shareable by staff, or their own."""
    from kunde.partners.services import HistoryKind

    on = Q(person=customer) if isinstance(customer, Person) else Q(organisation=customer)
    visible = Q(partner_shareable__isnull=False) | Q(kind=HistoryKind.PARTNER_ACTIVITY, data__partner_id=partner.pk)
    return Activity.objects.filter(on, visible).order_by("-occurred_at", "-id")[:limit]
