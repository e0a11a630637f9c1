"""Every write to people, organisations and their links goes through here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kunde.accounts.models import Team, User
from kunde.contacts.models import (
    Address,
    CustomerGroup,
    EmailAddress,
    Employment,
    LifecycleStage,
    Organisation,
    Person,
    PhoneNumber,
)
from kunde.contacts.validators import normalize_email, normalize_phone, normalize_vat_id
from kunde.core import search
from kunde.core.audit import audit_record
from kunde.core.custom_fields import clean_custom_fields
from kunde.core.exceptions import PermissionDenied
from kunde.core.models import AuditEntry, Tag, model_label
from kunde.core.permissions import Action, user_can
from kunde.core.services import (
    record_create,
    record_restore,
    record_soft_delete,
    record_update,
    require_permission,
)

Holder = Person | Organisation
Row = Mapping[str, Any]


class PersonEvent:
    CREATED = "contacts.person_created"
    UPDATED = "contacts.person_updated"
    DELETED = "contacts.person_deleted"
    RESTORED = "contacts.person_restored"


class OrganisationEvent:
    CREATED = "contacts.organisation_created"
    UPDATED = "contacts.organisation_updated"
    DELETED = "contacts.organisation_deleted"
    RESTORED = "contacts.organisation_restored"


# --- contact points ---------------------------------------------------------------


def _clean_rows(
    rows: Sequence[Row], field: str, build: Any, errors: dict[str, list[str]]
) -> list[Any]:
    """Build unsaved contact points from `rows`, collecting errors under `field.N.name`."""
    built = []
    for index, row in enumerate(rows):
        try:
            built.append(build(row))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, messages in exc.message_dict.items():
                    errors[f"{field}.{index}.{name}"] = messages
            else:
                errors[f"{field}.{index}"] = exc.messages
    # Exactly one primary per kind of contact point: the first marked, else the first.
    if built and not any(point.is_primary for point in built):
        built[0].is_primary = True
    seen_primary = False
    for point in built:
        point.is_primary = point.is_primary and not seen_primary
        seen_primary = seen_primary or point.is_primary
    return built


def _build_email(row: Row) -> EmailAddress:
    try:
        email = normalize_email(str(row.get("email", "")))
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from None
    return EmailAddress(email=email, kind=row.get("kind") or "work", is_primary=bool(row.get("is_primary")))


def _build_phone(row: Row) -> PhoneNumber:
    try:
        number = normalize_phone(str(row.get("number", "")), row.get("region"))
    except ValidationError as exc:
        raise ValidationError({"number": exc.messages}) from None
    return PhoneNumber(number=number, kind=row.get("kind") or "work", is_primary=bool(row.get("is_primary")))


def _build_address(row: Row) -> Address:
    fields = ("kind", "street", "extra", "postal_code", "city", "region", "country", "is_primary")
    address = Address(**{k: row[k] for k in fields if k in row and row[k] is not None})
    address.full_clean(exclude=["person", "organisation"], validate_constraints=False)
    return address


def _clean_contact_points(
    emails: Sequence[Row] | None,
    phones: Sequence[Row] | None,
    addresses: Sequence[Row] | None,
    errors: dict[str, list[str]],
) -> dict[str, list[Any] | None]:
    return {
        "emails": None if emails is None else _clean_rows(emails, "emails", _build_email, errors),
        "phones": None if phones is None else _clean_rows(phones, "phones", _build_phone, errors),
        "addresses": None if addresses is None else _clean_rows(addresses, "addresses", _build_address, errors),
    }


def _replace_contact_points(holder: Holder, points: dict[str, list[Any] | None]) -> dict[str, Any]:
    """Store the given lists (None = leave alone); return what changed, for the audit."""
    holder_field = "person" if isinstance(holder, Person) else "organisation"
    changed: dict[str, Any] = {}
    for name, model, value_attr in (
        ("emails", EmailAddress, "email"),
        ("phones", PhoneNumber, "number"),
        ("addresses", Address, "__str__"),
    ):
        new_points = points[name]
        if new_points is None:
            continue
        existing = model.objects.filter(**{holder_field: holder})
        before = [str(p) for p in existing]
        existing.delete()
        for point in new_points:
            setattr(point, holder_field, holder)
        model.objects.bulk_create(new_points)
        after = [str(p) if value_attr == "__str__" else getattr(p, value_attr) for p in new_points]
        if before != after:
            changed[name] = [before, after]
    return changed


def _tags(names: Iterable[str]) -> list[Tag]:
    cleaned = sorted({name.strip()[:60] for name in names if name and name.strip()})
    existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    missing = [Tag(name=n) for n in cleaned if n not in existing]
    for tag in missing:
        tag.save()
        existing[tag.name] = tag
    return [existing[n] for n in cleaned]


def _set_tags(holder: Holder, names: Iterable[str] | None) -> dict[str, Any]:
    if names is None:
        return {}
    before = sorted(t.name for t in holder.tags.all())
    tags = _tags(names)
    holder.tags.set(tags)
    after = sorted(t.name for t in tags)
    return {"tags": [before, after]} if before != after else {}


def _default_team(owner: User | None) -> Team | None:
    return owner.primary_team if owner is not None else None


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _validation_errors(exc: ValidationError) -> dict[str, list[str]]:
    return dict(exc.message_dict) if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _check_owner(actor: User | None, owner: User | None) -> None:
    """A user without the "all" scope may not hand a new record to someone else's team."""
    if actor is None or owner is None or owner == actor:
        return
    if not user_can_assign(actor, owner):
        raise PermissionDenied("this role may not assign records to that user")


