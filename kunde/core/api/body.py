"""Request bodies Django cannot see: refuse them instead of reading them as empty."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from kunde.core.api.errors import ApiError

if TYPE_CHECKING:
    from ninja import NinjaAPI


def refuse_chunked_bodies(api: NinjaAPI) -> None:
    """Answer 411 to a chunked body without Content-Length, on every operation of `api`.

    Django reads exactly Content-Length bytes, so a chunked upload would arrive empty: a
    POST would fail as "field required" and a PATCH would look like no change at all.
    """

    def decorator(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(run)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if "chunked" in request.headers.get("Transfer-Encoding", "").lower() and not request.headers.get(
                "Content-Length"
            ):
                return api.on_exception(request, ApiError(
                    411, _("Send the body with a Content-Length header (chunked uploads are not read).")))
            return run(request, *args, **kwargs)

        return checked

    api.add_decorator(decorator, mode="view")
