"""REST API of campaigns and automation: the routers kunde/api.py mounts, as (prefix, router).

Templates, campaigns, surveys and rules are the marketing team's configuration: every user
reads them, users who may create records write them (read-only users get 403). Per-person
data (recipients, rule runs, NPS answers) only covers the people the user may see.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from kunde.campaigns import dispatch, rules
from kunde.campaigns.models import Campaign, EmailTemplate, Rule, RuleRun, Survey
from kunde.campaigns.selectors import nps_report
from kunde.campaigns.services import (
    campaign_create,
    campaign_update,
    require_writer,
    rule_create,
    rule_update,
    survey_create,
    template_create,
    template_update,
)
from kunde.contacts.models import Person
from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, READ_ERRORS, WRITE_ERRORS, ErrorOut
from kunde.core.api.idempotency import idempotent
from kunde.core.api.schemas import InputSchema

# --- templates ---------------------------------------------------------------------


class TemplateOut(Schema):
    id: int
    name: str
    purpose: str
    fallback_language: str
    subject_de: str
    text_de: str
    html_de: str
    subject_en: str
    text_en: str
    html_en: str
    version: int


class TemplateIn(InputSchema):
    """An e-mail template; placeholders are checked against the allowlist when saving (400 otherwise)."""

    name: str = Field(max_length=120)
    purpose: str = Field("offers", max_length=40)
    fallback_language: str = Field("de", pattern="^(de|en)$")
    subject_de: str = Field("", max_length=200)
    text_de: str = ""
    html_de: str = ""
    subject_en: str = Field("", max_length=200)
    text_en: str = ""
    html_en: str = ""


class TemplatePatch(InputSchema):
    name: str | None = Field(None, max_length=120)
    purpose: str | None = Field(None, max_length=40)
    fallback_language: str | None = Field(None, pattern="^(de|en)$")
    subject_de: str | None = Field(None, max_length=200)
    text_de: str | None = None
    html_de: str | None = None
    subject_en: str | None = Field(None, max_length=200)
    text_en: str | None = None
    html_en: str | None = None


class PreviewOut(Schema):
    language: str
    subject: str
    text: str
    html: str


templates = Router(tags=["templates"])


@templates.get("", response={200: list[TemplateOut], **READ_ERRORS})
def list_templates(request: HttpRequest) -> Any:
    """All e-mail templates."""
    actor(request)
    return list(EmailTemplate.objects.all()[:500])


@templates.post("", response={201: TemplateOut, **CREATE_ERRORS})
@idempotent
def create_template(request: HttpRequest, payload: TemplateIn) -> Status:
    """Create a template (422 with the field and line for an unknown placeholder or a sandbox escape)."""
    return Status(201, template_create(actor=actor(request), **payload.model_dump()))


@templates.get("/{int:template_id}", response={200: TemplateOut, **READ_ERRORS})
def get_template(request: HttpRequest, template_id: int) -> Any:
    actor(request)
    return get_object_or_404(EmailTemplate, pk=template_id)


@templates.patch("/{int:template_id}", response={200: TemplateOut, **WRITE_ERRORS})
def update_template(request: HttpRequest, template_id: int, payload: TemplatePatch) -> Any:
    template = get_object_or_404(EmailTemplate, pk=template_id)
    return template_update(actor=actor(request), template=template,
                           changes=payload.model_dump(exclude_unset=True, exclude_none=True))


@templates.get("/{int:template_id}/preview/{int:person_id}", response={200: PreviewOut, **READ_ERRORS,
                                                                     422: ErrorOut})
def preview_template(request: HttpRequest, template_id: int, person_id: int) -> Any:
    """The template as a person you may see would get it."""
    from kunde.campaigns.personalisation import render_for

    user = actor(request)
    template = get_object_or_404(EmailTemplate, pk=template_id)
    person = get_object_or_404(Person.objects.for_user(user), pk=person_id)
    return render_for(template, person, sender=user)  # TemplateRenderError: a 422 naming the problem


# --- campaigns ---------------------------------------------------------------------


class CampaignOut(Schema):
    id: int
    name: str
    template: int | None = Field(None, alias="template_id")
    segment_id: int | None
    segment_definition: dict[str, Any]
    purpose: str
    channel: str
    scheduled_at: dt.datetime | None
    status: str
    cost: Decimal
    track_clicks: bool
    tracking_pixel: bool
    conversion_window_days: int
    survey: int | None = Field(None, alias="survey_id")
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    version: int


class CampaignIn(InputSchema):
    name: str = Field(max_length=120)
    template: int | None = None
    segment_id: int | None = None
    segment_definition: dict[str, Any] = {}
    purpose: str = Field("", max_length=40)
    channel: str = Field("email", pattern="^(email|letter|phone)$")
    scheduled_at: dt.datetime | None = None
    cost: Decimal = Decimal("0")
    track_clicks: bool = True
    tracking_pixel: bool = False
    conversion_window_days: int = Field(14, ge=1, le=365)
    survey: int | None = None


class CampaignPatch(InputSchema):
    name: str | None = Field(None, max_length=120)
    scheduled_at: dt.datetime | None = None
    cost: Decimal | None = None
    track_clicks: bool | None = None
    tracking_pixel: bool | None = None
    conversion_window_days: int | None = Field(None, ge=1, le=365)


class StartOut(Schema):
    recipients: int
    status: str


class ResultsOut(Schema):
    recipients: int
    sent: int
    skipped: int
    failed: int
    pending: int
    delivered: int
    bounced: int
    unsubscribed: int
    clicked: int
    opened: int
    conversions: int
    revenue: Decimal
    cost: Decimal
    roi: Decimal | None


campaigns = Router(tags=["campaigns"])


def _campaign_fields(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("template") is not None:
        data["template"] = get_object_or_404(EmailTemplate, pk=data["template"])
    if data.get("survey") is not None:
        data["survey"] = get_object_or_404(Survey, pk=data["survey"])
    if not data.get("purpose"):
        data.pop("purpose", None)
    return data


@campaigns.get("", response={200: list[CampaignOut], **READ_ERRORS})
def list_campaigns(request: HttpRequest) -> Any:
    actor(request)
    return list(Campaign.objects.all()[:500])


@campaigns.post("", response={201: CampaignOut, **CREATE_ERRORS})
@idempotent
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Status:
    user = actor(request)
    require_writer(user)
    return Status(201, campaign_create(actor=user, **_campaign_fields(payload.model_dump())))


@campaigns.get("/{int:campaign_id}", response={200: CampaignOut, **READ_ERRORS})
def get_campaign(request: HttpRequest, campaign_id: int) -> Any:
    actor(request)
    return get_object_or_404(Campaign, pk=campaign_id)


@campaigns.patch("/{int:campaign_id}", response={200: CampaignOut, **WRITE_ERRORS})
def update_campaign(request: HttpRequest, campaign_id: int, payload: CampaignPatch) -> Any:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return campaign_update(actor=actor(request), campaign=campaign,
                           changes=payload.model_dump(exclude_unset=True))


@campaigns.post("/{int:campaign_id}/start", response={200: StartOut, **WRITE_ERRORS})
@idempotent
def start_campaign(request: HttpRequest, campaign_id: int) -> Any:
    """Freeze the recipients you may see and send (now or at `scheduled_at`); 422 when nobody may be
    contacted or the segment was deleted or is not yours to see."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    count = dispatch.campaign_start(actor=actor(request), campaign=campaign)
    campaign.refresh_from_db()
    return {"recipients": count, "status": campaign.status}


