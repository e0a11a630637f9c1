"""Web views of people and organisations: the 360° pages, forms, links, delete and restore.

Views are thin: reads go through the scoped selectors (404 when not visible), writes
through the services (PermissionDenied becomes 403, ValidationError becomes inline
form errors, ConflictError a form error showing the newer stored values).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kunde.accounts.models import User
from kunde.activities.views import customer_panels
from kunde.analytics.filters import score_of
from kunde.analytics.rfm import segment_label
from kunde.contacts.filters import OrganisationFilter, PersonFilter
from kunde.contacts.forms import (
    ContactPointForms,
    EmploymentEndForm,
    EmploymentForm,
    OrganisationForm,
    PersonForm,
    conflicting_values,
    display_value,
)
from kunde.contacts.models import Employment, Organisation, Person
from kunde.contacts.selectors import (
    organisation_get,
    organisation_get_deleted,
    organisation_list,
    organisation_page,
    organisation_queryset,
    person_employments,
    person_get,
    person_get_deleted,
    person_list,
    person_page,
)
from kunde.contacts.services import (
    employment_create,
    employment_delete,
    employment_update,
    organisation_create,
    organisation_delete,
    organisation_restore,
    organisation_update,
    person_create,
    person_delete,
    person_restore,
    person_update,
    records_add_tags,
    records_change_owner,
)
from kunde.contacts.validators import format_phone
from kunde.core.custom_fields import definitions_for
from kunde.core.exceptions import ConflictError
from kunde.core.extensions import customer_panels_for
from kunde.core.filters import FilterError
from kunde.core.models import CustomFieldDefinition, model_label
from kunde.core.permissions import Action, Scope, can_create, scope_for, user_can
from kunde.core.views.lists import AddTagsAction, ChangeOwnerAction, Column, FilteredListView
from kunde.core.views.ui import actor, apply_validation_error, denied_as_403, login_required
from kunde.interop.views import people_vcard_response

Customer = Person | Organisation
OPTIONS_LIMIT = 20
PEOPLE_SHOWN = 50
DELETED_LIMIT = 200


# --- shared helpers ---------------------------------------------------------------


def history_url(record: Customer) -> str:
    """The per-record audit history page (built by the administration area)."""
    return reverse("record_history", args=[model_label(record), record.pk])


def _custom_field_rows(record: Customer) -> list[tuple[str, str]]:
    """(label, shown value) for each defined custom field that has a value."""
    rows = []
    for definition in definitions_for(model_label(record)):
        value = record.custom_fields.get(definition.key)
        if value in (None, ""):
            continue
        if definition.field_type == CustomFieldDefinition.FieldType.BOOLEAN:
            shown = _("Yes") if value else _("No")
        else:
            shown = display_value(value)
        rows.append((definition.label, shown))
    return rows


def _permissions(user: Any, record: Customer) -> dict[str, bool]:
    return {
        "can_change": user_can(user, Action.CHANGE, record),
        "can_delete": user_can(user, Action.DELETE, record),
    }


def _contact_point_summary(record: Customer) -> dict[str, list[str]]:
    return {
        "emails": [e.email for e in record.emails.all()],
        "phones": [format_phone(p.number) for p in record.phones.all()],
        "addresses": [str(a) for a in record.addresses.all()],
    }


def render_detail(request: HttpRequest, record: Customer, **panel_overrides: Any) -> HttpResponse:
    """Render the 360° page of a person or organisation."""
    user = actor(request)
    cursor = panel_overrides.pop("cursor", None) or request.GET.get("cursor") or None
    context: dict[str, Any] = {
        "record": record,
        "custom_field_rows": _custom_field_rows(record),
        "history_url": history_url(record),
        "can_create_person": can_create(user),
        **_permissions(user, record),
    }
    if isinstance(record, Person):
        context["employments"] = person_employments(user, record)
        template = "contacts/person_detail.html"
        people = None
    else:
        current, former = _organisation_links(user, record)
        context["current_links"] = current[:PEOPLE_SHOWN]
        context["more_people"] = len(current) > PEOPLE_SHOWN
        context["former_links"] = former[:PEOPLE_SHOWN]
        context["more_former"] = len(former) > PEOPLE_SHOWN
        context["parent_visible"] = bool(
            record.parent_id and organisation_queryset(user).filter(pk=record.parent_id).exists()
        )
        context["subsidiaries"] = list(organisation_queryset(user).filter(parent=record).order_by("name", "id")[:50])
        template = "contacts/organisation_detail.html"
        people = [e.person for e in context["current_links"]]
    try:
        context.update(customer_panels(request, record, cursor=cursor, people_at_organisation=people,
                                       can_log=context["can_change"], **panel_overrides))
        context["extra_panels"] = customer_panels_for(user, record)
    except FilterError:
        return HttpResponseBadRequest(_("Invalid cursor."))
    return render(request, template, context)


def _organisation_links(user: User, organisation: Organisation) -> tuple[list[Employment], list[Employment]]:
    """Current and former links of visible, not deleted people (one more than shown, to know if there are more)."""
    links = (
        Employment.objects.for_user(user)
        .filter(organisation=organisation, person__deleted_at__isnull=True)
        .select_related("person")
    )
    today = timezone.localdate()
    current = list(
        links.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .order_by("-is_primary_contact", "person__last_name", "person__first_name", "id")[: PEOPLE_SHOWN + 1]
    )
    former = list(links.filter(end_date__lt=today).order_by("-end_date", "id")[: PEOPLE_SHOWN + 1])
    return current, former


def _conflict_message() -> str:
    return _(
        "Someone else changed this record while you were editing it. Your input is still below; "
        "fields whose stored value differs are marked “Stored now”. Check them and save again to keep your input."
    )


def _save_record(
    request: HttpRequest,
    form: PersonForm | OrganisationForm,
    points: ContactPointForms,
    save: Any,
    reload: Any,
) -> tuple[Customer | None, dict[str, list[str]] | None]:
    """Call the service through `save(rows)`; map errors back. Returns (record, stored contact points)."""
    rows = points.rows()
    try:
        return save(rows), None
    except ConflictError:
        current = reload()
        form.add_error(None, _conflict_message())
        names = [*form.Meta.fields, "owner", "tags", *form.custom_field_names]
        form.note_conflict(current, conflicting_values(form, current, names))
        return None, _contact_point_summary(current)
    except ValidationError as exc:
        apply_validation_error(form, exc, rows=points.row_forms)
        return None, None


def _record_changes(form: PersonForm | OrganisationForm, record: Customer) -> dict[str, Any]:
    changes = form.service_fields()
    owner = form.cleaned_data["owner"]
    if owner.pk != record.owner_id:
        changes["owner"] = owner
        changes["team"] = owner.primary_team
    return changes


# --- people -----------------------------------------------------------------------


@login_required
@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360° page of a person."""
    return render_detail(request, person_get(actor(request), pk))


