"""The automation engine: rules fire on domain events or on a schedule, once per person and occasion.

Every firing first inserts its `RuleRun` (unique per rule, person and occasion key); a
second delivery of the same event, a re-run of a schedule or a second worker fails that
insert and does nothing. "N days after event E" inserts the run as pending with its due
time; the periodic job `campaigns.rules_due` performs it then, re-checking the conditions
at that moment (the HandelBlitz offer goes out only if the category was still not bought).

A rule acts with the visibility of the user who created it (`Rule.created_by`; a rule has no
owner of its own): it reaches only people that user may see at the moment it acts, reads its
segment as that user, and tags or re-stages only people that user may change. A deactivated
creator's rule reaches nobody; a rule created by the system (no creator) reaches everybody,
like every system process. A rule whose segment is gone fails on its own — as a failed run,
or for a scheduled rule as its `problem` — and never stops the other rules.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.activities.models import Activity
from kunde.activities.services import task_create
from kunde.campaigns import integration
from kunde.campaigns.models import EmailTemplate, Rule, RuleRun, Survey, nps_class
from kunde.campaigns.sending import deliver
from kunde.campaigns.services import survey_invite, survey_url
from kunde.contacts.models import LifecycleStage, Person
from kunde.core.events import subscribe
from kunde.core.permissions import Action, user_can

logger = logging.getLogger("kunde.campaigns")

Trigger = Rule.Trigger
Status = RuleRun.Status


# --- who and what an event is about ------------------------------------------------


def _occasion(event_type: str, payload: dict[str, Any]) -> tuple[int | None, str, dict[str, Any]]:
    """(person id, occasion key, data) of an event; person None when it is about nobody."""
    data: dict[str, Any] = {"event": event_type, "id": payload.get("id")}
    person_id = payload.get("person_id")
    if event_type == "activities.activity_recorded":
        row = Activity.objects.filter(pk=payload.get("id") or 0).values(
            "person_id", "topic", "kind", "occurred_at").first()
        if row is None or str(row["kind"]).startswith("campaigns."):
            return None, "", data  # this app's own entries never trigger rules (no loops)
        person_id = row["person_id"]
        data |= {"topic": row["topic"], "kind": row["kind"], "at": row["occurred_at"].isoformat()}
    elif event_type in ("contacts.person_updated", "contacts.person_created"):
        person_id = payload.get("id")
        stage = Person.objects.filter(pk=person_id).values_list("lifecycle_stage__key", flat=True).first()
        data["stage"] = stage or ""
        return person_id, f"stage:{stage or '-'}", data
    elif event_type == "campaigns.survey_answered":
        data["score"] = payload.get("score")
    elif event_type == "service.ticket_solved" and person_id is None:
        try:
            from kunde.service.models import Ticket  # type: ignore[attr-defined]

            person_id = Ticket.objects.filter(pk=payload.get("id")).values_list("person_id", flat=True).first()
        except Exception:
            person_id = None
    return person_id, f"{event_type}:{payload.get('id')}", data


def _event_matches(rule: Rule, data: dict[str, Any]) -> bool:
    conditions = rule.conditions or {}
    if conditions.get("topic_required") and not data.get("topic"):
        return False
    if conditions.get("topics") and data.get("topic") not in conditions["topics"]:
        return False
    if conditions.get("kinds") and data.get("kind") not in conditions["kinds"]:
        return False
    if conditions.get("nps_class") and nps_class(data.get("score")) != conditions["nps_class"]:
        return False
    return not (conditions.get("stage") and data.get("stage") != conditions["stage"])


def _conditions_hold(rule: Rule, person: Person, data: dict[str, Any]) -> str:
    """"" when the rule applies to `person` now, else why not (ValidationError: the segment is gone)."""
    if person.deleted_at is not None:
        return _("Person deleted.")
    creator = rule.created_by
    if creator is not None and not user_can(creator, Action.VIEW, person):
        return _("The rule's creator %(user)s may not see this person.") % {"user": creator}
    if not integration.person_in_segment(person, segment_id=rule.segment_id, definition=rule.segment_definition,
                                         user=creator):
        return _("Not in the rule's segment.")
    if plan := integration.held_out_by(rule, person):
        return _("In the control group of the retention plan “%(plan)s”.") % {"plan": plan}
    conditions = rule.conditions or {}
    if conditions.get("not_bought_topic") and data.get("topic"):
        since = dt.datetime.fromisoformat(data["at"]).date() if data.get("at") else timezone.localdate()
        if integration.bought_category_since(person, data["topic"], since):
            return _("Has bought “%(topic)s” meanwhile.") % {"topic": data["topic"]}
    return ""


# --- firing ------------------------------------------------------------------------


def handle_event(event_type: str, payload: dict[str, Any]) -> None:
    """Subscriber of the rule events: fire (or schedule) every active rule on that event."""
    rules = list(Rule.objects.filter(is_active=True, event_type=event_type,
                                     trigger__in=[Trigger.EVENT, Trigger.AFTER_EVENT]))
    if not rules:
        return
    person_id, occasion, data = _occasion(event_type, payload)
    if person_id is None:
        return
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return
    now = timezone.now()
    for rule in rules:
        if not _event_matches(rule, data):
            continue
        if rule.trigger == Trigger.AFTER_EVENT:
            _insert_run(rule, person, occasion, data, due_at=now + dt.timedelta(days=rule.delay_days))
        else:
            fire(rule, person, occasion, data)


def _insert_run(rule: Rule, person: Person, occasion: str, data: dict[str, Any], *,
                due_at: dt.datetime) -> RuleRun | None:
    try:
        with transaction.atomic():
            return RuleRun.objects.create(rule=rule, person=person, occasion_key=occasion[:120],
                                          status=Status.PENDING, due_at=due_at, data=data)
    except IntegrityError:
        return None  # this rule already fired (or is waiting) for this person and occasion


def fire(rule: Rule, person: Person, occasion: str, data: dict[str, Any] | None = None) -> RuleRun | None:
    """Run `rule` for `person` on `occasion` unless it already did; returns the new run or None."""
    run = _insert_run(rule, person, occasion, data or {}, due_at=timezone.now())
    if run is None:
        return None
    return perform(run)


def perform(run: RuleRun) -> RuleRun:
    """Check the conditions now and do the action; the run records what happened."""
    with transaction.atomic():
        run = RuleRun.objects.select_for_update().select_related("rule", "person").get(pk=run.pk)
        if run.status != Status.PENDING:
            return run
        status, detail = _perform_checked(run)
        run.status, run.detail, run.finished_at = status, detail[:300], timezone.now()
        run.save(update_fields=["status", "detail", "finished_at"])
    return run


def _perform_checked(run: RuleRun) -> tuple[str, str]:
    """Check the conditions, then act: the run's new status and what happened (inside the run's lock)."""
    try:
        reason = _conditions_hold(run.rule, run.person, run.data)
    except ValidationError as error:  # the rule's segment was deleted or cannot be read
        return Status.FAILED, " ".join(error.messages)
    if reason:
        return Status.SKIPPED, reason
    try:
        with transaction.atomic():
            return _execute(run.rule, run.person, run)
    except (ValidationError, LookupError, ObjectDoesNotExist) as error:  # e.g. its template was deleted
        return Status.FAILED, "; ".join(getattr(error, "messages", [str(error)]))


def _execute(rule: Rule, person: Person, run: RuleRun) -> tuple[str, str]:
    params = rule.params or {}
    now = timezone.now()
    action = rule.action
    if action in (Rule.Action.SEND_TEMPLATE, Rule.Action.SEND_SURVEY):
        by_topic = params.get("templates_by_topic") or {}
        template_id = by_topic.get(run.data.get("topic")) or params.get("template_id")
        if not template_id:
            return Status.SKIPPED, _("No template for the topic “%(topic)s”.") % {"topic": run.data.get("topic")}
        template = EmailTemplate.objects.get(pk=template_id)
        link = ""
        if action == Rule.Action.SEND_SURVEY:
            survey = Survey.objects.get(pk=params["survey_id"])
            link = survey_url(survey_invite(survey=survey, person=person, rule=rule))
        delivery = deliver(person=person, template=template, dedupe_key=f"rule:{rule.pk}:run:{run.pk}",
                           sender=rule.created_by, related=rule, survey_url=link)
        if not delivery.sent:
            return Status.SKIPPED, delivery.reason
        return Status.DONE, _("E-mail “%(subject)s” sent.") % {
            "subject": delivery.rendered.subject if delivery.rendered else ""}
    if action == Rule.Action.CREATE_TASK:
        assignee = person.owner
        if assignee is None:
            return Status.SKIPPED, _("The person has no owner.")
        task = task_create(actor=None, subject=params["subject"], assignee=assignee, person=person, related=rule,
                           due_at=now + dt.timedelta(days=int(params.get("due_days", 7))),
                           notes=params.get("notes", ""))
        return Status.DONE, _("Task for %(user)s created (#%(id)s).") % {"user": assignee, "id": task.pk}
    if action == Rule.Action.NOTIFY_USER:
        user = User.objects.filter(pk=params["user_id"], is_active=True).first()
        if user is None:
            return Status.FAILED, _("The user to notify does not exist.")
        task_create(actor=None, subject=params.get("subject") or _("Rule “%(rule)s”: %(person)s") % {
            "rule": rule.name, "person": person.full_name}, assignee=user, person=person, related=rule, due_at=now)
        return Status.DONE, _("%(user)s notified.") % {"user": user}
    if action in (Rule.Action.ADD_TAG, Rule.Action.REMOVE_TAG, Rule.Action.SET_STAGE):
        from kunde.contacts.services import person_update

        creator = rule.created_by
        if creator is not None and not user_can(creator, Action.CHANGE, person):
            return Status.SKIPPED, _("The rule's creator %(user)s may not change this person.") % {"user": creator}
        if action == Rule.Action.SET_STAGE:
            stage = LifecycleStage.objects.get(key=params["stage"])
            if person.lifecycle_stage_id == stage.pk:
                return Status.SKIPPED, _("Already in that stage.")
            person_update(actor=None, person=person, expected_version=None, changes={"lifecycle_stage": stage})
            return Status.DONE, _("Lifecycle stage set to %(stage)s.") % {"stage": stage}
        names = set(person.tags.values_list("name", flat=True))
        tag = str(params["tag"])
        new = names | {tag} if action == Rule.Action.ADD_TAG else names - {tag}
        if new == names:
            return Status.SKIPPED, _("Nothing to change.")
        person_update(actor=None, person=person, expected_version=None, changes={}, tags=sorted(new))
        return Status.DONE, (_("Tag “%(tag)s” added.") if action == Rule.Action.ADD_TAG
                             else _("Tag “%(tag)s” removed.")) % {"tag": tag}
    return Status.FAILED, _("Unknown action.")


# --- schedules ---------------------------------------------------------------------


def schedule_occasion(rule: Rule, now: dt.datetime) -> str:
    local = timezone.localtime(now)
    if rule.trigger == Trigger.QUARTERLY:
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    return f"{local.year}-{local.month:02d}"


def run_scheduled_rules(now: dt.datetime | None = None) -> int:
    """Fire every scheduled rule for each member of its segment not yet served this period.

    One rule that cannot run (its segment was deleted, an unexpected error) is recorded as
    that rule's `problem` and the others still run.
    """
    now = now or timezone.now()
    fired = 0
    for rule in Rule.objects.filter(is_active=True, trigger__in=[Trigger.QUARTERLY, Trigger.MONTHLY]) \
            .select_related("created_by"):
        try:
            fired += _run_scheduled_rule(rule, now)
        except ValidationError as error:
            _record_problem(rule, " ".join(error.messages), now)
        except Exception as error:
            logger.exception("scheduled rule %s failed", rule.pk)
            _record_problem(rule, _("Unexpected error: %(error)s") % {"error": error}, now)
        else:
            if rule.problem:
                Rule.objects.filter(pk=rule.pk).update(problem="", problem_at=None)
    return fired


def _run_scheduled_rule(rule: Rule, now: dt.datetime) -> int:
    occasion = schedule_occasion(rule, now)
    done = set(RuleRun.objects.filter(rule=rule, occasion_key=occasion).values_list("person_id", flat=True))
    people = integration.segment_people(segment_id=rule.segment_id, definition=rule.segment_definition,
                                        user=rule.created_by)
    fired = 0
    for person in people.filter(deleted_at__isnull=True).order_by("pk").iterator(chunk_size=500):
        if person.pk in done:
            continue
        if fire(rule, person, occasion, {"period": occasion}) is not None:
            fired += 1
    return fired


def _record_problem(rule: Rule, problem: str, now: dt.datetime) -> None:
    """Note on the rule why its scheduled run could not take place (shown on its page and in the API)."""
    text = (_("Not run for %(period)s: %(problem)s") % {"period": schedule_occasion(rule, now), "problem": problem})
    Rule.objects.filter(pk=rule.pk).update(problem=text[:300], problem_at=now)


def run_due_rule_runs(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Perform the waiting runs of "N days after" rules whose time has come."""
    now = now or timezone.now()
    ids = list(RuleRun.objects.filter(status=Status.PENDING, due_at__lte=now).order_by("due_at", "pk")
               .values_list("pk", flat=True)[:limit])
    for pk in ids:
        try:
            perform(RuleRun(pk=pk))
        except Exception:
            logger.exception("rule run %s failed", pk)
    return len(ids)


