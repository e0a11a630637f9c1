"""Binding causes per customer: derived from the registered evidence, overridden by the owner.

Retention registers the evidence it can read itself (high NPS, many personal contacts,
volume discounts); contracts, loyalty and partners register theirs in `causes`. A manual
`CustomerBindingCause` row wins over what is derived, in both directions. For people, the
causes of an organisation they currently work for count as well (marked "through …").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, Max, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kunde.contacts.models import Employment, Organisation, Person
from kunde.retention.causes import BindingCause, CauseSource, cause_sources, register_cause_source

EVIDENCE_DAYS = 365
HIGH_NPS = 9
# A relationship is personal when staff called or met the customer this often in a year.
PERSONAL_CONTACTS_MIN = 4
PERSONAL_CHANNELS = ("phone", "meeting", "video")


def _since() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=EVIDENCE_DAYS)


# ---------------------------------------------------------------- evidence retention reads itself

def _nps_answers() -> QuerySet[Any]:
    from kunde.campaigns.models import Survey, SurveyAnswer

    return SurveyAnswer.objects.filter(survey__kind=Survey.Kind.NPS, score__gte=HIGH_NPS,
                                       created_at__gte=_since())


def _nps_evidence(customer: Any) -> list[str]:
    if not isinstance(customer, Person):
        return []
    answers = _nps_answers().filter(person=customer).order_by("-created_at")[:3]
    return [_("NPS %(score)s on %(date)s") % {"score": answer.score,
                                              "date": date_format(timezone.localtime(answer.created_at).date())}
            for answer in answers]


def personal_contacts() -> QuerySet[Any]:
    """Calls, meetings and video calls logged by staff in the last year."""
    from kunde.activities.models import Activity

    return Activity.objects.filter(kind="contact", channel__in=PERSONAL_CHANNELS, created_by__isnull=False,
                                   occurred_at__gte=_since())


def _frequent(field: str) -> QuerySet[Any]:
    return (personal_contacts().filter(**{f"{field}__isnull": False}).order_by().values(field)
            .annotate(n=Count("pk")).filter(n__gte=PERSONAL_CONTACTS_MIN).values(field))


def _contacts_evidence(customer: Any) -> list[str]:
    field = "person" if isinstance(customer, Person) else "organisation"
    figures = personal_contacts().filter(**{field: customer}).aggregate(n=Count("pk"), last=Max("occurred_at"))
    if figures["n"] < PERSONAL_CONTACTS_MIN:
        return []
    return [_("%(n)s personal contacts in 12 months, last on %(date)s")
            % {"n": figures["n"], "date": date_format(timezone.localtime(figures["last"]).date())}]


def _discounted_orders() -> QuerySet[Any]:
    from kunde.commerce.models import Order

    return Order.objects.exclude(status=Order.Status.CANCELLED).filter(
        discount_percent__gt=0, ordered_on__gte=_since().date())


def _discount_evidence(customer: Any) -> list[str]:
    field = "person" if isinstance(customer, Person) else "organisation"
    orders = _discounted_orders().filter(**{field: customer}).order_by("-ordered_on")[:3]
    return [_("order %(number)s with %(discount)s %% discount") % {"number": order.number,
                                                                   "discount": f"{order.discount_percent:g}"}
            for order in orders]


BUILTIN_SOURCES = [
    CauseSource(key="retention.high_nps", cause=BindingCause.PSYCHOLOGICAL,
                label=gettext_lazy("High NPS (9–10) in the last 12 months"),
                people=lambda: _nps_answers().values("person_id"), evidence=_nps_evidence),
    CauseSource(key="retention.personal_contacts", cause=BindingCause.PSYCHOLOGICAL,
                label=gettext_lazy("Many personal contacts in the last 12 months"),
                people=lambda: _frequent("person_id"), organisations=lambda: _frequent("organisation_id"),
                evidence=_contacts_evidence),
    CauseSource(key="retention.volume_discounts", cause=BindingCause.ECONOMIC,
                label=gettext_lazy("Volume discounts on orders in the last 12 months"),
                people=lambda: _discounted_orders().filter(person__isnull=False).values("person_id"),
                organisations=lambda: _discounted_orders().filter(organisation__isnull=False)
                .values("organisation_id"),
                evidence=_discount_evidence),
]


def register_builtin_sources() -> None:
    for source in BUILTIN_SOURCES:
        register_cause_source(source)


# ---------------------------------------------------------------- one customer

def _for_one(ids: QuerySet[Any], customer_id: int) -> QuerySet[Any]:
    """A source's id queryset narrowed to one customer: its own id column equals `customer_id`.

    The sources are written for segments over everybody (uncorrelated subqueries); asked for
    one customer, filtering on the selected column lets the database use its index (and a
    GROUP BY source count only that customer's rows) instead of scanning everyone.
    """
    column = ids.query.values_select[0] if ids.query.values_select else "pk"
    return ids.filter(**{column: customer_id})


def _bound_sources(customer: Any, employers: list[Organisation]) -> dict[int | None, list[CauseSource]]:
    """The sources that bind `customer` (key None) and each employer (key: its id), in one query."""
    sources = cause_sources()
    checks: dict[str, tuple[int | None, CauseSource, Any]] = {}
    for index, source in enumerate(sources):
        if isinstance(customer, Person):
            if source.people is not None:
                checks[f"s{index}"] = (None, source, _for_one(source.people(), customer.pk))
            for employer in employers:
                if source.organisations is not None:
                    checks[f"s{index}_{employer.pk}"] = (
                        employer.pk, source, _for_one(source.organisations(), employer.pk))
        elif source.organisations is not None:
            checks[f"s{index}"] = (None, source, _for_one(source.organisations(), customer.pk))
    found: dict[int | None, list[CauseSource]] = {None: [], **{employer.pk: [] for employer in employers}}
    if not checks:
        return found
    model: Any = type(customer)
    row = model.objects.filter(pk=customer.pk).values(
        **{name: Exists(ids) for name, (_owner, _source, ids) in checks.items()}).first() or {}
    for name, (owner, source, _ids) in checks.items():
        if row.get(name):
            found[owner].append(source)
    return found


def _evidence(source: CauseSource, customer: Any) -> list[str]:
    texts: list[str] = []
    if source.evidence is not None:
        try:
            texts = list(source.evidence(customer))
        except Exception:  # another app's evidence helper failing must not hide the cause
            texts = []
    return texts or [str(source.label)]


def current_employers(person: Person) -> list[Organisation]:
    today = timezone.localdate()
    return list(Organisation.objects.filter(
        Q(employments__end_date__isnull=True) | Q(employments__end_date__gte=today),
        employments__person=person).distinct().order_by("name"))


def derived_causes(customer: Person | Organisation, employers: list[Organisation] | None = None,
                   employer_overrides: dict[int, dict[str, bool]] | None = None, *,
                   with_evidence: bool = True) -> list[dict[str, Any]]:
    """Every registered source that binds `customer` today, with its evidence.

    `via` names the organisation when a person is bound through their employer; an
    employer's own override ("does not bind") hides that cause, "binds" adds it.
    """
    from kunde.retention.models import CustomerBindingCause

    if employers is None:
        employers = current_employers(customer) if isinstance(customer, Person) else []
    bound = _bound_sources(customer, employers)
    if employer_overrides is None:
        employer_overrides = {}
        for row in CustomerBindingCause.objects.filter(organisation__in=employers):
            employer_overrides.setdefault(row.organisation_id, {})[row.cause] = row.is_bound  # type: ignore[index, arg-type]
    def evidence(source: CauseSource, holder: Any) -> list[str]:
        return _evidence(source, holder) if with_evidence else []

    found = [{"cause": str(source.cause), "key": source.key, "label": str(source.label),
              "evidence": evidence(source, customer), "via": ""} for source in bound[None]]
    for employer in employers:
        manual = employer_overrides.get(employer.pk, {})
        for source in bound[employer.pk]:
            if manual.get(str(source.cause), True):
                found.append({"cause": str(source.cause), "key": source.key, "label": str(source.label),
                              "evidence": evidence(source, employer), "via": str(employer)})
        for cause, is_bound in manual.items():
            if is_bound:
                found.append({"cause": cause, "key": "retention.manual", "label": _("Set by hand"),
                              "evidence": [_("set on the organisation")], "via": str(employer)})
    return found


def customer_causes(customer: Person | Organisation, *, with_evidence: bool = True) -> list[dict[str, Any]]:
    """Per cause: whether it binds the customer, the derived evidence and the manual override.

    Without evidence each derived entry names only its source (the 360° page loads the
    evidence afterwards, so the page's queries do not depend on what binds the customer).
    """
    from kunde.retention.models import CustomerBindingCause

    field = "person" if isinstance(customer, Person) else "organisation"
    employers = current_employers(customer) if isinstance(customer, Person) else []
    manual: dict[str, Any] = {}
    employer_overrides: dict[int, dict[str, bool]] = {employer.pk: {} for employer in employers}
    rows = CustomerBindingCause.objects.filter(Q(**{field: customer}) | Q(organisation__in=employers))
    for row in rows.select_related("set_by"):  # the customer's own overrides and their employers', one query
        if getattr(row, f"{field}_id") == customer.pk:
            manual[row.cause] = row
        else:
            employer_overrides[row.organisation_id][row.cause] = row.is_bound  # type: ignore[index]
    derived = derived_causes(customer, employers, employer_overrides, with_evidence=with_evidence)
    result = []
    for cause in BindingCause:
        evidence = [entry for entry in derived if entry["cause"] == cause.value]
        override = manual.get(cause.value)
        result.append({
            "cause": cause.value, "label": cause.label, "derived": bool(evidence), "evidence": evidence,
            "manual": override, "bound": override.is_bound if override is not None else bool(evidence),
        })
    return result


# ---------------------------------------------------------------- many customers (segments)

def _manual_ids(field: str, cause: str, is_bound: bool) -> QuerySet[Any]:
    from kunde.retention.models import CustomerBindingCause

    # Never NULL: the ids feed NOT IN, which a NULL would turn into "unknown" for every row.
    return CustomerBindingCause.objects.filter(**{f"{field}__isnull": False}, cause=cause,
                                               is_bound=is_bound).values(field)


def _organisations_bound_q(cause: str) -> Q:
    """Organisations the cause binds: derived or set on, and not set off by hand."""
    derived = Q(pk__in=[])
    for source in cause_sources():
        if source.cause == cause and source.organisations is not None:
            derived |= Q(pk__in=source.organisations())
    return Q(pk__in=_manual_ids("organisation_id", cause, True)) | (
        ~Q(pk__in=_manual_ids("organisation_id", cause, False)) & derived)


def people_bound_q(cause: str) -> Q:
    """The `Q` over Person: bound by `cause` themselves, or through an organisation they work for now.

    Built only from uncorrelated subqueries (one per registered source, the overrides, the
    current employments of bound organisations), which both databases evaluate once rather
    than per person: a segment over a million people stays one SQL statement.
    """
    derived = Q(pk__in=[])
    for source in cause_sources():
        if source.cause == cause and source.people is not None:
            derived |= Q(pk__in=source.people())
    today = timezone.localdate()
    employers = Organisation.objects.filter(_organisations_bound_q(cause)).values("pk")
    through_employer = Q(pk__in=Employment.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today), organisation__in=employers).values("person_id"))
    # A person's own "does not bind" wins over their employer's evidence too.
    return Q(pk__in=_manual_ids("person_id", cause, True)) | (
        ~Q(pk__in=_manual_ids("person_id", cause, False)) & (derived | through_employer))


def organisations_bound(cause: str) -> QuerySet[Organisation]:
    return Organisation.objects.filter(_organisations_bound_q(cause))


def segment_condition(keys: list[str]) -> Q:
    """The segment condition `binding_cause`: people bound by any of `keys`; ValueError names unknown keys."""
    unknown = sorted(set(keys) - set(BindingCause.values))
    if unknown:
        raise ValueError(_("unknown binding cause %(keys)s; known: %(known)s")
                         % {"keys": ", ".join(unknown), "known": ", ".join(BindingCause.values)})
    combined = Q(pk__in=[])
    for key in keys:
        combined |= people_bound_q(key)
    return combined
