"""Saved list views: a user's named filter + sort per list page, private to that user."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.core.models import SavedView

MAX_PER_LIST = 50


def saved_view_list(user: User, list_key: str) -> list[SavedView]:
    """The user's own saved views of one list, by name."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(SavedView.objects.filter(user=user, list_key=list_key).order_by("name", "id"))


def saved_view_get(user: User, pk: Any, *, list_key: str | None = None) -> SavedView:
    """One of the user's own saved views; anyone else's (or none) is a 404."""
    queryset = SavedView.objects.filter(user=user)
    if list_key is not None:
        queryset = queryset.filter(list_key=list_key)
    try:
        return queryset.get(pk=int(pk))
    except (SavedView.DoesNotExist, ValueError, TypeError):
        raise Http404("No such saved view.") from None


@transaction.atomic
def saved_view_save(*, user: User, list_key: str, name: str, query: str) -> SavedView:
    """Save `query` under `name` for the user's list `list_key`, replacing a view of that name."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the view a name.")]})
    existing = SavedView.objects.select_for_update().filter(user=user, list_key=list_key, name=name).first()
    if existing is not None:
        existing.query = query
        existing.full_clean()
        existing.save(update_fields=["query", "updated_at"])
        return existing
    if SavedView.objects.filter(user=user, list_key=list_key).count() >= MAX_PER_LIST:
        raise ValidationError({"name": [_("At most %(count)d saved views per list.") % {"count": MAX_PER_LIST}]})
    view = SavedView(user=user, list_key=list_key, name=name, query=query)
    view.full_clean()
    view.save()
    return view


@transaction.atomic
def saved_view_delete(*, user: User, view: SavedView) -> None:
    """Delete one of the user's own saved views."""
    if view.user_id != user.pk:
        raise Http404("No such saved view.")
    view.delete()
