"""Public consent pages (no login): one-click unsubscribe, double opt-in confirmation, preferences.

The signed token in the URL is the authority, so the unsubscribe and confirm POSTs need no
CSRF cookie (RFC 8058: mail providers POST without cookies). GET never changes anything
(mail scanners prefetch links); it shows a page with a button.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kunde.audience import consent
from kunde.audience.models import Channel, ConsentPurpose, Segment, Suppression
from kunde.audience.segments import segment_count, segment_people
from kunde.audience.services import (
    purpose_create,
    segment_create,
    segment_update,
    suppression_add,
    wording_create,
)
from kunde.contacts.models import Person
from kunde.core.links import LinkError
from kunde.core.permissions import Action, can_create, user_can
from kunde.core.views.admin_area import admin_required
from kunde.core.views.ui import KundeForm, actor, apply_validation_error, denied_as_403, login_required


def _invalid(request: HttpRequest, error: Exception | None = None) -> HttpResponse:
    expired = isinstance(error, LinkError) and error.expired
    message = _("This link has expired.") if expired else _("This link is not valid.")
    return render(request, "audience/public_message.html", {"title": _("Link not valid"), "message": message},
                  status=404)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        person, purpose = consent.read_unsubscribe_token(token)
    except (LinkError, ValueError) as error:
        return _invalid(request, error)
    if request.method == "POST":
        consent.consent_withdraw(actor=None, person=person, purpose=purpose, source="unsubscribe",
                                 proof=consent.proof_from_request(request, "one-click unsubscribe"), suppress=True)
        return render(request, "audience/public_message.html", {
            "title": _("Unsubscribed"),
            "message": _("You will no longer receive e-mails from us for: %(purpose)s.") % {"purpose": purpose.name},
            "preferences_url": consent.preferences_url(person) if person.deleted_at is None else "",
        })
    return render(request, "audience/unsubscribe.html", {"purpose": purpose})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def consent_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            record = consent.consent_confirm(token, proof=consent.proof_from_request(request, "double opt-in"))
        except (LinkError, ValueError) as error:
            return _invalid(request, error)
        except ValidationError as error:
            return render(request, "audience/public_message.html",
                          {"title": _("Not confirmed"), "message": " ".join(error.messages)}, status=409)
        return render(request, "audience/public_message.html", {
            "title": _("Thank you"),
            "message": _("Your consent is confirmed: %(purpose)s.") % {"purpose": record.purpose.name},
            "preferences_url": consent.preferences_url(record.person),
        })
    return render(request, "audience/confirm.html", {})


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        person = consent.read_preferences_token(token)
    except (LinkError, ValueError) as error:
        return _invalid(request, error)
    message = ""
    purposes = list(ConsentPurpose.objects.filter(is_active=True).order_by("key"))
    if request.method == "POST":
        key = request.POST.get("purpose", "")
        chosen = next((p for p in purposes if p.key == key), None)
        proof = consent.proof_from_request(request, "preferences page")
        try:
            if chosen is not None and request.POST.get("action") == "give":
                consent.consent_give(actor=None, person=person, purpose=chosen, source="preferences page", proof=proof)
                message = _("We have sent you an e-mail: please confirm with the link in it.")
            elif chosen is not None and request.POST.get("action") == "withdraw":
                consent.consent_withdraw(actor=None, person=person, purpose=chosen, source="preferences page",
                                         proof=proof)
                message = _("Your choice is saved.")
        except ValidationError as error:
            message = " ".join(error.messages)
    rows = [{"purpose": p, "state": consent.consent_state(person, p, Channel.EMAIL)} for p in purposes]
    return render(request, "audience/preferences.html", {"rows": rows, "message": message})


@login_required
@require_http_methods(["POST"])
def consent_record(request: HttpRequest, person_id: int) -> HttpResponse:
    """Staff record a consent given or withdrawn (the 360° panel's form)."""
    user = actor(request)
    person = get_object_or_404(Person.objects.for_user(user, Action.CHANGE), pk=person_id)
    purpose = request.POST.get("purpose", "")
    channel = request.POST.get("channel", Channel.EMAIL)
    source = request.POST.get("source", "").strip()[:100] or "staff"
    proof = {"form": "360° consent panel"}
    try:
        if request.POST.get("action") == "withdrawn":
            consent.consent_withdraw(actor=user, person=person, purpose=purpose, channel=channel, source=source,
                                     proof=proof)
            messages.success(request, _("The withdrawal is recorded."))
        else:
            consent.consent_give(actor=user, person=person, purpose=purpose, channel=channel, source=source,
                                 proof=proof)
            if channel == Channel.EMAIL:
                messages.success(request, _("The consent is recorded; the person gets an e-mail to confirm it."))
            else:
                messages.success(request, _("The consent is recorded."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("contacts:person_detail", person.pk)


# ---------------------------------------------------------------- segment pages (staff)

class SegmentForm(KundeForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Segment.Kind.choices,
                             help_text=gettext_lazy("Frozen: the people who match when you save; dynamic: "
                                                    "whoever matches when the segment is used."))
    definition = forms.JSONField(label=gettext_lazy("Definition (JSON)"),
                                 widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace",
                                                              "data-segment-definition": "1"}))


def _builder_context() -> dict[str, Any]:
    from kunde.audience.segments import FIELDS

    return {"fields_json": {"fields": {name: sorted(ops) for name, ops in FIELDS.items()}}}


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    rows = list(Segment.objects.for_user(user).select_related("owner").order_by("name", "id")[:500])
    return render(request, "audience/segment_list.html", {"segments": rows, "can_write": can_create(user)})


@login_required
@denied_as_403
def segment_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = actor(request)
    segment = get_object_or_404(Segment.objects.for_user(user, Action.CHANGE), pk=pk) if pk else None
    if segment is None and not can_create(user):
        raise PermissionDenied
    initial = ({"name": segment.name, "kind": segment.kind, "definition": segment.definition} if segment
               else {"kind": Segment.Kind.DYNAMIC, "definition": {"op": "and", "rules": []}})
    form = SegmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if segment is None:
                segment = segment_create(actor=user, **data)
            else:
                segment = segment_update(actor=user, segment=segment, changes=data)
        except ValidationError as error:
            form.add_error("definition", error)
        else:
            messages.success(request, _("The segment is saved."))
            return redirect("audience:segment_detail", segment.pk)
    return render(request, "audience/segment_form.html", {"form": form, "segment": segment, **_builder_context()})


@login_required
@require_http_methods(["POST"])
def segment_live_count(request: HttpRequest) -> HttpResponse:
    """The builder's live count (htmx): how many people you may see match the definition."""
    import json

    try:
        definition = json.loads(request.POST.get("definition") or "{}")
        count: int | None = segment_count(definition, actor(request))
        error = ""
    except (ValueError, ValidationError) as problem:
        count = None
        error = " ".join(problem.messages) if isinstance(problem, ValidationError) else _("The JSON is not valid.")
    return render(request, "audience/_live_count.html", {"count": count, "error": error})


@login_required
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    segment = get_object_or_404(Segment.objects.for_user(user).select_related("owner"), pk=pk)
    people = segment_people(segment, user).order_by("last_name", "first_name", "id")
    return render(request, "audience/segment_detail.html", {
        "segment": segment, "count": people.count(), "people": list(people[:100]),
        "can_change": user_can(user, Action.CHANGE, segment)})


# ---------------------------------------------------------------- administration: purposes, wordings, suppression

class PurposeForm(KundeForm):
    key = forms.SlugField(label=gettext_lazy("Key"), max_length=40)
    name_de = forms.CharField(label=gettext_lazy("Name (German)"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=100)
    text_de = forms.CharField(label=gettext_lazy("Consent text (German)"), widget=forms.Textarea(attrs={"rows": 3}))
    text_en = forms.CharField(label=gettext_lazy("Consent text (English)"), widget=forms.Textarea(attrs={"rows": 3}))


class WordingForm(KundeForm):
    purpose = forms.ModelChoiceField(label=gettext_lazy("Purpose"), queryset=ConsentPurpose.objects.order_by("key"))
    text_de = forms.CharField(label=gettext_lazy("Consent text (German)"), widget=forms.Textarea(attrs={"rows": 3}))
    text_en = forms.CharField(label=gettext_lazy("Consent text (English)"), widget=forms.Textarea(attrs={"rows": 3}))


class SuppressionForm(KundeForm):
    address = forms.EmailField(label=gettext_lazy("E-mail address"))
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=Suppression.Reason.choices,
                               initial=Suppression.Reason.UNSUBSCRIBED)


@admin_required
def consent_settings(request: HttpRequest) -> HttpResponse:
    """Purposes with their wording versions; new purpose, new wording, suppression check and entry."""
    user = actor(request)
    form_name = request.POST.get("form", "") if request.method == "POST" else ""
    purpose_form = PurposeForm(request.POST if form_name == "purpose" else None, prefix="purpose")
    wording_form = WordingForm(request.POST if form_name == "wording" else None, prefix="wording")
    suppression_form = SuppressionForm(request.POST if form_name in {"suppress", "check"} else None,
                                       prefix="suppression")
    checked: bool | None = None
    if form_name == "purpose" and purpose_form.is_valid():
        try:
            purpose_create(actor=user, **purpose_form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(purpose_form, error)
        else:
            messages.success(request, _("The purpose is created."))
            return redirect("audience:consent_settings")
    if form_name == "wording" and wording_form.is_valid():
        wording = wording_create(actor=user, **wording_form.cleaned_data)
        messages.success(request, _("Version %(version)s of the consent text is saved.") % {"version": wording.version})
        return redirect("audience:consent_settings")
    if form_name in {"suppress", "check"} and suppression_form.is_valid():
        address = suppression_form.cleaned_data["address"]
        if form_name == "suppress":
            suppression_add(actor=user, address=address, reason=suppression_form.cleaned_data["reason"])
            messages.success(request, _("The address is on the suppression list."))
            return redirect("audience:consent_settings")
        checked = consent.is_suppressed(address)
    purposes = list(ConsentPurpose.objects.order_by("key").prefetch_related("wordings"))
    return render(request, "audience/consent_settings.html", {
        "admin_section": "audience_consent", "purposes": purposes, "purpose_form": purpose_form,
        "wording_form": wording_form, "suppression_form": suppression_form, "checked": checked,
        "suppressions": Suppression.objects.count()})
