"""The default roles, created by a data migration and re-creatable after a flush."""

from __future__ import annotations

from typing import Any

# key, name, view scope, edit scope, may delete, administrator
DEFAULT_ROLES = [
    ("admin", "Administrator", "all", "all", True, True),
    ("manager", "Manager", "all", "team", True, False),
    ("member", "Member", "team", "own", False, False),
    ("readonly", "Read-only", "team", "none", False, False),
]


def ensure_default_roles(role_model: Any = None) -> None:
    """Create the default roles that are missing (keeps edited ones as they are)."""
    if role_model is None:
        from kunde.accounts.models import Role as role_model
    for key, name, view, edit, delete, admin in DEFAULT_ROLES:
        role_model.objects.get_or_create(
            key=key,
            defaults={"name": name, "view_scope": view, "edit_scope": edit, "can_delete": delete, "is_admin": admin},
        )
