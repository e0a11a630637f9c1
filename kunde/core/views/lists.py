"""Generic list pages: filters, sortable columns, keyset paging, htmx, saved views, bulk actions, export.

A list page is a declaration; the machinery does the rest::

    from django.utils.translation import gettext_lazy as _

    from kunde.contacts.filters import PersonFilter
    from kunde.contacts.selectors import person_list, person_page
    from kunde.contacts.services import records_add_tags, records_change_owner
    from kunde.core.views.lists import AddTagsAction, ChangeOwnerAction, Column, FilteredListView


    class PersonListView(FilteredListView):
        list_key = "contacts.person"          # saved views are stored under this key
        title = _("People")
        filterset_class = PersonFilter        # a KundeFilterSet: filters + declared sort orders
        page_selector = person_page           # (user, params) -> (Page, filterset), scoped
        export_selector = person_list         # (user, params) -> QuerySet of ALL matching rows, scoped
        export_related = ("owner",)           # select_related for the export
        export_prefetch = ("emails", "phones", "tags")
        export_filename = "people"
        columns = [
            Column("name", _("Name"), accessor="full_name", link=True, sort="name"),
            Column("email", _("E-mail"), accessor=lambda p: next(iter(p.emails.all()), None)),
            Column("tags", _("Tags"), accessor="tags", template="core/cells/tags.html"),
            Column("owner", _("Owner"), accessor="owner"),
            Column("created", _("Created"), accessor="created_at", sort="created"),
        ]
        bulk_actions = [AddTagsAction(records_add_tags), ChangeOwnerAction(records_change_owner)]
        create_url = reverse_lazy("contacts:person_create")   # optional "New" button

    # urls.py
    path("people/", PersonListView.as_view(), name="person_list")

What one URL then answers:

- GET: the page with a filter form (the filterset's filters plus `cf_<key>` custom fields),
  sortable headers (only the filterset's `sort_orders`), previous/next keyset paging (no
  COUNT, no OFFSET). An htmx request targeting `#list-results` gets only the results
  partial (`hx-get` + `hx-push-url`); everything works as plain links without JavaScript.
- Bad filter, sort or cursor: the page shows the error with HTTP 400.
- `?view=<id>`: apply one of the user's own saved views (another user's id is a 404).
- `?format=csv|xlsx`: export every matching row (same selector, same scope), audited.
- POST `op=bulk` with `action=<key>` and `ids`: run a bulk action on the selected rows,
  then redirect back with a message saying how many rows changed.
- POST `op=save_view` with `name`: store the current filter and sort as a saved view.

Later apps declare their own `BulkAction` subclasses (a form and a `run`) the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View

from kunde.accounts.models import Team, User
from kunde.core import export as export_service
from kunde.core import saved_views
from kunde.core.custom_fields import definitions_for
from kunde.core.exceptions import PermissionDenied
from kunde.core.filters import RESERVED, FilterError, KundeFilterSet
from kunde.core.models import CustomFieldDefinition, model_label
from kunde.core.pagination import MAX_PAGE_SIZE, Page
from kunde.core.permissions import Action, Scope, can_create, scope_for, team_ids

RESULTS_ID = "list-results"
# Parameters that are part of "where am I in the list", not of the filter a view saves.
_NOT_SAVED = frozenset({"cursor", "view", "format", "csrfmiddlewaretoken"})


# --- columns ---------------------------------------------------------------------


def resolve(row: Any, path: str) -> Any:
    """Follow a dotted attribute path (`owner.username`); call methods; None-safe."""
    value = row
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part)
        if callable(value) and not isinstance(value, models.Manager):
            value = value()
    if isinstance(value, models.Manager):
        # Prefetched managers answer .all() from the cache without a query.
        return list(value.all())
    return value


@dataclass(frozen=True)
class Column:
    """One column of a list: header, how to get the value, how to show it, how to sort it.

    `accessor` is a dotted path or a callable (defaults to `key`, or to nothing when a
    template is given); `template` renders the
    cell with `row`, `value` and `column` in the context; `sort` names the ascending
    entry of the filterset's `sort_orders` (its descending twin is `-<sort>`); `link`
    links the cell to `row.get_absolute_url()`; `export_value` gives the plain value for
    CSV/XLSX when the display value is not right there.
    """

    key: str
    header: str | Promise
    accessor: str | Callable[[Any], Any] | None = None
    template: str | None = None
    sort: str | None = None
    link: bool = False
    export: bool = True
    export_value: Callable[[Any], Any] | None = None
    css_class: str = ""

    def value(self, row: Any) -> Any:
        """Return the column's value for `row`."""
        if self.accessor is None and self.template is not None:
            return None  # the cell template reads what it needs from `row`
        accessor = self.accessor if self.accessor is not None else self.key
        if callable(accessor):
            return accessor(row)
        return resolve(row, accessor)

    def plain(self, row: Any) -> Any:
        """Return the value written to an export."""
        return (self.export_value or self.value)(row)

    def as_export(self) -> export_service.ExportColumn:
        return export_service.ExportColumn(header=self.header, value=self.plain)


