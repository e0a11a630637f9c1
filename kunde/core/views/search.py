"""The search results page behind the search box of every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kunde.core import search as search_engine
from kunde.core.permissions import can_create
from kunde.core.views.ui import actor, login_required

MAX_QUERY_LENGTH = 200
RESULT_LIMIT = 50


def _field(hit: Any, name: str) -> Any:
    return hit.get(name) if isinstance(hit, dict) else getattr(hit, name, None)


@login_required
@require_GET
def search_results(request: HttpRequest) -> HttpResponse:
    """Show the hits for ?q= among the records the user may see."""
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY_LENGTH]
    hits: list[dict[str, Any]] = []
    if query:
        for hit in search_engine.search(actor(request), query, limit=RESULT_LIMIT):
            hits.append({
                "title": _field(hit, "title"),
                "subtitle": _field(hit, "subtitle"),
                "url": _field(hit, "url"),
                "kind": _field(hit, "type_label") or _field(hit, "type") or "",
            })
    return render(request, "core/search.html", {
        "query": query, "hits": hits, "can_create": can_create(actor(request)), "limit": RESULT_LIMIT,
    })