@login_required
@denied_as_403
def person_create_view(request: HttpRequest) -> HttpResponse:
    """Create a person, optionally at an organisation (?organisation=<id>)."""
    if not can_create(actor(request)):
        raise HttpPermissionDenied("this role may not create records")
    return _person_form(request, None)


@login_required
@denied_as_403
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a person's master data and contact points."""
    person = person_get(actor(request), pk)
    if not user_can(actor(request), Action.CHANGE, person):
        raise HttpPermissionDenied("read-only access")
    return _person_form(request, person)


def _person_form(request: HttpRequest, person: Person | None) -> HttpResponse:
    user = actor(request)
    data = request.POST if request.method == "POST" else None
    initial = {}
    if person is None and request.GET.get("organisation", "").isdigit():
        initial["organisation"] = request.GET["organisation"]
    form = PersonForm(data, instance=person or Person(), actor=user, initial=initial,
                      organisations=organisation_queryset(user) if person is None else None)
    points = ContactPointForms(data, holder=person)
    stored_points = None
    if data is not None and all([form.is_valid(), points.is_valid()]):
        cleaned = form.cleaned_data

        def save(rows: dict[str, list[dict[str, Any]]]) -> Person:
            common: dict[str, Any] = {"tags": form.tag_names(), "custom_fields": form.custom_field_values(), **rows}
            if person is None:
                return person_create(
                    actor=user, **form.service_fields(), owner=cleaned["owner"], team=cleaned["owner"].primary_team,
                    organisation=cleaned.get("organisation"), role=cleaned.get("role", ""), **common,
                )
            return person_update(actor=user, person=person, expected_version=cleaned["version"],
                                 changes=_record_changes(form, person), **common)

        saved, stored_points = _save_record(request, form, points, save,
                                            lambda: person_get(user, person.pk) if person else None)
        if saved is not None:
            text = _("Saved “%(name)s”.") if person else _("Created “%(name)s”.")
            messages.success(request, text % {"name": saved})
            return redirect(saved)
    return render(request, "contacts/person_form.html", {
        "form": form, "points": points, "record": person, "stored_points": stored_points,
    })