def user_can_assign(actor: User, owner: User) -> bool:
    """Whether `actor` may make `owner` the owner of a record."""
    from kunde.core.permissions import Scope, scope_for, team_ids

    scope = scope_for(actor, Action.CHANGE)
    if scope is Scope.ALL:
        return True
    if scope is Scope.TEAM:
        return bool(set(team_ids(actor)) & set(owner.teams.values_list("id", flat=True)))
    return False


def _after_write(holder: Holder, extra_changes: dict[str, Any], actor: User | None) -> None:
    if extra_changes:
        audit_record(
            actor=actor, action=AuditEntry.Action.UPDATE, instance=holder,
            before={k: v[0] for k, v in extra_changes.items()},
            after={k: v[1] for k, v in extra_changes.items()},
        )
    search.reindex(holder)


# --- people -----------------------------------------------------------------------

PERSON_FIELDS = (
    "salutation", "title", "first_name", "last_name", "birthday", "preferred_language",
    "preferred_channel", "lifecycle_stage", "customer_group", "notes",
)


@transaction.atomic
def person_create(
    *,
    actor: User | None,
    last_name: str,
    first_name: str = "",
    salutation: str = "",
    title: str = "",
    birthday: dt.date | None = None,
    preferred_language: str = "",
    preferred_channel: str = "",
    lifecycle_stage: LifecycleStage | None = None,
    customer_group: CustomerGroup | None = None,
    notes: str = "",
    owner: User | None = None,
    team: Team | None = None,
    tags: Iterable[str] = (),
    custom_fields: dict[str, Any] | None = None,
    emails: Sequence[Row] = (),
    phones: Sequence[Row] = (),
    addresses: Sequence[Row] = (),
    organisation: Organisation | None = None,
    role: str = "",
) -> Person:
    """Create a person with contact points, tags and optionally a current employment."""
    owner = owner if owner is not None else actor
    _check_owner(actor, owner)
    errors: dict[str, list[str]] = {}
    person = Person(
        salutation=salutation, title=title, first_name=first_name.strip(), last_name=last_name.strip(),
        birthday=birthday, preferred_language=preferred_language, preferred_channel=preferred_channel,
        lifecycle_stage=lifecycle_stage, customer_group=customer_group, notes=notes, owner=owner,
        team=team or _default_team(owner),
    )
    try:
        person.custom_fields = clean_custom_fields(model_label(Person), custom_fields or {})
    except ValidationError as exc:
        errors.update(_validation_errors(exc))
    try:
        person.full_clean()
    except ValidationError as exc:
        errors.update(_validation_errors(exc))
    points = _clean_contact_points(emails, phones, addresses, errors)
    if organisation is not None and actor is not None and not user_can(actor, Action.VIEW, organisation):
        errors["organisation"] = [_("Unknown organisation.")]
    _raise_if(errors)
    record_create(actor=actor, instance=person, event=PersonEvent.CREATED)
    extra = _replace_contact_points(person, points)
    extra |= _set_tags(person, tags)
    if organisation is not None:
        Employment.objects.create(person=person, organisation=organisation, role=role, is_primary_contact=False)
        extra["organisations"] = [[], [organisation.pk]]
    _after_write(person, extra, actor)
    return person