@campaigns.get("/{int:campaign_id}/results", response={200: ResultsOut, **READ_ERRORS})
def campaign_results(request: HttpRequest, campaign_id: int) -> Any:
    """Sent, delivered, bounced, unsubscribed, clicks, orders, revenue, cost and ROI, over the recipients
    you may see."""
    user = actor(request)
    return dispatch.campaign_results(get_object_or_404(Campaign, pk=campaign_id), user=user)


# --- surveys -----------------------------------------------------------------------


class QuestionIn(Schema):
    key: str = Field(max_length=40)
    de: str = ""
    en: str = ""


class SurveyOut(Schema):
    id: int
    name: str
    kind: str
    question_de: str
    question_en: str
    questions: list[dict[str, Any]]
    valid_days: int
    detractor_follow_up: bool


class SurveyIn(InputSchema):
    name: str = Field(max_length=120)
    kind: str = Field("nps", pattern="^(nps|csat|custom)$")
    question_de: str = Field("", max_length=300)
    question_en: str = Field("", max_length=300)
    questions: list[QuestionIn] = []
    valid_days: int = Field(30, ge=1, le=365)
    detractor_follow_up: bool = True


class NpsOut(Schema):
    total: int
    promoters: int
    passives: int
    detractors: int
    nps: int | None


surveys = Router(tags=["surveys"])


@surveys.get("", response={200: list[SurveyOut], **READ_ERRORS})
def list_surveys(request: HttpRequest) -> Any:
    actor(request)
    return list(Survey.objects.all()[:500])


@surveys.post("", response={201: SurveyOut, **CREATE_ERRORS})
@idempotent
def create_survey(request: HttpRequest, payload: SurveyIn) -> Status:
    return Status(201, survey_create(actor=actor(request), **payload.model_dump()))