@login_required
@denied_as_403
def person_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then soft-delete a person (their history stays; restorable)."""
    person = person_get(actor(request), pk)
    if not user_can(actor(request), Action.DELETE, person):
        raise HttpPermissionDenied("may not delete")
    if request.method == "POST":
        person_delete(actor=actor(request), person=person)
        messages.success(request, _("“%(name)s” was deleted. Managers can restore it from the deleted records.")
                         % {"name": person})
        return redirect("contacts:person_list")
    return render(request, "contacts/confirm_delete.html", {
        "record": person, "record_type": "person", "cancel_url": person.get_absolute_url(),
        "history_count": person.activities.count(),
    })


@login_required
@require_POST
@denied_as_403
def person_restore_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo the soft delete of a person."""
    person = person_restore(actor=actor(request), person=person_get_deleted(actor(request), pk))
    messages.success(request, _("“%(name)s” was restored.") % {"name": person})
    return redirect(person)


@login_required
@require_GET
def person_deleted_list(request: HttpRequest) -> HttpResponse:
    """Soft-deleted people the user may restore."""
    _require_delete_scope(request)
    records = list(
        Person.all_objects.deleted().for_user(actor(request), Action.DELETE)
        .select_related("owner").order_by("-deleted_at", "-id")[:DELETED_LIMIT]
    )
    return render(request, "contacts/deleted_list.html", {
        "records": records, "title": _("Deleted people"), "restore_name": "contacts:person_restore",
        "limit": DELETED_LIMIT,
    })


def _require_delete_scope(request: HttpRequest) -> None:
    if scope_for(actor(request), Action.DELETE) is Scope.NONE:
        raise HttpPermissionDenied("may not delete or restore records")


# --- organisations ----------------------------------------------------------------


@login_required
@require_GET
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360° page of an organisation."""
    return render_detail(request, organisation_get(actor(request), pk))


@login_required
@denied_as_403
def organisation_create_view(request: HttpRequest) -> HttpResponse:
    """Create an organisation."""
    if not can_create(actor(request)):
        raise HttpPermissionDenied("this role may not create records")
    return _organisation_form(request, None)


@login_required
@denied_as_403
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an organisation's master data and contact points."""
    organisation = organisation_get(actor(request), pk)
    if not user_can(actor(request), Action.CHANGE, organisation):
        raise HttpPermissionDenied("read-only access")
    return _organisation_form(request, organisation)


def _organisation_form(request: HttpRequest, organisation: Organisation | None) -> HttpResponse:
    user = actor(request)
    data = request.POST if request.method == "POST" else None
    initial = {}
    if organisation is None and request.GET.get("parent", "").isdigit():
        initial["parent"] = request.GET["parent"]
    form = OrganisationForm(data, instance=organisation or Organisation(), actor=user, initial=initial,
                            organisations=organisation_queryset(user))
    points = ContactPointForms(data, holder=organisation)
    stored_points = None
    if data is not None and all([form.is_valid(), points.is_valid()]):
        cleaned = form.cleaned_data

        def save(rows: dict[str, list[dict[str, Any]]]) -> Organisation:
            common: dict[str, Any] = {"tags": form.tag_names(), "custom_fields": form.custom_field_values(), **rows}
            if organisation is None:
                return organisation_create(actor=user, **form.service_fields(), owner=cleaned["owner"],
                                           team=cleaned["owner"].primary_team, **common)
            return organisation_update(actor=user, organisation=organisation,
                                       expected_version=cleaned["version"],
                                       changes=_record_changes(form, organisation), **common)

        saved, stored_points = _save_record(request, form, points, save,
                                            lambda: organisation_get(user, organisation.pk) if organisation else None)
        if saved is not None:
            text = _("Saved “%(name)s”.") if organisation else _("Created “%(name)s”.")
            messages.success(request, text % {"name": saved})
            return redirect(saved)
    return render(request, "contacts/organisation_form.html", {
        "form": form, "points": points, "record": organisation, "stored_points": stored_points,
    })


@login_required
@denied_as_403
def organisation_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then soft-delete an organisation (people, links and history stay)."""
    organisation = organisation_get(actor(request), pk)
    if not user_can(actor(request), Action.DELETE, organisation):
        raise HttpPermissionDenied("may not delete")
    if request.method == "POST":
        organisation_delete(actor=actor(request), organisation=organisation)
        messages.success(request, _("“%(name)s” was deleted. Managers can restore it from the deleted records.")
                         % {"name": organisation})
        return redirect("contacts:organisation_list")
    return render(request, "contacts/confirm_delete.html", {
        "record": organisation, "record_type": "organisation", "cancel_url": organisation.get_absolute_url(),
        "history_count": organisation.activities.count(),
    })


@login_required
@require_POST
@denied_as_403
def organisation_restore_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo the soft delete of an organisation."""
    organisation = organisation_restore(actor=actor(request), organisation=organisation_get_deleted(actor(request), pk))
    messages.success(request, _("“%(name)s” was restored.") % {"name": organisation})
    return redirect(organisation)


