"""Administration of the service desk: statuses, categories, calendars, SLA policies,
routing rules and reply templates (administrators only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from kunde.core.audit import audit_record, snapshot
from kunde.core.models import AuditEntry
from kunde.core.permissions import is_admin
from kunde.core.views.ui import actor, login_required
from kunde.mail.models import Mailbox
from kunde.service.models import (
    BusinessCalendar,
    ReplyTemplate,
    RoutingRule,
    SlaPolicy,
    TicketCategory,
    TicketStatus,
)

SECTIONS: dict[str, tuple[Any, type[models.Model], list[str]]] = {
    "statuses": (_("Ticket statuses"), TicketStatus,
                 ["key", "label_en", "label_de", "category", "position", "is_active"]),
    "categories": (_("Ticket categories"), TicketCategory, ["key", "label_en", "label_de", "position", "is_active"]),
    "calendars": (_("Business calendars"), BusinessCalendar,
                  ["name", "working_days", "start_time", "end_time", "state", "time_zone"]),
    "sla": (_("SLA policies"), SlaPolicy,
            ["name", "priority", "customer_group", "calendar", "first_response_minutes", "resolution_minutes",
             "warn_before_minutes", "position", "is_active"]),
    "routing": (_("Routing rules"), RoutingRule,
                ["name", "position", "is_active", "stop", "channel", "sender_domain", "keywords", "customer_group",
                 "language", "set_team", "set_priority", "set_category", "set_tags"]),
    "templates": (_("Reply templates"), ReplyTemplate, ["name", "language", "body", "is_active"]),
    "mailboxes": (_("Mailboxes"), Mailbox,
                  ["name", "purpose", "address", "host", "port", "security", "username", "password", "folder",
                   "is_active"]),
}


def _section(request: HttpRequest, key: str) -> tuple[Any, type[models.Model], list[str]]:
    if not is_admin(actor(request)):
        raise PermissionDenied("administrators only")
    if key not in SECTIONS:
        raise Http404("section")
    return SECTIONS[key]


def _form_class(model: type[models.Model], fields: list[str]) -> type[forms.ModelForm]:
    form_class = forms.modelform_factory(model, fields=fields)

    class Styled(form_class):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if "password" in self.fields:  # never sent back to the browser; blank keeps the stored one
                self.fields["password"].widget = forms.PasswordInput(render_value=False)
                self.fields["password"].required = False
                if self.instance.pk:
                    self.fields["password"].help_text = _("Leave empty to keep the stored password.")
            for field in self.fields.values():
                widget = field.widget
                if isinstance(widget, forms.CheckboxInput):
                    widget.attrs["class"] = "form-check-input"
                elif isinstance(widget, forms.Select):
                    widget.attrs["class"] = "form-select"
                else:
                    widget.attrs["class"] = "form-control"

        def clean_password(self) -> str:
            value = self.cleaned_data.get("password", "")
            return value or (self.instance.password if self.instance.pk else "")

    return Styled


@login_required
def section_list(request: HttpRequest, key: str = "statuses") -> HttpResponse:
    title, model, _fields = _section(request, key)
    rows = list(model._default_manager.all())
    return render(request, "service/settings.html", {
        "sections": [(k, v[0]) for k, v in SECTIONS.items()], "current": key, "title": title, "rows": rows,
    })


@login_required
def section_edit(request: HttpRequest, key: str, pk: int | None = None) -> HttpResponse:
    title, model, fields = _section(request, key)
    instance = model._default_manager.filter(pk=pk).first() if pk else None
    if pk and instance is None:
        raise Http404("row")
    form = _form_class(model, fields)(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            before = snapshot(model._default_manager.get(pk=instance.pk)) if instance is not None else None
            saved = form.save()
            audit_record(actor=actor(request), action=AuditEntry.Action.UPDATE if before else AuditEntry.Action.CREATE,
                         instance=saved, before=before, after=snapshot(saved))
        return redirect("service:settings", key=key)
    return render(request, "service/settings_form.html", {
        "sections": [(k, v[0]) for k, v in SECTIONS.items()], "current": key, "title": title, "form": form,
        "instance": instance,
    })