@surveys.get("/{int:survey_id}", response={200: SurveyOut, **READ_ERRORS})
def get_survey(request: HttpRequest, survey_id: int) -> Any:
    actor(request)
    return get_object_or_404(Survey, pk=survey_id)


@surveys.get("/{int:survey_id}/nps", response={200: NpsOut, **READ_ERRORS, 422: ErrorOut})
def survey_nps(request: HttpRequest, survey_id: int, start: dt.date | None = None, end: dt.date | None = None,
               segment_id: int | None = None) -> Any:
    """NPS over the answers of people you may see, in a period and optionally a segment you may see
    (422 for a segment that does not exist or is not visible to you)."""
    survey = get_object_or_404(Survey, pk=survey_id)
    return nps_report(survey, actor=actor(request), start=start, end=end, segment_id=segment_id)


# --- rules -------------------------------------------------------------------------


class RuleOut(Schema):
    id: int
    name: str
    is_active: bool
    trigger: str
    event_type: str
    delay_days: int
    segment_id: int | None
    segment_definition: dict[str, Any]
    conditions: dict[str, Any]
    action: str
    params: dict[str, Any]
    problem: str = Field(description="Why the last scheduled run could not take place; empty when it ran.")
    problem_at: dt.datetime | None
    version: int


class RuleIn(InputSchema):
    name: str = Field(max_length=120)
    is_active: bool = True
    trigger: str = Field("event", pattern="^(event|quarterly|monthly|after_event)$")
    event_type: str = ""
    delay_days: int = Field(0, ge=0, le=365)
    segment_id: int | None = None
    segment_definition: dict[str, Any] = {}
    conditions: dict[str, Any] = {}
    action: str
    params: dict[str, Any] = {}


class RulePatch(InputSchema):
    name: str | None = Field(None, max_length=120)
    is_active: bool | None = None
    delay_days: int | None = Field(None, ge=0, le=365)
    segment_definition: dict[str, Any] | None = None
    conditions: dict[str, Any] | None = None
    params: dict[str, Any] | None = None


class DryRunPersonOut(Schema):
    id: int
    name: str


class DryRunOut(Schema):
    occasion: str
    count: int
    everybody_on_event: bool
    people: list[DryRunPersonOut]


class RuleRunOut(Schema):
    id: int
    person: int = Field(alias="person_id")
    occasion_key: str
    status: str
    detail: str
    due_at: dt.datetime | None
    created_at: dt.datetime


rules_router = Router(tags=["rules"])


@rules_router.get("", response={200: list[RuleOut], **READ_ERRORS})
def list_rules(request: HttpRequest) -> Any:
    actor(request)
    return list(Rule.objects.all()[:500])


@rules_router.post("", response={201: RuleOut, **CREATE_ERRORS})
@idempotent
def create_rule(request: HttpRequest, payload: RuleIn) -> Status:
    return Status(201, rule_create(actor=actor(request), **payload.model_dump()))


@rules_router.get("/{int:rule_id}", response={200: RuleOut, **READ_ERRORS})
def get_rule(request: HttpRequest, rule_id: int) -> Any:
    actor(request)
    return get_object_or_404(Rule, pk=rule_id)


@rules_router.patch("/{int:rule_id}", response={200: RuleOut, **WRITE_ERRORS})
def update_rule(request: HttpRequest, rule_id: int, payload: RulePatch) -> Any:
    rule = get_object_or_404(Rule, pk=rule_id)
    return rule_update(actor=actor(request), rule=rule, changes=payload.model_dump(exclude_unset=True,
                                                                                   exclude_none=True))


@rules_router.post("/{int:rule_id}/dry-run", response={200: DryRunOut, **READ_ERRORS, 422: ErrorOut})
@idempotent
def dry_run_rule(request: HttpRequest, rule_id: int) -> Any:
    """Who the rule would act on (only people you and its creator may see); nothing is done; 422 when its
    segment is gone."""
    rule = get_object_or_404(Rule, pk=rule_id)
    with transaction.atomic():
        return rules.dry_run(rule, actor=actor(request))


@rules_router.get("/{int:rule_id}/runs", response={200: list[RuleRunOut], **READ_ERRORS})
def rule_runs(request: HttpRequest, rule_id: int, person: int | None = None) -> Any:
    """What the rule did, per person (only people you may see), newest first."""
    user = actor(request)
    rule = get_object_or_404(Rule, pk=rule_id)
    runs = RuleRun.objects.filter(rule=rule, person__in=Person.objects.for_user(user).values("pk"))
    if person is not None:
        runs = runs.filter(person_id=person)
    return list(runs[:500])


routers: list[tuple[str, Router]] = [
    ("/templates", templates), ("/campaigns", campaigns), ("/surveys", surveys), ("/rules", rules_router),
]
