"""Reads of users and teams for the administration area (administrators only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from kunde.accounts.filters import UserFilter
from kunde.accounts.models import Role, Team, User
from kunde.core.pagination import Page, keyset_page, page_size
from kunde.core.permissions import is_admin


def user_queryset(actor: User) -> QuerySet[User]:
    """Every user for an administrator; nobody for anyone else."""
    return User.objects.all() if is_admin(actor) else User.objects.none()


def user_list(actor: User, params: Mapping[str, Any]) -> QuerySet[User]:
    """The users an administrator filtered and sorted by `params` (raises FilterError)."""
    return UserFilter(params, queryset=user_queryset(actor)).filtered().select_related("role")


def user_page(actor: User, params: Mapping[str, Any]) -> tuple[Page, UserFilter]:
    """One keyset page of the user list."""
    filterset = UserFilter(params, queryset=user_queryset(actor))
    queryset = filterset.filtered().distinct().select_related("role").prefetch_related("teams")
    page = keyset_page(queryset, ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")))
    return page, filterset


def user_get(actor: User, pk: Any) -> User:
    """One user for an administrator; 404 otherwise."""
    try:
        return user_queryset(actor).select_related("role").prefetch_related("teams").get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("No such user.") from None


def team_list(actor: User) -> list[Team]:
    """All teams with their member count and lead (administrators only)."""
    if not is_admin(actor):
        return []
    return list(Team.objects.select_related("lead").annotate(member_count=Count("members")).order_by("name"))


def team_get(actor: User, pk: Any) -> Team:
    if not is_admin(actor):
        raise Http404("No such team.")
    try:
        return Team.objects.get(pk=pk)
    except (Team.DoesNotExist, ValueError, TypeError):
        raise Http404("No such team.") from None


def role_list(actor: User) -> list[Role]:
    """All roles with how many users have them (administrators only)."""
    if not is_admin(actor):
        return []
    return list(Role.objects.annotate(user_count=Count("users")).order_by("name"))


def role_get(actor: User, pk: Any) -> Role:
    if not is_admin(actor):
        raise Http404("No such role.")
    try:
        return Role.objects.get(pk=pk)
    except (Role.DoesNotExist, ValueError, TypeError):
        raise Http404("No such role.") from None
