"""Running an import: plan each row (create, update, unchanged, duplicate, failed), then write a batch.

Rows go in batches of `BATCH` in one transaction each, together with the run's checkpoint
(`rows_done`, counts): a crash or kill loses at most the batch in flight, never half a row,
and `resume` continues after the last committed row. A dry run plans every row exactly as
the real run would and writes nothing but its report.

New people are written in bulk (people, contact points, employments, tags, external ids,
audit entries, search entries: a few statements per batch); matched people are updated
through the same write helper as every edit (audit, version), and only fields the file
fills and that differ are changed, so importing the same file again changes nothing.
Both announce `contacts.person_created` / `person_updated` after commit, as every other
write does, so webhooks and automations see imported people too.

E-mail addresses match whatever their case. A row without e-mail, phone or external id has
no key: it matches only the person an earlier run of the very same file (same SHA-256)
made from the same row, and is otherwise created and reported as such.
"""

from __future__ import annotations

import csv
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
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
from kunde.contacts.search import person_document_from_values
from kunde.contacts.selectors import organisation_queryset, person_queryset
from kunde.contacts.services import OrganisationEvent, PersonEvent
from kunde.core import search
from kunde.core.audit import audit_record, snapshot
from kunde.core.context import current_request_id
from kunde.core.events import emit_on_commit
from kunde.core.models import AuditEntry, Tag, model_label
from kunde.core.services import record_update
from kunde.imports.models import ExternalReference, ImportChange, ImportProblem, ImportRun
from kunde.imports.reading import Table, open_table
from kunde.imports.records import IMPORTERS, RecordImporter
from kunde.imports.rows import CleanRow, clean_row

BATCH = 1000
PERSON = "contacts.person"
SCALARS = ("salutation", "title", "first_name", "last_name", "birthday", "preferred_language",
           "lifecycle_stage_id", "customer_group_id", "notes")


@dataclass
class Matches:
    """What a batch's keys find: people the user may change, and external ids that are not theirs to use."""

    people: dict[str, Person] = field(default_factory=dict)  # key -> person
    # External ids of the run's system held by a person the user may not change (or who was deleted).
    taken: set[str] = field(default_factory=set)
    # Row number -> person made from that row of the same file by an earlier run (rows without keys).
    same_row: dict[int, Person] = field(default_factory=dict)


@dataclass
class Outcome:
    row: CleanRow
    action: str  # created, updated, unchanged, duplicate, failed
    person: Person | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    detail: str = ""


def _lookups() -> tuple[dict[str, int], dict[str, int]]:
    def keyed(rows: Iterable[Any]) -> dict[str, int]:
        table: dict[str, int] = {}
        for row in rows:
            for name in (row.key, row.label_en, row.label_de):
                table.setdefault(name.lower(), row.pk)
        return table

    return keyed(LifecycleStage.objects.all()), keyed(CustomerGroup.objects.all())


def _values(table: Table, mapping: dict[str, str], cells: list[str]) -> dict[str, str]:
    return {mapping[header]: (cells[index] if index < len(cells) else "")
            for index, header in enumerate(table.headers) if mapping.get(header)}


