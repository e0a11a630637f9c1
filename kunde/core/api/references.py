"""Resolve ids sent in a request body to records, collecting one error per bad field.

A reference to something the user may not see reads "Unknown …", exactly as a
reference to nothing: the API does not reveal what exists outside the user's scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from kunde.accounts.models import User

T = TypeVar("T")


class _DryRun(Exception):
    """Rolls back a service call made only to collect its validation errors."""


class References:
    """Look up referenced records for `user`; `check()` raises all failures at once."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.errors: dict[str, list[str]] = {}

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def lookup(self, field: str, value: Any, get: Callable[[Any], T | None], message: str) -> T | None:
        """`get(value)`, or None with an error on `field` when it finds nothing (404 counts as nothing)."""
        if value is None:
            return None
        try:
            found = get(value)
        except (Http404, ValueError, TypeError):
            found = None
        if found is None:
            self.error(field, message)
        return found

    def lookup_many(self, field: str, values: Iterable[Any], get: Callable[[Any], T | None],
                    message: str) -> list[T]:
        found = []
        for index, value in enumerate(values):
            item = self.lookup(f"{field}.{index}", value, get, message)
            if item is not None:
                found.append(item)
        return found

    def user_ref(self, field: str, pk: int | None) -> User | None:
        """An active user by id (users are visible to every user)."""
        return self.lookup(field, pk, lambda v: User.objects.filter(pk=v, is_active=True).first(),
                           _("Unknown user."))

    def users(self, field: str, pks: Iterable[int]) -> list[User]:
        return self.lookup_many(field, pks, lambda v: User.objects.filter(pk=v, is_active=True).first(),
                                _("Unknown user."))

    def write(self, service: Callable[[], T]) -> T:
        """Call `service`; after failed lookups call it anyway, rolled back, to report its errors too.

        Only for services to which a failed (None) reference is a valid input, so the dry
        run cannot fail for the wrong reason.
        """
        if not self.errors:
            return service()
        try:
            with transaction.atomic():
                service()
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            for field, field_messages in messages.items():
                for message in field_messages:
                    self.error(field, message)
        self.check()
        raise AssertionError("unreachable: check() raised")  # pragma: no cover

    def check(self) -> None:
        """Raise the collected errors as one ValidationError (a 422)."""
        if self.errors:
            raise ValidationError(self.errors)
