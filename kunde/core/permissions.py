"""Record scoping: the one mechanism every page, endpoint, search and export uses.

A role grants a *scope* per action: all records, the records of the user's teams,
the user's own records, or none. Models opt in by using `ScopedQuerySet` and naming,
in `scope_paths`, the relations through which ownership is reached ("" for a model
that has `owner`/`team` itself; "person__" for a row that belongs to a person).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from kunde.accounts.models import User


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"
    DELETE = "delete"


class Scope(models.TextChoices):
    ALL = "all", _("All records")
    TEAM = "team", _("Own team's records")
    OWN = "own", _("Own records")
    NONE = "none", _("No records")


def scope_for(user: User | Any, action: Action | str) -> Scope:
    """Return how far `user` may reach for `action`."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope.NONE
    if user.is_superuser:
        return Scope.ALL
    role = user.role
    if role is None:
        return Scope.NONE
    if role.is_admin:
        return Scope.ALL
    action = Action(action)
    if action is Action.VIEW:
        return Scope(role.view_scope)
    if action is Action.DELETE and not role.can_delete:
        return Scope.NONE
    return Scope(role.edit_scope)


def team_ids(user: User) -> list[int]:
    """Return the ids of the user's teams, cached on the user object for the request."""
    cached = getattr(user, "_kunde_team_ids", None)
    if cached is None:
        cached = list(user.teams.values_list("id", flat=True))
        user._kunde_team_ids = cached  # type: ignore[attr-defined]
    return cached


def scope_q(user: User, action: Action | str, paths: tuple[str, ...]) -> Q | None:
    """Return the filter for `user`'s scope over `paths`; None means "everything"."""
    scope = scope_for(user, action)
    if scope is Scope.ALL:
        return None
    if scope is Scope.NONE:
        return Q(pk__in=[])
    combined = Q(pk__in=[])
    for path in paths:
        combined |= Q(**{f"{path}owner_id": user.pk})
        if scope is Scope.TEAM:
            combined |= Q(**{f"{path}team_id__in": team_ids(user)})
    return combined


def scope_branches(user: User | Any, action: Action | str, model: type[models.Model]) -> list[Q] | None:
    """The OR-branches of `user`'s scope over `model`, one per index to walk, or None.

    Only a "team" scope over a model with its own owner/team has several branches (owner
    is me; team is each of mine); lists use them to read a page branch by branch.
    """
    paths: tuple[str, ...] = getattr(model, "scope_paths", ("",))
    if paths != ("",) or scope_for(user, action) is not Scope.TEAM:
        return None
    return [Q(owner_id=user.pk), *(Q(team_id=team) for team in team_ids(user))]


def can_create(user: User | Any) -> bool:
    """Whether `user` may create records at all (read-only roles may not)."""
    return scope_for(user, Action.CHANGE) is not Scope.NONE


def is_admin(user: User | Any) -> bool:
    return scope_for(user, Action.VIEW) is Scope.ALL and bool(
        user.is_superuser or (user.role and user.role.is_admin)
    )


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to restrict itself to what a user may see or change."""

    def for_user(self, user: User | Any, action: Action | str = Action.VIEW) -> Self:
        """Restrict to the rows `user` may act on with `action`."""
        paths: tuple[str, ...] = getattr(self.model, "scope_paths", ("",))
        condition = scope_q(user, action, paths)
        return self if condition is None else self.filter(condition)


def user_can(user: User | Any, action: Action | str, instance: models.Model) -> bool:
    """Whether `user` may perform `action` on `instance`, by the same rule as lists."""
    queryset: Any = type(instance)._default_manager.all()
    return bool(queryset.for_user(user, action).filter(pk=instance.pk).exists())
