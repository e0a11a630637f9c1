"""Helpers shared by the server-rendered pages: Bootstrap form rendering, mapping service
errors onto forms, and turning domain permission errors into HTTP 403."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required as auth_login_required
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

from kunde.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from kunde.accounts.models import User

# Widget classes Bootstrap styles differently from a plain text input.
_CHECK_WIDGETS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)
_SELECT_WIDGETS = (forms.Select, forms.SelectMultiple)


class KundeBoundField(BoundField):
    """A bound field that renders with Bootstrap classes and Kunde's field template."""

    @property
    def template_name(self) -> str:
        return getattr(self.field, "template_name", None) or "kunde_ui/field.html"

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if isinstance(widget, forms.HiddenInput):
            return attrs
        if "btn-check" in widget.attrs.get("class", ""):
            css = ""
        elif isinstance(widget, _CHECK_WIDGETS):
            css = "form-check-input"
        elif isinstance(widget, _SELECT_WIDGETS):
            css = "form-select"
        else:
            css = "form-control"
        classes = [attrs.get("class", ""), widget.attrs.get("class", ""), css]
        if self.errors:
            classes.append("is-invalid")
            if not getattr(self.form, "_kunde_focus_taken", False):
                # The first invalid field takes the focus when the form comes back (kunde.js).
                attrs["data-autofocus"] = ""
                self.form._kunde_focus_taken = True  # type: ignore[attr-defined]
        attrs["class"] = " ".join(dict.fromkeys(c for c in " ".join(classes).split() if c))
        return attrs

    @property
    def widget_kind(self) -> str:
        """"check", "choices" (a group of radios/checkboxes) or "input", for the template."""
        widget = self.field.widget
        if isinstance(widget, forms.CheckboxInput):
            return "check"
        if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            return "choices"
        return "input"

    @property
    def conflict_value(self) -> str | None:
        """The newer stored value when a save conflicted and this field differs."""
        conflicts: dict[str, str] = getattr(self.form, "conflict_values", {})
        return conflicts.get(self.name)


class KundeFormMixin:
    """Bootstrap rendering plus a place for conflict information."""

    bound_field_class: type[BoundField] | None = KundeBoundField
    template_name_div = "kunde_ui/form.html"
    conflict_values: dict[str, str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conflict_values = {}


class KundeForm(KundeFormMixin, forms.Form):
    """A plain form rendered the Kunde way."""


class KundeModelForm(KundeFormMixin, forms.ModelForm):
    """A form whose fields come from a model but that never saves it.

    Services validate and save; the form only parses input. Skipping the model-level
    `_post_clean` keeps a second, diverging validation out of the way.
    """

    def _post_clean(self) -> None:
        """Leave model validation to the service."""


def apply_validation_error(
    form: forms.BaseForm,
    exc: ValidationError,
    *,
    rows: Mapping[str, Sequence[forms.BaseForm]] | None = None,
    aliases: dict[str, str] | None = None,
) -> None:
    """Attach a service's ValidationError to `form` and its row forms.

    Keys like "emails.1.email" go to the second submitted e-mail row's `email` field,
    "custom_fields.x" to the form field `cf_x`; unknown keys become form-wide errors.
    `rows` maps a list name to the row forms in the order they were sent to the service.
    """
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    rows = rows or {}
    aliases = aliases or {}
    for key, errors in messages.items():
        target, field = _error_target(form, key, rows, aliases)
        for message in errors:
            if field is not None and field in target.fields:
                target.add_error(field, message)
            elif key in ("__all__", "") or field is None:
                target.add_error(None, message)
            else:
                label = target.fields[field].label if field in target.fields else field
                target.add_error(None, f"{label}: {message}")


def _error_target(
    form: forms.BaseForm, key: str, rows: Mapping[str, Sequence[forms.BaseForm]], aliases: dict[str, str]
) -> tuple[forms.BaseForm, str | None]:
    if key == "__all__":
        return form, None
    parts = key.split(".")
    if parts[0] in rows and len(parts) >= 2 and parts[1].isdigit():
        row_forms = rows[parts[0]]
        index = int(parts[1])
        if index < len(row_forms):
            return row_forms[index], parts[2] if len(parts) > 2 else None
        return form, None
    if parts[0] == "custom_fields" and len(parts) == 2:
        return form, f"cf_{parts[1]}"
    return form, aliases.get(key, key)


def denied_as_403(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render a service's PermissionDenied as Django's 403 response."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            raise HttpPermissionDenied(str(exc)) from exc

    return wrapper


View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def login_required(view: View) -> View:
    """Django's login_required, but an htmx request of an expired session reloads into the login page.

    Following the redirect inside htmx would swap the whole login page into a form.
    """
    guarded = auth_login_required(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated and is_htmx(request):
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            page = current.path + (f"?{current.query}" if current.query else "") if current.path else "/"
            return HttpResponseClientRedirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': page})}")
        return guarded(request, *args, **kwargs)

    return cast("View", wrapper)


def actor(request: HttpRequest) -> User:
    """The logged-in user of a view behind `login_required`."""
    return cast("User", request.user)


def is_htmx(request: HttpRequest) -> bool:
    """Whether the request came from htmx (a partial update), not a full page load."""
    return bool(getattr(request, "htmx", False))