# --- bulk actions ----------------------------------------------------------------


class BulkAction:
    """An action on the selected rows of a list: a small form and a service call.

    Subclasses set `key`, `label` and `form_class`, and implement `run`, which calls a
    service that checks the permission per record and returns how many records changed.
    """

    key: ClassVar[str]
    label: ClassVar[str | Promise]
    form_class: ClassVar[type[forms.Form] | None] = None
    button_class: ClassVar[str] = "btn-outline-primary"

    def is_available(self, user: User) -> bool:
        """Whether `user` sees this action at all (read-only roles change nothing)."""
        return can_create(user)

    def get_form(self, user: User, data: Mapping[str, Any] | None = None) -> forms.Form | None:
        if self.form_class is None:
            return None
        return self.form_class(data=data, prefix=self.key, user=user)  # type: ignore[call-arg]

    def run(self, *, actor: User, records: Sequence[models.Model], data: Mapping[str, Any]) -> int:
        raise NotImplementedError


class BulkForm(forms.Form):
    """A bulk action form; receives the acting user."""

    # All actions share one <form>: a required field of one must not block another.
    use_required_attribute = False

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)


class AddTagsForm(BulkForm):
    tags = forms.CharField(
        label=_("Tags"), max_length=500,
        help_text=_("Separate several tags with commas."),
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "placeholder": _("Tag")}),
    )

    def clean_tags(self) -> list[str]:
        names = [name.strip() for name in self.cleaned_data["tags"].split(",") if name.strip()]
        if not names:
            raise ValidationError(_("Enter at least one tag."))
        if any(len(name) > 60 for name in names):
            raise ValidationError(_("A tag has at most 60 characters."))
        return names


class AddTagsAction(BulkAction):
    """Add tags to the selected records through a `service(actor=, records=, tags=)`."""

    key = "add_tags"
    label = _("Add tag")
    form_class = AddTagsForm

    def __init__(self, service: Callable[..., int]) -> None:
        self.service = service

    def run(self, *, actor: User, records: Sequence[models.Model], data: Mapping[str, Any]) -> int:
        return self.service(actor=actor, records=records, tags=data["tags"])


def assignable_users(actor: User) -> models.QuerySet[User]:
    """The active users `actor` may make owner of a record (by the actor's change scope)."""
    users = User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")
    scope = scope_for(actor, Action.CHANGE)
    if scope is Scope.ALL:
        return users
    if scope is Scope.TEAM:
        return users.filter(models.Q(pk=actor.pk) | models.Q(teams__in=team_ids(actor))).distinct()
    if scope is Scope.OWN:
        return users.filter(pk=actor.pk)
    return users.none()


class UserLabelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


class ChangeOwnerForm(BulkForm):
    owner = UserLabelChoiceField(
        label=_("New owner"), queryset=User.objects.none(), empty_label="—",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_users(self.user)  # type: ignore[attr-defined]


class ChangeOwnerAction(BulkAction):
    """Give the selected records to another owner via `service(actor=, records=, owner=)`."""

    key = "change_owner"
    label = _("Change owner")
    form_class = ChangeOwnerForm

    def __init__(self, service: Callable[..., int]) -> None:
        self.service = service

    def run(self, *, actor: User, records: Sequence[models.Model], data: Mapping[str, Any]) -> int:
        return self.service(actor=actor, records=records, owner=data["owner"])


# --- filter form -----------------------------------------------------------------


def owner_choices(user: User) -> list[tuple[str, str]]:
    """Choices for an `owner` filter: every active user."""
    rows = User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")
    return [(str(u.pk), u.get_full_name() or u.username) for u in rows.only("id", "username", "first_name",
                                                                              "last_name")]


def team_choices(user: User) -> list[tuple[str, str]]:
    """Choices for a `team` filter: every team."""
    return [(str(t.pk), t.name) for t in Team.objects.order_by("name").only("id", "name")]


def _custom_field(definition: CustomFieldDefinition) -> forms.Field:
    """A filter form field for one custom field definition."""
    kind = CustomFieldDefinition.FieldType
    label = definition.label
    if definition.field_type == kind.CHOICE:
        return forms.ChoiceField(label=label, required=False,
                                 choices=[("", "—")] + [(c, c) for c in definition.choices])
    if definition.field_type == kind.BOOLEAN:
        return forms.ChoiceField(label=label, required=False,
                                 choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))])
    if definition.field_type == kind.DATE:
        return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
    if definition.field_type == kind.NUMBER:
        return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    return forms.CharField(label=label, required=False)


