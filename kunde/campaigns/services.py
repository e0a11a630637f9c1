"""Services of campaigns and automation: templates, surveys, campaigns and rules.

Configuration records (templates, campaigns, surveys, rules) are written by users who may
create records; everybody may read them. Mail to customers leaves only through
`kunde.campaigns.sending.deliver`, which checks consent at send time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.activities.services import activity_record, task_create
from kunde.campaigns import integration
from kunde.campaigns.models import (
    Campaign,
    EmailTemplate,
    Rule,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    nps_class,
)
from kunde.campaigns.templating import validate_source
from kunde.contacts.models import Person
from kunde.core import links
from kunde.core.events import emit_on_commit
from kunde.core.exceptions import PermissionDenied
from kunde.core.permissions import Action, user_can
from kunde.core.services import record_create, record_update, require_create

TEMPLATE_FIELDS = (
    "name", "purpose", "subject_de", "text_de", "html_de", "subject_en", "text_en", "html_en", "fallback_language",
)
TEMPLATE_SOURCES = ("subject_de", "text_de", "html_de", "subject_en", "text_en", "html_en")
SURVEY_FIELDS = ("name", "kind", "question_de", "question_en", "questions", "valid_days", "detractor_follow_up")
CAMPAIGN_FIELDS = (
    "name", "template", "segment_id", "segment_definition", "purpose", "channel", "scheduled_at", "cost",
    "track_clicks", "tracking_pixel", "conversion_window_days", "survey",
)
RULE_FIELDS = (
    "name", "is_active", "trigger", "event_type", "delay_days", "segment_id", "segment_definition", "conditions",
    "action", "params",
)


class CampaignEvent:
    TEMPLATE_CREATED = "campaigns.template_created"
    TEMPLATE_UPDATED = "campaigns.template_updated"
    CAMPAIGN_CREATED = "campaigns.campaign_created"
    CAMPAIGN_UPDATED = "campaigns.campaign_updated"
    CAMPAIGN_SENT = "campaigns.campaign_sent"
    SURVEY_CREATED = "campaigns.survey_created"
    SURVEY_UPDATED = "campaigns.survey_updated"
    SURVEY_ANSWERED = "campaigns.survey_answered"
    RULE_CREATED = "campaigns.rule_created"
    RULE_UPDATED = "campaigns.rule_updated"


def _only(fields: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    return dict(fields)


def require_writer(actor: User | None) -> None:
    """Marketing configuration is written by anyone who may create records."""
    require_create(actor)


# --- templates ---------------------------------------------------------------------


def _check_template(template: EmailTemplate) -> None:
    validate_source({name: getattr(template, name) for name in TEMPLATE_SOURCES})
    if not template.languages():
        raise ValidationError({"subject_de": [_("Give a subject in at least one language.")]})
    for code in template.languages():
        if not getattr(template, f"text_{code}") and not getattr(template, f"html_{code}"):
            raise ValidationError({f"text_{code}": [_("Write the text of the e-mail.")]})


@transaction.atomic
def template_create(*, actor: User | None, **fields: Any) -> EmailTemplate:
    template = EmailTemplate(**_only(fields, TEMPLATE_FIELDS), created_by=actor)
    _check_template(template)
    return record_create(actor=actor, instance=template, event=CampaignEvent.TEMPLATE_CREATED)


@transaction.atomic
def template_update(
    *, actor: User | None, template: EmailTemplate, changes: Mapping[str, Any], expected_version: int | None = None
) -> EmailTemplate:
    require_writer(actor)
    changes = _only(changes, TEMPLATE_FIELDS)
    probe = EmailTemplate(**{name: getattr(template, name) for name in TEMPLATE_FIELDS} | changes)
    _check_template(probe)
    return _update(actor, template, changes, expected_version, CampaignEvent.TEMPLATE_UPDATED)


def _update(
    actor: User | None, instance: Any, changes: dict[str, Any], expected_version: int | None, event: str
) -> Any:
    # Configuration records carry no owner: the writer check above is the permission.
    return record_update(actor=actor, instance=instance, changes=changes, expected_version=expected_version,
                         event=event, check_permission=False)


def visible_person(actor: User | None, person: Person) -> None:
    if actor is not None and not user_can(actor, Action.VIEW, person):
        raise PermissionDenied("may not see this person")


# --- surveys -----------------------------------------------------------------------


def _check_survey(survey: Survey) -> None:
    if not survey.question_de and not survey.question_en:
        raise ValidationError({"question_de": [_("Ask the question in at least one language.")]})
    if not isinstance(survey.questions, list) or any(
        not isinstance(q, dict) or not q.get("key") or not (q.get("de") or q.get("en")) for q in survey.questions
    ):
        raise ValidationError({"questions": [_("Each further question needs a key and a text in German or English.")]})


@transaction.atomic
def survey_create(*, actor: User | None, **fields: Any) -> Survey:
    survey = Survey(**_only(fields, SURVEY_FIELDS), created_by=actor)
    _check_survey(survey)
    return record_create(actor=actor, instance=survey, event=CampaignEvent.SURVEY_CREATED)


@transaction.atomic
def survey_update(*, actor: User | None, survey: Survey, changes: Mapping[str, Any],
                  expected_version: int | None = None) -> Survey:
    require_writer(actor)
    changes = _only(changes, SURVEY_FIELDS)
    probe = Survey(**{name: getattr(survey, name) for name in SURVEY_FIELDS} | changes)
    _check_survey(probe)
    return _update(actor, survey, changes, expected_version, CampaignEvent.SURVEY_UPDATED)


def public_url(path: str) -> str:
    base = settings.KUNDE_BASE_URL.rstrip("/") or "http://localhost:8000"
    return base.rstrip("/") + path


def survey_token(invitation: SurveyInvitation) -> str:
    return links.make_token("survey", invitation.pk)


def survey_url(invitation: SurveyInvitation) -> str:
    return public_url(reverse("campaigns:survey_answer", args=[survey_token(invitation)]))


def survey_invite(
    *, survey: Survey, person: Person, campaign: Campaign | None = None, rule: Rule | None = None
) -> SurveyInvitation:
    """A new invitation (system step of a campaign or rule; the link goes out in their e-mail)."""
    return SurveyInvitation.objects.create(survey=survey, person=person, campaign=campaign, rule=rule)


class SurveyLinkError(Exception):
    """The survey link cannot be answered: `reason` is "invalid", "expired" or "answered"."""

    def __init__(self, reason: str, language: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.language = language  # the person's, when the link named a real invitation


def invitation_from_token(token: str) -> SurveyInvitation:
    try:
        pk = links.read_token("survey", token)
    except links.LinkError as error:
        raise SurveyLinkError("expired" if error.expired else "invalid") from error
    invitation = SurveyInvitation.objects.select_related("survey", "person").filter(pk=pk).first()
    if invitation is None or invitation.person.deleted_at is not None:
        raise SurveyLinkError("invalid")
    language = invitation.person.preferred_language
    if invitation.created_at < timezone.now() - dt.timedelta(days=invitation.survey.valid_days):
        raise SurveyLinkError("expired", language)
    if invitation.answered_at is not None:
        raise SurveyLinkError("answered", language)
    return invitation


MOOD_BY_NPS = {"promoter": 5, "passive": 3, "detractor": 1}


@transaction.atomic
def survey_answer(*, token: str, score: int | None, answers: Mapping[str, str] | None = None,
                  comment: str = "") -> SurveyAnswer:
    """Record a public answer once; it lands on the person's history; detractors get a follow-up."""
    invitation = invitation_from_token(token)
    invitation = SurveyInvitation.objects.select_for_update().select_related("survey", "person").get(pk=invitation.pk)
    if invitation.answered_at is not None:
        raise SurveyLinkError("answered")
    survey = invitation.survey
    if survey.kind != Survey.Kind.CUSTOM and (score is None or score not in survey.scale):
        raise ValidationError({"score": [_("Choose a value.")]})
    keys = {q["key"] for q in survey.questions}
    clean_answers = {k: str(v)[:2000] for k, v in (answers or {}).items() if k in keys}
    now = timezone.now()
    invitation.answered_at = now
    invitation.save(update_fields=["answered_at"])
    answer = SurveyAnswer.objects.create(
        survey=survey, invitation=invitation, person=invitation.person, score=score, answers=clean_answers,
        comment=comment.strip()[:5000],
    )
    klass = nps_class(score) if survey.kind == Survey.Kind.NPS else ""
    mood: int | None = None
    if klass:
        mood = MOOD_BY_NPS[klass]
    elif survey.kind == Survey.Kind.CSAT and score is not None:
        mood = score
    subject = _("Survey answered: %(survey)s (%(score)s)") % {
        "survey": survey.name, "score": "–" if score is None else score}
    activity_record(
        actor=None, kind=CampaignEvent.SURVEY_ANSWERED, subject=subject, person=invitation.person,
        notes=answer.comment, mood=mood, related=answer,
        data={"survey_id": survey.pk, "answer_id": answer.pk, "score": score, "class": klass},
    )
    if klass == "detractor" and survey.detractor_follow_up:
        person = invitation.person
        owner = person.owner
        if owner is not None:
            task_create(
                actor=None, subject=_("Follow up on a critical survey answer (%(score)s/10)") % {"score": score},
                due_at=now + dt.timedelta(days=2), assignee=owner, person=person, related=answer,
                notes=answer.comment,
            )
    emit_on_commit(CampaignEvent.SURVEY_ANSWERED, id=answer.pk, person_id=invitation.person_id,
                   survey_id=survey.pk, score=score)
    return answer


