"""Read side of campaigns and automation: NPS figures, scoped lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q

from kunde.accounts.models import User
from kunde.campaigns import integration
from kunde.campaigns.models import Survey, SurveyAnswer
from kunde.contacts.models import Person


def nps_report(survey: Survey, *, actor: User | None = None, start: dt.date | None = None,
               end: dt.date | None = None, segment_id: int | None = None,
               segment_definition: dict[str, Any] | None = None) -> dict[str, Any]:
    """Answers, promoters/passives/detractors and the NPS (-100 to 100) of a survey, over the people
    `actor` may see, in a period (answer dates, inclusive) and optionally a segment `actor` may see
    (a deleted, unknown or invisible one raises ValidationError)."""
    answers = SurveyAnswer.objects.filter(survey=survey)
    if actor is not None:
        answers = answers.filter(person__in=Person.objects.for_user(actor).values("pk"))
    if start is not None:
        answers = answers.filter(created_at__date__gte=start)
    if end is not None:
        answers = answers.filter(created_at__date__lte=end)
    if segment_id is not None or segment_definition:
        people = integration.segment_people(segment_id=segment_id, definition=segment_definition, user=actor)
        answers = answers.filter(person__in=people.values("pk"))
    counts = answers.aggregate(
        total=Count("pk"),
        promoters=Count("pk", filter=Q(score__gte=9)),
        passives=Count("pk", filter=Q(score__gte=7, score__lte=8)),
        detractors=Count("pk", filter=Q(score__lte=6)),
    )
    total = counts["total"]
    nps = round(100 * (counts["promoters"] - counts["detractors"]) / total) if total else None
    return {**counts, "nps": nps if survey.kind == Survey.Kind.NPS else None}


def person_marketing(person: Person) -> dict[str, Any]:
    """The 360° panel's figures: last survey answer, campaigns received, the last rule runs (3 queries)."""
    from kunde.campaigns.models import CampaignRecipient, RuleRun

    answer = SurveyAnswer.objects.filter(person=person).select_related("survey").order_by("-created_at").first()
    received = CampaignRecipient.objects.filter(person=person, status=CampaignRecipient.Status.SENT).count()
    runs = list(RuleRun.objects.filter(person=person).select_related("rule").order_by("-created_at", "-id")[:5])
    return {"answer": answer, "received": received, "runs": runs}
