"""The import wizard: upload a file, map its columns, dry run, import, watch the progress, undo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kunde.core.views.ui import actor, denied_as_403, login_required
from kunde.imports import selectors, services
from kunde.imports.mapping import OBJECT_TYPES, PERSON, fields_for
from kunde.imports.models import ImportRun


class UploadForm(forms.Form):
    object_type = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=list(OBJECT_TYPES.items()),
                                    initial=PERSON, required=False, widget=forms.Select(attrs={"class": "form-select"}),
                                    help_text=gettext_lazy("History entries and deals name their person by "
                                                           "e-mail or external id, or their organisation by name."))
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"), widget=forms.ClearableFileInput(
        attrs={"class": "form-control", "accept": ".csv,.txt,.tsv,.xlsx"}))
    system = forms.CharField(label=gettext_lazy("Source system"), max_length=40, initial="import",
                             help_text=gettext_lazy("Where the file comes from (e.g. hubspot); external ids are "
                                                    "matched within this system."),
                             widget=forms.TextInput(attrs={"class": "form-control"}))


def _errors(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [message for messages_ in error.message_dict.values() for message in messages_]
    return list(error.messages)


@login_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    """Your latest imports (administrators: everyone's), newest first."""
    runs = selectors.runs_for(actor(request)).select_related("created_by")[:100]
    return render(request, "imports/list.html", {"runs": runs})


@login_required
@denied_as_403
@require_http_methods(["GET", "POST"])
def run_new(request: HttpRequest) -> HttpResponse:
    """Step 1: upload the file; Kunde keeps a copy with the run and suggests a mapping."""
    chosen = request.GET.get("object_type", PERSON)
    form = UploadForm(request.POST or None, request.FILES or None,
                      initial={"object_type": chosen if chosen in OBJECT_TYPES else PERSON})
    if request.method == "POST" and form.is_valid():
        try:
            run = services.import_prepare_upload(actor=actor(request), upload=form.cleaned_data["file"],
                                                 system=form.cleaned_data["system"],
                                                 object_type=form.cleaned_data["object_type"] or PERSON)
        except ValidationError as error:
            for message in _errors(error):
                form.add_error("file", message)
        else:
            return redirect("imports:detail", run.pk)
    return render(request, "imports/new.html", {"form": form})


def _report(run: ImportRun, *, dry_run: bool) -> list[list[str]]:
    return selectors.report_preview(services.report_path(run, dry_run=dry_run))


def _context(request: HttpRequest, run: ImportRun, **extra: Any) -> dict[str, Any]:
    samples = selectors.column_samples(run) if run.status == ImportRun.Status.READY else {}
    columns = [{"header": header, "field": run.mapping.get(header, ""), "samples": samples.get(header, [])}
               for header in run.mapping]
    dry_run_done = run.dry_run_counts is not None and run.queued != "dry_run"
    return {
        "run": run, "columns": columns, "fields": fields_for(run.object_type).items(),
        "object_type_label": OBJECT_TYPES.get(run.object_type, run.object_type),
        "problems": services.mapping_problems(run) if run.status == ImportRun.Status.READY else [],
        "working": bool(run.queued) or run.status == ImportRun.Status.RUNNING,
        "dry_run_done": dry_run_done,
        "dry_run_report": _report(run, dry_run=True) if dry_run_done and not run.rows_done else [],
        "report": _report(run, dry_run=False) if run.status in {ImportRun.Status.DONE, ImportRun.Status.INTERRUPTED,
                                                                ImportRun.Status.UNDONE} else [],
        "undo_skipped": run.changes.exclude(undo_skipped="").order_by("row_number", "id")[:200]
        if run.status == ImportRun.Status.UNDONE else [],
        **extra,
    }


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Steps 2 to 4 on one page: the mapping (while nothing ran), the dry run's outcome, the import's progress."""
    run = selectors.run_get(actor(request), pk)
    return render(request, "imports/detail.html", _context(request, run))


@login_required
@require_GET
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block alone, polled by the page while the worker runs the step."""
    run = selectors.run_get(actor(request), pk)
    return render(request, "imports/_status.html", _context(request, run))


@login_required
@denied_as_403
@require_POST
def run_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the column mapping (and keep it under a name when asked)."""
    user = actor(request)
    run = selectors.run_get(user, pk)
    mapping = {header: str(request.POST.get(f"map:{header}", "")) for header in run.mapping}
    try:
        services.import_set_mapping(actor=user, run=run, mapping=mapping)
        if request.POST.get("mapping_name", "").strip():
            saved = services.saved_mapping_save(actor=user, run=run, name=request.POST["mapping_name"])
            messages.success(request, _("Mapping saved as “%(name)s”.") % {"name": saved.name})
        else:
            messages.success(request, _("Mapping saved."))
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    return redirect("imports:detail", run.pk)


def _queue(request: HttpRequest, pk: int, *, dry_run: bool) -> HttpResponse:
    user = actor(request)
    run = selectors.run_get(user, pk)
    try:
        services.import_queue(actor=user, run=run, dry_run=dry_run)
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    return redirect("imports:detail", run.pk)


@login_required
@denied_as_403
@require_POST
def run_dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    return _queue(request, pk, dry_run=True)


@login_required
@denied_as_403
@require_POST
def run_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Import (or resume an interrupted import) in the worker."""
    return _queue(request, pk, dry_run=False)


@login_required
@denied_as_403
@require_POST
def run_undo(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    run = selectors.run_get(user, pk)
    try:
        services.import_undo(actor=user, run=run)
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    else:
        messages.success(request, _("The import was undone."))
    return redirect("imports:detail", run.pk)


@login_required
@require_GET
def run_report(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """The whole report (row, result, detail) as CSV: of the dry run or of the import."""
    run = selectors.run_get(actor(request), pk)
    if kind not in {"dry-run", "report"}:
        raise Http404(kind)
    path: Path = services.report_path(run, dry_run=kind == "dry-run")
    if not path.exists():
        raise Http404("no report yet")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"import-{run.pk}-{kind}.csv",
                        content_type="text/csv; charset=utf-8")