# --- campaigns ---------------------------------------------------------------------


def _check_campaign(campaign: Campaign, actor: User | None, *, segment_changed: bool = True) -> None:
    if campaign.channel == "email" and campaign.template_id is None:
        raise ValidationError({"template": [_("An e-mail campaign needs a template.")]})
    if campaign.segment_id is None and not campaign.segment_definition:
        raise ValidationError({"segment_id": [_("Choose a segment.")]})
    # The segment must be one the writer may see; who is mailed is decided again at the start.
    if segment_changed:
        integration.segment_check(segment_id=campaign.segment_id, definition=campaign.segment_definition,
                                  user=actor)


@transaction.atomic
def campaign_create(*, actor: User | None, **fields: Any) -> Campaign:
    campaign = Campaign(**_only(fields, CAMPAIGN_FIELDS), created_by=actor)
    if campaign.template is not None and "purpose" not in fields:
        campaign.purpose = campaign.template.purpose
    _check_campaign(campaign, actor)
    return record_create(actor=actor, instance=campaign, event=CampaignEvent.CAMPAIGN_CREATED)


@transaction.atomic
def campaign_update(*, actor: User | None, campaign: Campaign, changes: Mapping[str, Any],
                    expected_version: int | None = None) -> Campaign:
    require_writer(actor)
    changes = _only(changes, CAMPAIGN_FIELDS)
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        raise ValidationError(_("A campaign that is sending or sent cannot be changed."))
    probe = Campaign(**{name: getattr(campaign, name) for name in CAMPAIGN_FIELDS} | changes)
    _check_campaign(probe, actor, segment_changed=bool({"segment_id", "segment_definition"} & set(changes)))
    return _update(actor, campaign, changes, expected_version, CampaignEvent.CAMPAIGN_UPDATED)


