"""Forms of customer events: they parse input; the services validate and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kunde.core.views.ui import KundeForm, KundeModelForm
from kunde.customer_events.models import Event, EventSeries

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class EventForm(KundeModelForm):
    """Create or edit an event (closing and cancelling are their own actions)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    online_url = forms.URLField(label=_("online link"), max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Event
        fields = ["title", "series", "kind", "status", "starts_at", "ends_at", "place", "online_url", "capacity",
                  "cost", "registration_deadline", "reminder_hours", "language", "description"]
        widgets = {"starts_at": DATETIME_WIDGET, "ends_at": DATETIME_WIDGET,
                   "registration_deadline": DATETIME_WIDGET, "description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, series: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if series is not None:
            self.fields["series"].queryset = series  # type: ignore[attr-defined]
        self.fields["status"].choices = [(value, label) for value, label in Event.Status.choices  # type: ignore[attr-defined]
                                         if value in (Event.Status.DRAFT, Event.Status.OPEN)]
        for name in ("starts_at", "ends_at", "registration_deadline"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class SeriesForm(KundeModelForm):
    class Meta:
        model = EventSeries
        fields = ["name", "kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class InviteForm(KundeForm):
    segment = forms.TypedChoiceField(label=_("Segment"), coerce=int)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = choices  # type: ignore[attr-defined]


class RegisterForm(KundeForm):
    person: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Person"), queryset=None)  # type: ignore[arg-type]

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