class Importer:
    """One pass over a run's file (real or dry)."""

    def __init__(self, run: ImportRun, actor: User, *, dry_run: bool) -> None:
        self.run, self.actor, self.dry_run = run, actor, dry_run
        self.stages, self.groups = _lookups()
        self.visible = person_queryset(actor, "change")
        # Keys (e-mail, phone, external id) of people this run created or would create -> row number.
        self.planned: dict[str, int] = {}
        self.created_ids = set(ImportChange.objects.filter(run=run, action=ImportChange.Action.CREATED)
                               .values_list("object_id", flat=True))
        self.organisations: dict[str, int] = {}
        self.team = actor.primary_team

    def clean(self, number: int, values: dict[str, str]) -> CleanRow:
        return clean_row(number, values, stages=self.stages, groups=self.groups)

    # --- planning -------------------------------------------------------------------

    def plan(self, rows: list[CleanRow]) -> list[Outcome]:
        found = self._matches(rows)
        matches = found.people
        outcomes = []
        for row in rows:
            if row.errors:
                outcomes.append(Outcome(row, "failed", detail="; ".join(row.errors)))
                continue
            if row.external_id in found.taken:
                # Creating the person would take over an id that names someone else; matching
                # them is not allowed. The row fails alone instead of the whole batch.
                outcomes.append(Outcome(row, "failed", detail=_(
                    "external id %(value)r of %(system)r belongs to a person you may not change or who was "
                    "deleted") % {"value": row.external_id, "system": self.run.system}))
                continue
            keys = _keys(row)
            earlier = next((self.planned[key] for key in keys if key in self.planned), None)
            person = next((matches[key] for key in keys if key in matches), None)
            if not keys:
                person = found.same_row.get(row.number)
            if earlier is not None or (person is not None and person.pk in self.created_ids):
                outcomes.append(Outcome(row, "duplicate", person,
                                        detail=f"same person as row {earlier}" if earlier else "same person as a "
                                        "row above"))
                continue
            if person is None:
                for key in keys:
                    self.planned[key] = row.number
                outcomes.append(Outcome(row, "created", detail="" if keys else _(
                    "no e-mail, phone or external id to match an existing person by")))
                continue
            changes = _changes(person, row)
            outcomes.append(Outcome(row, "updated" if changes else "unchanged", person, changes,
                                    detail=", ".join(sorted(changes))))
        return outcomes

    def _matches(self, rows: list[CleanRow]) -> Matches:
        """People matching the batch's rows (external id first, then e-mail, phone; rows without keys by position)."""
        external = {row.external_id for row in rows if row.external_id}
        emails = {email.lower() for row in rows for email in row.emails}
        phones = {number for row in rows if not row.emails for number, _kind in row.phones}
        found: dict[str, int] = {}
        if external:
            for value, object_id in ExternalReference.objects.filter(
                    object_type=PERSON, system=self.run.system, value__in=external).values_list("value", "object_id"):
                found[f"x:{value}"] = object_id
        if emails:
            # Addresses keep the case of their local part (J.Weiss@…): compare lower-cased.
            for email, person_id in (EmailAddress.objects.annotate(email_lower=Lower("email"))
                                     .filter(email_lower__in=emails, person__isnull=False)
                                     .order_by("id").values_list("email", "person_id")):
                found.setdefault(f"e:{email.lower()}", person_id)
        if phones:
            for number, person_id in (PhoneNumber.objects.filter(number__in=phones, person__isnull=False)
                                      .values_list("number", "person_id")):
                found.setdefault(f"p:{number}", person_id)
        same_row = self._same_row_ids([row.number for row in rows if not row.errors and not _keys(row)])
        people = {p.pk: p for p in self.visible.filter(pk__in={*found.values(), *same_row.values()})
                  .prefetch_related("emails", "phones", "addresses", "tags", "employments__organisation")}
        result = Matches(people={key: people[pk] for key, pk in found.items() if pk in people},
                         same_row={number: people[pk] for number, pk in same_row.items() if pk in people})
        unmatched = {key[2:]: pk for key, pk in found.items() if key.startswith("x:") and pk not in people}
        if unmatched:
            existing = set(Person.all_objects.filter(pk__in=set(unmatched.values())).values_list("pk", flat=True))
            result.taken = {value for value, pk in unmatched.items() if pk in existing}
        return result

    def _same_row_ids(self, numbers: list[int]) -> dict[int, int]:
        """Row number -> person an earlier, not undone run of the same file made from (or matched to) that row."""
        if not numbers or not self.run.file_hash:
            return {}
        changes = (ImportChange.objects.filter(run__file_hash=self.run.file_hash, run__object_type=PERSON,
                                               row_number__in=numbers)
                   .exclude(run=self.run).exclude(run__status=ImportRun.Status.UNDONE)
                   .order_by("run_id", "id").values_list("row_number", "object_id"))
        return dict(changes)  # the latest run wins

    # --- writing ------------------------------------------------------------------------

    def write(self, outcomes: list[Outcome]) -> None:
        created = [o for o in outcomes if o.action == "created"]
        if created:
            self._create(created)
        for outcome in outcomes:
            if outcome.action == "updated":
                self._update(outcome)
        problems = [ImportProblem(run=self.run, row_number=o.row.number, message=o.detail)
                    for o in outcomes if o.action == "failed"]
        ImportProblem.objects.bulk_create(problems)

    def _organisation_ids(self, names: set[str]) -> dict[str, int]:
        wanted = {name.lower(): name for name in names if name and name.lower() not in self.organisations}
        if wanted:
            for org_id, name in (organisation_queryset(self.actor).filter(
                    _name_in(list(wanted.values()))).order_by("id").values_list("id", "name")):
                self.organisations.setdefault(name.lower(), org_id)
            missing = [Organisation(name=wanted[key], owner=self.actor, team=self.team)
                       for key in wanted if key not in self.organisations]
            for organisation in Organisation.objects.bulk_create(missing):
                self.organisations[organisation.name.lower()] = organisation.pk
                _audit_created(self.actor, [organisation])
                search.reindex(organisation)
                emit_on_commit(OrganisationEvent.CREATED, id=organisation.pk)
        return {name: self.organisations[name.lower()] for name in names if name}

    def _create(self, outcomes: list[Outcome]) -> None:
        people = Person.objects.bulk_create([
            Person(owner=self.actor, team=self.team, **o.row.person) for o in outcomes])
        stale = {o.row.external_id for o in outcomes if o.row.external_id}
        if stale:
            # References left behind by people erased since (no person row any more) are freed for reuse.
            stale_refs = ExternalReference.objects.filter(object_type=PERSON, system=self.run.system,
                                                          value__in=stale)
            stale_refs.exclude(object_id__in=Person.all_objects.values("pk")).delete()
        organisations = self._organisation_ids({o.row.organisation for o in outcomes})
        emails, phones, addresses, employments, references, links = [], [], [], [], [], []
        tags = _tags({tag for o in outcomes for tag in o.row.tags})
        for outcome, person in zip(outcomes, people, strict=True):
            outcome.person = person
            row = outcome.row
            emails += [EmailAddress(person=person, email=e, is_primary=i == 0) for i, e in enumerate(row.emails)]
            phones += [PhoneNumber(person=person, number=n, kind=k, is_primary=i == 0)
                       for i, (n, k) in enumerate(row.phones)]
            if row.address:
                addresses.append(Address(person=person, is_primary=True, **row.address))
            if row.organisation:
                employments.append(Employment(person=person, organisation_id=organisations[row.organisation],
                                              role=row.role))
            if row.external_id:
                references.append(ExternalReference(object_type=PERSON, object_id=person.pk,
                                                    system=self.run.system, value=row.external_id))
            links += [Person.tags.through(person_id=person.pk, tag_id=tags[name]) for name in row.tags]
        EmailAddress.objects.bulk_create(emails)
        PhoneNumber.objects.bulk_create(phones)
        Address.objects.bulk_create(addresses)
        Employment.objects.bulk_create(employments)
        ExternalReference.objects.bulk_create(references)
        Person.tags.through.objects.bulk_create(links)
        _audit_created(self.actor, people, extra={"import": self.run.pk})
        ImportChange.objects.bulk_create([
            ImportChange(run=self.run, row_number=o.row.number, object_id=o.person.pk,
                         action=ImportChange.Action.CREATED, version=o.person.version)
            for o in outcomes if o.person is not None])
        self.created_ids.update(person.pk for person in people)
        for person in people:
            emit_on_commit(PersonEvent.CREATED, id=person.pk)
        names = {pk: name for name, pk in organisations.items()}
        search.bulk_insert([
            search.entry_values(PERSON, person.pk, person.owner_id, person.team_id, person_document_from_values(
                first_name=person.first_name, last_name=person.last_name, title=person.title,
                emails=o.row.emails, phones=[n for n, _k in o.row.phones],
                organisations=[names[organisations[o.row.organisation]]] if o.row.organisation else [],
                cities=[o.row.address["city"]] if o.row.address else [],
                postal_codes=[o.row.address["postal_code"]] if o.row.address else [], tags=o.row.tags))
            for o, person in zip(outcomes, people, strict=True)])

    def _update(self, outcome: Outcome) -> None:
        person, row, changes = outcome.person, outcome.row, outcome.changes
        assert person is not None
        before: dict[str, Any] = {"fields": {}, "emails": [], "phones": [], "addresses": [], "employments": [],
                                  "tags": [], "references": []}
        scalars = {name: value for name, value in changes.items() if name in SCALARS}
        if scalars:
            before["fields"] = {name: _json(getattr(person, name)) for name in scalars}
            person = record_update(actor=self.actor, instance=person, changes=scalars, expected_version=None,
                                   event=PersonEvent.UPDATED)
        added: dict[str, list[Any]] = {}  # what the audit entry lists as added
        if "emails" in changes:
            before["emails"] = [e.pk for e in EmailAddress.objects.bulk_create(
                [EmailAddress(person=person, email=e) for e in changes["emails"]])]
            added["emails"] = changes["emails"]
        if "phones" in changes:
            before["phones"] = [p.pk for p in PhoneNumber.objects.bulk_create(
                [PhoneNumber(person=person, number=n, kind=k) for n, k in changes["phones"]])]
            added["phones"] = [n for n, _k in changes["phones"]]
        if "address" in changes:
            address = Address.objects.create(person=person, **changes["address"])
            before["addresses"] = [address.pk]
            added["addresses"] = [str(address)]
        if "organisation" in changes:
            organisation_id = self._organisation_ids({row.organisation})[row.organisation]
            before["employments"] = [Employment.objects.create(person=person, organisation_id=organisation_id,
                                                               role=row.role).pk]
            added["organisations"] = [organisation_id]
        if "tags" in changes:
            tags = _tags(set(changes["tags"]))
            Person.tags.through.objects.bulk_create(
                [Person.tags.through(person_id=person.pk, tag_id=tags[name]) for name in changes["tags"]])
            before["tags"] = [tags[name] for name in changes["tags"]]
            added["tags"] = changes["tags"]
        if row.external_id:
            reference, made = ExternalReference.objects.get_or_create(
                object_type=PERSON, system=self.run.system, value=row.external_id, defaults={"object_id": person.pk})
            if made:
                before["references"] = [reference.pk]
        if added:
            # Added contact points, links and tags are a change of the person like any other:
            # audited (so GET /changes lists it) and announced, once per person.
            audit_record(actor=self.actor, action=AuditEntry.Action.UPDATE, instance=person,
                         before={name: [] for name in added}, after=added, extra={"import": self.run.pk})
            if not scalars:
                emit_on_commit(PersonEvent.UPDATED, id=person.pk)
        ImportChange.objects.create(run=self.run, row_number=row.number, object_id=person.pk,
                                    action=ImportChange.Action.UPDATED, before=before, version=person.version)
        search.reindex(person)