# --- rules -------------------------------------------------------------------------

RULE_EVENTS = (
    "commerce.order_created", "activities.activity_recorded", "service.ticket_solved",
    "campaigns.survey_answered", "contacts.person_updated", "contacts.person_created",
    "analytics.customer_at_risk",
    # Retention: contracts, loyalty, customer events, ideas and binding causes (events that name a person).
    "contracts.contract_created", "contracts.contract_cancelled", "contracts.contract_renewed",
    "contracts.contract_ended", "contracts.notice_deadline_near", "contracts.renewal_near",
    "loyalty.tier_changed", "loyalty.points_earned",
    "customer_events.registered", "customer_events.attended", "customer_events.no_show",
    "ideas.idea_submitted", "retention.binding_cause_set",
)


def _check_rule(rule: Rule, actor: User | None, *, segment_changed: bool = True) -> None:
    # The conditions' segment must be one the writer may see (the rule then acts with its
    # creator's visibility, see `campaigns.rules`). An unchanged one is not checked again, so
    # a rule whose segment was deleted can still be switched off.
    if segment_changed:
        integration.segment_check(segment_id=rule.segment_id, definition=rule.segment_definition, user=actor)
    errors: dict[str, list[str]] = {}
    if rule.trigger in (Rule.Trigger.EVENT, Rule.Trigger.AFTER_EVENT) and rule.event_type not in RULE_EVENTS:
        errors["event_type"] = [_("Choose one of: %(events)s.") % {"events": ", ".join(RULE_EVENTS)}]
    if rule.trigger in (Rule.Trigger.QUARTERLY, Rule.Trigger.MONTHLY) and rule.segment_id is None \
            and not rule.segment_definition:
        errors["segment_id"] = [_("A scheduled rule needs a segment.")]
    params = rule.params or {}
    needs: dict[str, str] = {
        Rule.Action.SEND_TEMPLATE: "template_id", Rule.Action.ADD_TAG: "tag", Rule.Action.REMOVE_TAG: "tag",
        Rule.Action.SET_STAGE: "stage", Rule.Action.NOTIFY_USER: "user_id", Rule.Action.SEND_SURVEY: "survey_id",
        Rule.Action.CREATE_TASK: "subject",
    }
    if rule.action not in needs:
        errors["action"] = [_("Choose an action.")]
    elif not params.get(needs[rule.action]) and not (
            rule.action == Rule.Action.SEND_TEMPLATE and params.get("templates_by_topic")):
        errors["params"] = [_("The action needs “%(name)s”.") % {"name": needs[rule.action]}]
    if rule.action == Rule.Action.SEND_TEMPLATE and params.get("template_id") and \
            not EmailTemplate.objects.filter(pk=params["template_id"]).exists():
        errors["params"] = [_("Unknown template.")]
    by_topic = params.get("templates_by_topic") or {}
    if by_topic and (not isinstance(by_topic, dict) or EmailTemplate.objects.filter(
            pk__in=list(by_topic.values())).count() != len(set(by_topic.values()))):
        errors["params"] = [_("Unknown template.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rule_create(*, actor: User | None, **fields: Any) -> Rule:
    rule = Rule(**_only(fields, RULE_FIELDS), created_by=actor)
    _check_rule(rule, actor)
    return record_create(actor=actor, instance=rule, event=CampaignEvent.RULE_CREATED)


@transaction.atomic
def rule_update(*, actor: User | None, rule: Rule, changes: Mapping[str, Any],
                expected_version: int | None = None) -> Rule:
    require_writer(actor)
    changes = _only(changes, RULE_FIELDS)
    probe = Rule(**{name: getattr(rule, name) for name in RULE_FIELDS} | changes)
    _check_rule(probe, actor, segment_changed=bool({"segment_id", "segment_definition"} & set(changes)))
    return _update(actor, rule, changes, expected_version, CampaignEvent.RULE_UPDATED)


def ignore_duplicate(func: Any) -> Any:
    try:
        with transaction.atomic():
            return func()
    except IntegrityError:
        return None
