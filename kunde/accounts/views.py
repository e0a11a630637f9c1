"""Login page and the user's own API tokens."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kunde.accounts.admin_services import (
    DEFAULT_ROLE_KEYS,
    role_create,
    role_delete,
    role_update,
    team_delete,
    team_update,
    user_set_password,
    user_update,
)
from kunde.accounts.filters import UserFilter
from kunde.accounts.forms import (
    ApiTokenForm,
    LoginForm,
    RoleForm,
    TeamForm,
    UserCreateForm,
    UserEditForm,
    UserPasswordForm,
)
from kunde.accounts.models import ApiToken, User
from kunde.accounts.selectors import role_get, role_list, team_get, team_list, user_get, user_list, user_page
from kunde.accounts.services import api_token_create, api_token_revoke, team_create, user_create
from kunde.core.views.admin_area import AdminRequiredMixin, admin_required
from kunde.core.views.lists import Column, FilteredListView
from kunde.core.views.ui import apply_validation_error


def _actor(request: HttpRequest) -> User:
    """The logged-in user of a view behind login_required or admin_required."""
    return cast(User, request.user)


class KundeLoginView(auth_views.LoginView):
    """Django's login view with Kunde's form; django-axes locks out repeated failures."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["session_idle_minutes"] = max(1, settings.SESSION_COOKIE_AGE // 60)
        return context


def _tokens(request: HttpRequest) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=_actor(request)).order_by("revoked_at", "-created_at", "-id"))


