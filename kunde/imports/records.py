"""Importers for records other than people: one small interface, one class per object type.

A `RecordImporter` cleans a row into values and errors, finds the records the batch's keys
name (only records the acting user may change), plans each row (created, updated, unchanged,
duplicate, failed with why), writes a batch and takes a row back on undo. The engine runs it
exactly as it runs the person importer: batches with the checkpoint in one transaction, the
same report, the same dry run.

Unlike people (written in bulk, the benchmarked path), these records are written one by one
through their app's own service (`organisation_create`, `product_update`, `activity_record`, …),
each in a savepoint, so every record gets the same validation, audit entry, events, search
entry and history as when created in the app, and a row the service refuses fails alone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import ProtectedError
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.activities.choices import Direction, Kind
from kunde.activities.models import Activity
from kunde.activities.services import activity_record, activity_update
from kunde.commerce.models import Product, ProductCategory
from kunde.commerce.money import allowed_vat_rates
from kunde.commerce.services import product_create, product_update
from kunde.contacts.choices import Channel, CompanySize, LegalForm
from kunde.contacts.models import CustomerGroup, EmailAddress, LifecycleStage, Organisation, Person
from kunde.contacts.selectors import organisation_queryset, person_queryset
from kunde.contacts.services import organisation_create, organisation_delete, organisation_update
from kunde.contacts.validators import normalize_email, normalize_phone, normalize_vat_id
from kunde.core import search
from kunde.core.audit import audit_record, snapshot
from kunde.core.exceptions import PermissionDenied
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, can_create, is_admin, user_can
from kunde.dedupe.normalize import organisation_name
from kunde.imports.mapping import ACTIVITY, DEAL, ORGANISATION, PERSON, PRODUCT
from kunde.imports.models import ExternalReference, ImportChange, ImportProblem, ImportRun
from kunde.imports.reading import MAX_CELL
from kunde.imports.rows import address_from
from kunde.interop.vcard import country_code
from kunde.sales.models import Deal, Stage, StageKind, StageVisit
from kunde.sales.services import deal_create, deal_delete, deal_move, deal_update, default_pipeline

TRUE_WORDS = {"1", "yes", "y", "true", "ja", "j", "wahr", "x", "active", "aktiv"}
FALSE_WORDS = {"0", "no", "n", "false", "nein", "falsch", "inactive", "inaktiv", "archived", "archiviert"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%m/%d/%Y", "%Y%m%d")
TIME_FORMATS = ("%H:%M:%S", "%H:%M")


@dataclass
class RecordRow:
    """One file row as the values it sets on its record (model field names), or why it cannot be imported."""

    number: int
    external_id: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # type-specific: contact points, tags, references
    errors: list[str] = field(default_factory=list)


@dataclass
class RecordOutcome:
    row: RecordRow
    action: str  # created, updated, unchanged, duplicate, failed
    record: Any = None
    changes: dict[str, Any] = field(default_factory=dict)
    detail: str = ""


def _cells(values: dict[str, str], row: RecordRow) -> dict[str, str]:
    cells = {name: (text or "").strip() for name, text in values.items()}
    too_long = sorted(name for name, text in cells.items() if len(text) > MAX_CELL)
    if too_long:
        row.errors.append(f"cell too long ({', '.join(too_long)}; at most {MAX_CELL} characters)")
        return {}
    return cells


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _stamp(record: models.Model) -> str:
    """What tells undo that a record changed since the import: its version, else its last change time."""
    version = getattr(record, "version", None)
    if version is not None:
        return f"v{version}"
    return _json(getattr(record, "updated_at", ""))


def _message(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, PermissionDenied):
        return str(error) or _("not allowed")
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)


def parse_date(text: str) -> dt.date | None:
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_datetime(text: str) -> dt.datetime | None:
    """A date with or without time (ISO 8601 with offset, 31.03.2024 14:30, 2024-03-31); naive means local time."""
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        date_text, _space, time_text = text.partition(" ")
        day = parse_date(date_text)
        if day is not None:
            moment = None if time_text.strip() else dt.time(0, 0)
            for pattern in TIME_FORMATS:
                if moment is not None:
                    break
                try:
                    moment = dt.datetime.strptime(time_text.strip(), pattern).time()
                except ValueError:
                    continue
            if moment is not None:
                parsed = dt.datetime.combine(day, moment)
    if parsed is None:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def parse_decimal(text: str) -> Decimal | None:
    """A number as people write it: 1.234,56 / 1,234.56 / 1234,56 / 12 € / EUR 12.00."""
    cleaned = re.sub(r"[\s€$£%]|EUR|CHF|USD", "", text, flags=re.IGNORECASE)
    if "," in cleaned and "." in cleaned:
        thousands, decimal_mark = (".", ",") if cleaned.rfind(",") > cleaned.rfind(".") else (",", ".")
        cleaned = cleaned.replace(thousands, "").replace(decimal_mark, ".")
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _lookup(rows: Iterable[Any], *names: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for row in rows:
        for name in names:
            if value := getattr(row, name, ""):
                table.setdefault(str(value).lower(), row)
    return table


class RecordImporter:
    """One pass over a run's file for one object type (the interface every non-person importer fills in)."""

    object_type: ClassVar[str]
    model: ClassVar[type[models.Model]]
    label: ClassVar[str]  # "organisation", in reasons

    def __init__(self, run: ImportRun, actor: User, *, dry_run: bool) -> None:
        self.require(actor)
        self.run, self.actor, self.dry_run = run, actor, dry_run
        # Keys of records this run created or would create -> row number (duplicates within the file).
        self.planned: dict[str, int] = {}
        self.created_ids = set(ImportChange.objects.filter(run=run, action=ImportChange.Action.CREATED)
                               .values_list("object_id", flat=True))

    # --- what each type fills in --------------------------------------------------------

    @classmethod
    def require(cls, actor: User) -> None:
        """Raise PermissionDenied unless `actor` may import this type at all."""
        if not can_create(actor):
            raise PermissionDenied(_("Your role may not create records."))

    def clean(self, number: int, values: dict[str, str]) -> RecordRow:
        raise NotImplementedError

    def keys(self, row: RecordRow) -> list[str]:
        """How a row finds its record, strongest first; no keys: matched by its row of the same file."""
        return [f"x:{row.external_id}"] if row.external_id else []

    def find(self, rows: list[RecordRow]) -> tuple[dict[str, Any], set[str]]:
        """Key -> record the user may change, and external ids held by records that are not theirs to change."""
        raise NotImplementedError

    def diff(self, record: Any, row: RecordRow) -> dict[str, Any]:
        """What the row would change on `record` (fields the row fills and that differ)."""
        return {name: value for name, value in row.values.items()
                if value not in ("", None) and getattr(record, name) != value}

    def create(self, row: RecordRow) -> Any:
        raise NotImplementedError

    def update(self, record: Any, row: RecordRow, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply `changes` through the app's service; return what undo needs to put back."""
        raise NotImplementedError

    def revert(self, record: Any, before: dict[str, Any]) -> None:
        raise NotImplementedError

    def remove(self, record: Any) -> str | None:
        """Take back a record the import created; return why it stays (or a note), or None."""
        raise NotImplementedError

    def may_change(self, record: Any) -> bool:
        return user_can(self.actor, Action.CHANGE, record)

    def resolve(self, rows: list[RecordRow]) -> None:
        """Look up what rows refer to (a batch at a time); a reference that is not found fails its row."""

    # --- the shared part ------------------------------------------------------------------

    def _external_ids(self, rows: list[RecordRow], object_type: str | None = None) -> dict[str, int]:
        values = {row.external_id for row in rows if row.external_id}
        if not values:
            return {}
        return dict(ExternalReference.objects.filter(object_type=object_type or self.object_type,
                                                     system=self.run.system, value__in=values)
                    .values_list("value", "object_id"))

    def _taken(self, references: dict[str, int], changeable: set[int]) -> set[str]:
        """External ids naming a record that exists but is not the user's to change (stale ones are free)."""
        others = {value: pk for value, pk in references.items() if pk not in changeable}
        if not others:
            return set()
        manager = getattr(self.model, "all_objects", self.model._default_manager)
        existing = set(manager.filter(pk__in=set(others.values())).values_list("pk", flat=True))
        return {value for value, pk in others.items() if pk in existing}

    def _same_row(self, numbers: list[int]) -> dict[int, int]:
        """Row number -> record an earlier, not undone run of the same file made from (or matched to) that row."""
        if not numbers or not self.run.file_hash:
            return {}
        return dict(ImportChange.objects.filter(run__file_hash=self.run.file_hash, run__object_type=self.object_type,
                                                row_number__in=numbers)
                    .exclude(run=self.run).exclude(run__status=ImportRun.Status.UNDONE)
                    .order_by("run_id", "id").values_list("row_number", "object_id"))

    def plan(self, rows: list[RecordRow]) -> list[RecordOutcome]:
        self.resolve([row for row in rows if not row.errors])
        found, taken = self.find([row for row in rows if not row.errors])
        keyless = [row.number for row in rows if not row.errors and not self.keys(row)]
        same_row_ids = self._same_row(keyless)
        same_row = {pk: record for pk, record in self.model._default_manager.in_bulk(
            set(same_row_ids.values())).items() if self.may_change(record)} if same_row_ids else {}
        outcomes = []
        for row in rows:
            if row.errors:
                outcomes.append(RecordOutcome(row, "failed", detail="; ".join(row.errors)))
                continue
            if row.external_id and row.external_id in taken:
                outcomes.append(RecordOutcome(row, "failed", detail=_(
                    "external id %(value)r of %(system)r belongs to a record you may not change or that was "
                    "deleted") % {"value": row.external_id, "system": self.run.system}))
                continue
            keys = self.keys(row)
            earlier = next((self.planned[key] for key in keys if key in self.planned), None)
            if keys:
                record = next((found[key] for key in keys if key in found), None)
            else:
                record = same_row.get(same_row_ids.get(row.number, 0))
            if earlier is not None or (record is not None and record.pk in self.created_ids):
                outcomes.append(RecordOutcome(row, "duplicate", record, detail=_("same %(label)s as row %(row)s") % {
                    "label": self.label, "row": earlier} if earlier else _("same %(label)s as a row above") % {
                    "label": self.label}))
                continue
            if record is None:
                for key in keys:
                    self.planned[key] = row.number
                outcomes.append(RecordOutcome(row, "created"))
                continue
            changes = self.diff(record, row)
            outcomes.append(RecordOutcome(row, "updated" if changes else "unchanged", record, changes,
                                          detail=", ".join(sorted(changes))))
        return outcomes

    def write(self, outcomes: list[RecordOutcome]) -> None:
        for outcome in outcomes:
            if outcome.action in {"created", "updated"}:
                try:
                    with transaction.atomic():  # a savepoint: a row the service refuses fails alone
                        self._write_one(outcome)
                except (ValidationError, PermissionDenied) as error:
                    outcome.action, outcome.detail, outcome.record = "failed", _message(error), None
        ImportProblem.objects.bulk_create([ImportProblem(run=self.run, row_number=o.row.number, message=o.detail)
                                           for o in outcomes if o.action == "failed"])

    def _write_one(self, outcome: RecordOutcome) -> None:
        row = outcome.row
        if outcome.action == "created":
            if row.external_id:
                # References left behind by records removed since are freed for the new one.
                manager = getattr(self.model, "all_objects", self.model._default_manager)
                (ExternalReference.objects.filter(object_type=self.object_type, system=self.run.system,
                                                  value=row.external_id)
                 .exclude(object_id__in=manager.values("pk")).delete())  # type: ignore[misc]
            record = self.create(row)
            outcome.record = record
            before: dict[str, Any] = {}
            self.created_ids.add(record.pk)
        else:
            record = outcome.record
            before = self.update(record, row, outcome.changes)
        # Services may touch the record again after saving it (history, stage moves): stamp what is stored.
        record.refresh_from_db()
        if row.external_id:
            reference, made = ExternalReference.objects.get_or_create(
                object_type=self.object_type, system=self.run.system, value=row.external_id,
                defaults={"object_id": record.pk})
            if made and outcome.action == "updated":
                before["references"] = [reference.pk]
        before["stamp"] = _stamp(record)
        ImportChange.objects.create(
            run=self.run, object_type=self.object_type, row_number=row.number, object_id=record.pk,
            action=ImportChange.Action.CREATED if outcome.action == "created" else ImportChange.Action.UPDATED,
            before=before, version=getattr(record, "version", None))

    def undo(self, change: ImportChange) -> str | None:
        """Take back one change of the run; return why it was left alone (or what was done instead), or None."""
        manager = getattr(self.model, "all_objects", self.model._default_manager)
        record = manager.filter(pk=change.object_id).first()
        if record is None:
            return None  # removed since: nothing left to take back
        if getattr(record, "deleted_at", None) is not None:
            return _("deleted since the import")
        if not self.may_change(record):
            return _("you may no longer change this %(label)s") % {"label": self.label}
        if change.before.get("stamp") and _stamp(record) != change.before["stamp"]:
            return _("changed since the import; undo would overwrite the newer values")
        if change.action == ImportChange.Action.UPDATED:
            ExternalReference.objects.filter(pk__in=change.before.get("references", []),
                                             object_id=record.pk).delete()
            self.revert(record, change.before)
            return None
        return self.remove(record)

    def _delete(self, record: Any) -> bool:
        """Remove a created record for good (audited); False if another record points at it."""
        try:
            with transaction.atomic():
                audit_record(actor=self.actor, action=AuditEntry.Action.DELETE, instance=record,
                             before=snapshot(record), extra={"import_undone": self.run.pk})
                search.remove(record)
                ExternalReference.objects.filter(object_type=self.object_type, object_id=record.pk).delete()
                record.delete()
            return True
        except ProtectedError:
            return False


# --- organisations ----------------------------------------------------------------------------

SIZES = {choice.value: choice.value for choice in CompanySize if choice.value}
LEGAL_FORMS = {choice.value.lower(): choice.value for choice in LegalForm if choice.value}


def _size(text: str) -> str | None:
    if text in SIZES:
        return text
    digits = re.sub(r"[\s.,]", "", text)
    if not digits.isdigit():
        match = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", text)
        digits = match.group(2) if match else ""
    if not digits.isdigit():
        return None
    count = int(digits)
    for limit, value in ((9, "1-9"), (49, "10-49"), (249, "50-249"), (999, "250-999")):
        if count <= limit:
            return value
    return "1000+"


class OrganisationImporter(RecordImporter):
    """Organisations, matched by external id, then VAT id, then name without legal form ("X GmbH" = "X AG")."""

    object_type = ORGANISATION
    model = Organisation
    label = "organisation"

    def __init__(self, run: ImportRun, actor: User, *, dry_run: bool) -> None:
        super().__init__(run, actor, dry_run=dry_run)
        self.stages = _lookup(LifecycleStage.objects.all(), "key", "label_en", "label_de")
        self.groups = _lookup(CustomerGroup.objects.all(), "key", "label_en", "label_de")
        self._names: dict[str, int] | None = None

    def clean(self, number: int, values: dict[str, str]) -> RecordRow:
        row = RecordRow(number=number)
        cells = _cells(values, row)
        if row.errors:
            return row
        found = row.values
        name = cells.get("name", "")
        if not name:
            row.errors.append("no name")
        elif len(name) > 200:
            row.errors.append("name longer than 200 characters")
        found["name"] = name[:200]
        row.external_id = cells.get("external_id", "")[:200]
        if legal_form := cells.get("legal_form"):
            if legal_form.lower() in LEGAL_FORMS:
                found["legal_form"] = LEGAL_FORMS[legal_form.lower()]
            else:
                row.errors.append(f"unknown legal form {legal_form!r}")
        if industry := cells.get("industry"):
            found["industry"] = industry[:100]
        if size_text := cells.get("size"):
            if (size := _size(size_text)) is None:
                row.errors.append(f"size {size_text!r} is not a number of employees")
            else:
                found["size"] = size
        if website := cells.get("website"):
            url = website if "://" in website else f"https://{website}"
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                row.errors.append(f"website {website!r} is not a web address")
            else:
                found["website"] = url[:200]
        if vat_id := cells.get("vat_id"):
            try:
                found["vat_id"] = normalize_vat_id(vat_id)
            except ValidationError as error:
                row.errors.append(f"invalid VAT id {vat_id!r}: {' '.join(error.messages)}")
        for name_, known, label in (("lifecycle_stage", self.stages, "lifecycle stage"),
                                    ("customer_group", self.groups, "customer group")):
            if value := cells.get(name_):
                if value.lower() in known:
                    found[name_] = known[value.lower()]
                else:
                    row.errors.append(f"unknown {label} {value!r}")
        if notes := cells.get("notes"):
            found["notes"] = notes
        if email := cells.get("email"):
            try:
                row.extra["email"] = normalize_email(email)
            except ValidationError as error:
                row.errors.append(f"e-mail: {' '.join(error.messages)} ({email!r})")
        region = (cells.get("country") and country_code(cells["country"])) or settings.KUNDE_DEFAULT_REGION
        if phone := cells.get("phone"):
            try:
                row.extra["phone"] = (normalize_phone(phone, region), phone, region)
            except ValidationError:
                row.errors.append(f"phone: not a valid phone number ({phone!r})")
        address, problems = address_from(cells)
        row.errors += problems
        if address:
            row.extra["address"] = address
        row.extra["tags"] = sorted({tag.strip()[:50] for tag in re.split(r"[,;]", cells.get("tags", ""))
                                    if tag.strip()})
        return row

    def keys(self, row: RecordRow) -> list[str]:
        keys = super().keys(row)
        if row.values.get("vat_id"):
            keys.append(f"v:{row.values['vat_id']}")
        if row.values.get("name"):
            keys.append(f"n:{organisation_name(row.values['name'])}")
        return keys

    def _name_index(self) -> dict[str, int]:
        """Normalised name -> the oldest organisation the user may change of that name (built once per pass)."""
        if self._names is None:
            self._names = {}
            for pk, name in organisation_queryset(self.actor, Action.CHANGE).order_by("id").values_list("id", "name"):
                self._names.setdefault(organisation_name(name), pk)
        return self._names

    def find(self, rows: list[RecordRow]) -> tuple[dict[str, Any], set[str]]:
        references = self._external_ids(rows)
        found = {f"x:{value}": pk for value, pk in references.items()}
        vat_ids = {row.values["vat_id"] for row in rows if row.values.get("vat_id")}
        changeable = organisation_queryset(self.actor, Action.CHANGE)
        if vat_ids:
            for pk, vat_id in changeable.filter(vat_id__in=vat_ids).order_by("-id").values_list("id", "vat_id"):
                found[f"v:{vat_id}"] = pk
        names = self._name_index()
        for row in rows:
            key = organisation_name(row.values.get("name", ""))
            if key in names:
                found[f"n:{key}"] = names[key]
        records = changeable.filter(pk__in=set(found.values())).prefetch_related("emails", "phones", "addresses",
                                                                                  "tags").in_bulk()
        return ({key: records[pk] for key, pk in found.items() if pk in records},
                self._taken(references, set(records)))

    def diff(self, record: Any, row: RecordRow) -> dict[str, Any]:
        changes = {name: value for name, value in row.values.items()
                   if value not in ("", None) and name != "name" and getattr(record, name) != value}
        # A name that only differs in spelling or legal form ("Mueller" for "Müller GmbH") is how the
        # row found the record, not a correction; a really different name (found by external id or
        # VAT id) is one.
        if organisation_name(row.values["name"]) != organisation_name(record.name):
            changes["name"] = row.values["name"]
        if (email := row.extra.get("email")) and email.lower() not in {e.email.lower() for e in record.emails.all()}:
            changes["emails"] = [email]
        if (phone := row.extra.get("phone")) and phone[0] not in {p.number for p in record.phones.all()}:
            changes["phones"] = [phone[0]]
        address = row.extra.get("address")
        if address and not any(a.street == address["street"] and a.city == address["city"]
                               for a in record.addresses.all()):
            changes["addresses"] = [str(address["street"])]
        if new_tags := sorted(set(row.extra["tags"]) - {t.name for t in record.tags.all()}):
            changes["tags"] = new_tags
        return changes

    def create(self, row: RecordRow) -> Any:
        extra = row.extra
        phone = extra.get("phone")
        return organisation_create(
            actor=self.actor, **row.values, tags=extra["tags"],
            emails=[{"email": extra["email"]}] if extra.get("email") else [],
            phones=[{"number": phone[1], "region": phone[2]}] if phone else [],
            addresses=[{**extra["address"], "is_primary": True}] if extra.get("address") else [])

    @staticmethod
    def _points(record: Organisation) -> dict[str, list[dict[str, Any]]]:
        return {
            "emails": [{"email": e.email, "kind": e.kind, "is_primary": e.is_primary} for e in record.emails.all()],
            "phones": [{"number": p.number if p.number.startswith("+") else f"+{p.number}", "kind": p.kind,
                        "is_primary": p.is_primary} for p in record.phones.all()],
            "addresses": [{"kind": a.kind, "street": a.street, "extra": a.extra, "postal_code": a.postal_code,
                           "city": a.city, "region": a.region, "country": a.country, "is_primary": a.is_primary}
                          for a in record.addresses.all()],
        }

    def update(self, record: Any, row: RecordRow, changes: dict[str, Any]) -> dict[str, Any]:
        scalars = {name: value for name, value in changes.items() if name not in {"emails", "phones", "addresses",
                                                                                    "tags"}}
        points = self._points(record)
        before: dict[str, Any] = {"fields": {name: _json(getattr(record, name)) if name not in {
            "lifecycle_stage", "customer_group"} else getattr(record, f"{name}_id") for name in scalars}}
        lists: dict[str, Any] = {}
        extra = row.extra
        # organisation_update replaces the lists it is given: the stored points plus the new one.
        if "emails" in changes:
            before["emails"], lists["emails"] = points["emails"], [*points["emails"], {"email": extra["email"]}]
        if "phones" in changes:
            phone = extra["phone"]
            before["phones"] = points["phones"]
            lists["phones"] = [*points["phones"], {"number": phone[1], "region": phone[2]}]
        if "addresses" in changes:
            before["addresses"] = points["addresses"]
            lists["addresses"] = [*points["addresses"], extra["address"]]
        if "tags" in changes:
            before["tags"] = sorted(t.name for t in record.tags.all())
            lists["tags"] = [*before["tags"], *changes["tags"]]
        organisation_update(actor=self.actor, organisation=record, expected_version=None, changes=scalars, **lists)
        return before

    def revert(self, record: Any, before: dict[str, Any]) -> None:
        fields = dict(before.get("fields", {}))
        for name, model in (("lifecycle_stage", LifecycleStage), ("customer_group", CustomerGroup)):
            if name in fields:
                fields[name] = model.objects.filter(pk=fields[name]).first() if fields[name] else None
        organisation_update(actor=self.actor, organisation=record, expected_version=None, changes=fields,
                            **{name: before[name] for name in ("emails", "phones", "addresses", "tags")
                               if name in before})

    def remove(self, record: Any) -> str | None:
        has_since = record.activities.exists() or record.employments.exists()
        if not has_since and self._delete(record):
            return None
        if not user_can(self.actor, Action.DELETE, record):
            return _("has people, history or other records since the import; only a user who may delete "
                     "organisations can remove it")
        ExternalReference.objects.filter(object_type=self.object_type, object_id=record.pk).delete()
        organisation_delete(actor=self.actor, organisation=record)  # soft delete: what refers to it stays reachable
        return None


# --- products ---------------------------------------------------------------------------------


class ProductImporter(RecordImporter):
    """Catalogue products (administrators only, as in the app), matched by SKU, then external id."""

    object_type = PRODUCT
    model = Product
    label = "product"

    def __init__(self, run: ImportRun, actor: User, *, dry_run: bool) -> None:
        super().__init__(run, actor, dry_run=dry_run)
        self.categories = _lookup(ProductCategory.objects.all(), "key", "name_en", "name_de")
        self.rates = allowed_vat_rates()

    @classmethod
    def require(cls, actor: User) -> None:
        if not is_admin(actor):
            raise PermissionDenied(_("Only administrators may import products."))

    def may_change(self, record: Any) -> bool:
        return is_admin(self.actor)

    def clean(self, number: int, values: dict[str, str]) -> RecordRow:
        row = RecordRow(number=number)
        cells = _cells(values, row)
        if row.errors:
            return row
        found = row.values
        sku, name = cells.get("sku", ""), cells.get("name", "")
        if not sku:
            row.errors.append("no SKU")
        elif len(sku) > 60:
            row.errors.append("SKU longer than 60 characters")
        if not name:
            row.errors.append("no name")
        row.extra["sku"] = sku[:60]
        found["name"] = name[:200]
        row.external_id = cells.get("external_id", "")[:200]
        if price_text := cells.get("net_price"):
            price = parse_decimal(price_text)
            if price is None:
                row.errors.append(f"price {price_text!r} is not a number")
            elif price < 0:
                row.errors.append(f"negative price {price_text!r}")
            else:
                found["net_price"] = price.quantize(Decimal("0.01"))
        else:
            row.errors.append("no net price")
        if rate_text := cells.get("vat_rate"):
            rate = parse_decimal(rate_text)
            if rate is not None and 0 < rate < 1:
                rate *= 100  # "0.19" as a fraction
            if rate is None or rate.normalize() not in {r.normalize() for r in self.rates}:
                row.errors.append(f"unknown VAT rate {rate_text!r} (allowed: "
                                  f"{', '.join(str(r) for r in sorted(self.rates))} %)")
            else:
                found["vat_rate"] = rate.quantize(Decimal("0.01"))
        if unit := cells.get("unit"):
            found["unit"] = unit[:20]
        if description := cells.get("description"):
            found["description"] = description
        if category := cells.get("category"):
            if category.lower() in self.categories:
                found["category"] = self.categories[category.lower()]
            else:
                row.errors.append(f"unknown category {category!r}")
        if active := cells.get("is_active"):
            if active.lower() in TRUE_WORDS:
                found["is_active"] = True
            elif active.lower() in FALSE_WORDS:
                found["is_active"] = False
            else:
                row.errors.append(f"active {active!r} is not yes or no")
        return row

    def keys(self, row: RecordRow) -> list[str]:
        return [f"s:{row.extra['sku']}", *super().keys(row)]

    def find(self, rows: list[RecordRow]) -> tuple[dict[str, Any], set[str]]:
        references = self._external_ids(rows)
        products = Product.objects.filter(sku__in={row.extra["sku"] for row in rows}).in_bulk(field_name="sku")
        by_id = Product.objects.in_bulk(set(references.values()))
        found: dict[str, Any] = {f"s:{sku}": product for sku, product in products.items()}
        found.update({f"x:{value}": by_id[pk] for value, pk in references.items() if pk in by_id})
        return found, set()

    def diff(self, record: Any, row: RecordRow) -> dict[str, Any]:
        changes = super().diff(record, row)
        if "is_active" in row.values and record.is_active != row.values["is_active"]:
            changes["is_active"] = row.values["is_active"]
        if row.extra["sku"] != record.sku:
            changes["sku"] = row.extra["sku"]  # found by its external id: the SKU was corrected
        return changes

    def create(self, row: RecordRow) -> Any:
        return product_create(actor=self.actor, sku=row.extra["sku"], **row.values)

    def update(self, record: Any, row: RecordRow, changes: dict[str, Any]) -> dict[str, Any]:
        before = {"fields": {name: (record.category_id if name == "category" else _json(getattr(record, name)))
                             for name in changes}}
        if "sku" in changes:
            # product_update changes prices and flags; the SKU is a plain field, checked by full_clean there.
            record.sku = changes["sku"]
        product_update(actor=self.actor, product=record, changes={k: v for k, v in changes.items() if k != "sku"})
        return before

    def revert(self, record: Any, before: dict[str, Any]) -> None:
        fields = dict(before.get("fields", {}))
        if "category" in fields:
            fields["category"] = ProductCategory.objects.filter(pk=fields["category"]).first()
        if "sku" in fields:
            record.sku = fields.pop("sku")
        product_update(actor=self.actor, product=record, changes=fields)

    def remove(self, record: Any) -> str | None:
        if self._delete(record):
            return None
        # Order or quote lines point at it: the catalogue keeps it, but it is no longer offered.
        ExternalReference.objects.filter(object_type=self.object_type, object_id=record.pk).delete()
        product_update(actor=self.actor, product=record, changes={"is_active": False})
        return _("ordered or quoted since the import; deactivated instead of removed")


# --- history entries --------------------------------------------------------------------------

CHANNEL_WORDS: dict[str, str] = {
    **{choice.value: choice.value for choice in Channel},
    **{str(choice.label).lower(): choice.value for choice in Channel},
    "call": "phone", "anruf": "phone", "telefon": "phone", "telefonat": "phone", "phone call": "phone",
    "logged call": "phone", "e-mail": "email", "mail": "email", "logged email": "email", "besuch": "meeting",
    "termin": "meeting", "treffen": "meeting", "video call": "video", "videocall": "video", "teams": "video",
    "zoom": "video", "brief": "letter", "post": "letter", "veranstaltung": "event", "messe": "event",
    "whatsapp": "chat", "linkedin": "social", "linkedin message": "social", "sonstiges": "other",
    "lunch": "meeting", "deadline": "other",
}
KIND_WORDS = {"contact": Kind.CONTACT, "kontakt": Kind.CONTACT, "note": Kind.NOTE, "notiz": Kind.NOTE,
              "notes": Kind.NOTE, "task": Kind.TASK, "aufgabe": Kind.TASK, "todo": Kind.TASK, "to-do": Kind.TASK}
DIRECTIONS = {"in": Direction.INBOUND, "inbound": Direction.INBOUND, "incoming": Direction.INBOUND,
              "eingehend": Direction.INBOUND, "out": Direction.OUTBOUND, "outbound": Direction.OUTBOUND,
              "outgoing": Direction.OUTBOUND, "ausgehend": Direction.OUTBOUND, "internal": Direction.INTERNAL,
              "intern": Direction.INTERNAL}
HISTORY_FIELDS = ("channel", "direction", "occurred_at", "due_at", "subject", "notes", "outcome",
                  "duration_minutes", "topic")


def _minutes(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if re.fullmatch(r"\d{1,3}:\d{2}(:\d{2})?", text):
        parts = [int(part) for part in text.split(":")]
        hours, minutes, seconds = parts if len(parts) == 3 else [0, *parts]
        return hours * 60 + minutes + (1 if seconds >= 30 else 0)
    return None


def _clean_references(cells: dict[str, str], row: RecordRow) -> None:
    """The person (e-mail, external id) and organisation (name, external id) a row names; at least one."""
    if email := cells.get("person_email"):
        try:
            row.extra["person_email"] = normalize_email(email).lower()
        except ValidationError:
            row.errors.append(f"person e-mail {email!r} is not an e-mail address")
    row.extra["person_external_id"] = cells.get("person_external_id", "")
    row.extra["organisation"] = cells.get("organisation", "")
    row.extra["organisation_external_id"] = cells.get("organisation_external_id", "")
    if not any(row.extra.get(name) for name in ("person_email", "person_external_id", "organisation",
                                                  "organisation_external_id")):
        row.errors.append("no person or organisation")


class CustomerReferences(RecordImporter):
    """Rows that name their customer: a person by e-mail or external id, an organisation by name or external id."""

    customer_must_be_changeable: ClassVar[bool] = True

    def resolve(self, rows: list[RecordRow]) -> None:
        """Find each row's person and organisation among those the user may see; then check they may change them."""
        emails = {row.extra["person_email"] for row in rows if row.extra.get("person_email")}
        person_refs = {row.extra["person_external_id"] for row in rows if row.extra["person_external_id"]}
        org_refs = {row.extra["organisation_external_id"] for row in rows if row.extra["organisation_external_id"]}
        org_names = {row.extra["organisation"].lower() for row in rows if row.extra["organisation"]}
        visible_people = person_queryset(self.actor, Action.VIEW)
        by_email: dict[str, int] = {}
        if emails:
            for address, holder_id in (EmailAddress.objects.annotate(email_lower=Lower("email"))
                                       .filter(email_lower__in=emails, person__in=visible_people)
                                       .order_by("id").values_list("email_lower", "person_id")):
                by_email.setdefault(address, holder_id)
        by_ref: dict[str, int] = {}
        if person_refs:
            refs = dict(ExternalReference.objects.filter(object_type=PERSON, system=self.run.system,
                                                         value__in=person_refs).values_list("value", "object_id"))
            seen = set(visible_people.filter(pk__in=set(refs.values())).values_list("pk", flat=True))
            by_ref = {value: pk for value, pk in refs.items() if pk in seen}
        visible_orgs = organisation_queryset(self.actor, Action.VIEW)
        org_by_ref: dict[str, int] = {}
        if org_refs:
            refs = dict(ExternalReference.objects.filter(object_type=ORGANISATION, system=self.run.system,
                                                         value__in=org_refs).values_list("value", "object_id"))
            seen = set(visible_orgs.filter(pk__in=set(refs.values())).values_list("pk", flat=True))
            org_by_ref = {value: pk for value, pk in refs.items() if pk in seen}
        org_by_name: dict[str, set[int]] = {}
        if org_names:
            for pk, name in (visible_orgs.annotate(name_lower=Lower("name")).filter(name_lower__in=org_names)
                             .values_list("id", "name_lower")):
                org_by_name.setdefault(name, set()).add(pk)
        people = person_queryset(self.actor, Action.VIEW).in_bulk({*by_email.values(), *by_ref.values()})
        organisations = organisation_queryset(self.actor, Action.VIEW).in_bulk(
            {*org_by_ref.values(), *(pk for pks in org_by_name.values() for pk in pks)})
        changeable_people = set(person_queryset(self.actor, Action.CHANGE).filter(pk__in=set(people))
                                .values_list("pk", flat=True))
        changeable_orgs = set(organisation_queryset(self.actor, Action.CHANGE).filter(pk__in=set(organisations))
                              .values_list("pk", flat=True))
        for row in rows:
            extra = row.extra
            person_id: int | None = None
            if email := extra.get("person_email"):
                person_id = by_email.get(email)
                if person_id is None:
                    row.errors.append(f"no person with e-mail {email} you may see")
            if value := extra["person_external_id"]:
                by_value = by_ref.get(value)
                if by_value is None:
                    row.errors.append(f"no person with external id {value!r} of {self.run.system!r} you may see")
                elif person_id is not None and by_value != person_id:
                    row.errors.append("the e-mail and the external id name different people")
                person_id = person_id or by_value
            organisation_id: int | None = None
            if value := extra["organisation_external_id"]:
                organisation_id = org_by_ref.get(value)
                if organisation_id is None:
                    row.errors.append(f"no organisation with external id {value!r} of {self.run.system!r} you may "
                                      "see")
            if (name := extra["organisation"]) and organisation_id is None:
                candidates = org_by_name.get(name.lower(), set())
                if not candidates:
                    row.errors.append(f"no organisation called {name!r} you may see")
                elif len(candidates) > 1:
                    row.errors.append(f"several organisations are called {name!r}; give its external id")
                else:
                    organisation_id = next(iter(candidates))
            if row.errors:
                continue
            extra["person"] = people.get(person_id) if person_id else None
            extra["organisation_record"] = organisations.get(organisation_id) if organisation_id else None
            # Writing history on a customer is a change of that customer (as in activity_record).
            if self.customer_must_be_changeable and not ((person_id and person_id in changeable_people) or
                                                         (organisation_id and organisation_id in changeable_orgs)):
                row.errors.append("you may not record history for this customer")


class ActivityImporter(CustomerReferences):
    """History entries (contacts, notes, tasks) on people and organisations named by reference."""

    object_type = ACTIVITY
    model = Activity
    label = "history entry"

    def clean(self, number: int, values: dict[str, str]) -> RecordRow:
        row = RecordRow(number=number)
        cells = _cells(values, row)
        if row.errors:
            return row
        found = row.values
        row.external_id = cells.get("external_id", "")[:200]
        subject = cells.get("subject", "")
        if not subject:
            row.errors.append("no subject")
        found["subject"] = subject[:200]
        kind = ""
        if kind_text := cells.get("kind"):
            kind = KIND_WORDS.get(kind_text.lower(), "")
            if not kind:
                row.errors.append(f"unknown kind {kind_text!r} (contact, note or task)")
        if channel_text := cells.get("channel"):
            word = channel_text.lower()
            if word in KIND_WORDS and not kind:  # HubSpot's and Pipedrive's "type" column also says Note or Task
                kind = KIND_WORDS[word]
            elif word in CHANNEL_WORDS:
                found["channel"] = CHANNEL_WORDS[word]
            else:
                row.errors.append(f"unknown channel {channel_text!r}")
        kind = kind or (Kind.CONTACT if found.get("channel") else Kind.NOTE)
        row.extra["kind"] = kind
        if kind == Kind.CONTACT and not found.get("channel") and not channel_text:
            row.errors.append("a contact needs a channel (phone, e-mail, meeting, …)")
        if direction := cells.get("direction"):
            if direction.lower() in DIRECTIONS:
                found["direction"] = DIRECTIONS[direction.lower()]
            else:
                row.errors.append(f"unknown direction {direction!r}")
        for name in ("occurred_at", "due_at"):
            if text := cells.get(name):
                if (moment := parse_datetime(text)) is None:
                    row.errors.append(f"{name.replace('_', ' ')} {text!r} is not a date (use 2024-03-31 14:30 or "
                                      "31.03.2024 14:30)")
                else:
                    found[name] = moment
        if kind == Kind.TASK and "due_at" not in found:
            if "occurred_at" in found:
                found["due_at"] = found.pop("occurred_at")  # a task's only date is when it is due
            elif not any("due at" in error for error in row.errors):
                row.errors.append("a task needs a due date")
        if kind != Kind.TASK:
            if "occurred_at" not in found and not any("occurred at" in e for e in row.errors):
                row.errors.append("no date")
            elif found.get("occurred_at") and found["occurred_at"] > timezone.now() + dt.timedelta(minutes=5):
                row.errors.append(f"date in the future ({cells['occurred_at']}) for a {kind} that already happened")
        if duration := cells.get("duration_minutes"):
            if (minutes := _minutes(duration)) is None:
                row.errors.append(f"duration {duration!r} is not a number of minutes (or 1:30)")
            else:
                found["duration_minutes"] = minutes
        for name, limit in (("notes", None), ("outcome", 200), ("topic", 80)):
            if text := cells.get(name):
                found[name] = text[:limit] if limit else text
        _clean_references(cells, row)
        return row

    def find(self, rows: list[RecordRow]) -> tuple[dict[str, Any], set[str]]:
        references = self._external_ids(rows)
        records = Activity.objects.for_user(self.actor, Action.CHANGE).in_bulk(set(references.values()))
        found = {f"x:{value}": records[pk] for value, pk in references.items() if pk in records}
        return found, self._taken(references, set(records))

    def create(self, row: RecordRow) -> Any:
        fields = dict(row.values)
        if row.extra["kind"] == Kind.TASK:
            fields["assignee"] = self.actor
        return activity_record(actor=self.actor, kind=row.extra["kind"], person=row.extra["person"],
                               organisation=row.extra["organisation_record"],
                               data={"import": self.run.pk}, **fields)

    def update(self, record: Any, row: RecordRow, changes: dict[str, Any]) -> dict[str, Any]:
        before = {"fields": {name: _json(getattr(record, name)) for name in changes}}
        activity_update(actor=self.actor, activity=record, expected_version=None, changes=changes)
        return before

    def revert(self, record: Any, before: dict[str, Any]) -> None:
        fields = {name: (dt.datetime.fromisoformat(value) if name in {"occurred_at", "due_at"} and value else value)
                  for name, value in before.get("fields", {}).items()}
        activity_update(actor=self.actor, activity=record, expected_version=None, changes=fields)

    def remove(self, record: Any) -> str | None:
        if self._delete(record):
            return None
        return _("other records refer to this history entry since the import")


# --- deals ------------------------------------------------------------------------------------


# The timeline entries deal_create and deal_win write: what an imported deal has when nobody touched it.
IMPORT_DEAL_HISTORY = ("sales.deal_created", "sales.deal_won", "sales.deal_stage_changed")


class DealImporter(CustomerReferences):
    """Deals of the default pipeline, matched by external id, on a customer named by reference.

    Rows may put a deal in an open or a won stage; a lost deal needs a reason, which a file
    does not give reliably, so lost rows fail with that reason.
    """

    object_type = DEAL
    model = Deal
    label = "deal"
    customer_must_be_changeable = False  # as in deal_create: a deal needs a customer the user may see

    def __init__(self, run: ImportRun, actor: User, *, dry_run: bool) -> None:
        super().__init__(run, actor, dry_run=dry_run)
        self.pipeline = default_pipeline()
        self.stages = _lookup(Stage.objects.filter(pipeline=self.pipeline).order_by("position", "id"),
                              "name_en", "name_de")

    def clean(self, number: int, values: dict[str, str]) -> RecordRow:
        row = RecordRow(number=number)
        cells = _cells(values, row)
        if row.errors:
            return row
        found = row.values
        row.external_id = cells.get("external_id", "")[:200]
        title = cells.get("title", "")
        if not title:
            row.errors.append("no title")
        found["title"] = title[:200]
        if amount_text := cells.get("amount"):
            amount = parse_decimal(amount_text)
            if amount is None:
                row.errors.append(f"amount {amount_text!r} is not a number")
            elif amount < 0:
                row.errors.append(f"negative amount {amount_text!r}")
            else:
                found["amount"] = amount.quantize(Decimal("0.01"))
        if currency := cells.get("currency"):
            if re.fullmatch(r"[A-Za-z]{3}", currency):
                found["currency"] = currency.upper()
            else:
                row.errors.append(f"unknown currency {currency!r} (use a code such as EUR)")
        if close := cells.get("expected_close_date"):
            moment = parse_datetime(close)
            day = parse_date(close) or (moment.date() if moment is not None else None)
            if day is None:
                row.errors.append(f"expected close date {close!r} is not a date")
            else:
                found["expected_close_date"] = day
        if probability := cells.get("probability"):
            number_ = parse_decimal(probability)
            if number_ is None or not 0 <= number_ <= 100:
                row.errors.append(f"probability {probability!r} is not between 0 and 100")
            else:
                found["probability"] = int(number_)
        for name, limit in (("next_step", 300), ("source", 0), ("notes", 0)):
            if text := cells.get(name):
                found[name] = text[:limit] if limit else text
        if stage_name := cells.get("stage"):
            stage = self.stages.get(stage_name.lower())
            if stage is None:
                row.errors.append(f"unknown stage {stage_name!r} of the pipeline {self.pipeline}")
            elif stage.kind == StageKind.LOST:
                row.errors.append(f"stage {stage_name!r} is lost: a lost deal needs a reason; import it open and "
                                  "close it in the app")
            else:
                row.extra["stage"] = stage
        _clean_references(cells, row)
        return row

    def find(self, rows: list[RecordRow]) -> tuple[dict[str, Any], set[str]]:
        references = self._external_ids(rows)
        records = Deal.objects.for_user(self.actor, Action.CHANGE).select_related("stage").in_bulk(
            set(references.values()))
        found = {f"x:{value}": records[pk] for value, pk in references.items() if pk in records}
        return found, self._taken(references, set(records))

    def diff(self, record: Any, row: RecordRow) -> dict[str, Any]:
        changes = super().diff(record, row)
        for name, key in (("person", "person"), ("organisation", "organisation_record")):
            if row.extra.get(key) is not None and getattr(record, f"{name}_id") != row.extra[key].pk:
                changes[name] = row.extra[key]
        if (stage := row.extra.get("stage")) is not None and stage.pk != record.stage_id:
            changes["stage"] = stage
        return changes

    def create(self, row: RecordRow) -> Any:
        stage = row.extra.get("stage")
        deal = deal_create(actor=self.actor, person=row.extra["person"], organisation=row.extra["organisation_record"],
                           pipeline=self.pipeline, stage=stage if stage is not None and stage.kind == StageKind.OPEN
                           else None, **row.values)
        if stage is not None and stage.kind == StageKind.WON:
            deal = deal_move(actor=self.actor, deal=deal, stage=stage)
        return deal

    def update(self, record: Any, row: RecordRow, changes: dict[str, Any]) -> dict[str, Any]:
        fields = {name: value for name, value in changes.items() if name != "stage"}
        before: dict[str, Any] = {"fields": {
            name: getattr(record, f"{name}_id") if name in {"person", "organisation"} else _json(getattr(record, name))
            for name in fields}}
        if fields:
            record = deal_update(actor=self.actor, deal=record, changes=fields, expected_version=None)
        if "stage" in changes:
            before["stage"] = record.stage_id
            deal_move(actor=self.actor, deal=record, stage=changes["stage"])
        return before

    def revert(self, record: Any, before: dict[str, Any]) -> None:
        fields = dict(before.get("fields", {}))
        for name, model in (("person", Person), ("organisation", Organisation)):
            if name in fields:
                fields[name] = model.all_objects.filter(pk=fields[name]).first() if fields[name] else None
        if "amount" in fields:
            fields["amount"] = Decimal(fields["amount"])
        if fields.get("expected_close_date"):
            fields["expected_close_date"] = dt.date.fromisoformat(fields["expected_close_date"])
        if fields:
            record = deal_update(actor=self.actor, deal=record, changes=fields, expected_version=None)
        if "stage" in before:
            deal_move(actor=self.actor, deal=record, stage=Stage.objects.get(pk=before["stage"]))

    def remove(self, record: Any) -> str | None:
        """A deal nobody worked on since goes away with the timeline entries its import wrote; else soft-deleted."""
        from django.contrib.contenttypes.models import ContentType

        entries = Activity.objects.filter(related_type=ContentType.objects.get_for_model(Deal),
                                          related_id=str(record.pk))
        if not entries.exclude(kind__in=IMPORT_DEAL_HISTORY).exists():
            with transaction.atomic():
                for entry in entries:
                    audit_record(actor=self.actor, action=AuditEntry.Action.DELETE, instance=entry,
                                 before=snapshot(entry), extra={"import_undone": self.run.pk})
                entries.delete()
                StageVisit.objects.filter(deal=record).delete()
                if self._delete(record):
                    return None
                transaction.set_rollback(True)
        if not user_can(self.actor, Action.DELETE, record):
            return _("has history or other records since the import; only a user who may delete deals can "
                     "remove it")
        ExternalReference.objects.filter(object_type=self.object_type, object_id=record.pk).delete()
        deal_delete(actor=self.actor, deal=record)  # soft delete: the timeline's entries still lead somewhere
        return None


IMPORTERS: dict[str, type[RecordImporter]] = {
    ORGANISATION: OrganisationImporter,
    PRODUCT: ProductImporter,
    ACTIVITY: ActivityImporter,
    DEAL: DealImporter,
}
