"""Forms of the retention pages: the plan with one formset each for causes, instruments and partners."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kunde.core.views.ui import KundeForm
from kunde.retention import instruments as instrument_links
from kunde.retention.causes import BindingCause
from kunde.retention.models import MAX_HOLDOUT_PERCENT, BindingObject, InstrumentKind, PlanStatus


class PlanForm(KundeForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    status = forms.ChoiceField(label=_("Status"), choices=PlanStatus.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    binding_object = forms.ChoiceField(label=_("(1) Binding object: to what is the customer bound?"),
                                       choices=BindingObject.choices)
    binding_product = forms.ModelChoiceField(label=_("Product"), queryset=None, required=False)  # type: ignore[arg-type,var-annotated]
    binding_category = forms.ModelChoiceField(label=_("Product category"), queryset=None,  # type: ignore[arg-type,var-annotated]
                                              required=False)
    binding_staff = forms.ModelChoiceField(label=_("Staff member"), queryset=None, required=False)  # type: ignore[arg-type,var-annotated]
    binding_brand = forms.CharField(label=_("Brand"), max_length=120, required=False)
    segment = forms.ModelChoiceField(label=_("(2) Target group: which segment?"), queryset=None)  # type: ignore[arg-type,var-annotated]
    cadence = forms.CharField(label=_("(5) Intensity and timing"), max_length=200, required=False,
                              help_text=_("In words, e.g. “a review every quarter, two webinars a year”."))
    interval_days = forms.IntegerField(label=_("Contact interval (days)"), required=False, min_value=1,
                                       max_value=3650)
    starts_on = forms.DateField(label=_("Start"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("End"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    budget_per_year = forms.DecimalField(label=_("Budget per year (EUR)"), min_value=0, decimal_places=2,
                                         initial=0)
    holdout_percent = forms.IntegerField(label=_("Hold-out group (%)"), min_value=0, max_value=MAX_HOLDOUT_PERCENT,
                                         initial=0, help_text=_("A random, stable share of the segment that no "
                                                                "instrument reaches, to measure the effect."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from kunde.accounts.models import User
        from kunde.audience.models import Segment
        from kunde.commerce.models import Product, ProductCategory

        fields: Any = self.fields
        fields["segment"].queryset = Segment.objects.for_user(user).order_by("name")
        fields["binding_product"].queryset = Product.objects.order_by("name")
        fields["binding_category"].queryset = ProductCategory.objects.all()
        fields["binding_staff"].queryset = User.objects.filter(is_active=True).order_by("username")


class CauseRowForm(KundeForm):
    cause = forms.ChoiceField(label=_("Binding cause"), choices=[("", "—"), *BindingCause.choices], required=False)
    weight = forms.IntegerField(label=_("Weight (0–100)"), min_value=0, max_value=100, initial=50, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class InstrumentRowForm(KundeForm):
    kind = forms.ChoiceField(label=_("Instrument"), choices=[("", "—"), *InstrumentKind.choices], required=False)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    linked = forms.ChoiceField(label=_("Executed by"), required=False)
    monthly_cost = forms.DecimalField(label=_("Cost per month (EUR)"), min_value=0, decimal_places=2, initial=0,
                                      required=False)
    one_off_cost = forms.DecimalField(label=_("One-off cost (EUR)"), min_value=0, decimal_places=2, initial=0,
                                      required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options: list[tuple[str, Any]] = [("", "—")]
        for kind in instrument_links.available_kinds():
            label = InstrumentKind(kind).label
            options += [(f"{kind}:{pk}", f"{label}: {text}") for pk, text in instrument_links.choices_for(kind, user)]
        field: Any = self.fields["linked"]
        field.choices = options

    def row(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        row: dict[str, Any] = {"kind": data["kind"], "name": data.get("name") or "",
                               "monthly_cost": data.get("monthly_cost") or 0,
                               "one_off_cost": data.get("one_off_cost") or 0}
        if data.get("linked"):
            linked_kind, _colon, pk = data["linked"].partition(":")
            label = instrument_links.EXECUTED_BY.get(linked_kind)
            row["linked_type"], row["linked_id"] = label, int(pk)
        return row


class PartnerRowForm(KundeForm):
    organisation = forms.ModelChoiceField(label=_("Partner organisation"), queryset=None,  # type: ignore[arg-type,var-annotated]
                                          required=False)
    role = forms.CharField(label=_("Role"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["organisation"]
        field.queryset = partner_organisations(user)


def partner_organisations(user: Any) -> Any:
    """Organisations flagged as partners first (when the partners app is there), then all others."""
    from django.apps import apps
    from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When

    from kunde.contacts.models import Organisation

    rows = Organisation.objects.for_user(user)
    try:
        profile = apps.get_model("partners", "PartnerProfile")
    except LookupError:
        return rows.order_by("name")
    flagged = Exists(profile.objects.filter(organisation=OuterRef("pk")))
    return rows.annotate(_partner=Case(When(flagged, then=Value(0)), default=Value(1),
                                       output_field=IntegerField())).order_by("_partner", "name")


class CareCadenceForm(KundeForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    every_days = forms.IntegerField(label=_("Every (days)"), min_value=7, max_value=730, initial=90)
    task_subject = forms.CharField(label=_("Task for the owner"), max_length=200)
    due_days = forms.IntegerField(label=_("Due after (days)"), min_value=0, max_value=365, initial=14)


class CustomerCauseForm(KundeForm):
    cause = forms.ChoiceField(choices=BindingCause.choices)
    state = forms.ChoiceField(choices=[("on", _("binds")), ("off", _("does not bind")), ("derived", _("as derived"))])
    note = forms.CharField(max_length=300, required=False)


def row_formset(form: type[forms.Form], extra: int) -> Any:
    return forms.formset_factory(form, extra=extra, max_num=30, validate_max=True)