def _simplify(field: forms.Field) -> forms.Field:
    """Return the field as the filter form shows it: one "—" empty choice, plain yes/no and day inputs."""
    if isinstance(field, forms.ModelChoiceField):
        field.empty_label = "—"
    elif isinstance(field, forms.ChoiceField):
        options = [(value, label) for value, label in list(field.choices) if value != ""]  # type: ignore[arg-type,misc]
        return forms.ChoiceField(label=field.label, required=False, choices=[("", "—"), *options])
    if isinstance(field.widget, forms.NullBooleanSelect):
        # Its "unknown" option would put `x=unknown` into every filtered URL.
        field.widget = forms.Select(choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))])
    elif isinstance(field, forms.DateTimeField) and type(field.widget) is forms.DateTimeInput:
        # A day is what people filter by; an ISO date is a valid date-time filter value.
        field.widget = forms.DateInput(attrs={"type": "date"})
    return field


def _style(field: forms.Field) -> None:
    widget = field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.NullBooleanSelect):
        css = "form-select form-select-sm"
    else:
        css = "form-control form-control-sm"
    widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def _values(params: QueryDict, *, drop: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """The non-empty (key, value) pairs of `params` without `drop`, in order."""
    return [(k, v) for k in params for v in params.getlist(k) if v != "" and k not in drop]


def querystring(params: QueryDict, **changes: Any) -> str:
    """Return `?…` for `params` with `changes` applied (None removes a key); empty values dropped."""
    pairs = [(k, v) for k, v in _values(params) if k not in changes]
    pairs += [(k, str(v)) for k, v in changes.items() if v not in (None, "")]
    return "?" + urlencode(pairs) if pairs else "?"


def _custom_value(key: str) -> Callable[[Any], Any]:
    def value(row: Any) -> Any:
        stored = (getattr(row, "custom_fields", None) or {}).get(key)
        if isinstance(stored, str) and len(stored) == 10 and stored[4:5] == "-" and stored[7:8] == "-":
            try:
                return dt.date.fromisoformat(stored)  # date custom fields are stored as ISO text
            except ValueError:
                return stored
        return stored

    return value


@dataclass(frozen=True)
class Header:
    """A column header as rendered: its label, and the sort link when it can sort."""

    column: Column
    url: str | None
    direction: str | None  # "ascending" / "descending" when the list is sorted by it


# --- the view --------------------------------------------------------------------


class FilteredListView(LoginRequiredMixin, View):
    """A list page over a scoped selector; see the module docstring for the declaration."""

    list_key: ClassVar[str]
    title: ClassVar[str | Promise]
    filterset_class: ClassVar[type[KundeFilterSet]]
    page_selector: ClassVar[Callable[[User, Mapping[str, Any]], tuple[Page, KundeFilterSet]]]
    export_selector: ClassVar[Callable[[User, Mapping[str, Any]], models.QuerySet] | None] = None
    export_related: ClassVar[Sequence[str]] = ()
    export_prefetch: ClassVar[Sequence[Any]] = ()
    export_filename: ClassVar[str] = "export"
    export_formats: ClassVar[Sequence[str]] = export_service.FORMATS
    # Formats an app adds beyond CSV/XLSX (e.g. "vcf"): fmt -> f(queryset, filename=, on_done=) -> response.
    # They get the same selector, scope, filters and export audit.
    extra_export_formats: ClassVar[dict[str, Callable[..., HttpResponse]]] = {}
    # Append one export column per custom field of the filterset's record type.
    export_custom_fields: ClassVar[bool] = True
    columns: ClassVar[Sequence[Column]] = ()
    bulk_actions: ClassVar[Sequence[BulkAction]] = ()
    # Filters shown in the form, in order (None: all the filterset declares, then custom fields).
    filter_fields: ClassVar[Sequence[str] | None] = None
    # Filters shown as a select of choices computed per request.
    filter_choices: ClassVar[Mapping[str, Callable[[User], list[tuple[str, str]]]]] = {
        "owner": owner_choices,
        "team": team_choices,
    }
    saved_views_enabled: ClassVar[bool] = True
    create_url: ClassVar[str | Promise | None] = None
    create_label: ClassVar[str | Promise] = _("New")
    empty_message: ClassVar[str | Promise] = _("Nothing matches these filters.")
    template_name: ClassVar[str] = "core/list.html"
    results_template_name: ClassVar[str] = "core/_list_results.html"

    # --- selectors (class attributes may hold plain functions) ---

    def get_page(self, params: QueryDict) -> tuple[Page, KundeFilterSet]:
        """Return one page and the bound filterset; raises FilterError."""
        selector = type(self).page_selector
        return selector(self.user, params)

    def get_export_queryset(self, params: QueryDict) -> models.QuerySet:
        """Return every row the export writes, scoped and filtered like the page."""
        selector = type(self).export_selector
        if selector is None:
            raise Http404
        queryset = selector(self.user, params)
        if self.export_related:
            queryset = queryset.select_related(*self.export_related)
        if self.export_prefetch:
            queryset = queryset.prefetch_related(*self.export_prefetch)
        return queryset

    @property
    def user(self) -> User:
        """The logged-in user (LoginRequiredMixin lets no one else through)."""
        return cast(User, self.request.user)

    @property
    def model(self) -> type[models.Model]:
        return self.filterset_class._meta.model

    # --- GET ---

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        saved = self.active_saved_view()
        params = self.effective_params(saved)
        fmt = params.get("format")
        if fmt:
            return self.export(params, fmt)
        error: dict[str, list[str]] | None = None
        try:
            page, filterset = self.get_page(params)
        except FilterError as exc:
            page, filterset, error = None, self.fallback_filterset(params, exc), exc.errors
        context = self.get_context_data(params=params, page=page, filterset=filterset, error=error, saved=saved)
        template = self.results_template_name if self.is_partial() else self.template_name
        response = render(request, template, context, status=400 if error else 200)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response

    def is_partial(self) -> bool:
        """Whether to answer with the results only (an htmx request for #list-results)."""
        htmx = getattr(self.request, "htmx", None)
        if not htmx:
            return False
        return htmx.target == RESULTS_ID and not htmx.history_restore_request

    def active_saved_view(self) -> Any:
        """The saved view named by `?view=`, if it is the user's own; else 404."""
        raw = self.request.GET.get("view")
        if not raw or not self.saved_views_enabled:
            return None
        return saved_views.saved_view_get(self.user, raw, list_key=self.list_key)

    def effective_params(self, saved: Any) -> QueryDict:
        """The request's parameters on top of the saved view's, if one is active."""
        params = QueryDict(saved.query if saved else "", mutable=True)
        for key in self.request.GET:
            if key != "view":
                params.setlist(key, self.request.GET.getlist(key))
        return params

    def fallback_filterset(self, params: QueryDict, exc: FilterError) -> KundeFilterSet:
        """A filterset for redrawing the form after an error, without the bad parameters."""
        cleaned = params.copy()
        for key in exc.errors:
            cleaned.pop(key, None)
        try:
            return self.filterset_class(cleaned, queryset=self.model._default_manager.none())
        except FilterError:
            return self.filterset_class(QueryDict(), queryset=self.model._default_manager.none())

    def get_filter_form(self, filterset: KundeFilterSet) -> forms.Form:
        """The filter form: the filterset's fields (or `filter_fields`) and custom fields."""
        base = filterset.form
        form = forms.Form(data=base.data if base.is_bound else None, prefix=None)
        names = self.filter_fields if self.filter_fields is not None else list(base.fields)
        user = self.user
        for name in names:
            if name not in base.fields:
                continue
            field = base.fields[name]
            if name in self.filter_choices:
                field = forms.ChoiceField(label=field.label, required=False,
                                          choices=[("", "—"), *self.filter_choices[name](user)])
            form.fields[name] = field
        if filterset.custom_field_type and (self.filter_fields is None or any(
                n.startswith("cf_") for n in self.filter_fields)):
            for definition in definitions_for(filterset.custom_field_type):
                name = f"cf_{definition.key}"
                if self.filter_fields is None or name in self.filter_fields:
                    form.fields[name] = _custom_field(definition)
        for name, field in list(form.fields.items()):
            form.fields[name] = _simplify(field)
            _style(form.fields[name])
        return form

    def headers(self, params: QueryDict, filterset: KundeFilterSet) -> list[Header]:
        current = filterset.sort_key
        headers = []
        for column in self.columns:
            url = direction = None
            if column.sort and column.sort in filterset.sort_orders:
                descending = f"-{column.sort}"
                if current == column.sort:
                    direction = "ascending"
                    target = descending if descending in filterset.sort_orders else column.sort
                elif current == descending:
                    direction = "descending"
                    target = column.sort
                else:
                    target = column.sort
                url = self.request.path + querystring(params, sort=target, cursor=None, format=None)
            headers.append(Header(column=column, url=url, direction=direction))
        return headers

    def get_context_data(self, *, params: QueryDict, page: Page | None, filterset: KundeFilterSet,
                         error: dict[str, list[str]] | None, saved: Any) -> dict[str, Any]:
        user = self.user
        path = self.request.path
        view_id = str(saved.pk) if saved else None
        # Links keep the saved view marked; the parameters carry the state.
        link_params = params.copy()
        if view_id:
            link_params["view"] = view_id
        bulk = [(action, action.get_form(user)) for action in self.bulk_actions if action.is_available(user)]
        sort_key = filterset.sort_key
        return {
            "title": self.title,
            "list_key": self.list_key,
            "results_id": RESULTS_ID,
            "results_template_name": self.results_template_name,
            "partial": self.is_partial(),
            "filter_form": self.get_filter_form(filterset),
            "filters_active": any(k not in RESERVED for k, _v in _values(params)),
            "sort_key": sort_key,
            "page_size": params.get("page_size", ""),
            "headers": self.headers(params, filterset) if not error else [
                Header(column=c, url=None, direction=None) for c in self.columns],
            "columns": self.columns,
            "page": page,
            "rows": page.items if page else [],
            "error": error,
            "next_url": path + querystring(link_params, cursor=page.next_cursor, format=None)
            if page and page.next_cursor else None,
            "previous_url": path + querystring(link_params, cursor=page.previous_cursor, format=None)
            if page and page.previous_cursor else None,
            "first_url": path + querystring(link_params, cursor=None, format=None)
            if page and params.get("cursor") else None,
            "reset_url": path,
            "export_links": [
                (fmt.upper(), path + querystring(params, cursor=None, view=None, format=fmt))
                for fmt in [*self.export_formats, *self.extra_export_formats]
            ] if type(self).export_selector is not None and not error else [],
            "bulk_actions": bulk,
            "saved_views": saved_views.saved_view_list(user, self.list_key) if self.saved_views_enabled else [],
            "active_view": saved,
            "saved_views_enabled": self.saved_views_enabled,
            "current_url": self.request.get_full_path(),
            "create_url": self.create_url,
            "create_label": self.create_label,
            "empty_message": self.empty_message,
        }

    # --- export ---

    def export(self, params: QueryDict, fmt: str) -> HttpResponse:
        """Answer `?format=` with the download of every matching row, audited."""
        known = fmt in self.export_formats or fmt in self.extra_export_formats
        if not known or type(self).export_selector is None:
            return self.render_error({"format": [str(_("Unknown export format."))]}, params)
        params = params.copy()
        for key in ("format", "cursor", "page_size"):
            params.pop(key, None)
        try:
            queryset = self.get_export_queryset(params)
        except FilterError as exc:
            return self.render_error(exc.errors, params)
        user = self.user
        request_id = getattr(self.request, "request_id", "")
        query = urlencode(_values(params))
        object_type = model_label(self.model)

        def audit(rows: int, complete: bool) -> None:
            export_service.export_audit(actor=user, object_type=object_type, label=str(self.title), fmt=fmt,
                                        rows=rows, query=query, complete=complete, request_id=request_id)

        if fmt in self.extra_export_formats:
            return self.extra_export_formats[fmt](queryset, filename=self.export_filename, on_done=audit)
        language = getattr(self.request, "LANGUAGE_CODE", "") or ""
        return export_service.export_response(  # type: ignore[return-value]
            rows=queryset, columns=self.export_columns(), fmt=fmt,
            filename=self.export_filename, title=str(self.title),
            # Excel in German locales splits CSV columns on semicolons.
            delimiter=";" if language.startswith("de") else ",",
            on_done=audit,
        )

    def export_columns(self) -> list[export_service.ExportColumn]:
        """The exported columns: the list's own, then one per custom field of the record type."""
        columns = [c.as_export() for c in self.columns if c.export]
        object_type = self.filterset_class.custom_field_type
        if self.export_custom_fields and object_type:
            for definition in definitions_for(object_type):
                columns.append(export_service.ExportColumn(
                    header=definition.label, value=_custom_value(definition.key)))
        return columns

    def render_error(self, errors: dict[str, list[str]], params: QueryDict) -> HttpResponse:
        exc = FilterError(errors)
        context = self.get_context_data(params=params, page=None, filterset=self.fallback_filterset(params, exc),
                                        error=errors, saved=None)
        return render(self.request, self.template_name, context, status=400)

    # --- POST: bulk actions and saving views ---

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        operation = request.POST.get("op")
        if operation == "bulk":
            return self.run_bulk_action()
        if operation == "save_view" and self.saved_views_enabled:
            return self.save_view()
        return self.render_error({"op": [str(_("Unknown operation."))]}, QueryDict())

    def back(self) -> HttpResponseRedirect:
        """Redirect to the list with the query string the form was posted from."""
        query = self.request.GET.urlencode()
        return HttpResponseRedirect(self.request.path + (f"?{query}" if query else ""))

    def selected_records(self) -> list[models.Model] | None:
        """The selected rows the user may see; None when the selection is malformed."""
        raw = self.request.POST.getlist("ids")
        try:
            ids = {int(value) for value in raw}
        except ValueError:
            return None
        if len(ids) > MAX_PAGE_SIZE:
            return None
        manager: Any = self.model._default_manager
        return list(manager.for_user(self.user, Action.VIEW).filter(pk__in=ids).order_by("pk"))

    def run_bulk_action(self) -> HttpResponse:
        user = self.user
        key = self.request.POST.get("action", "")
        action = next((a for a in self.bulk_actions if a.key == key and a.is_available(user)), None)
        if action is None:
            messages.error(self.request, _("Unknown bulk action."))
            return self.back()
        records = self.selected_records()
        if records is None:
            messages.error(self.request, _("The selection is not valid."))
            return self.back()
        selected = len(self.request.POST.getlist("ids"))
        if not selected:
            messages.warning(self.request, _("Select at least one row first."))
            return self.back()
        form = action.get_form(user, self.request.POST)
        if form is not None and not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(self.request, f"{action.label}: {error}")
            return self.back()
        try:
            changed = action.run(actor=user, records=records, data=form.cleaned_data if form else {})
        except PermissionDenied:
            messages.error(self.request, _("You may not do this. Nothing was changed."))
            return self.back()
        message = ngettext(
            "%(action)s: %(changed)d of %(selected)d selected record changed.",
            "%(action)s: %(changed)d of %(selected)d selected records changed.",
            selected,
        ) % {"action": action.label, "changed": changed, "selected": selected}
        if changed == selected:
            messages.success(self.request, message)
        else:
            messages.warning(self.request, message + " " + str(_(
                "The others you may not change, or they needed no change.")))
        return self.back()

    def save_view(self) -> HttpResponse:
        name = self.request.POST.get("name", "").strip()
        params = self.request.GET.copy()
        saved = self.active_saved_view()
        if saved is not None:
            params = self.effective_params(saved)
        query = urlencode([(k, v) for k, v in _values(params) if k not in _NOT_SAVED])
        try:
            self.filterset_class(QueryDict(query), queryset=self.model._default_manager.none())
            view = saved_views.saved_view_save(user=self.user, list_key=self.list_key, name=name,
                                               query=query)
        except FilterError:
            messages.error(self.request, _("These filters are not valid; the view was not saved."))
            return self.back()
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(self.request, error)
            return self.back()
        messages.success(self.request, _("Saved the view “%(name)s”.") % {"name": view.name})
        return HttpResponseRedirect(f"{self.request.path}?view={view.pk}")