def _name_in(names: list[str]) -> Q:
    query = Q()
    for name in names:
        query |= Q(name__iexact=name)
    return query


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _keys(row: CleanRow) -> list[str]:
    """How a row finds its person, strongest first. Phone numbers count only for a row without an
    e-mail address: colleagues share switchboard numbers, but rarely an address."""
    keys = [f"x:{row.external_id}"] if row.external_id else []
    keys += [f"e:{email.lower()}" for email in row.emails]
    if not row.emails:
        keys += [f"p:{number}" for number, _kind in row.phones]
    return keys


def _changes(person: Person, row: CleanRow) -> dict[str, Any]:
    """What the row would change on `person`: differing filled fields, and contact points it lacks."""
    changes: dict[str, Any] = {name: value for name, value in row.person.items()
                               if value not in ("", None) and getattr(person, name) != value}
    known_emails = {e.email.lower() for e in person.emails.all()}
    if new := [e for e in row.emails if e.lower() not in known_emails]:
        changes["emails"] = new
    known_phones = {p.number for p in person.phones.all()}
    if new_phones := [(n, k) for n, k in row.phones if n not in known_phones]:
        changes["phones"] = new_phones
    if row.address and not any(a.street == row.address["street"] and a.city == row.address["city"]
                               for a in person.addresses.all()):
        changes["address"] = row.address
    if row.organisation and not any(e.organisation.name.lower() == row.organisation.lower() and e.is_current
                                    for e in person.employments.all()):
        changes["organisation"] = row.organisation
    if new_tags := sorted(set(row.tags) - {t.name for t in person.tags.all()}):
        changes["tags"] = new_tags
    return changes