@login_required
@require_GET
def organisation_deleted_list(request: HttpRequest) -> HttpResponse:
    """Soft-deleted organisations the user may restore."""
    _require_delete_scope(request)
    records = list(
        Organisation.all_objects.deleted().for_user(actor(request), Action.DELETE)
        .select_related("owner").order_by("-deleted_at", "-id")[:DELETED_LIMIT]
    )
    return render(request, "contacts/deleted_list.html", {
        "records": records, "title": _("Deleted organisations"), "restore_name": "contacts:organisation_restore",
        "limit": DELETED_LIMIT,
    })


@login_required
@require_GET
def organisation_options(request: HttpRequest) -> HttpResponse:
    """<option> elements of visible organisations matching ?q= (the type-ahead of pickers)."""
    query = request.GET.get("q", "").strip()
    matches: list[Organisation] = []
    if query:
        matches = list(
            organisation_queryset(actor(request)).filter(name__icontains=query).order_by("name", "id")[:OPTIONS_LIMIT]
        )
    exclude = request.GET.get("exclude", "")
    if exclude.isdigit():
        matches = [m for m in matches if m.pk != int(exclude)]
    return render(request, "contacts/_organisation_options.html", {"matches": matches, "query": query})


# --- links between people and organisations ---------------------------------------


def _changeable_person(request: HttpRequest, pk: int) -> Person:
    person = person_get(actor(request), pk)
    if not user_can(actor(request), Action.CHANGE, person):
        raise HttpPermissionDenied("read-only access")
    return person


def _employment(request: HttpRequest, person: Person, link_pk: int) -> Employment:
    try:
        return Employment.objects.for_user(actor(request)).select_related("organisation", "person").get(
            pk=link_pk, person=person
        )
    except Employment.DoesNotExist:
        raise Http404("No such link.") from None


@login_required
@denied_as_403
def employment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a person to an organisation (role, period, primary contact)."""
    person = _changeable_person(request, pk)
    data = request.POST if request.method == "POST" else None
    form = EmploymentForm(data, organisations=organisation_queryset(actor(request)),
                          initial={"start_date": timezone.localdate()})
    if data is not None and form.is_valid():
        try:
            employment = employment_create(actor=actor(request), person=person,
                                           organisation=form.cleaned_data["organisation"], **form.changes())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("%(person)s now linked to %(organisation)s.")
                             % {"person": person, "organisation": employment.organisation})
            return redirect(person)
    return render(request, "contacts/employment_form.html", {"form": form, "person": person, "link": None})


@login_required
@denied_as_403
def employment_edit(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    """Change a link's role, period or primary-contact flag."""
    person = _changeable_person(request, pk)
    link = _employment(request, person, link_pk)
    data = request.POST if request.method == "POST" else None
    form = EmploymentForm(data, instance=link)
    if data is not None and form.is_valid():
        try:
            employment_update(actor=actor(request), employment=link, changes=form.changes())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Link to %(organisation)s saved.") % {"organisation": link.organisation})
            return redirect(person)
    return render(request, "contacts/employment_form.html", {"form": form, "person": person, "link": link})


