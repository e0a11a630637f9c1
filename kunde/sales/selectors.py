"""Every read of deals, leads and pipelines starts here, scoped to the user."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from kunde.accounts.models import User
from kunde.contacts.models import EmailAddress, Organisation, Person, PhoneNumber
from kunde.core.pagination import Page, keyset_page, page_size
from kunde.core.permissions import Action, scope_branches
from kunde.sales.filters import DealFilter, LeadFilter
from kunde.sales.models import Deal, DealStatus, Lead, LostReason, Pipeline, Stage

BOARD_CARDS = 50


def deal_queryset(user: User, action: Action | str = Action.VIEW) -> QuerySet[Deal]:
    return Deal.objects.for_user(user, action)


def deal_list(user: User, params: Mapping[str, Any]) -> QuerySet[Deal]:
    return DealFilter(params, queryset=deal_queryset(user)).filtered()


def deal_page(user: User, params: Mapping[str, Any]) -> tuple[Page, DealFilter]:
    """One keyset page of the deal list."""
    filterset = DealFilter(params, queryset=deal_queryset(user))
    queryset = filterset.filtered().select_related("owner", "stage", "pipeline", "organisation", "person")
    page = keyset_page(queryset, ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")), branches=scope_branches(user, Action.VIEW, Deal))
    return page, filterset


def deal_get(user: User, pk: Any, action: Action | str = Action.VIEW) -> Deal:
    try:
        return (
            deal_queryset(user, action)
            .select_related("owner", "team", "stage", "pipeline", "organisation", "person", "lost_reason", "lead")
            .get(pk=pk)
        )
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise Http404("No such deal.") from None


def pipelines() -> list[Pipeline]:
    return list(Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id"))


def pipeline_get(pk: Any) -> Pipeline:
    try:
        return Pipeline.objects.get(pk=pk)
    except (Pipeline.DoesNotExist, ValueError, TypeError):
        raise Http404("No such pipeline.") from None


def stage_get(pk: Any) -> Stage:
    try:
        return Stage.objects.select_related("pipeline").get(pk=pk)
    except (Stage.DoesNotExist, ValueError, TypeError):
        raise Http404("No such stage.") from None


def lost_reasons() -> list[LostReason]:
    return list(LostReason.objects.filter(is_active=True))


@dataclass
class Column:
    stage: Stage
    cards: list[Deal] = field(default_factory=list)
    count: int = 0
    total_eur: Decimal = Decimal("0")
    weighted_eur: Decimal = Decimal("0")

    @property
    def more(self) -> int:
        return max(self.count - len(self.cards), 0)


def board(user: User, pipeline: Pipeline, *, owner: Any = None, team: Any = None,
          limit: int = BOARD_CARDS) -> list[Column]:
    """The kanban columns of `pipeline`: the first `limit` visible cards per stage and the column totals.

    Won and lost columns show only the deals closed in the last 30 days.
    """
    import datetime as dt

    from django.utils import timezone

    stages = list(pipeline.stages.order_by("position", "id"))
    base = deal_queryset(user).filter(pipeline=pipeline)
    if owner:
        base = base.filter(owner_id=owner)
    if team:
        base = base.filter(team_id=team)
    recent = timezone.now() - dt.timedelta(days=30)
    closed_recently = Q(status=DealStatus.OPEN) | Q(won_at__gte=recent) | Q(lost_at__gte=recent)
    base = base.filter(closed_recently)
    totals = {
        row["stage_id"]: row
        for row in base.values("stage_id").annotate(n=Count("id"), total=Sum("amount_eur")).order_by()
    }
    columns = []
    for stage in stages:
        row: dict[str, Any] = dict(totals.get(stage.pk, {}))
        cards = list(
            base.filter(stage=stage).select_related("organisation", "person", "owner")
            .order_by("position", "id")[:limit]
        ) if row else []
        for card in cards:
            card.stage = stage
        columns.append(Column(
            stage=stage, cards=cards, count=row.get("n", 0), total_eur=row.get("total") or Decimal("0"),
            weighted_eur=((row.get("total") or Decimal("0")) * stage.probability / 100).quantize(Decimal("0.01")),
        ))
    return columns


def customer_open_deals(user: User, customer: Person | Organisation, limit: int = 10) -> list[Deal]:
    """Open deals of a person or organisation that `user` may see (the 360° panel)."""
    holder = "person" if isinstance(customer, Person) else "organisation"
    return list(
        deal_queryset(user).filter(**{holder: customer}, status=DealStatus.OPEN)
        .select_related("stage", "owner").order_by("expected_close_date", "id")[:limit]
    )


# --- leads --------------------------------------------------------------------------


def lead_queryset(user: User, action: Action | str = Action.VIEW) -> QuerySet[Lead]:
    return Lead.objects.for_user(user, action)


def lead_page(user: User, params: Mapping[str, Any]) -> tuple[Page, LeadFilter]:
    filterset = LeadFilter(params, queryset=lead_queryset(user))
    queryset = filterset.filtered().select_related("owner")
    page = keyset_page(queryset, ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")), branches=scope_branches(user, Action.VIEW, Lead))
    return page, filterset


def lead_list(user: User, params: Mapping[str, Any]) -> QuerySet[Lead]:
    return LeadFilter(params, queryset=lead_queryset(user)).filtered()


def lead_get(user: User, pk: Any, action: Action | str = Action.VIEW) -> Lead:
    try:
        return lead_queryset(user, action).select_related("owner", "team", "person", "organisation").get(pk=pk)
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise Http404("No such lead.") from None


@dataclass
class LeadMatches:
    people: list[tuple[Person, list[str]]]
    organisations: list[tuple[Organisation, list[str]]]


def lead_matches(user: User, lead: Lead, limit: int = 10) -> LeadMatches:
    """Existing people (same e-mail or phone) and organisations (same name) `user` may see, with why they match."""
    from kunde.contacts.validators import normalize_phone

    people: dict[int, tuple[Person, list[str]]] = {}
    visible_people = Person.objects.for_user(user)
    if lead.email:
        for address in EmailAddress.objects.filter(email__iexact=lead.email, person__in=visible_people)\
                .select_related("person")[:limit]:
            people.setdefault(int(address.person_id or 0), (address.person, []))[1].append("email")
    if lead.phone:
        try:
            number = normalize_phone(lead.phone)
        except Exception:
            number = ""
        if number:
            for phone in PhoneNumber.objects.filter(number=number, person__in=visible_people)\
                    .select_related("person")[:limit]:
                reasons = people.setdefault(int(phone.person_id or 0), (phone.person, []))[1]
                if "phone" not in reasons:
                    reasons.append("phone")
    organisations: dict[int, tuple[Organisation, list[str]]] = {}
    visible_orgs = Organisation.objects.for_user(user)
    if lead.company.strip():
        for organisation in visible_orgs.filter(name__iexact=lead.company.strip())[:limit]:
            organisations.setdefault(organisation.pk, (organisation, []))[1].append("company")
    if lead.email and "@" in lead.email:
        domain = lead.email.rpartition("@")[2]
        from kunde.sales.scoring import FREE_MAIL

        if domain not in FREE_MAIL:
            for address in EmailAddress.objects.filter(email__iendswith="@" + domain,
                                                       organisation__in=visible_orgs).select_related("organisation")[:limit]:
                reasons = organisations.setdefault(int(address.organisation_id or 0), (address.organisation, []))[1]
                if "email_domain" not in reasons:
                    reasons.append("email_domain")
    return LeadMatches(people=list(people.values())[:limit], organisations=list(organisations.values())[:limit])
