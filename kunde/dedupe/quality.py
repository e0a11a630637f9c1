"""Data quality figures: completeness per field, invalid contact data, duplicates, neglected records.

Every figure is a *check*: a named condition on people or organisations. The dashboard
counts the records matching each check among those the user may see; each count links
to the list of exactly those records (`check_page`). Counting starts from
`Model.objects.for_user(user)` like every other read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.accounts.models import User
from kunde.activities.choices import Kind as ActivityKind
from kunde.activities.models import Activity
from kunde.contacts.models import Address, EmailAddress, Organisation, Person, PhoneNumber
from kunde.core.filters import FilterError
from kunde.core.pagination import Page, keyset_page, page_size
from kunde.dedupe.models import DuplicateCandidate, Kind

DEFAULT_MONTHS = 12
# A plausible address: something@something.tld, no spaces; E.164: + and 7 to 15 digits.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}$"


@dataclass(frozen=True)
class Check:
    """One figure of the dashboard: the records of `kind` for which `condition` holds."""

    key: str
    kind: str
    group: str
    label: Any
    condition: Callable[[int], Q]  # months -> the condition on the model


def _holder(kind: str) -> str:
    return "person" if kind == Kind.PERSON else "organisation"


def _without(model: Any, kind: str, extra: Q | None = None) -> Callable[[int], Q]:
    """Records that have no row of `model` (matching `extra`)."""
    def condition(_months: int) -> Q:
        rows = model.objects.filter(**{_holder(kind): OuterRef("pk")})
        if extra is not None:
            rows = rows.filter(extra)
        return ~Q(Exists(rows))
    return condition


def _with(model: Any, kind: str, extra: Q) -> Callable[[int], Q]:
    def condition(_months: int) -> Q:
        return Q(Exists(model.objects.filter(extra, **{_holder(kind): OuterRef("pk")})))
    return condition


def _blank(field: str) -> Callable[[int], Q]:
    return lambda _months: Q(**{field: ""})


def _null(field: str) -> Callable[[int], Q]:
    return lambda _months: Q(**{f"{field}__isnull": True})


def _no_contact(kind: str) -> Callable[[int], Q]:
    def condition(months: int) -> Q:
        since = timezone.now() - dt.timedelta(days=round(months * 30.44))
        recent = Activity.objects.filter(kind=ActivityKind.CONTACT, occurred_at__gte=since,
                                         **{_holder(kind): OuterRef("pk")})
        return ~Q(Exists(recent))
    return condition


def _candidates(kind: str) -> Callable[[int], Q]:
    def condition(_months: int) -> Q:
        side_a, side_b = ("person_a", "person_b") if kind == Kind.PERSON else ("organisation_a", "organisation_b")
        open_pairs = DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN)
        return Q(Exists(open_pairs.filter(**{side_a: OuterRef("pk")}))) | Q(
            Exists(open_pairs.filter(**{side_b: OuterRef("pk")})))
    return condition


COMPLETENESS = "completeness"
CONTACT_DATA = "contact_data"
CARE = "care"
GROUPS = {COMPLETENESS: _("Missing fields"), CONTACT_DATA: _("Contact data"), CARE: _("Ownership and care")}

CHECKS: list[Check] = [
    Check("person_first_name", Kind.PERSON, COMPLETENESS, _("without first name"), _blank("first_name")),
    Check("person_salutation", Kind.PERSON, COMPLETENESS, _("without salutation"), _blank("salutation")),
    Check("person_birthday", Kind.PERSON, COMPLETENESS, _("without birthday"), _null("birthday")),
    Check("person_language", Kind.PERSON, COMPLETENESS, _("without preferred language"),
          _blank("preferred_language")),
    Check("person_stage", Kind.PERSON, COMPLETENESS, _("without lifecycle stage"), _null("lifecycle_stage")),
    Check("person_group", Kind.PERSON, COMPLETENESS, _("without customer group"), _null("customer_group")),
    Check("person_address", Kind.PERSON, COMPLETENESS, _("without address"), _without(Address, Kind.PERSON)),
    Check("person_no_email", Kind.PERSON, CONTACT_DATA, _("without e-mail address"),
          _without(EmailAddress, Kind.PERSON)),
    Check("person_invalid_email", Kind.PERSON, CONTACT_DATA, _("with an invalid e-mail address"),
          _with(EmailAddress, Kind.PERSON, ~Q(email__regex=EMAIL_PATTERN))),
    Check("person_no_phone", Kind.PERSON, CONTACT_DATA, _("without phone number"),
          _without(PhoneNumber, Kind.PERSON)),
    Check("person_invalid_phone", Kind.PERSON, CONTACT_DATA, _("with a phone number not in E.164"),
          _with(PhoneNumber, Kind.PERSON, ~Q(number__regex=PHONE_PATTERN))),
    Check("person_unreachable", Kind.PERSON, CONTACT_DATA, _("neither e-mail nor phone"),
          lambda months: _without(EmailAddress, Kind.PERSON)(months) & _without(PhoneNumber, Kind.PERSON)(months)),
    Check("person_duplicates", Kind.PERSON, CARE, _("possible duplicates"), _candidates(Kind.PERSON)),
    Check("person_no_owner", Kind.PERSON, CARE, _("without owner"), _null("owner")),
    Check("person_no_contact", Kind.PERSON, CARE, _("no contact in the period"), _no_contact(Kind.PERSON)),
    Check("organisation_industry", Kind.ORGANISATION, COMPLETENESS, _("without industry"), _blank("industry")),
    Check("organisation_size", Kind.ORGANISATION, COMPLETENESS, _("without size"), _blank("size")),
    Check("organisation_website", Kind.ORGANISATION, COMPLETENESS, _("without website"), _blank("website")),
    Check("organisation_vat_id", Kind.ORGANISATION, COMPLETENESS, _("without VAT ID"), _blank("vat_id")),
    Check("organisation_stage", Kind.ORGANISATION, COMPLETENESS, _("without lifecycle stage"),
          _null("lifecycle_stage")),
    Check("organisation_address", Kind.ORGANISATION, COMPLETENESS, _("without address"),
          _without(Address, Kind.ORGANISATION)),
    Check("organisation_no_email", Kind.ORGANISATION, CONTACT_DATA, _("without e-mail address"),
          _without(EmailAddress, Kind.ORGANISATION)),
    Check("organisation_invalid_email", Kind.ORGANISATION, CONTACT_DATA, _("with an invalid e-mail address"),
          _with(EmailAddress, Kind.ORGANISATION, ~Q(email__regex=EMAIL_PATTERN))),
    Check("organisation_no_phone", Kind.ORGANISATION, CONTACT_DATA, _("without phone number"),
          _without(PhoneNumber, Kind.ORGANISATION)),
    Check("organisation_invalid_phone", Kind.ORGANISATION, CONTACT_DATA, _("with a phone number not in E.164"),
          _with(PhoneNumber, Kind.ORGANISATION, ~Q(number__regex=PHONE_PATTERN))),
    Check("organisation_duplicates", Kind.ORGANISATION, CARE, _("possible duplicates"),
          _candidates(Kind.ORGANISATION)),
    Check("organisation_no_owner", Kind.ORGANISATION, CARE, _("without owner"), _null("owner")),
    Check("organisation_no_contact", Kind.ORGANISATION, CARE, _("no contact in the period"),
          _no_contact(Kind.ORGANISATION)),
]
CHECKS_BY_KEY = {check.key: check for check in CHECKS}


def _records(user: User, kind: str) -> QuerySet[Any]:
    model: Any = Person if kind == Kind.PERSON else Organisation
    queryset: QuerySet[Any] = model.objects.for_user(user)
    return queryset


def parse_months(raw: Any) -> int:
    """The period of "no contact" in months (1 to 120; default 12)."""
    if raw in (None, ""):
        return DEFAULT_MONTHS
    try:
        months = int(raw)
    except (TypeError, ValueError):
        raise FilterError({"months": [str(_("Enter a whole number of months."))]}) from None
    if not 1 <= months <= 120:
        raise FilterError({"months": [str(_("Enter between 1 and 120 months."))]})
    return months


@dataclass(frozen=True)
class Figure:
    check: Check
    count: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.total) if self.total else 0

    @property
    def complete_percent(self) -> int:
        return 100 - self.percent


def quality_report(user: User, *, months: int = DEFAULT_MONTHS) -> dict[str, Any]:
    """Every figure for the records `user` may see: {kind: {"total": n, "groups": {group: [Figure]}}}."""
    report: dict[str, Any] = {}
    for kind in (Kind.PERSON, Kind.ORGANISATION):
        records = _records(user, kind)
        total = records.count()
        groups: dict[str, list[Figure]] = {group: [] for group in GROUPS}
        for check in (c for c in CHECKS if c.kind == kind):
            count = records.filter(check.condition(months)).count() if total else 0
            groups[check.group].append(Figure(check=check, count=count, total=total))
        report[kind] = {"total": total, "groups": groups}
    return report


def check_get(key: str) -> Check:
    try:
        return CHECKS_BY_KEY[key]
    except KeyError:
        raise Http404("No such check.") from None


def check_page(user: User, key: str, params: Mapping[str, Any]) -> tuple[Check, Page, int]:
    """One keyset page of the records matching check `key` that `user` may see."""
    check = check_get(key)
    months = parse_months(params.get("months"))
    records = _records(user, check.kind).filter(check.condition(months))
    records = records.select_related("owner")
    page = keyset_page(records, ordering=("-updated_at", "-id"), cursor=params.get("cursor") or None,
                       size=page_size(params.get("page_size")))
    return check, page, months
