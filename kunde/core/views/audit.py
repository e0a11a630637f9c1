"""The audit trail in the UI: the administrators' audit browser and each record's history page."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeGuard, cast

import django_filters
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kunde.accounts.models import User
from kunde.core.filters import FilterError, KundeFilterSet
from kunde.core.models import AuditEntry
from kunde.core.pagination import Page, keyset_page, page_size
from kunde.core.permissions import is_admin
from kunde.core.views.admin_area import AdminRequiredMixin
from kunde.core.views.lists import Column, FilteredListView

ACTION_CHOICES = AuditEntry.Action.choices
ACTION_LABELS = dict(ACTION_CHOICES)
# Labels of the keys services put into `changes["_extra"]`.
EXTRA_LABELS = {
    "format": _("Format"), "rows": _("Rows"), "query": _("Filter"), "complete": _("Complete"),
    "password": _("Password"),
}


def _day_start(value: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(value, dt.time.min))


def _from_day(queryset: QuerySet, name: str, value: dt.date | None) -> QuerySet:
    return queryset.filter(at__gte=_day_start(value)) if value else queryset


def _to_day(queryset: QuerySet, name: str, value: dt.date | None) -> QuerySet:
    # Inclusive: "until 31 January" keeps everything on the 31st.
    return queryset.filter(at__lt=_day_start(value + dt.timedelta(days=1))) if value else queryset


def object_type_choices() -> list[tuple[str, str]]:
    """Every installed Kunde model as an audit object type, by verbose name."""
    choices = [
        (model._meta.label_lower, capfirst(str(model._meta.verbose_name)))
        for model in apps.get_models() if model.__module__.startswith("kunde.")
    ]
    return sorted(choices, key=lambda pair: pair[1])


class AuditEntryFilter(KundeFilterSet):
    """Filters of the audit browser: actor, object, action, day range, request id."""

    actor = django_filters.NumberFilter(field_name="actor_id", label=_("Who"))
    object_type = django_filters.ChoiceFilter(choices=object_type_choices, label=_("Object type"))
    object_id = django_filters.CharFilter(label=_("Object id"))
    action = django_filters.ChoiceFilter(choices=ACTION_CHOICES, label=_("Action"))
    date_from = django_filters.DateFilter(method=_from_day, label=_("From (day)"))
    date_to = django_filters.DateFilter(method=_to_day, label=_("Until (day)"))
    request_id = django_filters.CharFilter(label=_("Request id"))

    sort_orders = {"-at": ("-at", "-id"), "at": ("at", "id")}
    default_sort = "-at"

    class Meta:
        model = AuditEntry
        fields: list[str] = []


def audit_queryset(user: User) -> QuerySet[AuditEntry]:
    """Every audit entry for an administrator; nothing for anyone else."""
    return AuditEntry.objects.all() if is_admin(user) else AuditEntry.objects.none()


def audit_page(user: User, params: Mapping[str, Any]) -> tuple[Page, AuditEntryFilter]:
    """One keyset page of the audit trail (administrators only)."""
    filterset = AuditEntryFilter(params, queryset=audit_queryset(user))
    page = keyset_page(filterset.filtered(), ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")))
    return page, filterset


def audit_list(user: User, params: Mapping[str, Any]) -> QuerySet[AuditEntry]:
    """All audit entries matching `params` (for the export)."""
    return AuditEntryFilter(params, queryset=audit_queryset(user)).filtered()


# --- readable changes ----------------------------------------------------------------


@dataclass(frozen=True)
class ChangeLine:
    """One changed field: its label and the values before and after."""

    label: str
    before: str
    after: str


@cache
def model_for(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    for field in model._meta.concrete_fields:
        if field.attname == name or field.name == name:
            return field
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


def _fallback_label(model: type[models.Model] | None, name: str) -> str:
    """A label for a change key that is no concrete field (e.g. `emails`, a reverse relation)."""
    try:
        found = model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        found = None
    if found is not None and found.related_model is not None and not isinstance(found.related_model, str):
        return capfirst(str(found.related_model._meta.verbose_name_plural))
    return capfirst(name.replace("_", " "))


def _is_foreign_key(field: models.Field | None) -> TypeGuard[models.Field]:
    return field is not None and bool(field.many_to_one or field.one_to_one) and field.related_model is not None


def _text(value: Any, field: models.Field | None, names: Mapping[tuple[Any, str], str]) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if _is_foreign_key(field) and isinstance(value, int | str):
        label = names.get((field.related_model, str(value)))
        return f"{label} (#{value})" if label else f"#{value}"
    if isinstance(value, str) and isinstance(field, models.DateTimeField):
        moment = parse_datetime(value)
        if moment is not None:
            return formats.date_format(timezone.localtime(moment) if timezone.is_aware(moment) else moment,
                                       "SHORT_DATETIME_FORMAT")
    if isinstance(value, str) and isinstance(field, models.DateField):
        day = parse_date(value)
        if day is not None:
            return formats.date_format(day, "SHORT_DATE_FORMAT")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes")) if value else str(_("no"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _related_names(entries: Iterable[AuditEntry], viewer: User | None) -> dict[tuple[Any, str], str]:
    """Names of the records that foreign-key values point to, one query per related model.

    With a `viewer`, a related record of a scoped model is named only if the viewer may
    see it: a history must not reveal, say, a parent organisation of another team.
    """
    wanted: dict[Any, set[str]] = defaultdict(set)
    for entry in entries:
        model = model_for(entry.object_type)
        for name, pair in (entry.changes or {}).items():
            field = _field(model, name)
            if not _is_foreign_key(field) or not isinstance(pair, list):
                continue
            wanted[field.related_model].update(str(v) for v in pair if isinstance(v, int | str) and v != "")
    names: dict[tuple[Any, str], str] = {}
    for related, ids in wanted.items():
        queryset = related._base_manager.filter(pk__in=list(ids))
        if viewer is not None and hasattr(queryset, "for_user"):
            queryset = queryset.for_user(viewer)
        for obj in queryset:
            names[(related, str(obj.pk))] = str(obj)
    return names


def describe(entries: list[AuditEntry], viewer: User | None = None) -> list[AuditEntry]:
    """Attach `lines` (readable ChangeLines) and `extra` to each entry; constant queries per page."""
    names = _related_names(entries, viewer)
    for entry in entries:
        model = model_for(entry.object_type)
        lines: list[ChangeLine] = []
        extra: list[tuple[str, str]] = []
        for name, pair in (entry.changes or {}).items():
            if name == "_extra":
                extra = [(str(EXTRA_LABELS.get(k, k)), _text(v, None, names)) for k, v in (pair or {}).items()]
                continue
            field = _field(model, name)
            label = capfirst(str(field.verbose_name)) if field is not None else _fallback_label(model, name)
            before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
            lines.append(ChangeLine(label=label, before=_text(before, field, names), after=_text(after, field, names)))
        entry.lines = lines  # type: ignore[attr-defined]
        entry.extra = extra  # type: ignore[attr-defined]
        entry.action_label = ACTION_LABELS.get(entry.action, entry.action)  # type: ignore[attr-defined]
        entry.model_label = capfirst(str(model._meta.verbose_name)) if model else entry.object_type  # type: ignore[attr-defined]
    return entries


def history_url(entry: AuditEntry) -> str | None:
    if not entry.object_id:
        return None
    return reverse("record_history", args=[entry.object_type, entry.object_id])


def _changes_text(entry: AuditEntry) -> str:
    return json.dumps(entry.changes, ensure_ascii=False, sort_keys=True)


# --- the audit browser -----------------------------------------------------------------


def actor_choices(user: User) -> list[tuple[str, str]]:
    rows = User.objects.order_by("username").only("id", "username", "first_name", "last_name")
    return [(str(u.pk), u.username) for u in rows]


class AuditListView(AdminRequiredMixin, FilteredListView):
    """All audit entries, newest first, keyset paged, filterable; administrators only."""

    list_key = "core.auditentry"
    title = _("Audit log")
    filterset_class = AuditEntryFilter
    page_selector = audit_page
    export_selector = audit_list
    export_filename = "audit-log"
    filter_choices = {"actor": actor_choices}
    template_name = "core/admin/list.html"
    admin_section = "audit"
    empty_message = _("No audit entries match these filters.")
    columns = [
        Column("at", _("When"), accessor="at", sort="at", css_class="text-nowrap"),
        Column("actor", _("Who"), accessor="actor_label"),
        Column("action", _("Action"), accessor="action_label", export_value=lambda e: e.action),
        Column("object", _("Object"), template="core/cells/audit_object.html",
               export_value=lambda e: f"{e.object_type}#{e.object_id}" if e.object_id else e.object_type),
        Column("object_repr", _("Name"), accessor="object_repr", template="core/cells/audit_repr.html"),
        Column("changes", _("Changes"), template="core/cells/audit_changes.html", export_value=_changes_text,
               css_class="audit-changes-cell"),
        Column("request_id", _("Request id"), accessor="request_id", template="core/cells/request_id.html"),
    ]

    def get_page(self, params: Any) -> tuple[Page, KundeFilterSet]:
        page, filterset = super().get_page(params)
        describe(page.items)
        for entry in page.items:
            entry.history_url = history_url(entry)  # type: ignore[attr-defined]
        return page, filterset


# --- one record's history ----------------------------------------------------------------


def _visible(user: User, model: type[models.Model], object_id: str) -> bool:
    """Whether `user` may view the record, by the model's own scoping; admins see unscoped models."""
    for manager in (model._base_manager, model._default_manager):
        if hasattr(manager.all(), "for_user"):
            try:
                return manager.all().for_user(user).filter(pk=object_id).exists()  # type: ignore[attr-defined]
            except (ValueError, TypeError):
                return False
    return is_admin(user)


