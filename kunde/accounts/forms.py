"""Forms of the login page and the API token page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.accounts.models import ApiToken
from kunde.core.views.ui import KundeForm, KundeFormMixin


class LoginForm(KundeFormMixin, AuthenticationForm):
    """Username and password, rendered the Kunde way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


def _default_expiry() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=90)


class ApiTokenForm(KundeForm):
    """A new personal API token: a name, read or write scope, an optional expiry date."""

    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What the token is for, e.g. “ERP sync”."))
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiToken.TokenScope.choices,
                              initial=ApiToken.TokenScope.READ, widget=forms.RadioSelect)
    expires_on = forms.DateField(
        label=_("Expires on"), required=False, initial=_default_expiry,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for a token that does not expire."),
    )

    def clean_expires_on(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("expires_on")
        if value is not None and value <= timezone.localdate():
            raise forms.ValidationError(_("Choose a date in the future."))
        return value

    def expires_at(self) -> dt.datetime | None:
        """The end of the chosen day in the current time zone, or None."""
        value = self.cleaned_data.get("expires_on")
        if value is None:
            return None
        return timezone.make_aware(dt.datetime.combine(value, dt.time.max.replace(microsecond=0)))