def dry_run(rule: Rule, *, actor: User | None = None, limit: int = 100, now: dt.datetime | None = None
            ) -> dict[str, Any]:
    """Who the rule would act on now (scheduled rules) or on its event (event rules), without acting.

    Only people both the rule's creator (the rule acts as them) and `actor` may see; a rule
    whose segment is gone raises ValidationError.
    """
    now = now or timezone.now()
    creator = rule.created_by
    if rule.segment_id is None and not rule.segment_definition:
        people = Person.objects.filter(deleted_at__isnull=True)
        if creator is not None:
            people = people.for_user(creator)
        everybody = True
    else:
        people = integration.segment_people(segment_id=rule.segment_id, definition=rule.segment_definition,
                                            user=creator).filter(deleted_at__isnull=True)
        everybody = False
    occasion = ""
    if rule.trigger in (Trigger.QUARTERLY, Trigger.MONTHLY):
        occasion = schedule_occasion(rule, now)
        people = people.exclude(pk__in=RuleRun.objects.filter(rule=rule, occasion_key=occasion).values("person_id"))
    if actor is not None:
        people = people.filter(pk__in=Person.objects.for_user(actor).values("pk"))
    rows = list(people.order_by("last_name", "first_name", "pk")[:limit])
    return {
        "occasion": occasion, "count": people.count(), "everybody_on_event": everybody,
        "people": [{"id": p.pk, "name": p.full_name} for p in rows],
    }


def connect() -> None:
    """Subscribe the engine to every event a rule can name (called from AppConfig.ready)."""
    from kunde.campaigns.services import RULE_EVENTS

    for event_type in RULE_EVENTS:
        subscribe(event_type, handle_event)
