"""Analytics pages: the dashboard with its exports, the at-risk worklist, model diagnostics, settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kunde.analytics import charts, selectors, services, tables
from kunde.analytics.models import AnalyticsSettings, RelationshipCost
from kunde.core.exceptions import ConflictError
from kunde.core.export import FORMATS, ExportColumn, export_audit, export_response
from kunde.core.permissions import is_admin
from kunde.core.views.ui import actor, denied_as_403, login_required


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _dashboard_data(request: HttpRequest) -> dict[str, Any]:
    user = actor(request)
    return selectors.dashboard(user, kind=request.GET.get("kind") or "month",
                               period=request.GET.get("period") or None, owner=_int(request.GET.get("owner")),
                               team=_int(request.GET.get("team")),
                               segment=selectors.visible_segment(user, _int(request.GET.get("segment"))))


def _stages() -> list[Any]:
    from kunde.contacts.models import LifecycleStage

    return list(LifecycleStage.objects.filter(is_active=True))


def _charts(dash: dict[str, Any], data: dict[str, tables.Table]) -> dict[str, Any]:
    trend = dash["trend"]
    cohort = data["cohorts"]
    return {
        "nps": charts.line_chart([charts.Series(_("NPS"), trend["nps"])], title=_("NPS trend")),
        "mood": charts.line_chart([charts.Series(_("Average mood"), trend["mood"])], title=_("Mood trend")),
        "retention": charts.line_chart(
            [charts.Series(_("Retention rate"), [(p, v * 100 if v is not None else None)
                                                for p, v in trend["retention_rate"]]),
             charts.Series(_("Churn rate"), [(p, v * 100 if v is not None else None)
                                            for p, v in trend["churn_rate"]])],
            title=_("Retention and churn (%)")),
        "cohorts": charts.heat_matrix([str(row[0]) for row in cohort.rows], cohort.columns[2:],
                                      [row[2:] for row in cohort.rows], value_format=charts.format_percent,
                                      min_value=0, max_value=1, title=_("Cohort retention")),
        "rfm_grid": charts.heat_matrix([str(row[0]) for row in data["rfm_grid"].rows], data["rfm_grid"].columns[1:],
                                       [[float(v) for v in row[1:]] for row in data["rfm_grid"].rows],
                                       value_format=charts.format_number,
                                       title=_("RFM grid")),
        "clv": charts.bar_chart([(str(row[0]), float(row[1])) for row in data["clv"].rows],
                                title=_("Predicted CLV distribution")),
        "funnel": charts.bar_chart([(str(row[0]), float(row[1])) for row in data["funnel"].rows], horizontal=True,
                                   title=_("Lifecycle funnel")),
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """KPI tiles with trends and the charts, filtered by period, owner and team."""
    from kunde.accounts.models import Team, User
    from kunde.audience.models import Segment

    dash = _dashboard_data(request)
    data = tables.all_tables(dash, _stages())
    for kpi in dash["kpis"]:
        kpi["spark"] = charts.sparkline(kpi["series"], title=kpi["label"])
    return render(request, "analytics/dashboard.html", {
        "dash": dash, "tables": data, "charts": _charts(dash, data), "formats": FORMATS,
        "users": User.objects.filter(is_active=True).order_by("username"), "teams": Team.objects.order_by("name"),
        "segments": Segment.objects.for_user(actor(request)).order_by("name")[:200],
        "owner": _int(request.GET.get("owner")), "team": _int(request.GET.get("team")),
        "query": request.GET.urlencode(),
    })


def _cell(index: int) -> Callable[[list[Any]], Any]:
    return lambda row: row[index]


@login_required
@require_GET
def chart_export(request: HttpRequest, chart: str, fmt: str) -> HttpResponse:
    """One chart's data as CSV or XLSX (what the chart shows, for the same filters)."""
    dash = _dashboard_data(request)
    data = tables.all_tables(dash, _stages())
    if chart not in data or fmt not in FORMATS:
        raise Http404(chart)
    table = data[chart]
    user = actor(request)
    columns = [ExportColumn(header, _cell(index)) for index, header in enumerate(table.columns)]

    def audited(rows: int, complete: bool) -> None:
        export_audit(actor=user, object_type="analytics.dashboard", label=table.title, fmt=fmt, rows=rows,
                     query=request.GET.urlencode(), complete=complete, request_id=getattr(request, "request_id", ""))

    language = getattr(request, "LANGUAGE_CODE", "") or ""
    return export_response(  # type: ignore[return-value]
        rows=table.rows, columns=columns, fmt=fmt, filename=f"kunde-{chart}", title=table.title, on_done=audited,
        # Excel in German locales splits CSV columns on semicolons.
        delimiter=";" if language.startswith("de") else ",")