@transaction.atomic
def person_update(
    *,
    actor: User | None,
    person: Person,
    expected_version: int | None,
    changes: Mapping[str, Any] | None = None,
    tags: Iterable[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
    emails: Sequence[Row] | None = None,
    phones: Sequence[Row] | None = None,
    addresses: Sequence[Row] | None = None,
) -> Person:
    """Change a person; lists given (contact points, tags) replace the stored ones."""
    require_permission(actor, Action.CHANGE, person)
    changes = dict(changes or {})
    unknown = set(changes) - set(PERSON_FIELDS) - {"owner", "team"}
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    if "owner" in changes:
        _check_owner(actor, changes["owner"])
    errors: dict[str, list[str]] = {}
    if custom_fields is not None:
        try:
            changes["custom_fields"] = clean_custom_fields(
                model_label(Person), custom_fields, existing=person.custom_fields
            )
        except ValidationError as exc:
            errors.update(_validation_errors(exc))
    points = _clean_contact_points(emails, phones, addresses, errors)
    _raise_if(errors)
    person = record_update(
        actor=actor, instance=person, changes=changes, expected_version=expected_version,
        event=PersonEvent.UPDATED,
    )
    extra = _replace_contact_points(person, points) | _set_tags(person, tags)
    _after_write(person, extra, actor)
    return person


@transaction.atomic
def person_delete(*, actor: User | None, person: Person) -> Person:
    """Soft-delete a person; the history stays and `person_restore` brings them back."""
    person = record_soft_delete(actor=actor, instance=person, event=PersonEvent.DELETED)
    search.remove(person)
    return person


@transaction.atomic
def person_restore(*, actor: User | None, person: Person) -> Person:
    """Undo `person_delete`."""
    person = record_restore(actor=actor, instance=person, event=PersonEvent.RESTORED)
    search.reindex(person)
    return person


# --- organisations ----------------------------------------------------------------

ORGANISATION_FIELDS = (
    "name", "legal_form", "industry", "size", "website", "vat_id", "parent", "lifecycle_stage", "customer_group",
    "notes",
)


def _clean_vat(value: str, errors: dict[str, list[str]]) -> str:
    if not value:
        return ""
    try:
        return normalize_vat_id(value)
    except ValidationError as exc:
        errors["vat_id"] = exc.messages
        return value


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    name: str,
    legal_form: str = "",
    industry: str = "",
    size: str = "",
    website: str = "",
    vat_id: str = "",
    parent: Organisation | None = None,
    lifecycle_stage: LifecycleStage | None = None,
    customer_group: CustomerGroup | None = None,
    notes: str = "",
    owner: User | None = None,
    team: Team | None = None,
    tags: Iterable[str] = (),
    custom_fields: dict[str, Any] | None = None,
    emails: Sequence[Row] = (),
    phones: Sequence[Row] = (),
    addresses: Sequence[Row] = (),
) -> Organisation:
    """Create an organisation with contact points and tags."""
    owner = owner if owner is not None else actor
    _check_owner(actor, owner)
    errors: dict[str, list[str]] = {}
    organisation = Organisation(
        name=name.strip(), legal_form=legal_form, industry=industry, size=size, website=website,
        vat_id=_clean_vat(vat_id, errors), parent=parent, lifecycle_stage=lifecycle_stage,
        customer_group=customer_group, notes=notes, owner=owner, team=team or _default_team(owner),
    )
    try:
        organisation.custom_fields = clean_custom_fields(model_label(Organisation), custom_fields or {})
    except ValidationError as exc:
        errors.update(_validation_errors(exc))
    try:
        organisation.full_clean(exclude=["vat_id"] if "vat_id" in errors else None)
    except ValidationError as exc:
        errors.update(_validation_errors(exc))
    if parent is not None and actor is not None and not user_can(actor, Action.VIEW, parent):
        errors["parent"] = [_("Unknown organisation.")]
    points = _clean_contact_points(emails, phones, addresses, errors)
    _raise_if(errors)
    record_create(actor=actor, instance=organisation, event=OrganisationEvent.CREATED)
    extra = _replace_contact_points(organisation, points) | _set_tags(organisation, tags)
    _after_write(organisation, extra, actor)
    return organisation


def _check_parent_cycle(organisation: Organisation, parent: Organisation | None) -> None:
    seen = {organisation.pk}
    node = parent
    while node is not None:
        if node.pk in seen:
            raise ValidationError({"parent": [_("This parent would create a cycle.")]})
        seen.add(node.pk)
        node = node.parent