def _detail_url(instance: models.Model | None) -> str | None:
    """The record's own page, unless it is soft-deleted or has none."""
    if instance is None or getattr(instance, "deleted_at", None) or not hasattr(instance, "get_absolute_url"):
        return None
    try:
        return instance.get_absolute_url()
    except NoReverseMatch:
        return None


@login_required
def record_history(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    """The audit entries of one record, newest first, for users who may view the record."""
    model = model_for(object_type.lower())
    user = cast(User, request.user)
    if model is None or not model.__module__.startswith("kunde.") or not _visible(user, model, object_id):
        raise Http404("No such record.")
    queryset = AuditEntry.objects.filter(object_type=model._meta.label_lower, object_id=str(object_id))
    try:
        page = keyset_page(queryset, ordering=("-at", "-id"), cursor=request.GET.get("cursor"),
                           size=page_size(request.GET.get("page_size")))
    except FilterError as exc:
        return render(request, "core/history.html", {"error": exc.errors, "model": model}, status=400)
    entries = describe(page.items, viewer=user)
    instance = model._base_manager.filter(pk=object_id).first()
    return render(request, "core/history.html", {
        "model": model,
        "model_label": capfirst(str(model._meta.verbose_name)),
        "instance": instance,
        "object_id": object_id,
        "instance_url": _detail_url(instance),
        "entries": entries,
        "page": page,
        "next_url": f"?cursor={page.next_cursor}" if page.next_cursor else None,
        "previous_url": f"?cursor={page.previous_cursor}" if page.previous_cursor else None,
    })
