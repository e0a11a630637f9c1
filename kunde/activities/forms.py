"""Forms of the customer history: log a contact, add a task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.accounts.models import User
from kunde.activities.choices import Channel, Direction, Mood
from kunde.contacts.forms import PersonMultipleChoiceField, assignable_users
from kunde.contacts.models import Person
from kunde.core.views.ui import KundeForm

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MAX_DURATION_MINUTES = 7 * 24 * 60


def now_minute() -> dt.datetime:
    """The current local time without seconds (what a datetime-local input shows)."""
    return timezone.localtime().replace(second=0, microsecond=0)


class ContactLogForm(KundeForm):
    """Log a contact with the customer in a few clicks; only channel and subject are required."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    direction = forms.ChoiceField(
        label=_("Direction"), required=False, initial=Direction.OUTBOUND,
        choices=[("", _("— not set —")), *Direction.choices],
    )
    occurred_at = forms.DateTimeField(label=_("Time"), widget=DATETIME_WIDGET)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, min_value=0, max_value=MAX_DURATION_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    mood = forms.TypedChoiceField(
        label=_("Customer's mood"), required=False, coerce=int, empty_value=None,
        choices=[*Mood.choices, ("", _("Not rated"))], widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        template_name="activities/_mood_field.html",  # type: ignore[call-arg]  # Django 5 Field argument
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.CharField(label=_("Outcome"), max_length=200, required=False)
    topic = forms.CharField(label=_("Topic"), max_length=80, required=False,
                            help_text=_("What it was about, e.g. a product or product category."))
    person = forms.ModelChoiceField(label=_("With"), queryset=Person.objects.none(), required=False,
                                    empty_label=_("— the organisation in general —"))
    participant_people = PersonMultipleChoiceField(
        label=_("Other participants (people)"), queryset=Person.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    participant_users = forms.ModelMultipleChoiceField(
        label=_("Colleagues involved"), queryset=User.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 3}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )

    def __init__(self, *args: Any, actor: User, people: QuerySet[Person], contacts_at_organisation: list[Person],
                 colleagues: list[Person], on_organisation: bool, **kwargs: Any) -> None:
        """`contacts_at_organisation`: people offered as "With" on an organisation's page;
        `colleagues`: people offered as further participants."""
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = now_minute
        self.fields["mood"].initial = ""
        person_field: Any = self.fields["person"]
        if on_organisation and contacts_at_organisation:
            person_field.queryset = people
            person_field.widget.choices = [("", person_field.empty_label)] + [
                (p.pk, p.full_name) for p in contacts_at_organisation
            ]
        else:
            self.fields.pop("person")
        participants: Any = self.fields["participant_people"]
        if colleagues:
            participants.queryset = people
            participants.offer(colleagues)
        else:
            self.fields.pop("participant_people")
        users: Any = self.fields["participant_users"]
        users.queryset = User.objects.filter(is_active=True).exclude(pk=actor.pk).order_by(
            "first_name", "last_name", "username"
        )

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments of `contact_log`."""
        data = self.cleaned_data
        fields = {
            "channel": data["channel"], "direction": data["direction"], "occurred_at": data["occurred_at"],
            "duration_minutes": data["duration_minutes"], "subject": data["subject"], "notes": data["notes"],
            "outcome": data["outcome"], "mood": data["mood"], "topic": data["topic"],
            "participant_people": list(data.get("participant_people") or []),
            "participant_users": list(data.get("participant_users") or []),
        }
        return fields


class TaskForm(KundeForm):
    """A task or follow-up on the customer, due at a time and assigned to a colleague."""

    subject = forms.CharField(label=_("Task"), max_length=200)
    due_at = forms.DateTimeField(label=_("Due"), widget=DATETIME_WIDGET)
    assignee = forms.ModelChoiceField(label=_("Assigned to"), queryset=User.objects.none())
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tomorrow = (now_minute() + dt.timedelta(days=1)).replace(hour=9, minute=0)
        self.fields["due_at"].initial = tomorrow
        assignee: Any = self.fields["assignee"]
        assignee.queryset = assignable_users(actor)
        assignee.initial = actor.pk

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments of `task_create`."""
        data = self.cleaned_data
        return {"subject": data["subject"], "due_at": data["due_at"], "assignee": data["assignee"],
                "notes": data["notes"]}
