"""ETag / If-Match: optimistic concurrency for single records (see docs/adr/0003).

The entity tag is the record's version, sent weak (`W/"7"`) because related rows
(links, bulk-added tags) can change the representation without a new version. If-Match
compares the version only, so both `W/"7"` and `"7"` are accepted.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from kunde.core.api.errors import ApiError
from kunde.core.exceptions import ConflictError
from kunde.core.services import lock

_TAG = re.compile(r'^(?:W/)?"(\d{1,10})"$')
ANY = "*"


def etag(instance: Any) -> str:
    """The entity tag of `instance` (a versioned record)."""
    return f'W/"{instance.version}"'


def with_etag(response: HttpResponse, instance: Any) -> HttpResponse:
    """Set the ETag header of `response` to `instance`'s version."""
    response["ETag"] = etag(instance)
    return response


def _header_version(request: HttpRequest) -> int | str | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    raw = raw.strip()
    if raw == ANY:
        return ANY
    match = _TAG.match(raw)
    if match is None:
        raise ApiError(400, _("If-Match must be one entity tag as sent in the ETag header, e.g. W/\"3\"."),
                       [(["header", "If-Match"], _("Malformed entity tag."))])
    return int(match.group(1))


def expected_version(request: HttpRequest, body_version: int | None = None, *, required: bool = False) -> int | None:
    """The version a write is based on: If-Match, else `version` in the body; None = unconditional.

    Both given and different is a 412 (one of them is stale). `required` (full
    replacement with PUT) refuses a write without either with 428; `If-Match: *` states
    an unconditional write explicitly.
    """
    header = _header_version(request)
    if isinstance(header, int) and body_version is not None and header != body_version:
        raise ApiError(412, _("If-Match and the version in the body disagree."),
                       [(["body", "version"], _("Does not match If-Match."))])
    if header == ANY:
        return None
    version = header if isinstance(header, int) else body_version
    if version is None and required:
        raise ApiError(428, _("Send If-Match with the record's ETag (or \"version\" in the body) so a newer "
                              "change is not overwritten; If-Match: * overwrites unconditionally."))
    return version


@transaction.atomic
def check_version(instance: Any, version: int | None) -> None:
    """Raise ConflictError unless the locked row is still at `version` (None: no check).

    For writes whose service takes no version (delete, complete): call it in the same
    transaction right after this, so the row lock covers both.
    """
    if version is None:
        return
    current = lock(instance)
    if current.version != version:
        raise ConflictError(expected=version, current=current)


def etag_docs(*, status: int | None = 200, if_match: str | None = None) -> dict[str, Any]:
    """OpenAPI extras: the ETag header of the `status` answer and the If-Match parameter.

    `if_match` is "required" (PUT), "optional" (PATCH, DELETE, actions) or None.
    """
    extra: dict[str, Any] = {}
    if status is not None:
        extra["responses"] = {status: {"headers": {"ETag": {
            "description": "The record's version as a weak entity tag, e.g. W/\"3\"; send it back as If-Match.",
            "schema": {"type": "string"},
        }}}}
    if if_match is not None:
        extra["parameters"] = [{
            "in": "header", "name": "If-Match", "required": False,
            "description": (
                "The ETag this change is based on; a newer version answers 412. "
                + ("Required on PUT (or send \"version\" in the body; * overwrites unconditionally)."
                   if if_match == "required" else "Optional; without it the change is unconditional.")
            ),
            "schema": {"type": "string"},
        }]
    return extra