def _tags(names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    existing = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    Tag.objects.bulk_create([Tag(name=name) for name in names - set(existing)], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))


def _audit_created(actor: User, records: list[Any], extra: dict[str, Any] | None = None) -> None:
    request_id = current_request_id()
    AuditEntry.objects.bulk_create([
        AuditEntry(actor_id=actor.pk, actor_label=actor.username, action=AuditEntry.Action.CREATE,
                   object_type=model_label(record), object_id=str(record.pk), object_repr=str(record)[:300],
                   changes={**{k: [None, v] for k, v in snapshot(record).items() if v not in (None, "", [], {})},
                            **({"_extra": extra} if extra else {})},
                   request_id=request_id)
        for record in records])


def _batches(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


REPORT_HEADER = ["row", "result", "detail"]


def importer_for(run: ImportRun, actor: User, *, dry_run: bool) -> Importer | RecordImporter:
    """The importer of the run's object type: people in bulk, other records through their app's services."""
    if run.object_type == PERSON:
        return Importer(run, actor, dry_run=dry_run)
    return IMPORTERS[run.object_type](run, actor, dry_run=dry_run)


def execute(run: ImportRun, actor: User, *, dry_run: bool, report: Path,
            on_batch: Callable[[int, Counter[str]], None] | None = None, batch_size: int = BATCH) -> Counter[str]:
    """Process the run's file from its checkpoint on (from the start for a dry run)."""
    importer = importer_for(run, actor, dry_run=dry_run)
    table = open_table(Path(run.file_path))
    mapping = run.mapping
    skip = 0 if dry_run else run.rows_done
    counts: Counter[str] = Counter() if dry_run else Counter(run.counts)
    report.parent.mkdir(parents=True, exist_ok=True)
    with report.open("a" if skip else "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if not skip:
            writer.writerow(REPORT_HEADER)
        numbered = ((number + 1, cells) for number, cells in enumerate(table.rows(skip=skip), start=skip))
        for batch in _batches(numbered, batch_size):
            rows: list[Any] = [importer.clean(number, _values(table, mapping, cells))
                               for number, cells in batch if any(c.strip() for c in cells)]
            with transaction.atomic():
                outcomes: list[Any] = importer.plan(rows)
                if not dry_run:
                    importer.write(outcomes)
                    run.rows_done = batch[-1][0]
                    counts.update(o.action for o in outcomes)
                    run.counts = dict(counts)
                    run.save(update_fields=["rows_done", "counts"])
                else:
                    counts.update(o.action for o in outcomes)
            writer.writerows([o.row.number, o.action, o.detail] for o in outcomes)
            handle.flush()
            if on_batch is not None:
                on_batch(batch[-1][0], counts)
    if not dry_run:
        run.finished_at = timezone.now()
    return counts


def upsert(run: ImportRun, actor: User, records: list[dict[str, str]]) -> list[Outcome]:
    """Apply records (field -> text, as mapped columns would give) in one transaction (the bulk API)."""
    importer = Importer(run, actor, dry_run=False)
    rows = [importer.clean(number, values) for number, values in enumerate(records, start=1)]
    with transaction.atomic():
        outcomes = importer.plan(rows)
        importer.write(outcomes)
        run.rows_done = len(records)
        run.counts = dict(Counter(o.action for o in outcomes))
        run.status, run.finished_at = ImportRun.Status.DONE, timezone.now()
        run.save()
    return outcomes
