"""Forms of the staff ticket pages. They parse input; the services validate and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kunde.accounts.models import Team, User
from kunde.contacts.forms import (
    DATE_WIDGET,
    OrganisationChoiceField,
    PersonChoiceField,
    assignable_users,
    offer_customer_choices,
)
from kunde.contacts.models import Organisation, Person
from kunde.core.views.ui import KundeModelForm
from kunde.service.models import Ticket, TicketCategory


class TicketForm(KundeModelForm):
    """New ticket (with team and assignee) or the editable fields of an existing one."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    organisation = OrganisationChoiceField(label=_("Organisation"), queryset=Organisation.objects.none(),
                                           required=False)
    person = PersonChoiceField(label=_("Person"), queryset=Person.objects.none(), required=False)
    category = forms.ModelChoiceField(label=_("Category"), required=False,
                                      queryset=TicketCategory.objects.filter(is_active=True))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"), required=False)
    owner = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False)

    class Meta:
        model = Ticket
        fields = ["subject", "description", "channel", "priority", "due_date", "language"]
        widgets = {"due_date": DATE_WIDGET, "description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, actor: User, organisations: QuerySet[Organisation], people: QuerySet[Person],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ticket: Ticket | None = self.instance if self.instance.pk else None
        self.fields["owner"].queryset = assignable_users(actor, keep=ticket.owner_id if ticket else None)  # type: ignore[attr-defined]
        offer_customer_choices(self, organisations, people)
        if ticket is None:
            self.fields.pop("version")
            self.initial.setdefault("team", actor.primary_team.pk if actor.primary_team else None)
        else:
            self.initial.update(version=ticket.version, category=ticket.category_id, team=ticket.team_id,
                                owner=ticket.owner_id)

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {**{name: data[name] for name in self.Meta.fields}, "organisation": data.get("organisation"),
                "person": data.get("person"), "category": data.get("category")}
