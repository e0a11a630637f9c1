"""Pages of campaigns and automation, and the public survey, click and open endpoints."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kunde.campaigns import dispatch, integration, rules
from kunde.campaigns.models import Campaign, EmailTemplate, Rule, RuleRun, Survey
from kunde.campaigns.personalisation import render_for
from kunde.campaigns.selectors import nps_report
from kunde.campaigns.sending import read_click_token, send_test
from kunde.campaigns.services import (
    SurveyLinkError,
    campaign_create,
    invitation_from_token,
    rule_create,
    survey_answer,
    survey_create,
    template_create,
    template_update,
)
from kunde.contacts.models import Person
from kunde.core import links
from kunde.core.permissions import can_create
from kunde.core.views.ui import KundeForm, KundeModelForm, actor, apply_validation_error, denied_as_403, login_required

# --- lists -------------------------------------------------------------------------


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/campaign_list.html", {
        "campaigns": Campaign.objects.select_related("template")[:200],
        "templates": EmailTemplate.objects.all()[:200],
        "surveys": Survey.objects.annotate(n_answers=Count("answers"))[:200],
        "rules": Rule.objects.annotate(n_runs=Count("runs"))[:200],
        "can_write": can_create(request.user),
    })


# --- templates ---------------------------------------------------------------------


class TemplateForm(KundeModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "purpose", "fallback_language", "subject_de", "text_de", "html_de", "subject_en", "text_en",
                  "html_en"]
        widgets = {name: forms.Textarea(attrs={"rows": 6}) for name in ("text_de", "html_de", "text_en", "html_en")}


@login_required
@denied_as_403
@require_http_methods(["GET", "POST"])
def template_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    template = get_object_or_404(EmailTemplate, pk=pk) if pk else None
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in TemplateForm.Meta.fields}
        try:
            if template is None:
                template = template_create(actor=actor(request), **fields)
            else:
                template = template_update(actor=actor(request), template=template, changes=fields)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Template saved."))
            return redirect("campaigns:template_preview", pk=template.pk)
    return render(request, "campaigns/template_form.html", {"form": form, "template": template})


@login_required
@denied_as_403
def template_preview(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(EmailTemplate, pk=pk)
    visible = Person.objects.for_user(actor(request)).filter(deleted_at__isnull=True)
    query = request.GET.get("q", "").strip()
    matches = []
    if query:
        for word in query.split():
            visible = visible.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
        matches = list(visible.order_by("last_name", "first_name")[:10])
    person = None
    if request.GET.get("person"):
        person = get_object_or_404(Person.objects.for_user(actor(request)), pk=request.GET["person"])
    rendered, problem = None, ""
    if person is not None:
        try:
            rendered = render_for(template, person, sender=actor(request))
        except ValidationError as error:  # the template cannot be filled in for this person
            problem = " ".join(error.messages)
    return render(request, "campaigns/template_preview.html", {
        "template": template, "person": person, "rendered": rendered, "problem": problem, "matches": matches,
        "query": query,
    })


@login_required
@denied_as_403
def template_preview_html(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    template = get_object_or_404(EmailTemplate, pk=pk)
    person = get_object_or_404(Person.objects.for_user(actor(request)), pk=person_pk)
    try:
        response = HttpResponse(render_for(template, person, sender=actor(request)).html)
    except ValidationError as error:
        response = HttpResponse(" ".join(error.messages), content_type="text/plain; charset=utf-8", status=422)
    response["X-Frame-Options"] = "SAMEORIGIN"
    # The marketer's HTML runs nothing here: a sandboxed document without scripts.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'"
    return response


@login_required
@denied_as_403
@require_POST
def template_test_send(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(EmailTemplate, pk=pk)
    person = get_object_or_404(Person.objects.for_user(actor(request)), pk=request.POST.get("person"))
    try:  # ValidationError: the outbox is missing, or the template cannot be filled in for this person
        with transaction.atomic():
            delivery = send_test(actor=actor(request), template=template, person=person, token=uuid.uuid4().hex)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if delivery.sent:
            messages.success(request, _("A test e-mail is on its way to %(address)s.") % {
                "address": actor(request).email})
        else:
            messages.error(request, delivery.reason)
    return redirect(f"{request.path.rsplit('/test', 1)[0]}/preview?person={person.pk}")


# --- campaigns ---------------------------------------------------------------------


def _segment_field(form: forms.Form, user: Any, name: str = "segment_id") -> None:
    """A select of the audience segments `user` may see; any other id is a form error."""
    form.fields[name] = forms.TypedChoiceField(
        label=gettext_lazy("Segment"), choices=[("", "—"), *integration.segment_choices(user)], coerce=int,
        empty_value=None, required=False)


class CampaignForm(KundeModelForm):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _segment_field(self, user)

    segment_definition = forms.JSONField(label=gettext_lazy("Segment definition"), required=False,
                                         initial=dict, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Campaign
        fields = ["name", "template", "segment_id", "segment_definition", "purpose", "channel", "scheduled_at",
                  "cost", "track_clicks", "tracking_pixel", "conversion_window_days", "survey"]
        widgets = {"scheduled_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}


@login_required
@denied_as_403
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None, initial={"template": request.GET.get("template")}, user=actor(request))
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        fields["segment_definition"] = fields.get("segment_definition") or {}
        try:
            campaign = campaign_create(actor=actor(request), **fields)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form})


@login_required
@denied_as_403
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("template"), pk=pk)
    return render(request, "campaigns/campaign_detail.html", {
        "campaign": campaign, "results": dispatch.campaign_results(campaign, user=actor(request)),
        "can_write": can_create(request.user),
    })


@login_required
@denied_as_403
@require_POST
def campaign_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        count = dispatch.campaign_start(actor=actor(request), campaign=campaign)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The campaign goes out to %(count)s people.") % {"count": count})
    return redirect("campaigns:campaign_detail", pk=pk)


@login_required
@denied_as_403
def campaign_export(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    response = HttpResponse(dispatch.campaign_export_csv(actor=actor(request), campaign=campaign),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}.csv"'
    return response


# --- surveys -----------------------------------------------------------------------


class SurveyForm(KundeModelForm):
    class Meta:
        model = Survey
        fields = ["name", "kind", "question_de", "question_en", "valid_days", "detractor_follow_up"]


@login_required
@denied_as_403
@require_http_methods(["GET", "POST"])
def survey_new(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = survey_create(actor=actor(request), **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect("campaigns:survey_report", pk=survey.pk)
    return render(request, "campaigns/simple_form.html", {"form": form, "title": _("New survey")})


class PeriodForm(KundeForm):
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _segment_field(self, user, "segment")


@login_required
@denied_as_403
def survey_report(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    form = PeriodForm(request.GET or None, user=actor(request))
    report = None
    if not form.is_bound or form.is_valid():  # an invisible or unknown segment is a form error, no report
        data = form.cleaned_data if form.is_bound else {}
        try:
            report = nps_report(survey, actor=actor(request), start=data.get("start"), end=data.get("end"),
                                segment_id=data.get("segment"))
        except ValidationError as error:  # the segment was deleted since the form was shown
            form.add_error("segment", " ".join(error.messages))
    return render(request, "campaigns/survey_report.html", {"survey": survey, "form": form, "report": report})


# --- rules -------------------------------------------------------------------------


class RuleForm(KundeModelForm):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _segment_field(self, user)

    segment_definition = forms.JSONField(label=gettext_lazy("Segment definition"), required=False,
                                         widget=forms.Textarea(attrs={"rows": 3}))
    conditions = forms.JSONField(label=gettext_lazy("Extra conditions"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    params = forms.JSONField(label=gettext_lazy("Action parameters"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = Rule
        fields = ["name", "is_active", "trigger", "event_type", "delay_days", "segment_id", "segment_definition",
                  "conditions", "action", "params"]


@login_required
@denied_as_403
@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST or None, user=actor(request))
    if request.method == "POST" and form.is_valid():
        fields = {k: (v if v is not None else ({} if k in ("segment_definition", "conditions", "params") else v))
                  for k, v in form.cleaned_data.items()}
        try:
            rule = rule_create(actor=actor(request), **fields)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect("campaigns:rule_detail", pk=rule.pk)
    return render(request, "campaigns/simple_form.html", {"form": form, "title": _("New rule")})


@login_required
@denied_as_403
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    runs = RuleRun.objects.filter(rule=rule, person__in=Person.objects.for_user(actor(request))) \
        .select_related("person")[:200]
    preview, problem = None, ""
    if request.GET.get("dry_run"):
        try:
            preview = rules.dry_run(rule, actor=actor(request))
        except ValidationError as error:  # its segment was deleted
            problem = " ".join(error.messages)
    return render(request, "campaigns/rule_detail.html", {"rule": rule, "runs": runs, "preview": preview,
                                                          "dry_run_problem": problem})


# --- public: survey answers, clicks, opens -------------------------------------------

SURVEY_PROBLEMS = {
    "invalid": gettext_lazy("This survey link is not valid. Please use the link from your e-mail."),
    "expired": gettext_lazy("This survey has closed. Thank you for your interest."),
    "answered": gettext_lazy("You have already answered this survey. Thank you!"),
}


def _survey_language(request: HttpRequest, person: Person | None, fallback: str = "") -> str:
    wanted = request.GET.get("lang") or request.POST.get("lang") or (
        person.preferred_language if person else fallback)
    return wanted if wanted in ("de", "en") else (translation.get_language() or "de")[:2]


@require_http_methods(["GET", "POST"])
def survey_answer_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_from_token(token)
    except SurveyLinkError as error:
        with translation.override(_survey_language(request, None, error.language)):
            return render(request, "campaigns/survey_public.html",
                          {"problem": str(SURVEY_PROBLEMS[error.reason])}, status=410 if error.reason != "invalid"
                          else 404)
    language = _survey_language(request, invitation.person)
    survey = invitation.survey
    with translation.override(language):
        error_text = ""
        if request.method == "POST":
            raw = request.POST.get("score", "")
            score = int(raw) if raw.isdigit() else None
            answers = {q["key"]: request.POST.get(f"q_{q['key']}", "") for q in survey.questions}
            try:
                survey_answer(token=token, score=score, answers=answers, comment=request.POST.get("comment", ""))
            except SurveyLinkError as error:
                return render(request, "campaigns/survey_public.html",
                              {"problem": str(SURVEY_PROBLEMS[error.reason])}, status=410)
            except ValidationError:
                error_text = _("Please choose a value.")
            else:
                return render(request, "campaigns/survey_public.html", {"thanks": True, "language": language})
        question = getattr(survey, f"question_{language}") or survey.question_de or survey.question_en
        questions = [{"key": q["key"], "text": q.get(language) or q.get("de") or q.get("en")} for q in survey.questions]
        response = render(request, "campaigns/survey_public.html", {
            "survey": survey, "question": question, "questions": questions, "scale": list(survey.scale),
            "language": language, "error": error_text, "token": token,
        }, status=400 if error_text else 200)
    response["Cache-Control"] = "no-store"
    return response


def click(request: HttpRequest, token: str) -> HttpResponse:
    try:
        recipient_id, url = read_click_token(token)
    except (links.LinkError, ValueError) as error:
        raise Http404 from error
    # Only a URL this app signed gets here; still, only web addresses are followed.
    if not url.startswith(("http://", "https://")):
        raise Http404
    dispatch.record_click(recipient_id)
    return HttpResponseRedirect(url)


GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    with contextlib.suppress(links.LinkError, ValueError):
        dispatch.record_open(int(links.read_token("campaign-open", token)))
    response = HttpResponse(GIF, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response

