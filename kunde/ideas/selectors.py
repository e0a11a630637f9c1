"""Every read of ideas: staff (scoped), the customer portal (public and own) and the 360° panel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from kunde.commerce.models import Product
from kunde.contacts.models import Organisation, Person
from kunde.core.pagination import Page, keyset_page, page_size
from kunde.core.permissions import Action
from kunde.ideas.filters import IdeaFilter
from kunde.ideas.models import Idea, IdeaLink, Vote

PORTAL_SORTS = {"votes": ("-vote_count", "-id"), "newest": ("-created_at", "-id")}
PANEL_LIMIT = 10
PORTAL_LIMIT = 100


# --- staff -----------------------------------------------------------------------------


def idea_queryset(user: Any, action: Action | str = Action.VIEW) -> QuerySet[Idea]:
    return Idea.objects.for_user(user, action)


def idea_list(user: Any, params: Mapping[str, Any]) -> QuerySet[Idea]:
    """The ideas `user` may see, filtered and sorted by `params` (raises FilterError)."""
    return IdeaFilter(params, queryset=idea_queryset(user)).filtered()


def idea_page(user: Any, params: Mapping[str, Any]) -> tuple[Page, IdeaFilter]:
    """One keyset page of the idea list, with the number of linked customers per idea."""
    filterset = IdeaFilter(params, queryset=idea_queryset(user))
    queryset = filterset.filtered().select_related("product", "owner", "submitted_by")
    page = keyset_page(queryset, ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")))
    # Counted for the page's rows only (an annotation would group every idea before the page is cut),
    # and only the links to customers the user may see, as on the idea's page.
    counts = dict(IdeaLink.objects.for_user(user).filter(idea_id__in=[idea.pk for idea in page.items]).values("idea_id")
                  .annotate(n=Count("id")).values_list("idea_id", "n"))
    for idea in page.items:
        idea.linked_count = counts.get(idea.pk, 0)
    return page, filterset


def idea_get(user: Any, pk: Any, action: Action | str = Action.VIEW) -> Idea:
    """The idea `pk` if `user` may act on it; otherwise 404."""
    idea = (idea_queryset(user, action).select_related("product", "category", "owner", "submitted_by",
                                                       "merged_into", "created_by").filter(pk=pk).first())
    if idea is None:
        raise Http404("No such idea.")
    return idea


def idea_links(user: Any, idea: Idea) -> list[IdeaLink]:
    """The customers linked to `idea` that `user` may see (others stay hidden, as everywhere)."""
    return list(IdeaLink.objects.for_user(user).filter(idea=idea)
                .select_related("person", "organisation", "linked_by").order_by("-created_at", "-id"))


def idea_votes(user: Any, idea: Idea) -> list[Vote]:
    """The votes on `idea` by people `user` may see."""
    return list(Vote.objects.for_user(user).filter(idea=idea).select_related("person").order_by("-created_at"))


def link_get(user: Any, idea: Idea, link_id: Any) -> IdeaLink:
    link = IdeaLink.objects.for_user(user).filter(idea=idea, pk=link_id).first()
    if link is None:
        raise Http404("No such link.")
    return link


def customer_ideas(user: Any, customer: Person | Organisation) -> dict[str, Any]:
    """The ideas a customer submitted, voted for or is linked to, for their 360° page."""
    if isinstance(customer, Person):
        condition = Q(submitted_by=customer) | Q(votes__person=customer) | Q(links__person=customer)
    else:
        condition = Q(links__organisation=customer) | Q(submitted_by__employments__organisation=customer,
                                                         submitted_by__employments__end_date__isnull=True)
    ids = idea_queryset(user).filter(condition).values("pk").distinct()
    ideas = list(Idea.objects.filter(pk__in=ids).select_related("product").order_by("-created_at", "-id")
                 [:PANEL_LIMIT])
    if isinstance(customer, Person):
        voted = set(Vote.objects.filter(person=customer, idea__in=ideas).values_list("idea_id", flat=True))
        for idea in ideas:
            idea.role = ("submitted" if idea.submitted_by_id == customer.pk  # type: ignore[attr-defined]
                         else "voted" if idea.pk in voted else "linked")
    return {"ideas": ideas, "count": Idea.objects.filter(pk__in=ids).count()}


def active_products() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).order_by("name", "id")


# --- customer portal -------------------------------------------------------------------


def portal_ideas(person: Person) -> QuerySet[Idea]:
    """What `person` sees in the portal: public, unmerged ideas, and their own submissions always."""
    return Idea.objects.filter(Q(is_public=True, merged_into__isnull=True) | Q(submitted_by=person))


def portal_idea_list(person: Person, *, sort: str = "votes", product: Any = None, status: str = "",
                     limit: int = PORTAL_LIMIT) -> list[Idea]:
    """The portal list, sorted by votes or newest, filtered by product and status; each idea knows
    whether `person` voted for it."""
    ordering = PORTAL_SORTS.get(sort, PORTAL_SORTS["votes"])
    filters: dict[str, Any] = {}
    if product:
        filters["product_id"] = product
    if status:
        filters["status"] = status
    # Two reads instead of one OR: the public ideas walk the (-vote_count, -id) or (-created_at, -id)
    # index and stop at `limit`; a person's own submissions are few.
    public = Idea.objects.filter(is_public=True, merged_into__isnull=True, **filters).order_by(*ordering)
    own = Idea.objects.filter(submitted_by=person, **filters).exclude(is_public=True, merged_into__isnull=True)
    rows = {idea.pk: idea for idea in [*public.select_related("product")[:limit],
                                       *own.select_related("product").order_by(*ordering)[:limit]]}
    key = ordering[0].lstrip("-")
    ideas = sorted(rows.values(), key=lambda idea: (getattr(idea, key), idea.pk), reverse=True)[:limit]
    voted = set(Vote.objects.filter(person=person, idea__in=ideas).values_list("idea_id", flat=True))
    for idea in ideas:
        idea.has_voted = idea.pk in voted  # type: ignore[attr-defined]
    return ideas


def portal_idea_get(person: Person, pk: Any) -> Idea:
    """An idea `person` may see in the portal; any other is 404."""
    idea = portal_ideas(person).select_related("product", "merged_into").filter(pk=pk).first()
    if idea is None:
        raise Http404("No such idea.")
    idea.has_voted = Vote.objects.filter(person=person, idea=idea).exists()  # type: ignore[attr-defined]
    return idea


def portal_summary(person: Person) -> dict[str, Any]:
    """The portal start page card: the person's own ideas and the most voted open ones."""
    own = list(Idea.objects.filter(submitted_by=person).order_by("-created_at", "-id")[:5])
    top = list(portal_ideas(person).filter(merged_into__isnull=True)
               .exclude(status__in=[Idea.Status.DONE, Idea.Status.DECLINED])
               .order_by("-vote_count", "-id")[:3])
    return {"own": own, "top": top}
