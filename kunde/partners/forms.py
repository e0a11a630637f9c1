"""Forms of the staff pages of partners (they parse input; the services validate and save)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Person
from kunde.core.views.ui import KundeForm
from kunde.partners.models import PartnerProfile, PartnerRole
from kunde.sales.models import Lead


class MarkPartnerForm(KundeForm):
    role = forms.ChoiceField(label=_("Role"), choices=PartnerRole.choices)
    role_note = forms.CharField(label=_("Role in your words"), max_length=200, required=False)


class PartnerEditForm(KundeForm):
    role = forms.ChoiceField(label=_("Role"), choices=PartnerRole.choices)
    role_note = forms.CharField(label=_("Role in your words"), max_length=200, required=False)
    since = forms.DateField(label=_("Partner since"), widget=forms.DateInput(attrs={"type": "date"}))
    is_active = forms.BooleanField(label=_("Active"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class GrantForm(KundeForm):
    person: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none())

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]


class ShareForm(KundeForm):
    partner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Partner"),
                                                                  queryset=PartnerProfile.objects.none())
    what = forms.ChoiceField(label=_("What to share"), choices=())
    note = forms.CharField(label=_("Note for the partner"), max_length=500, required=False)

    def __init__(self, *args: Any, partners: Any, what: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
        self.fields["what"].choices = what  # type: ignore[attr-defined]


class HandoverForm(KundeForm):
    lead: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Lead"), queryset=Lead.objects.none())
    note = forms.CharField(label=_("Note for the partner"), max_length=500, required=False)

    def __init__(self, *args: Any, leads: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = leads  # type: ignore[attr-defined]


class LeadOfferForm(KundeForm):
    partner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Partner"),
                                                                  queryset=PartnerProfile.objects.none())
    note = forms.CharField(label=_("Note for the partner"), max_length=500, required=False)

    def __init__(self, *args: Any, partners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
