"""Administration writes: change and deactivate users, edit teams, define custom roles.

Every function takes the acting administrator, checks that they are one, validates,
saves and writes an audit entry; the administration pages and any later API call these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kunde.accounts.defaults import DEFAULT_ROLES
from kunde.accounts.models import Role, Team, User
from kunde.core.audit import audit_record, snapshot
from kunde.core.models import AuditEntry
from kunde.core.services import require_admin

DEFAULT_ROLE_KEYS = frozenset(row[0] for row in DEFAULT_ROLES)
_USER_FIELDS = frozenset({"first_name", "last_name", "email", "role", "is_active", "language"})


def _user_snapshot(user: User) -> dict[str, Any]:
    data = snapshot(user)
    data.pop("password", None)
    data["teams"] = sorted(team.name for team in user.teams.all())
    return data


def _is_active_admin(user: User) -> bool:
    return user.is_active and (user.is_superuser or (user.role is not None and user.role.is_admin))


def _active_admins_besides(user: User) -> bool:
    admins = User.objects.filter(is_active=True).exclude(pk=user.pk)
    return admins.filter(is_superuser=True).exists() or admins.filter(role__is_admin=True).exists()


@transaction.atomic
def user_update(*, actor: User, user: User, changes: dict[str, Any], teams: Iterable[Team] | None = None) -> User:
    """Change a user's names, e-mail, role, active flag and teams.

    The last active administrator can neither be deactivated nor lose the admin role,
    so that someone can always reach the administration area.
    """
    require_admin(actor)
    unknown = set(changes) - _USER_FIELDS
    if unknown:
        raise ValueError(f"not changeable here: {', '.join(sorted(unknown))}")
    current = User.objects.select_for_update().get(pk=user.pk)
    before = _user_snapshot(current)
    was_admin = _is_active_admin(current)
    for name, value in changes.items():
        setattr(current, name, value)
    if was_admin and not _is_active_admin(current) and not _active_admins_besides(current):
        raise ValidationError({"role": [_("This is the last active administrator; keep them an active admin.")]})
    current.full_clean()
    current.save()
    if teams is not None:
        current.teams.set(list(teams))
    after = _user_snapshot(current)
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current, before=before, after=after)
    return current


def user_deactivate(*, actor: User, user: User) -> User:
    """Deactivate a user: they can no longer log in; their records keep their owner."""
    if actor.pk == user.pk:
        raise ValidationError({"is_active": [_("You cannot deactivate yourself.")]})
    return user_update(actor=actor, user=user, changes={"is_active": False})


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str) -> User:
    """Set a new password for `user` (checked by the password validators)."""
    require_admin(actor)
    validate_password(password, user)
    current = User.objects.select_for_update().get(pk=user.pk)
    current.set_password(password)
    current.save(update_fields=["password"])
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current,
                 extra={"password": "changed"})
    return current


@transaction.atomic
def team_update(*, actor: User, team: Team, name: str, lead: User | None) -> Team:
    """Rename a team or change its lead."""
    require_admin(actor)
    current = Team.objects.select_for_update().get(pk=team.pk)
    before = snapshot(current)
    current.name, current.lead = name.strip(), lead
    current.full_clean()
    current.save()
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current, before=before,
                 after=snapshot(current))
    return current


@transaction.atomic
def team_delete(*, actor: User, team: Team) -> None:
    """Delete an empty team (one with members must be emptied first)."""
    require_admin(actor)
    current = Team.objects.select_for_update().get(pk=team.pk)
    if current.members.exists():
        raise ValidationError({"__all__": [_("Only a team without members can be deleted.")]})
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=current, before=snapshot(current))
    current.delete()


@transaction.atomic
def role_create(*, actor: User, key: str, name: str, view_scope: str, edit_scope: str,
                can_delete: bool = False, is_admin_role: bool = False) -> Role:
    """Define a custom role with its record scopes."""
    require_admin(actor)
    role = Role(key=key, name=name.strip(), view_scope=view_scope, edit_scope=edit_scope,
                can_delete=can_delete, is_admin=is_admin_role)
    _check_role(role)
    role.full_clean()
    role.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=role, after=snapshot(role))
    return role


@transaction.atomic
def role_update(*, actor: User, role: Role, changes: dict[str, Any]) -> Role:
    """Change a custom role's name and scopes (the four default roles stay as shipped)."""
    require_admin(actor)
    current = Role.objects.select_for_update().get(pk=role.pk)
    if current.key in DEFAULT_ROLE_KEYS:
        raise ValidationError({"__all__": [_("The default roles cannot be changed; define a custom role.")]})
    unknown = set(changes) - {"name", "view_scope", "edit_scope", "can_delete", "is_admin"}
    if unknown:
        raise ValueError(f"not changeable here: {', '.join(sorted(unknown))}")
    before = snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    if before["is_admin"] and not current.is_admin:
        holders = User.objects.filter(is_active=True, role=current)
        others = User.objects.filter(is_active=True).exclude(role=current)
        if holders.exists() and not (others.filter(is_superuser=True).exists()
                                     or others.filter(role__is_admin=True).exists()):
            raise ValidationError({"is_admin": [_("No administrator would be left.")]})
    _check_role(current)
    current.full_clean()
    current.save()
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current, before=before,
                 after=snapshot(current))
    return current


@transaction.atomic
def role_delete(*, actor: User, role: Role) -> None:
    """Delete a custom role that no user has."""
    require_admin(actor)
    current = Role.objects.select_for_update().get(pk=role.pk)
    if current.key in DEFAULT_ROLE_KEYS:
        raise ValidationError({"__all__": [_("The default roles cannot be deleted.")]})
    if current.users.exists():
        raise ValidationError({"__all__": [_("Only a role no user has can be deleted.")]})
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=current, before=snapshot(current))
    current.delete()


def _check_role(role: Role) -> None:
    """A role may not change more than it may see."""
    order = ["none", "own", "team", "all"]
    if order.index(role.edit_scope) > order.index(role.view_scope):
        raise ValidationError({"edit_scope": [_("A role cannot change more records than it may see.")]})
    if role.is_admin and (role.view_scope != "all" or role.edit_scope != "all"):
        raise ValidationError({"is_admin": [_("An administrator role sees and changes all records.")]})
