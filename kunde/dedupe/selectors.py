"""Every read of the review queue: a candidate or merge is visible only with both records.

"Missing" and "not yours" look the same (404): a candidate whose two records the user
cannot both see is not listed and not reachable, so the queue never reveals that a
record exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from kunde.accounts.models import User
from kunde.contacts.models import Organisation, Person
from kunde.core.filters import FilterError
from kunde.core.pagination import Page, keyset_page, page_size
from kunde.core.permissions import Action
from kunde.dedupe.models import DuplicateCandidate, Kind, MergeRecord
from kunde.dedupe.services import JOINABLE, MERGE_FIELDS, custom_field_keys, default_choices, kind_of

Record = Person | Organisation

REASON_LABELS: dict[str, Any] = {
    "same_name": _("same name"),
    "similar_name": _("similar name"),
    "same_email": _("same e-mail"),
    "same_mailbox": _("same mailbox (e-mail in another spelling)"),
    "same_phone": _("same phone"),
    "same_address": _("same address"),
    "same_postal_code": _("same postal code"),
    "same_birthday": _("same birthday"),
    "different_birthday": _("different birthday"),
    "different_first_name": _("different first name"),
    "same_vat_id": _("same VAT ID"),
    "different_vat_id": _("different VAT ID"),
    "same_domain": _("same web or e-mail domain"),
}
SORTS = {"score": ("-score", "-id"), "found": ("-found_at", "-id")}


def reason_text(reason: Mapping[str, Any]) -> str:
    """A reason for people: "similar name 92", "same e-mail"."""
    label = str(REASON_LABELS.get(reason.get("code", ""), reason.get("code", "")))
    value = reason.get("value")
    return f"{label} {value}" if value is not None else label


def _visible(user: User, kind: str, action: Action | str = Action.VIEW) -> Q:
    if kind == Kind.PERSON:
        people = Person.objects.for_user(user, action)
        return Q(kind=kind, person_a__in=people, person_b__in=people)
    organisations = Organisation.objects.for_user(user, action)
    return Q(kind=kind, organisation_a__in=organisations, organisation_b__in=organisations)


def candidate_queryset(user: User, kind: str | None = None) -> QuerySet[DuplicateCandidate]:
    """The candidates whose two (not deleted) records `user` may both see."""
    kinds = [kind] if kind else [Kind.PERSON, Kind.ORGANISATION]
    condition = Q(pk__in=[])
    for each in kinds:
        condition |= _visible(user, each)
    return DuplicateCandidate.objects.filter(condition)


def candidate_page(user: User, params: Mapping[str, Any]) -> Page:
    """One keyset page of the queue: `kind` (person/organisation), `status` (default open), `sort`."""
    errors: dict[str, list[str]] = {}
    kind = params.get("kind") or None
    if kind not in (None, Kind.PERSON, Kind.ORGANISATION):
        errors["kind"] = [str(_("Choose person or organisation."))]
    status = params.get("status") or DuplicateCandidate.Status.OPEN
    if status not in DuplicateCandidate.Status.values:
        errors["status"] = [str(_("Choose open, merged or dismissed."))]
    sort = params.get("sort") or "score"
    if sort not in SORTS:
        errors["sort"] = [str(_("Unknown sort order."))]
    if errors:
        raise FilterError(errors)
    queryset = candidate_queryset(user, kind).filter(status=status).select_related(
        "person_a", "person_b", "organisation_a", "organisation_b")
    return keyset_page(queryset, ordering=SORTS[sort], cursor=params.get("cursor") or None,
                       size=page_size(params.get("page_size")))


def candidate_get(user: User, pk: Any) -> DuplicateCandidate:
    """The candidate `pk` if `user` may see both its records; otherwise 404."""
    try:
        return candidate_queryset(user).select_related(
            "person_a", "person_b", "organisation_a", "organisation_b").get(pk=pk)
    except (DuplicateCandidate.DoesNotExist, ValueError, TypeError):
        raise Http404("No such duplicate candidate.") from None


def candidates_for_record(user: User, record: Record, *, limit: int = 5) -> list[DuplicateCandidate]:
    """The open candidates of `record` that `user` may see, best first (the 360° panel)."""
    kind = kind_of(record)
    own = Q(person_a=record) | Q(person_b=record) if kind == Kind.PERSON else (
        Q(organisation_a=record) | Q(organisation_b=record))
    return list(candidate_queryset(user, kind).filter(own, status=DuplicateCandidate.Status.OPEN)
                .select_related("person_a", "person_b", "organisation_a", "organisation_b")[:limit])


def record_get(user: User, kind: str, pk: Any, action: Action | str = Action.VIEW) -> Record:
    """The person or organisation `pk` if `user` may act on it; otherwise 404."""
    model = Person if kind == Kind.PERSON else Organisation
    try:
        record: Record = model.objects.for_user(user, action).prefetch_related(  # type: ignore[attr-defined]
            "emails", "phones", "addresses", "tags").get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404("No such record.") from None
    return record


def merge_queryset(user: User) -> QuerySet[MergeRecord]:
    """The merges whose two records (the loser is soft-deleted) `user` may both see."""
    people = Person.all_objects.for_user(user)
    organisations = Organisation.all_objects.for_user(user)
    return MergeRecord.objects.filter(
        Q(kind=Kind.PERSON, survivor_person__in=people, loser_person__in=people)
        | Q(kind=Kind.ORGANISATION, survivor_organisation__in=organisations, loser_organisation__in=organisations)
    )


def merge_get(user: User, pk: Any) -> MergeRecord:
    """The merge `pk` if `user` may see both records; otherwise 404."""
    try:
        return merge_queryset(user).select_related(
            "survivor_person", "loser_person", "survivor_organisation", "loser_organisation", "merged_by").get(pk=pk)
    except (MergeRecord.DoesNotExist, ValueError, TypeError):
        raise Http404("No such merge.") from None


def merge_list(user: User, *, limit: int = 50) -> list[MergeRecord]:
    """The latest merges `user` may see."""
    return list(merge_queryset(user).select_related(
        "survivor_person", "loser_person", "survivor_organisation", "loser_organisation", "merged_by")[:limit])


# --- the side-by-side comparison -------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    """One line of the merge form: a field, both values as shown, and the default choice."""

    name: str
    label: str
    survivor_value: str
    loser_value: str
    default: str
    joinable: bool

    @property
    def differs(self) -> bool:
        return self.survivor_value != self.loser_value


def _display(record: Record, name: str) -> str:
    value = getattr(record, name)
    if value is None or value == "":
        return ""
    display = getattr(record, f"get_{name}_display", None)
    return str(display() if callable(display) else value)


def merge_fields(survivor: Record, loser: Record) -> list[FieldRow]:
    """The rows of the side-by-side merge, with the default choice of each field."""
    kind = kind_of(survivor)
    defaults = default_choices(survivor, loser)
    rows = []
    for name in MERGE_FIELDS[kind]:
        label = str(getattr(survivor._meta.get_field(name), "verbose_name", name))
        rows.append(FieldRow(name=name, label=label[:1].upper() + label[1:], survivor_value=_display(survivor, name),
                             loser_value=_display(loser, name), default=defaults[name], joinable=name in JOINABLE))
    for key in custom_field_keys(kind):
        name = f"custom_fields.{key}"
        ours, theirs = survivor.custom_fields.get(key), loser.custom_fields.get(key)
        rows.append(FieldRow(name=name, label=key, survivor_value="" if ours is None else str(ours),
                             loser_value="" if theirs is None else str(theirs), default=defaults[name],
                             joinable=False))
    return rows


def related_counts(record: Record) -> dict[str, int]:
    """How many rows of each kind hang on `record` (what a merge would move), by verbose name."""
    from kunde.dedupe.services import _relations

    counts: dict[str, int] = {}
    for fk in _relations(type(record)):
        model: Any = fk.model
        number = model._base_manager.filter(**{fk.attname: record.pk}).count()
        if number:
            label = _relation_label(model)
            counts[label] = counts.get(label, 0) + number
    return dict(sorted(counts.items()))


def _relation_label(model: Any) -> str:
    """The plural name of a related model; for the table behind a many-to-many field, that field's name."""
    owner = model._meta.auto_created
    if owner:
        for m2m in owner._meta.many_to_many:
            if m2m.remote_field.through is model:
                return f"{owner._meta.verbose_name_plural}: {m2m.verbose_name}"
    return str(model._meta.verbose_name_plural)