@never_cache
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """List the user's API tokens and create a new one; its secret is shown this once."""
    secret = created = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            created, secret = api_token_create(user=_actor(request), name=form.cleaned_data["name"],
                                               scope=form.cleaned_data["scope"], expires_at=form.expires_at())
            form = ApiTokenForm()
    else:
        form = ApiTokenForm()
    response = render(request, "accounts/tokens.html", {
        "form": form, "tokens": _tokens(request), "secret": secret, "created": created,
    }, status=400 if request.method == "POST" and secret is None else 200)
    # The secret must not linger in any cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens (someone else's is a 404)."""
    token = ApiToken.objects.filter(user=_actor(request), pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    api_token_revoke(user=_actor(request), token=token)
    messages.success(request, _("Revoked the token “%(name)s”. Programs using it are locked out now.")
                     % {"name": token.name})
    return HttpResponseRedirect(reverse("api_tokens"))


# --- administration area: users, teams, roles ----------------------------------------------


def _apply(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form (unknown keys become form errors)."""
    apply_validation_error(form, exc)


def _user_label(user: User) -> str:
    return user.get_full_name() or user.username


class UserListView(AdminRequiredMixin, FilteredListView):
    """Every user, filterable by role, team and active flag."""

    list_key = "accounts.user"
    title = gettext_lazy("Users")
    filterset_class = UserFilter
    page_selector = user_page
    export_selector = user_list
    export_prefetch = ("teams",)
    export_filename = "users"
    template_name = "core/admin/list.html"
    admin_section = "users"
    create_url = reverse_lazy("admin_user_create")
    create_label = gettext_lazy("New user")
    columns = [
        Column("username", gettext_lazy("Username"), accessor="username", sort="username",
               template="accounts/admin/cells/user_link.html"),
        Column("name", gettext_lazy("Name"), accessor="get_full_name", sort="name"),
        Column("email", gettext_lazy("E-mail"), accessor="email"),
        Column("role", gettext_lazy("Role"), accessor="role"),
        Column("teams", gettext_lazy("Teams"), accessor="teams"),
        Column("active", gettext_lazy("Active"), accessor="is_active"),
        Column("last_login", gettext_lazy("Last login"), accessor="last_login"),
        Column("joined", gettext_lazy("Joined"), accessor="date_joined", sort="joined"),
    ]


def _admin_page(request: HttpRequest, template: str, section: str, status: int = 200,
                **context: Any) -> HttpResponse:
    return render(request, template, {"admin_section": section, **context}, status=status)


@admin_required
def user_create_view(request: HttpRequest) -> HttpResponse:
    """Create a user with a role, teams and an initial password."""
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_create(actor=_actor(request), username=data["username"], password=data["password1"],
                               role_key=data["role"].key, email=data["email"], first_name=data["first_name"],
                               last_name=data["last_name"], teams=list(data["teams"]))
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Created the user “%(name)s”.") % {"name": user.username})
            return redirect("admin_user_edit", pk=user.pk)
    return _admin_page(request, "core/admin/form.html", "users", status=400 if form.errors else 200,
                       form=form, title=_("New user"), cancel_url=reverse("admin_users"))


@admin_required
def user_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a user's data, role and teams; set a password; deactivate or reactivate."""
    user = user_get(_actor(request), pk)
    form = UserEditForm.for_user(user)
    password_form = UserPasswordForm()
    status = 200
    if request.method == "POST":
        operation = request.POST.get("op")
        if operation == "password":
            password_form = UserPasswordForm(request.POST)
            if password_form.is_valid():
                try:
                    user_set_password(actor=_actor(request), user=user,
                                      password=password_form.cleaned_data["new_password"])
                except ValidationError as exc:
                    password_form.add_error("new_password", exc)
                else:
                    messages.success(request, _("Set a new password for “%(name)s”.") % {"name": user.username})
                    return redirect("admin_user_edit", pk=user.pk)
        else:
            form = UserEditForm.for_user(user, request.POST)
            if form.is_valid():
                data = form.cleaned_data
                changes = {k: data[k] for k in ("first_name", "last_name", "email", "role", "is_active")}
                try:
                    if not data["is_active"] and user.pk == _actor(request).pk:
                        raise ValidationError({"is_active": [_("You cannot deactivate yourself.")]})
                    user_update(actor=_actor(request), user=user, changes=changes, teams=data["teams"])
                except ValidationError as exc:
                    _apply(form, exc)
                else:
                    messages.success(request, _("Saved the user “%(name)s”.") % {"name": user.username})
                    return redirect("admin_user_edit", pk=user.pk)
        status = 400
    return _admin_page(request, "accounts/admin/user_edit.html", "users", status=status, form=form,
                       password_form=password_form, subject=user, title=_user_label(user),
                       history_url=reverse("record_history", args=["accounts.user", user.pk]))


@admin_required
def team_list_view(request: HttpRequest) -> HttpResponse:
    """All teams with their lead and member count, and a form for a new one."""
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = team_create(actor=_actor(request), name=form.cleaned_data["name"].strip(),
                               lead=form.cleaned_data["lead"])
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Created the team “%(name)s”.") % {"name": team.name})
            return redirect("admin_teams")
    return _admin_page(request, "accounts/admin/teams.html", "teams", status=400 if form.errors else 200,
                       form=form, teams=team_list(_actor(request)))


@admin_required
def team_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a team, change its lead, or delete it when empty."""
    team = team_get(_actor(request), pk)
    form = TeamForm(initial={"name": team.name, "lead": team.lead_id})
    if request.method == "POST":
        if request.POST.get("op") == "delete":
            try:
                team_delete(actor=_actor(request), team=team)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("admin_team_edit", pk=team.pk)
            messages.success(request, _("Deleted the team “%(name)s”.") % {"name": team.name})
            return redirect("admin_teams")
        form = TeamForm(request.POST)
        if form.is_valid():
            try:
                team_update(actor=_actor(request), team=team, name=form.cleaned_data["name"],
                            lead=form.cleaned_data["lead"])
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("Saved the team “%(name)s”.") % {"name": form.cleaned_data["name"]})
                return redirect("admin_teams")
    members = list(team.members.order_by("username"))
    return _admin_page(request, "accounts/admin/team_edit.html", "teams", status=400 if form.errors else 200,
                       form=form, team=team, members=members, title=team.name,
                       history_url=reverse("record_history", args=["accounts.team", team.pk]))


@admin_required
def role_list_view(request: HttpRequest) -> HttpResponse:
    """The roles and their record scopes; custom roles can be created here."""
    form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            role = role_create(actor=_actor(request), key=data["key"], name=data["name"],
                               view_scope=data["view_scope"], edit_scope=data["edit_scope"],
                               can_delete=data["can_delete"], is_admin_role=data["is_admin"])
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Created the role “%(name)s”.") % {"name": role.name})
            return redirect("admin_roles")
    return _admin_page(request, "accounts/admin/roles.html", "roles", status=400 if form.errors else 200,
                       form=form, roles=role_list(_actor(request)), default_keys=DEFAULT_ROLE_KEYS)


@admin_required
def role_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a custom role's scopes, or delete it when no user has it."""
    role = role_get(_actor(request), pk)
    if role.key in DEFAULT_ROLE_KEYS:
        messages.info(request, _("The default roles cannot be changed; define a custom role."))
        return redirect("admin_roles")
    form = RoleForm(editing=True, initial={
        "name": role.name, "view_scope": role.view_scope, "edit_scope": role.edit_scope,
        "can_delete": role.can_delete, "is_admin": role.is_admin})
    if request.method == "POST":
        if request.POST.get("op") == "delete":
            try:
                role_delete(actor=_actor(request), role=role)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("admin_role_edit", pk=role.pk)
            messages.success(request, _("Deleted the role “%(name)s”.") % {"name": role.name})
            return redirect("admin_roles")
        form = RoleForm(request.POST, editing=True)
        if form.is_valid():
            try:
                role_update(actor=_actor(request), role=role, changes=dict(form.cleaned_data))
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("Saved the role “%(name)s”.") % {"name": form.cleaned_data["name"]})
                return redirect("admin_roles")
    return _admin_page(request, "accounts/admin/role_edit.html", "roles", status=400 if form.errors else 200,
                       form=form, role=role, title=role.name,
                       history_url=reverse("record_history", args=["accounts.role", role.pk]))
