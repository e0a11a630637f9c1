"""Forms of ideas: the portal submission, staff entry, triage, linking and merging."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kunde.accounts.models import User
from kunde.commerce.models import Product
from kunde.contacts.forms import LimitedChoiceMixin
from kunde.contacts.models import Organisation, Person
from kunde.core.views.ui import KundeForm
from kunde.ideas.models import Idea


class PortalIdeaForm(forms.Form):
    """What a customer types in the portal: a title, a description and optionally a product on offer."""

    title = forms.CharField(label=_("Title"), max_length=200,
                            widget=forms.TextInput(attrs={"class": "form-control"}))
    description = forms.CharField(label=_("Description"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}))
    product = forms.ModelChoiceField(label=_("Product"), required=False, empty_label=_("(no particular product)"),
                                     queryset=Product.objects.filter(is_active=True).order_by("name", "id"),
                                     widget=forms.Select(attrs={"class": "form-select"}))


class StaffIdeaForm(KundeForm):
    """A staff member enters an idea a customer told them about (or one of their own)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    product = forms.ModelChoiceField(label=_("Product"), required=False, queryset=Product.objects.all())
    person = forms.ModelChoiceField(label=_("Submitted by (person number)"), required=False,
                                    queryset=Person.objects.none(), widget=forms.NumberInput,
                                    help_text=_("The number in the address of the person's page."))
    is_public = forms.BooleanField(label=_("Visible in the portal"), required=False, initial=True)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.for_user(user)  # type: ignore[attr-defined]


class TriageForm(KundeForm):
    """Status, the public answer, visibility and owner of an idea."""

    status = forms.ChoiceField(label=_("Status"), choices=Idea.Status.choices)
    status_note = forms.CharField(label=_("Answer to customers"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    is_public = forms.BooleanField(label=_("Visible in the portal"), required=False)
    product = forms.ModelChoiceField(label=_("Product"), required=False, queryset=Product.objects.all())
    owner = forms.ModelChoiceField(label=_("Owner"), required=False,
                                   queryset=User.objects.filter(is_active=True).order_by("username"))
    version = forms.IntegerField(widget=forms.HiddenInput)


class LinkForm(KundeForm):
    """Link a customer who asked for the idea."""

    # Number inputs, not selects: a select of every visible customer does not scale to 100k.
    person = forms.ModelChoiceField(label=_("Person number"), required=False, queryset=Person.objects.none(),
                                    widget=forms.NumberInput)
    organisation = forms.ModelChoiceField(label=_("Organisation number"), required=False,
                                          queryset=Organisation.objects.none(), widget=forms.NumberInput)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.for_user(user)  # type: ignore[attr-defined]
        self.fields["organisation"].queryset = Organisation.objects.for_user(user)  # type: ignore[attr-defined]


class IdeaChoiceField(LimitedChoiceMixin, forms.ModelChoiceField):
    """Pick an idea: any open one validates, the options show only the most voted (a select of 10k ideas
    would not load)."""


MERGE_OPTIONS = 100


class MergeForm(KundeForm):
    """Pick the idea this one duplicates."""

    survivor = IdeaChoiceField(label=_("Merge into"), queryset=Idea.objects.none())

    def __init__(self, *args: Any, idea: Idea, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        candidates = Idea.objects.filter(merged_into__isnull=True).exclude(pk=idea.pk).order_by("-vote_count", "-id")
        field: Any = self.fields["survivor"]
        field.queryset = candidates
        related = candidates.filter(product_id=idea.product_id) if idea.product_id else candidates.none()
        field.offer([*related[:MERGE_OPTIONS // 2], *candidates[:MERGE_OPTIONS]])
