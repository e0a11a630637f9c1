"""Forms of the sales pages. They parse input; the services validate and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kunde.accounts.models import User
from kunde.contacts.forms import (
    DATE_WIDGET,
    OrganisationChoiceField,
    PersonChoiceField,
    assignable_users,
    offer_customer_choices,
)
from kunde.contacts.models import Organisation, Person
from kunde.core.views.ui import KundeForm, KundeModelForm
from kunde.sales.models import Deal, Lead, LeadForm, LeadSource, LostReason, Pipeline, ScoringRule, StageKind


class DealForm(KundeModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    organisation = OrganisationChoiceField(label=_("Organisation"), queryset=Organisation.objects.none(),
                                           required=False)
    person = PersonChoiceField(label=_("Contact person"), queryset=Person.objects.none(), required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True),
                                      required=False)

    class Meta:
        model = Deal
        fields = ["title", "amount", "currency", "expected_close_date", "probability", "next_step", "source",
                  "campaign", "notes"]
        widgets = {"expected_close_date": DATE_WIDGET, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, actor: User, organisations: QuerySet[Organisation], people: QuerySet[Person],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        record: Deal | None = self.instance if self.instance.pk else None
        self.fields["owner"].queryset = assignable_users(actor, keep=record.owner_id if record else None)  # type: ignore[attr-defined]
        offer_customer_choices(self, organisations, people)
        self.fields["probability"].required = False
        if record is None:
            self.fields.pop("version")
            self.initial.setdefault("owner", actor.pk)
            self.initial.setdefault("currency", "EUR")
        else:
            self.fields.pop("pipeline")
            self.initial["version"] = record.version
            self.initial["owner"] = record.owner_id

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields}
        fields["organisation"] = data.get("organisation")
        fields["person"] = data.get("person")
        return fields


class LeadEditForm(KundeModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())

    class Meta:
        model = Lead
        fields = ["name", "company", "email", "phone", "message", "source", "campaign"]
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        record: Lead | None = self.instance if self.instance.pk else None
        self.fields["owner"].queryset = assignable_users(actor, keep=record.owner_id if record else None)  # type: ignore[attr-defined]
        if record is None:
            self.fields.pop("version")
            self.initial.setdefault("owner", actor.pk)
        else:
            self.initial["version"] = record.version
            self.initial["owner"] = record.owner_id


class DisqualifyForm(KundeForm):
    reason = forms.CharField(label=_("Why is the lead disqualified?"), max_length=300)


class LoseForm(KundeForm):
    reason = forms.ModelChoiceField(label=_("Lost reason"), queryset=LostReason.objects.filter(is_active=True))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ConvertForm(KundeForm):
    """Use an existing person/organisation (from the matches) or create new ones, and the deal."""

    person = forms.ChoiceField(label=_("Person"), widget=forms.RadioSelect)
    organisation = forms.ChoiceField(label=_("Organisation"), widget=forms.RadioSelect)
    create_deal = forms.BooleanField(label=_("Create a deal"), required=False, initial=True)
    deal_title = forms.CharField(label=_("Deal title"), max_length=200, required=False)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True),
                                      required=False)
    expected_close_date = forms.DateField(label=_("Expected close date"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, person_choices: list[tuple[str, str]], organisation_choices: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = person_choices
        self.fields["organisation"].choices = organisation_choices
        self.initial.setdefault("person", person_choices[0][0])
        self.initial.setdefault("organisation", organisation_choices[0][0])


class LeadFormSettingsForm(KundeModelForm):
    class Meta:
        model = LeadForm
        fields = ["key", "name", "campaign", "owner", "allowed_origins", "thank_you", "is_active"]
        widgets = {"allowed_origins": forms.Textarea(attrs={"rows": 2})}


class ScoringRuleForm(KundeModelForm):
    class Meta:
        model = ScoringRule
        fields = ["field", "condition", "value", "points"]


class ExchangeRateForm(KundeForm):
    currency = forms.CharField(label=_("Currency"), max_length=3)
    rate = forms.DecimalField(label=_("EUR per unit"), max_digits=18, decimal_places=8, min_value=0)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE_WIDGET)


class PublicLeadForm(forms.Form):
    """The public web form (rendered without the app's layout)."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    message = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000,
                              required=False)


SOURCE_CHOICES = LeadSource.choices


class PipelineForm(KundeForm):
    name_en = forms.CharField(label=_("Name (English)"), max_length=100)
    name_de = forms.CharField(label=_("Name (German)"), max_length=100, required=False)
    is_default = forms.BooleanField(label=_("Default pipeline"), required=False)


class StageForm(KundeForm):
    name_en = forms.CharField(label=_("Name (English)"), max_length=100)
    name_de = forms.CharField(label=_("Name (German)"), max_length=100, required=False)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32000)
    probability = forms.IntegerField(label=_("Default probability (%)"), min_value=0, max_value=100)
    rotting_days = forms.IntegerField(label=_("Rotting after (days)"), min_value=1, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=StageKind.choices)


class LostReasonForm(KundeForm):
    key = forms.SlugField(label=_("Key"), max_length=40)
    label_en = forms.CharField(label=_("Label (English)"), max_length=100)
    label_de = forms.CharField(label=_("Label (German)"), max_length=100)