@transaction.atomic
def organisation_update(
    *,
    actor: User | None,
    organisation: Organisation,
    expected_version: int | None,
    changes: Mapping[str, Any] | None = None,
    tags: Iterable[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
    emails: Sequence[Row] | None = None,
    phones: Sequence[Row] | None = None,
    addresses: Sequence[Row] | None = None,
) -> Organisation:
    """Change an organisation; lists given (contact points, tags) replace the stored ones."""
    require_permission(actor, Action.CHANGE, organisation)
    changes = dict(changes or {})
    unknown = set(changes) - set(ORGANISATION_FIELDS) - {"owner", "team"}
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    if "owner" in changes:
        _check_owner(actor, changes["owner"])
    errors: dict[str, list[str]] = {}
    if "vat_id" in changes:
        changes["vat_id"] = _clean_vat(changes["vat_id"] or "", errors)
    if "parent" in changes:
        try:
            _check_parent_cycle(organisation, changes["parent"])
        except ValidationError as exc:
            errors.update(_validation_errors(exc))
    if custom_fields is not None:
        try:
            changes["custom_fields"] = clean_custom_fields(
                model_label(Organisation), custom_fields, existing=organisation.custom_fields
            )
        except ValidationError as exc:
            errors.update(_validation_errors(exc))
    points = _clean_contact_points(emails, phones, addresses, errors)
    _raise_if(errors)
    organisation = record_update(
        actor=actor, instance=organisation, changes=changes, expected_version=expected_version,
        event=OrganisationEvent.UPDATED,
    )
    extra = _replace_contact_points(organisation, points) | _set_tags(organisation, tags)
    _after_write(organisation, extra, actor)
    return organisation


@transaction.atomic
def organisation_delete(*, actor: User | None, organisation: Organisation) -> Organisation:
    """Soft-delete an organisation; people, links and history stay."""
    organisation = record_soft_delete(actor=actor, instance=organisation, event=OrganisationEvent.DELETED)
    search.remove(organisation)
    return organisation


@transaction.atomic
def organisation_restore(*, actor: User | None, organisation: Organisation) -> Organisation:
    """Undo `organisation_delete`."""
    organisation = record_restore(actor=actor, instance=organisation, event=OrganisationEvent.RESTORED)
    search.reindex(organisation)
    return organisation


# --- employments ------------------------------------------------------------------


@transaction.atomic
def employment_create(
    *,
    actor: User | None,
    person: Person,
    organisation: Organisation,
    role: str = "",
    department: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    is_primary_contact: bool = False,
) -> Employment:
    """Link a person to an organisation for a period."""
    require_permission(actor, Action.CHANGE, person)
    if actor is not None and not user_can(actor, Action.VIEW, organisation):
        raise ValidationError({"organisation": [_("Unknown organisation.")]})
    employment = Employment(
        person=person, organisation=organisation, role=role, department=department,
        start_date=start_date, end_date=end_date, is_primary_contact=is_primary_contact,
    )
    employment.full_clean()
    employment.save()
    if is_primary_contact:
        _only_primary_contact(employment)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=employment,
                 after={"person_id": person.pk, "organisation_id": organisation.pk, "role": role})
    search.reindex(person)
    return employment


EMPLOYMENT_FIELDS = ("role", "department", "start_date", "end_date", "is_primary_contact")


@transaction.atomic
def employment_update(*, actor: User | None, employment: Employment, changes: Mapping[str, Any]) -> Employment:
    """Change the role, period or primary-contact flag of a link (e.g. end it)."""
    require_permission(actor, Action.CHANGE, employment.person)
    unknown = set(changes) - set(EMPLOYMENT_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    before = {k: str(getattr(employment, k)) for k in changes}
    for name, value in changes.items():
        setattr(employment, name, value)
    employment.full_clean()
    employment.save()
    if employment.is_primary_contact:
        _only_primary_contact(employment)
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=employment, before=before,
                 after={k: str(getattr(employment, k)) for k in changes})
    search.reindex(employment.person)
    return employment


@transaction.atomic
def employment_delete(*, actor: User | None, employment: Employment) -> None:
    """Remove a link entered by mistake (end it instead when the person left)."""
    require_permission(actor, Action.CHANGE, employment.person)
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=employment)
    person = employment.person
    employment.delete()
    search.reindex(person)


def _only_primary_contact(employment: Employment) -> None:
    Employment.objects.filter(organisation=employment.organisation, is_primary_contact=True).exclude(
        pk=employment.pk
    ).update(is_primary_contact=False)


# --- bulk actions -----------------------------------------------------------------


@transaction.atomic
def records_add_tags(*, actor: User, records: Sequence[Holder], tags: Iterable[str]) -> int:
    """Add `tags` to each record the actor may change; return how many were changed."""
    tag_objects = _tags(tags)
    changed = 0
    for record in records:
        if not user_can(actor, Action.CHANGE, record):
            continue
        before = sorted(t.name for t in record.tags.all())
        record.tags.add(*tag_objects)
        after = sorted(t.name for t in record.tags.all())
        if before != after:
            audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=record,
                         before={"tags": before}, after={"tags": after})
            search.reindex(record)
            changed += 1
    return changed


@transaction.atomic
def records_change_owner(*, actor: User, records: Sequence[Holder], owner: User) -> int:
    """Give each record the actor may change to `owner` (and the owner's team)."""
    _check_owner(actor, owner)
    changed = 0
    for record in records:
        if not user_can(actor, Action.CHANGE, record) or record.owner_id == owner.pk:
            continue
        if isinstance(record, Person):
            person_update(actor=actor, person=record, expected_version=None,
                          changes={"owner": owner, "team": _default_team(owner)})
        else:
            organisation_update(actor=actor, organisation=record, expected_version=None,
                                changes={"owner": owner, "team": _default_team(owner)})
        changed += 1
    return changed
