"""Pages of the review queue: the list of candidates, the side-by-side merge, merges and their undo."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kunde.core.exceptions import ConflictError
from kunde.core.filters import FilterError
from kunde.core.views.ui import actor, denied_as_403, login_required
from kunde.dedupe import quality, selectors, services
from kunde.dedupe.models import DuplicateCandidate, Kind


def _reasons(candidate: DuplicateCandidate) -> list[str]:
    return [selectors.reason_text(reason) for reason in candidate.reasons]


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Open duplicate candidates the user may see, best first; filter by kind and status."""
    params = request.GET
    try:
        page = selectors.candidate_page(actor(request), params)
    except FilterError as error:
        messages.error(request, "; ".join(f"{key}: {' '.join(value)}" for key, value in error.errors.items()))
        return redirect("dedupe:queue")
    rows = [{"candidate": c, "reasons": _reasons(c)} for c in page.items]
    return render(request, "dedupe/queue.html", {
        "page": page, "rows": rows, "kind": params.get("kind", ""), "status": params.get("status", "open"),
        "kinds": Kind.choices, "statuses": DuplicateCandidate.Status.choices,
    })


def _pair(request: HttpRequest, candidate: DuplicateCandidate) -> tuple[Any, Any]:
    """Survivor and loser of the form: the first record survives unless the user swapped them."""
    first, second = candidate.first, candidate.second
    wanted = request.POST.get("survivor") or request.GET.get("survivor")
    if wanted and str(wanted) == str(second.pk):
        return second, first
    return first, second


@login_required
@denied_as_403
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Both records side by side; per field the value to keep; POST merges."""
    user = actor(request)
    candidate = selectors.candidate_get(user, pk)
    survivor, loser = _pair(request, candidate)
    errors: list[str] = []
    if request.method == "POST" and candidate.status == DuplicateCandidate.Status.OPEN:
        choices = {key.removeprefix("choice:"): str(request.POST.get(key, "")) for key in request.POST
                   if key.startswith("choice:")}
        try:
            outcome = services.record_merge(
                actor=user, survivor=survivor, loser=loser, choices=choices,
                survivor_version=_version(request.POST.get("survivor_version")),
                loser_version=_version(request.POST.get("loser_version")),
            )
        except ConflictError:
            errors.append(_("One of the records was changed meanwhile; check the values again before merging."))
            candidate = selectors.candidate_get(user, pk)
            survivor, loser = _pair(request, candidate)
        except ValidationError as error:
            errors.extend(_messages(error))
        else:
            messages.success(request, _("Merged “%(loser)s” into “%(survivor)s”.") % {
                "loser": loser, "survivor": survivor})
            return redirect("dedupe:merge_detail", outcome.merge.pk)
    return render(request, "dedupe/candidate.html", {
        "candidate": candidate, "reasons": _reasons(candidate), "survivor": survivor, "loser": loser,
        "fields": selectors.merge_fields(survivor, loser), "errors": errors,
        "may_merge": services.may_merge(user, survivor, loser),
        "survivor_counts": selectors.related_counts(survivor), "loser_counts": selectors.related_counts(loser),
    }, status=400 if errors else 200)


def _version(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{key.removeprefix('fields.')}: {message}" if key != "__all__" else message
                for key, values in error.message_dict.items() for message in values]
    return list(error.messages)


@login_required
@require_POST
@denied_as_403
def candidate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a candidate as not a duplicate."""
    candidate = selectors.candidate_get(actor(request), pk)
    try:
        services.candidate_dismiss(actor=actor(request), candidate=candidate)
    except ValidationError as error:
        messages.error(request, " ".join(_messages(error)))
    else:
        messages.success(request, _("Marked as not a duplicate."))
    return redirect(request.POST.get("next") or "dedupe:queue")


@login_required
@require_POST
@denied_as_403
def candidate_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a dismissed candidate back into the queue."""
    candidate = selectors.candidate_get(actor(request), pk)
    services.candidate_reopen(actor=actor(request), candidate=candidate)
    messages.success(request, _("Back in the queue."))
    return redirect("dedupe:candidate", candidate.pk)


@login_required
def merge_list(request: HttpRequest) -> HttpResponse:
    """The latest merges the user may see."""
    return render(request, "dedupe/merge_list.html", {"merges": selectors.merge_list(actor(request))})


@login_required
def merge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """What a merge moved and removed, with the undo button."""
    merge = selectors.merge_get(actor(request), pk)
    moved: dict[str, int] = {}
    for move in merge.moves:
        moved[move["model"]] = moved.get(move["model"], 0) + 1
    removed: dict[str, int] = {}
    for entry in merge.removed:
        removed[entry["model"]] = removed.get(entry["model"], 0) + 1
    return render(request, "dedupe/merge_detail.html", {
        "merge": merge, "moved": sorted(moved.items()), "removed": sorted(removed.items()),
        "may_undo": services.may_undo(actor(request), merge),
    })


@login_required
@require_POST
@denied_as_403
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a merge back, or say why that is no longer possible."""
    merge = selectors.merge_get(actor(request), pk)
    try:
        services.merge_undo(actor=actor(request), merge=merge)
    except services.UndoRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("The merge was undone; both records are back."))
    return redirect("dedupe:merge_detail", merge.pk)


# --- data quality ----------------------------------------------------------------------


@login_required
def quality_dashboard(request: HttpRequest) -> HttpResponse:
    """Completeness, contact data, duplicates and care of the records the user may see; each figure links on."""
    try:
        months = quality.parse_months(request.GET.get("months"))
    except FilterError:
        return redirect("dedupe:quality")
    return render(request, "dedupe/quality.html", {
        "report": quality.quality_report(actor(request), months=months), "months": months,
        "groups": quality.GROUPS, "kinds": dict(Kind.choices),
    })


@login_required
def quality_records(request: HttpRequest, key: str) -> HttpResponse:
    """The records behind one figure of the dashboard."""
    try:
        check, page, months = quality.check_page(actor(request), key, request.GET)
    except FilterError:
        return redirect("dedupe:quality")
    return render(request, "dedupe/quality_records.html", {
        "check": check, "page": page, "months": months, "kind_label": dict(Kind.choices)[check.kind],
    })
