"""Forms of the login page and the API token page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.accounts.models import ApiToken, Role, Team, User
from kunde.core.permissions import Scope
from kunde.core.views.ui import KundeForm, KundeFormMixin


class LoginForm(KundeFormMixin, AuthenticationForm):  # type: ignore[misc]
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
                              initial=ApiToken.TokenScope.READ)
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


# --- administration area ---------------------------------------------------------------


class UserEditForm(KundeForm):
    """What an administrator may change about a user."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.order_by("name"), empty_label=None)
    teams = forms.ModelMultipleChoiceField(label=_("Teams"), queryset=Team.objects.order_by("name"),
                                           required=False, widget=forms.CheckboxSelectMultiple)
    is_active = forms.BooleanField(label=_("Active (may log in)"), required=False)

    @classmethod
    def for_user(cls, user: User, data: Any = None) -> UserEditForm:
        return cls(data=data, initial={
            "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
            "role": user.role_id, "teams": [t.pk for t in user.teams.all()], "is_active": user.is_active,
        })


class UserCreateForm(UserEditForm):
    """A new user: username and initial password, plus everything editable."""

    username = forms.CharField(label=_("Username"), max_length=150,
                               help_text=_("Letters, digits and @/./+/-/_ only."))
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    field_order = ["username", "first_name", "last_name", "email", "role", "teams", "password1", "password2"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["is_active"]
        self.fields["role"].initial = Role.objects.filter(key=Role.MEMBER).values_list("pk", flat=True).first()

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            candidate = User(username=data.get("username", ""), first_name=data.get("first_name", ""),
                             last_name=data.get("last_name", ""), email=data.get("email", ""))
            try:
                validate_password(first, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class UserPasswordForm(KundeForm):
    """An administrator sets a new password for a user."""

    new_password = forms.CharField(label=_("New password"), strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class TeamForm(KundeForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    lead = forms.ModelChoiceField(label=_("Team lead"), required=False,
                                  queryset=User.objects.filter(is_active=True).order_by("username"))


class RoleForm(KundeForm):
    """A custom role: its record scopes."""

    key = forms.SlugField(label=_("Key"), max_length=40, help_text=_("A short technical name, e.g. “sales-lead”."))
    name = forms.CharField(label=_("Name"), max_length=80)
    view_scope = forms.ChoiceField(label=_("May view"), choices=Scope.choices)
    edit_scope = forms.ChoiceField(label=_("May change"), choices=Scope.choices)
    can_delete = forms.BooleanField(label=_("May delete records it may change"), required=False)
    is_admin = forms.BooleanField(label=_("Administrator (this area, all records)"), required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["key"]