@login_required
@require_GET
def at_risk(request: HttpRequest) -> HttpResponse:
    """Customers of the user (or, with "all", every visible one) likely to churn, most valuable first."""
    user = actor(request)
    mine_only = request.GET.get("scope") != "all"
    rows = selectors.at_risk(user, mine_only=mine_only)[:200]
    return render(request, "analytics/at_risk.html", {"rows": rows, "mine_only": mine_only,
                                                      "freshness": selectors.freshness()})


@login_required
@require_GET
def models_view(request: HttpRequest) -> HttpResponse:
    """The fitted models: parameters, the holdout check, churn validation, and what lacked data."""
    from kunde.analytics.models import RefreshRun

    run = selectors.latest_run()
    return render(request, "analytics/models.html", {
        "run": run, "diagnostics": run.diagnostics if run else {}, "freshness": selectors.freshness(),
        "runs": RefreshRun.objects.order_by("-started_at")[:10], "can_refresh": is_admin(actor(request)),
    })


@login_required
@require_POST
@denied_as_403
def refresh(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    if not is_admin(user):
        raise PermissionDenied
    if services.refresh_request(actor=user):
        messages.success(request, _("The refresh has been queued; the worker runs it shortly."))
    else:
        messages.info(request, _("A refresh is already running."))
    return redirect("analytics:models")


@login_required
@require_http_methods(["GET", "POST"])
@denied_as_403
def settings_view(request: HttpRequest) -> HttpResponse:
    """The assumptions of KPIs and models, and hand-entered relationship costs (administrators)."""
    user = actor(request)
    if not is_admin(user):
        raise PermissionDenied
    current = AnalyticsSettings.load()
    errors: dict[str, Any] = {}
    if request.method == "POST" and request.POST.get("form") == "settings":
        changes = {name: request.POST.get(name, "").strip() for name in sorted(services.SETTINGS_FIELDS)}
        try:
            services.settings_update(actor=user, changes=_typed_settings(changes), expected_version=_int(
                request.POST.get("version")))
        except ValidationError as exc:
            errors = exc.message_dict
        except ConflictError:
            errors = {"__all__": [_("Someone else changed the settings meanwhile; here are their values.")]}
        else:
            messages.success(request, _("Settings saved. They apply from the next refresh."))
            return redirect("analytics:settings")
        current = AnalyticsSettings.load()
    elif request.method == "POST" and request.POST.get("form") == "cost":
        try:
            services.cost_create(actor=user, kind=request.POST.get("kind", ""),
                                 incurred_on=_date(request.POST.get("incurred_on")),
                                 amount=_decimal(request.POST.get("amount"), "amount"),
                                 description=request.POST.get("description", "").strip())
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Cost recorded."))
            return redirect("analytics:settings")
    return render(request, "analytics/settings.html", {
        "settings": current, "errors": errors, "general_errors": errors.get("__all__"),
        "costs": RelationshipCost.objects.all()[:50],
        "kinds": RelationshipCost.Kind.choices, "posted": request.POST if errors else {},
    })


def _typed_settings(raw: dict[str, str]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in raw.items():
        try:
            typed[name] = Decimal(value) if name in {"hourly_rate", "annual_discount_rate"} else int(value)
        except (InvalidOperation, ValueError):
            errors[name] = _("Enter a number.")
    if errors:
        raise ValidationError(errors)
    return typed


def _date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise ValidationError({"incurred_on": _("Enter a date as YYYY-MM-DD.")}) from None


def _decimal(value: str | None, field: str) -> Decimal:
    try:
        return Decimal((value or "").replace(",", "."))
    except InvalidOperation:
        raise ValidationError({field: _("Enter an amount.")}) from None
