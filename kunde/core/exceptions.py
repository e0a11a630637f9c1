"""Domain errors that both front ends translate (form error / HTTP status)."""

from __future__ import annotations

from typing import Any


class ConflictError(Exception):
    """A write was based on an older version of the record than the stored one."""

    def __init__(self, *, expected: int, current: Any) -> None:
        self.expected = expected
        self.current = current
        super().__init__(
            f"{type(current).__name__} #{current.pk} is at version {current.version}, "
            f"the change was based on version {expected}"
        )


class PermissionDenied(Exception):
    """The acting user may not do this (rendered as 404 for records, 403 otherwise)."""