@login_required
@require_POST
@denied_as_403
def employment_end(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    """End a link (the person left the organisation); defaults to today."""
    person = _changeable_person(request, pk)
    link = _employment(request, person, link_pk)
    form = EmploymentEndForm(request.POST or {"end_date": timezone.localdate().isoformat()})
    if form.is_valid():
        try:
            employment_update(actor=actor(request), employment=link,
                              changes={"end_date": form.cleaned_data["end_date"]})
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Link to %(organisation)s ended.") % {"organisation": link.organisation})
    else:
        messages.error(request, _("Enter a valid end date."))
    return redirect(person)


@login_required
@require_POST
@denied_as_403
def employment_remove(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    """Remove a link entered by mistake."""
    person = _changeable_person(request, pk)
    link = _employment(request, person, link_pk)
    employment_delete(actor=actor(request), employment=link)
    messages.success(request, _("Link to %(organisation)s removed.") % {"organisation": link.organisation})
    return redirect(person)


# --- lists ------------------------------------------------------------------------


def _first(values: Any) -> Any:
    items = list(values.all())
    return items[0] if items else None


def _person_organisations(person: Person) -> str:
    links = getattr(person, "current_employments", [])
    return ", ".join(str(link.organisation) for link in links if link.organisation.deleted_at is None)


def _person_phone(person: Person) -> str | None:
    phone = _first(person.phones)
    return format_phone(phone.number) if phone else None


def _rfm_segment(customer: Any) -> Any:
    score = score_of(customer)
    segment = getattr(score, "rfm_segment", "")
    return segment_label(segment) if segment else None


def _churn_risk(customer: Any) -> str | None:
    score = score_of(customer)
    risk = getattr(score, "churn_risk", None)
    return None if risk is None else f"{risk * 100:.0f} %"


def _organisation_city(organisation: Organisation) -> str | None:
    address = _first(organisation.addresses)
    return address.city if address else None


class RecordListView(FilteredListView):
    """A list of people or organisations: "New" only for roles that create, "Deleted" for those that restore."""

    bulk_actions = [AddTagsAction(records_add_tags), ChangeOwnerAction(records_change_owner)]
    template_name = "contacts/record_list.html"
    deleted_url: Any = None
    import_url_name = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = actor(self.request)
        context["deleted_url"] = self.deleted_url if scope_for(user, Action.DELETE) is not Scope.NONE else None
        if not can_create(user):
            context["create_url"] = None
        context["import_url"] = reverse(self.import_url_name) if self.import_url_name and can_create(user) else None
        return context


class PersonListView(RecordListView):
    """The people list: filters, sorting, saved views, bulk tag/owner, export."""

    list_key = "contacts.person"
    title = gettext_lazy("People")
    filterset_class = PersonFilter
    page_selector = person_page
    export_selector = person_list
    extra_export_formats = {"vcf": people_vcard_response}
    import_url_name = "interop:vcard_import"
    export_related = ("owner", "lifecycle_stage", "score")
    export_prefetch = ("emails", "phones", "tags")
    export_filename = "people"
    columns = [
        Column("name", gettext_lazy("Name"), accessor="full_name", link=True, sort="name"),
        Column("organisation", gettext_lazy("Organisation"), accessor=_person_organisations, export=False),
        Column("email", gettext_lazy("E-mail"), accessor=lambda p: _first(p.emails)),
        Column("phone", gettext_lazy("Phone"), accessor=_person_phone),
        Column("stage", gettext_lazy("Lifecycle stage"), accessor="lifecycle_stage"),
        Column("tags", gettext_lazy("Tags"), accessor="tags", template="core/cells/tags.html"),
        Column("owner", gettext_lazy("Owner"), accessor="owner"),
        Column("rfm", gettext_lazy("RFM segment"), accessor=_rfm_segment),
        Column("churn", gettext_lazy("Churn risk"), accessor=_churn_risk, css_class="text-nowrap"),
        Column("created", gettext_lazy("Created"), accessor="created_at", sort="created", css_class="text-nowrap"),
    ]
    create_url = reverse_lazy("contacts:person_create")
    create_label = gettext_lazy("New person")
    empty_message = gettext_lazy("No people match these filters.")
    deleted_url = reverse_lazy("contacts:person_deleted")


class OrganisationListView(RecordListView):
    """The organisation list."""

    list_key = "contacts.organisation"
    title = gettext_lazy("Organisations")
    filterset_class = OrganisationFilter
    page_selector = organisation_page
    export_selector = organisation_list
    export_related = ("owner", "lifecycle_stage", "parent", "score")
    export_prefetch = ("emails", "phones", "addresses", "tags")
    export_filename = "organisations"
    columns = [
        Column("name", gettext_lazy("Name"), accessor=str, link=True, sort="name"),
        Column("industry", gettext_lazy("Industry"), accessor="industry"),
        Column("city", gettext_lazy("City"), accessor=_organisation_city),
        Column("stage", gettext_lazy("Lifecycle stage"), accessor="lifecycle_stage"),
        Column("tags", gettext_lazy("Tags"), accessor="tags", template="core/cells/tags.html"),
        Column("owner", gettext_lazy("Owner"), accessor="owner"),
        Column("rfm", gettext_lazy("RFM segment"), accessor=_rfm_segment),
        Column("churn", gettext_lazy("Churn risk"), accessor=_churn_risk, css_class="text-nowrap"),
        Column("updated", gettext_lazy("Changed"), accessor="updated_at", sort="updated", css_class="text-nowrap"),
    ]
    create_url = reverse_lazy("contacts:organisation_create")
    create_label = gettext_lazy("New organisation")
    empty_message = gettext_lazy("No organisations match these filters.")
    deleted_url = reverse_lazy("contacts:organisation_deleted")
