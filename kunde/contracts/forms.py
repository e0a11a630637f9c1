"""Forms of the contract pages. They parse input; the services validate and save."""

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
from kunde.contracts.models import CancellationReason, Contract, ContractSettings, SubscriptionPlan
from kunde.core.views.ui import KundeForm, KundeModelForm


class ContractForm(KundeModelForm):
    """Enter a contract (every term may come from the plan) or correct one (amount and status have actions)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    organisation = OrganisationChoiceField(label=_("Organisation"), queryset=Organisation.objects.none(),
                                           required=False)
    person = PersonChoiceField(label=_("Person"), queryset=Person.objects.none(), required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=SubscriptionPlan.objects.filter(is_active=True),
                                  required=False, help_text=_("Terms left empty are taken from the plan."))

    CREATE_FIELDS = ("title", "start_date", "term_months", "notice_period", "notice_unit", "auto_renew",
                     "renewal_term_months", "billing_interval", "amount", "notes")
    EDIT_FIELDS = ("title", "notice_period", "notice_unit", "auto_renew", "renewal_term_months", "notes")

    class Meta:
        model = Contract
        fields = ["title", "start_date", "term_months", "notice_period", "notice_unit", "auto_renew",
                  "renewal_term_months", "billing_interval", "amount", "notes"]
        widgets = {"start_date": DATE_WIDGET, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, actor: User, organisations: QuerySet[Organisation], people: QuerySet[Person],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        record: Contract | None = self.instance if self.instance.pk else None
        self.fields["owner"].queryset = assignable_users(actor, keep=record.owner_id if record else None)  # type: ignore[attr-defined]
        if record is None:
            offer_customer_choices(self, organisations, people)
            self.fields.pop("version")
            self.initial.setdefault("owner", actor.pk)
            for name in ("title", "start_date", "term_months", "notice_period", "notice_unit",
                         "renewal_term_months", "billing_interval", "amount"):
                self.fields[name].required = False
            # An unticked box cannot say "take the plan's default": offer the three answers.
            self.fields["auto_renew"] = forms.NullBooleanField(
                label=_("Renews automatically"), required=False, widget=forms.Select(choices=[
                    ("unknown", _("As the plan says")), ("true", _("Yes")), ("false", _("No"))]))
            # The model's defaults (monthly, 12 months, days) would override the plan's terms: start empty.
            for name in ("billing_interval", "notice_unit"):
                field: Any = self.fields[name]
                field.choices = [("", _("As the plan says")), *[c for c in field.choices if c[0] != ""]]
            for name in ("billing_interval", "notice_unit", "renewal_term_months", "auto_renew"):
                self.initial.pop(name, None)
                self.fields[name].initial = None
        else:
            for name in ("organisation", "person", "start_date", "term_months", "billing_interval", "amount"):
                self.fields.pop(name)
            self.initial["version"] = record.version
            self.initial["owner"] = record.owner_id
            self.fields["renewal_term_months"].required = True

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        names = self.CREATE_FIELDS if "organisation" in self.fields else self.EDIT_FIELDS
        fields = {name: data.get(name) for name in names}
        fields["plan"] = data.get("plan")
        if "organisation" in self.fields:
            fields["organisation"] = data.get("organisation")
            fields["person"] = data.get("person")
            fields = {k: v for k, v in fields.items() if v not in (None, "") or k in ("organisation", "person")}
        return fields


class CancelForm(KundeForm):
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=CancellationReason.objects.filter(is_active=True),
                                    empty_label="—")
    received_on = forms.DateField(label=_("Notice received on"), required=False, widget=DATE_WIDGET,
                                  help_text=_("Default: today."))
    immediate = forms.BooleanField(label=_("End immediately by agreement (instead of at the term end)"),
                                   required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class AmountForm(KundeForm):
    amount = forms.DecimalField(label=_("New amount per interval"), min_value=0, decimal_places=2, max_digits=14)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class NoteForm(KundeForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class PlanForm(KundeModelForm):
    class Meta:
        model = SubscriptionPlan
        fields = ["name", "description", "billing_interval", "amount", "currency", "default_term_months",
                  "default_notice_period", "default_notice_unit", "default_auto_renew", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class ReasonForm(KundeModelForm):
    class Meta:
        model = CancellationReason
        fields = ["key", "label_en", "label_de", "position"]


class SettingsForm(KundeModelForm):
    class Meta:
        model = ContractSettings
        fields = ["renewal_reminder_days", "notice_reminder_days"]
