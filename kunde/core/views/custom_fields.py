"""Administration of custom field definitions per object type (text, number, date, choice, yes/no)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kunde.core.custom_field_services import (
    custom_field_create,
    custom_field_delete,
    custom_field_object_types,
    custom_field_update,
)
from kunde.core.models import CustomFieldDefinition
from kunde.core.views.admin_area import admin_required
from kunde.core.views.ui import KundeForm, apply_validation_error


class CustomFieldForm(KundeForm):
    """A custom field definition; key, object type and type are fixed once it exists."""

    object_type = forms.ChoiceField(label=gettext_lazy("Object type"), choices=())
    label = forms.CharField(label=gettext_lazy("Label"), max_length=100)
    key = forms.SlugField(label=gettext_lazy("Key"), max_length=50,
                          help_text=gettext_lazy("Used in filters (cf_<key>) and the API; cannot be changed later."))
    field_type = forms.ChoiceField(label=gettext_lazy("Type"), choices=CustomFieldDefinition.FieldType.choices)
    choices = forms.CharField(label=gettext_lazy("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=gettext_lazy("For a choice field: one choice per line."))
    required = forms.BooleanField(
        label=gettext_lazy("Required"), required=False,
        help_text=gettext_lazy("Existing records without a value must get one when next saved."),
    )
    position = forms.IntegerField(label=gettext_lazy("Position"), min_value=0, max_value=999, initial=0,
                                  help_text=gettext_lazy("Fields are shown in ascending position."))

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = custom_field_object_types()  # type: ignore[attr-defined]
        if editing:
            for name in ("object_type", "key", "field_type"):
                del self.fields[name]

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


@admin_required
def custom_field_list(request: HttpRequest) -> HttpResponse:
    """The definitions grouped by object type, and a form for a new one."""
    form = CustomFieldForm(request.POST or None, initial={"object_type": request.GET.get("object_type")})
    if request.method == "POST" and form.is_valid():
        try:
            definition = custom_field_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Created the field “%(label)s”.") % {"label": definition.label})
            return redirect("admin_custom_fields")
    types = custom_field_object_types()
    grouped: dict[str, list[CustomFieldDefinition]] = defaultdict(list)
    for definition in CustomFieldDefinition.objects.all():
        grouped[definition.object_type].append(definition)
    return render(request, "core/admin/custom_fields.html", {
        "admin_section": "custom_fields",
        "form": form,
        "groups": [(label, name, grouped.get(label, [])) for label, name in types],
    }, status=400 if form.errors else 200)


@admin_required
def custom_field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a definition's label, choices, required flag and position, or delete it."""
    definition = CustomFieldDefinition.objects.filter(pk=pk).first()
    if definition is None:
        raise Http404("No such custom field.")
    form = CustomFieldForm(editing=True, initial={
        "label": definition.label, "choices": "\n".join(definition.choices), "required": definition.required,
        "position": definition.position})
    if request.method == "POST":
        if request.POST.get("op") == "delete":
            custom_field_delete(actor=request.user, definition=definition)
            messages.success(request, _("Deleted the field “%(label)s”.") % {"label": definition.label})
            return redirect("admin_custom_fields")
        form = CustomFieldForm(request.POST, editing=True)
        if form.is_valid():
            try:
                custom_field_update(actor=request.user, definition=definition, changes=dict(form.cleaned_data))
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Saved the field “%(label)s”.") % {"label": form.cleaned_data["label"]})
                return redirect("admin_custom_fields")
    return render(request, "core/admin/custom_field_edit.html", {
        "admin_section": "custom_fields",
        "form": form,
        "definition": definition,
        "title": definition.label,
        "history_url": reverse("record_history", args=["core.customfielddefinition", definition.pk]),
    }, status=400 if form.errors else 200)
