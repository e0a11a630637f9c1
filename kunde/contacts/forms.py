"""Forms of the people and organisation pages. They parse input; the services validate
and save, and their field-path errors are mapped back onto these forms."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kunde.accounts.models import User
from kunde.contacts import choices
from kunde.contacts.models import Address, CustomerGroup, Employment, LifecycleStage, Organisation, Person
from kunde.contacts.validators import format_phone
from kunde.core.custom_fields import definitions_for
from kunde.core.models import CustomFieldDefinition
from kunde.core.permissions import Action, Scope, scope_for, team_ids
from kunde.core.views.ui import KundeForm, KundeModelForm

FieldType = CustomFieldDefinition.FieldType
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def assignable_users(actor: User, *, keep: int | None = None) -> QuerySet[User]:
    """The active users `actor` may make owner of a record (same rule as the services).

    `keep` is a user id that stays selectable (the record's current owner).
    """
    scope = scope_for(actor, Action.CHANGE)
    if scope is Scope.ALL:
        allowed = Q(is_active=True)
    elif scope is Scope.TEAM:
        allowed = Q(is_active=True, pk__in=User.objects.filter(teams__in=team_ids(actor)).values("pk"))
    else:
        allowed = Q(pk=actor.pk)
    if keep is not None:
        allowed |= Q(pk=keep)
    return User.objects.filter(allowed | Q(pk=actor.pk)).order_by("first_name", "last_name", "username")


def split_tags(raw: str) -> list[str]:
    """Split "a, b ,c" into clean, de-duplicated tag names, keeping their order."""
    return list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))


class LimitedChoiceMixin:
    """A choice field over a large queryset that renders only a few options.

    Validation uses the whole (scoped) queryset; the widget lists the current value plus
    `offered` records (e.g. the matches of a type-ahead search).
    """

    widget_choices_label: Any = _("— none —")

    def offer(self, records: Iterable[Any], selected: Iterable[Any] = ()) -> None:
        """Render `selected` first, then `records`, as the only options."""
        seen: set[Any] = set()
        options: list[tuple[Any, str]] = []
        for record in [*selected, *records]:
            if record is None or record.pk in seen:
                continue
            seen.add(record.pk)
            options.append((record.pk, str(record)))
        field: Any = self
        blank = [] if isinstance(field, forms.ModelMultipleChoiceField) else [("", self.widget_choices_label)]
        field.widget.choices = blank + options


class OrganisationChoiceField(LimitedChoiceMixin, forms.ModelChoiceField):
    """Pick one visible organisation (options filled by a type-ahead search)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("template_name", "contacts/_organisation_picker.html")
        super().__init__(*args, **kwargs)


class PersonMultipleChoiceField(LimitedChoiceMixin, forms.ModelMultipleChoiceField):
    """Pick visible people (options limited to the relevant ones)."""


class PersonChoiceField(LimitedChoiceMixin, forms.ModelChoiceField):
    """Pick one visible person (options: the people of the organisation, and the current one)."""


def offer_customer_choices(form: forms.BaseForm, organisations: QuerySet[Organisation],
                           people: QuerySet[Person]) -> None:
    """Fill a form's `organisation` and `person` pickers (deals, tickets, …): validation over the
    visible records, options the chosen ones plus the organisation's current people."""
    org_field: Any = form.fields["organisation"]
    person_field: Any = form.fields["person"]
    org_field.queryset, person_field.queryset = organisations, people
    raw_org = form.data.get("organisation") if form.is_bound else form.initial.get("organisation")
    raw_person = form.data.get("person") if form.is_bound else form.initial.get("person")
    org = organisations.filter(pk=int(str(raw_org))).first() if str(raw_org or "").isdigit() else None
    person = people.filter(pk=int(str(raw_person))).first() if str(raw_person or "").isdigit() else None
    org_field.offer([], selected=[org] if org else [])
    colleagues = []
    if org is not None:
        colleagues = list(people.filter(pk__in=Employment.objects.current().filter(organisation=org)
                                        .values("person_id"))[:50])
    person_field.offer(colleagues, selected=[person] if person else [])


def custom_form_field(definition: CustomFieldDefinition) -> forms.Field:
    """The form field that edits one custom field definition."""
    common: dict[str, Any] = {"label": definition.label, "required": definition.required}
    kind = definition.field_type
    if kind == FieldType.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if kind == FieldType.DATE:
        return forms.DateField(widget=DATE_WIDGET, **common)
    if kind == FieldType.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in definition.choices]], **common)
    if kind == FieldType.BOOLEAN:
        return forms.NullBooleanField(
            widget=forms.Select(choices=[("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]), **common
        )
    return forms.CharField(widget=forms.TextInput, max_length=1000, **common)


class CustomFieldsMixin:
    """Adds one `cf_<key>` field per custom field definition of `object_type`."""

    object_type: str
    custom_definitions: list[CustomFieldDefinition]

    def add_custom_fields(self, stored: dict[str, Any]) -> None:
        form: Any = self
        self.custom_definitions = definitions_for(self.object_type)
        for definition in self.custom_definitions:
            name = f"cf_{definition.key}"
            form.fields[name] = custom_form_field(definition)
            value = stored.get(definition.key)
            if value is not None:
                form.fields[name].initial = _initial_custom_value(definition, value)

    @property
    def custom_field_names(self) -> list[str]:
        return [f"cf_{d.key}" for d in self.custom_definitions]

    def custom_field_values(self) -> dict[str, Any]:
        """The custom field input as the service takes it (empty = remove the value)."""
        form: Any = self
        values: dict[str, Any] = {}
        for definition in self.custom_definitions:
            value = form.cleaned_data.get(f"cf_{definition.key}")
            values[definition.key] = "" if value is None else value
        return values


def _initial_custom_value(definition: CustomFieldDefinition, value: Any) -> Any:
    if definition.field_type == FieldType.DATE and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if definition.field_type == FieldType.NUMBER:
        return str(Decimal(str(value)))
    return value


class VersionedFormMixin:
    """A hidden `version` field carrying the version the user started editing."""

    def note_conflict(self, current: Any, values: dict[str, str]) -> None:
        """Show the newer stored `values` and let the next save build on `current`."""
        form: Any = self
        form.conflict_values = values
        data = form.data.copy()
        data["version"] = str(current.version)
        form.data = data


# --- contact points ---------------------------------------------------------------


class EmailRowForm(KundeForm):
    """One e-mail address row."""

    kind = forms.ChoiceField(label=_("Type"), choices=choices.EmailKind.choices, initial="work")
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    is_primary = forms.BooleanField(label=_("Primary"), required=False)

    def row(self) -> dict[str, Any] | None:
        if not self.cleaned_data.get("email", "").strip():
            return None
        return {"kind": self.cleaned_data["kind"], "email": self.cleaned_data["email"],
                "is_primary": self.cleaned_data["is_primary"]}


class PhoneRowForm(KundeForm):
    """One phone number row (any format; stored as E.164)."""

    kind = forms.ChoiceField(label=_("Type"), choices=choices.PhoneKind.choices, initial="work")
    number = forms.CharField(label=pgettext_lazy("phone", "Number"), max_length=40, required=False,
                             widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    is_primary = forms.BooleanField(label=_("Primary"), required=False)

    def row(self) -> dict[str, Any] | None:
        if not self.cleaned_data.get("number", "").strip():
            return None
        return {"kind": self.cleaned_data["kind"], "number": self.cleaned_data["number"],
                "is_primary": self.cleaned_data["is_primary"]}


class AddressRowForm(KundeForm):
    """One postal address row."""

    kind = forms.ChoiceField(label=_("Type"), choices=choices.AddressKind.choices, initial="postal")
    street = forms.CharField(label=_("Street and number"), max_length=200, required=False)
    extra = forms.CharField(label=_("Address line 2"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=12, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    region = forms.CharField(label=_("Region / state"), max_length=100, required=False)
    country = forms.CharField(
        label=_("Country code"), max_length=2, initial="DE",
        widget=forms.TextInput(attrs={"size": 3, "autocomplete": "country",
                                      "title": _("Two-letter code, e.g. DE, AT, CH")}),
    )
    is_primary = forms.BooleanField(label=_("Primary"), required=False)

    def row(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not any(data.get(name, "").strip() for name in ("street", "extra", "postal_code", "city", "region")):
            return None
        return {name: data.get(name, "") for name in
                ("kind", "street", "extra", "postal_code", "city", "region", "country", "is_primary")}


EmailFormSet = forms.formset_factory(EmailRowForm, extra=1, can_delete=True, max_num=20, absolute_max=50)
PhoneFormSet = forms.formset_factory(PhoneRowForm, extra=1, can_delete=True, max_num=20, absolute_max=50)
AddressFormSet = forms.formset_factory(AddressRowForm, extra=1, can_delete=True, max_num=10, absolute_max=30)


class ContactPointForms:
    """The three repeatable row groups (e-mails, phones, addresses) of a record form."""

    def __init__(self, data: QueryDict | None, holder: Person | Organisation | None = None) -> None:
        initial = _contact_point_initial(holder) if holder is not None else {}
        self.formsets: dict[str, forms.BaseFormSet] = {
            "emails": EmailFormSet(data, prefix="emails", initial=initial.get("emails")),
            "phones": PhoneFormSet(data, prefix="phones", initial=initial.get("phones")),
            "addresses": AddressFormSet(data, prefix="addresses", initial=initial.get("addresses")),
        }
        self.row_forms: dict[str, list[forms.BaseForm]] = {}

    def __iter__(self) -> Any:
        return iter(self.formsets.items())

    @property
    def emails(self) -> forms.BaseFormSet:
        return self.formsets["emails"]

    @property
    def phones(self) -> forms.BaseFormSet:
        return self.formsets["phones"]

    @property
    def addresses(self) -> forms.BaseFormSet:
        return self.formsets["addresses"]

    def is_valid(self) -> bool:
        return all([formset.is_valid() for formset in self.formsets.values()])

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        """The rows to send to the service; `row_forms` remembers which form made each row."""
        result: dict[str, list[dict[str, Any]]] = {}
        for name, formset in self.formsets.items():
            rows: list[dict[str, Any]] = []
            row_forms: list[forms.BaseForm] = []
            for form in formset.forms:
                if formset.can_delete and formset._should_delete_form(form):  # type: ignore[attr-defined]
                    continue
                row = form.row() if form.is_valid() else None  # type: ignore[attr-defined]
                if row is not None:
                    rows.append(row)
                    row_forms.append(form)
            result[name] = rows
            self.row_forms[name] = row_forms
        return result

    @property
    def has_errors(self) -> bool:
        return any(formset.total_error_count() for formset in self.formsets.values())


def _contact_point_initial(holder: Person | Organisation) -> dict[str, list[dict[str, Any]]]:
    return {
        "emails": [{"kind": e.kind, "email": e.email, "is_primary": e.is_primary} for e in holder.emails.all()],
        "phones": [{"kind": p.kind, "number": format_phone(p.number), "is_primary": p.is_primary}
                   for p in holder.phones.all()],
        "addresses": [_address_initial(a) for a in holder.addresses.all()],
    }


def _address_initial(address: Address) -> dict[str, Any]:
    return {name: getattr(address, name) for name in
            ("kind", "street", "extra", "postal_code", "city", "region", "country", "is_primary")}


# --- people and organisations ----------------------------------------------------


class RecordFormMixin(VersionedFormMixin, CustomFieldsMixin):
    """What person and organisation forms share: owner, stage, tags, custom fields, version."""

    def setup_record_fields(self, actor: User, record: Person | Organisation | None) -> None:
        form: Any = self
        owner_field: Any = form.fields["owner"]
        owner_field.queryset = assignable_users(actor, keep=record.owner_id if record is not None else None)
        stages = LifecycleStage.objects.filter(is_active=True)
        if record is not None and record.lifecycle_stage_id:
            stages = LifecycleStage.objects.filter(is_active=True) | LifecycleStage.objects.filter(
                pk=record.lifecycle_stage_id
            )
        stage_field: Any = form.fields["lifecycle_stage"]
        stage_field.queryset = stages.order_by("position", "key")
        groups = CustomerGroup.objects.filter(is_active=True)
        if record is not None and record.customer_group_id:
            groups = groups | CustomerGroup.objects.filter(pk=record.customer_group_id)
        group_field: Any = form.fields["customer_group"]
        group_field.queryset = groups.order_by("position", "key")
        if record is None:
            form.fields.pop("version")
            form.initial.setdefault("owner", actor.pk)
        else:
            form.initial["version"] = record.version
            form.initial["owner"] = record.owner_id
            form.initial["tags"] = ", ".join(tag.name for tag in record.tags.all())
        form.add_custom_fields(record.custom_fields if record is not None else {})

    def tag_names(self) -> list[str]:
        form: Any = self
        return split_tags(form.cleaned_data.get("tags", ""))


class PersonForm(RecordFormMixin, KundeModelForm):
    """Master data of a person (contact points are row formsets beside it)."""

    object_type = "contacts.person"

    version = forms.IntegerField(widget=forms.HiddenInput)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    tags = forms.CharField(label=_("Tags"), required=False, max_length=600,
                           help_text=_("Separate tags with commas."))
    organisation = OrganisationChoiceField(label=_("Works at"), queryset=Organisation.objects.none(),
                                           required=False)
    role = forms.CharField(label=_("Role"), max_length=100, required=False)

    class Meta:
        model = Person
        fields = [
            "salutation", "title", "first_name", "last_name", "birthday", "preferred_language",
            "preferred_channel", "lifecycle_stage", "customer_group", "notes",
        ]
        widgets = {
            "birthday": DATE_WIDGET,
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, actor: User, organisations: QuerySet[Organisation] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_record_fields(actor, self.instance if self.instance.pk else None)
        if self.instance.pk or organisations is None:
            self.fields.pop("organisation")
            self.fields.pop("role")
        else:
            organisation_field: Any = self.fields["organisation"]
            organisation_field.queryset = organisations
            raw = self.data.get("organisation") if self.is_bound else self.initial.get("organisation")
            organisation_field.offer([], selected=list(organisations.filter(pk=str(raw))[:1]) if _is_pk(raw) else [])

    def service_fields(self) -> dict[str, Any]:
        """The master data as keyword arguments of person_create/person_update."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class OrganisationForm(RecordFormMixin, KundeModelForm):
    """Master data of an organisation."""

    object_type = "contacts.organisation"

    version = forms.IntegerField(widget=forms.HiddenInput)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    tags = forms.CharField(label=_("Tags"), required=False, max_length=600,
                           help_text=_("Separate tags with commas."))
    vat_id = forms.CharField(label=_("VAT ID"), max_length=30, required=False,
                             help_text=_("With country prefix, e.g. DE136695976."))
    parent = OrganisationChoiceField(label=_("Parent organisation"), queryset=Organisation.objects.none(),
                                     required=False)
    website = forms.URLField(label=_("Website"), required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = [
            "name", "legal_form", "industry", "size", "website", "vat_id", "parent", "lifecycle_stage",
            "customer_group", "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, actor: User, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        record = self.instance if self.instance.pk else None
        self.setup_record_fields(actor, record)
        parent_field: Any = self.fields["parent"]
        parent_field.queryset = organisations.exclude(pk=record.pk) if record else organisations
        raw = self.data.get("parent") if self.is_bound else self.initial.get("parent")
        parent_field.offer([], selected=list(organisations.filter(pk=str(raw))[:1]) if _is_pk(raw) else [])

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def _is_pk(value: Any) -> bool:
    return value not in (None, "") and str(value).isdigit()


class EmploymentForm(KundeModelForm):
    """A link between a person and an organisation (role, period, primary contact)."""

    organisation = OrganisationChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())

    class Meta:
        model = Employment
        fields = ["organisation", "role", "department", "start_date", "end_date", "is_primary_contact"]
        widgets = {"start_date": DATE_WIDGET, "end_date": DATE_WIDGET}

    def __init__(self, *args: Any, organisations: QuerySet[Organisation] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk or organisations is None:
            self.fields.pop("organisation")
            return
        field: Any = self.fields["organisation"]
        field.queryset = organisations
        raw = self.data.get("organisation") if self.is_bound else self.initial.get("organisation")
        field.offer([], selected=list(organisations.filter(pk=str(raw))[:1]) if _is_pk(raw) else [])

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in
                ("role", "department", "start_date", "end_date", "is_primary_contact")}


class EmploymentEndForm(KundeForm):
    """End a link on a date (the person left the organisation)."""

    end_date = forms.DateField(label=_("Last day"), widget=DATE_WIDGET)


def display_value(value: Any) -> str:
    """A stored value as a short text for the conflict display."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def conflicting_values(form: forms.BaseForm, current: Person | Organisation,
                       names: Sequence[str]) -> dict[str, str]:
    """{field: stored value} for each field whose stored value differs from the input."""
    differences: dict[str, str] = {}
    data = form.cleaned_data
    for name in names:
        if name not in form.fields or name not in data:
            continue
        mine = data[name]
        if name == "tags":
            stored_tags = sorted(tag.name for tag in current.tags.all())
            if sorted(split_tags(mine or "")) != stored_tags:
                differences[name] = ", ".join(stored_tags)
            continue
        if name == "owner":
            stored: Any = current.owner
        elif name.startswith("cf_"):
            stored = current.custom_fields.get(name[3:])
            mine = None if mine in ("", None) else mine
            if isinstance(mine, dt.date):
                mine = mine.isoformat()
            if isinstance(stored, int | float) and isinstance(mine, str):
                with contextlib.suppress(ValueError):
                    mine = float(mine.replace(",", "."))
        else:
            stored = getattr(current, name)
            field = current._meta.get_field(name)
            if getattr(field, "choices", None) and stored:
                stored_label = getattr(current, f"get_{name}_display")()
                if (mine or "") != (stored or ""):
                    differences[name] = str(stored_label)
                continue
        if (mine if mine not in ("", None) else None) != (stored if stored not in ("", None) else None):
            differences[name] = display_value(stored)
    return differences
