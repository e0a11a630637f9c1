"""Every read of people and organisations starts here, scoped to the user."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from kunde.accounts.models import User
from kunde.contacts.filters import OrganisationFilter, PersonFilter
from kunde.contacts.models import EmailAddress, Employment, Organisation, Person
from kunde.core.pagination import Page, keyset_page, page_size
from kunde.core.permissions import Action, scope_branches


def _current_employments(user: User) -> Prefetch:
    """Current links to organisations `user` may see, as `person.current_employments`."""
    return Prefetch(
        "employments",
        queryset=Employment.objects.current()
        .filter(organisation__in=organisation_queryset(user))
        .select_related("organisation")
        .order_by("-is_primary_contact", "id"),
        to_attr="current_employments",
    )


def person_queryset(user: User, action: Action | str = Action.VIEW) -> QuerySet[Person]:
    """All people `user` may act on with `action`."""
    return Person.objects.for_user(user, action)


def person_list(user: User, params: Mapping[str, Any]) -> QuerySet[Person]:
    """The people `user` may see, filtered and sorted by `params` (raises FilterError)."""
    filterset = PersonFilter(params, queryset=person_queryset(user))
    return filterset.filtered()


def person_page(user: User, params: Mapping[str, Any]) -> tuple[Page, PersonFilter]:
    """One keyset page of the people list, with what the list shows per row."""
    filterset = PersonFilter(params, queryset=person_queryset(user))
    queryset = (
        filterset.filtered()
        .select_related("owner", "lifecycle_stage", "customer_group", "score")
        .prefetch_related("emails", "phones", "tags", _current_employments(user))
    )
    page = keyset_page(queryset, ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")), branches=scope_branches(user, Action.VIEW, Person))
    return page, filterset


def person_get(user: User, pk: Any, action: Action | str = Action.VIEW) -> Person:
    """The person `pk` if `user` may act on them; otherwise 404 (missing = forbidden)."""
    try:
        return (
            person_queryset(user, action)
            .select_related("owner", "team", "lifecycle_stage", "customer_group")
            .prefetch_related("emails", "phones", "addresses", "tags")
            .get(pk=pk)
        )
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404("No such person.") from None


def person_get_deleted(user: User, pk: Any) -> Person:
    """A soft-deleted person `user` may restore; otherwise 404."""
    try:
        return Person.all_objects.deleted().for_user(user, Action.DELETE).get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404("No such person.") from None


def person_employments(user: User, person: Person) -> list[Employment]:
    """The person's links to organisations `user` may see, current first."""
    visible_orgs = Organisation.objects.for_user(user)
    return list(
        person.employments.filter(organisation__in=visible_orgs)
        .select_related("organisation")
        .order_by("end_date", "-start_date", "id")
    )


def employment_get(user: User, pk: Any) -> Employment:
    """The link `pk` when `user` may see both its person and its organisation; else 404."""
    try:
        return (
            Employment.objects.filter(person__in=person_queryset(user), organisation__in=organisation_queryset(user))
            .select_related("person", "organisation")
            .get(pk=pk)
        )
    except (Employment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such employment.") from None


def organisation_queryset(user: User, action: Action | str = Action.VIEW) -> QuerySet[Organisation]:
    """All organisations `user` may act on with `action`."""
    return Organisation.objects.for_user(user, action)


def organisation_list(user: User, params: Mapping[str, Any]) -> QuerySet[Organisation]:
    """The organisations `user` may see, filtered and sorted by `params`."""
    return OrganisationFilter(params, queryset=organisation_queryset(user)).filtered()


def organisation_page(user: User, params: Mapping[str, Any]) -> tuple[Page, OrganisationFilter]:
    """One keyset page of the organisation list."""
    filterset = OrganisationFilter(params, queryset=organisation_queryset(user))
    queryset = (
        filterset.filtered()
        .select_related("owner", "lifecycle_stage", "customer_group", "parent", "score")
        .prefetch_related("tags", "addresses")
    )
    page = keyset_page(queryset, ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")),
                       branches=scope_branches(user, Action.VIEW, Organisation))
    return page, filterset


def organisation_get(user: User, pk: Any, action: Action | str = Action.VIEW) -> Organisation:
    """The organisation `pk` if `user` may act on it; otherwise 404."""
    try:
        return (
            organisation_queryset(user, action)
            .select_related("owner", "team", "lifecycle_stage", "customer_group", "parent")
            .prefetch_related("emails", "phones", "addresses", "tags")
            .get(pk=pk)
        )
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such organisation.") from None


def organisation_get_deleted(user: User, pk: Any) -> Organisation:
    """A soft-deleted organisation `user` may restore; otherwise 404."""
    try:
        return Organisation.all_objects.deleted().for_user(user, Action.DELETE).get(pk=pk)
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such organisation.") from None


def organisation_people(user: User, organisation: Organisation, *, current_only: bool = True) -> list[Employment]:
    """Links of the (not deleted) people at `organisation` that `user` may see."""
    employments = Employment.objects.for_user(user).filter(organisation=organisation, person__deleted_at__isnull=True)
    if current_only:
        employments = employments.current()
    return list(employments.select_related("person").order_by("-is_primary_contact", "person__last_name", "id"))


def email_addresses_matching(address: str) -> QuerySet[EmailAddress]:
    """Every stored row of this e-mail address, whatever its case (unscoped: the callers are
    system paths such as incoming mail and the portal sign-in; they scope what they show)."""
    return EmailAddress.objects.annotate(email_lower=Lower("email")).filter(email_lower=address.strip().lower())
