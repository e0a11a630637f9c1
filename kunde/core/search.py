"""Full-text search behind one interface: SQLite FTS5 or PostgreSQL full-text + trigram.

Apps register their models in their own `search.py` (found automatically):

    search.register(Person, person_document, queryset=..., url=...)

Services call `reindex(instance)` after every write that changes what a record is found
by, and `remove(instance)` on (soft) delete; both write in the caller's transaction.
`search(user, query)` returns `SearchHit`s among the records `user` may see, the scope
being part of the query so that a limit of 20 yields 20 visible hits.

Ranking works in tiers, each a cheap query that stops at the limit (FTS5 walks its
doclists from the newest entry and needs no scoring pass): a phone number typed in any
format; every word exactly in the record's name; every word exactly anywhere; every word
as a prefix of a name; every word as a prefix anywhere; on PostgreSQL, when nothing at
all matched, names with a similar spelling (pg_trgm). Within a tier the most recently
written document comes first. bm25 is not used: scoring a broad prefix such as "jo*" (a
quarter of a million rows on a million people) costs half a second because it must count
every match.

Text is folded in Python before either engine sees it: lower case, diacritics removed,
split into words; German umlauts are indexed twice, "Müller" as "muller" and "mueller",
so that "muller", "müller" and "mueller" all find him.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.text import capfirst

from kunde.core import db
from kunde.core.db import Phrase, TextMatch, Visibility
from kunde.core.permissions import Action, Scope, scope_for, team_ids

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 8
MAX_LIMIT = 100
FUZZY_MIN_LENGTH = 4

_WORD = re.compile(r"[^\W_]+")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


# --- folding ---------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case `text` and strip diacritics ("Müller" → "muller", "Straße" → "strasse")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of `text` (letters and digits; everything else separates)."""
    return _WORD.findall(fold(text))


def _german_spelling(text: str) -> list[str] | None:
    """The words of `text` with ä/ö/ü written ae/oe/ue, or None when it has no umlaut."""
    lowered = text.casefold()
    if not any(ch in lowered for ch in "äöü"):
        return None
    return words(lowered.translate(_UMLAUTS))


def index_text(values: Iterable[str | None]) -> str:
    """Folded words of `values`, each value followed by its German spelling if it differs."""
    parts: list[str] = []
    for value in values:
        if not value:
            continue
        folded = words(value)
        parts.extend(folded)
        german = _german_spelling(value)
        if german and german != folded:
            parts.extend(german)
    return " ".join(parts)


# --- registry --------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """What a record is found by (`names`: its own name; `other`: everything else)."""

    title: str
    subtitle: str = ""
    names: Sequence[str | None] = ()
    other: Sequence[str | None] = ()
    # None: take them from the record's own `owner_id` / `team_id`.
    owner_id: int | None = None
    team_id: int | None = None


@dataclass(frozen=True)
class Registration:
    model: type[models.Model]
    document: Callable[[Any], Document]
    type: str
    label: Any
    queryset: Callable[[], models.QuerySet]
    url: Callable[[int], str]
    dependents: Callable[[Any], Iterable[models.Model]] | None = None

    @property
    def object_type(self) -> str:
        return self.model._meta.label_lower


_registry: dict[str, Registration] = {}
_discovered = False


def register(
    model: type[models.Model],
    document: Callable[[Any], Document],
    *,
    type: str | None = None,  # the name the results carry
    label: Any = None,
    queryset: Callable[[], models.QuerySet] | None = None,
    url: Callable[[int], str] | None = None,
    dependents: Callable[[Any], Iterable[models.Model]] | None = None,
) -> Registration:
    """Make `model` searchable through `document(instance)`.

    `label` is the translatable name shown with a hit (default: the verbose name);
    `queryset()` yields the indexable rows (default: the model's default manager, which
    hides soft-deleted rows), prefetched for `document`; `url(pk)` links a hit;
    `dependents(instance)` are records whose documents quote this one's name (people
    quote their organisation) and are reindexed when that name changes.
    """
    meta: Any = model._meta
    registration = Registration(
        model=model,
        document=document,
        type=type or meta.model_name,
        label=label if label is not None else capfirst(meta.verbose_name),
        queryset=queryset or (lambda: model._default_manager.all()),
        url=url or (lambda pk: ""),
        dependents=dependents,
    )
    _registry[registration.object_type] = registration
    return registration


def registrations() -> list[Registration]:
    """Every registered model, after loading each app's `search` module."""
    _discover()
    return list(_registry.values())


def _discover() -> None:
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        _discovered = True
        autodiscover_modules("search")


def _registration_for(model: type[models.Model]) -> Registration | None:
    _discover()
    meta: Any = model._meta.concrete_model._meta  # type: ignore[union-attr]
    return _registry.get(meta.label_lower)


# --- writing ---------------------------------------------------------------------------


def _entry_fields(registration: Registration, instance: Any, document: Document) -> dict[str, Any]:
    owner_id = document.owner_id if document.owner_id is not None else getattr(instance, "owner_id", None)
    team_id = document.team_id if document.team_id is not None else getattr(instance, "team_id", None)
    return {
        "object_type": registration.object_type,
        "object_id": instance.pk,
        "owner_id": owner_id,
        "team_id": team_id,
        "title": document.title[:300],
        "subtitle": document.subtitle[:300],
        "names": index_text(document.names),
        "other": index_text(document.other),
        "updated_at": timezone.now(),
    }


def entry_values(object_type: str, object_id: int, owner_id: int | None, team_id: int | None,
                 document: Document) -> tuple[Any, ...]:
    """One row for `bulk_insert`, in `db.ENTRY_COLUMNS` order (bulk loaders, the benchmark)."""
    return (
        object_type, object_id, owner_id, team_id, document.title[:300], document.subtitle[:300],
        index_text(document.names), index_text(document.other), timezone.now(),
    )


def bulk_insert(rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert rows made by `entry_values` (inside `bulk_load()` for speed on SQLite)."""
    from django.db import connection

    columns = ", ".join(db.ENTRY_COLUMNS)
    marks = ", ".join(["%s"] * len(db.ENTRY_COLUMNS))
    with connection.cursor() as cursor:
        sql = f"INSERT INTO {db.SEARCH_TABLE} ({columns}) VALUES ({marks})"  # noqa: S608
        cursor.executemany(sql, rows)


def bulk_load(*, atomic: bool = True) -> Any:
    """A context in which many entries are written fast and become searchable at the end."""
    return db.fulltext().bulk_load(atomic=atomic)


def reindex(instance: models.Model) -> None:
    """(Re)write the search document of `instance` in the current transaction.

    A record the registration's queryset no longer yields (soft-deleted) is removed. The
    entry gets a new id on every write, so recently changed records rank first in a tier.
    """
    from kunde.core.models import SearchEntry

    registration = _registration_for(type(instance))
    if registration is None or instance.pk is None:
        return
    current = registration.queryset().filter(pk=instance.pk).first()
    with transaction.atomic():
        entries = SearchEntry.objects.filter(object_type=registration.object_type, object_id=instance.pk)
        old_names = entries.values_list("names", flat=True).first()
        entries.delete()
        new_names = None
        if current is not None:
            fields = _entry_fields(registration, current, registration.document(current))
            SearchEntry.objects.create(**fields)
            new_names = fields["names"]
        if registration.dependents is not None and old_names != new_names:
            for dependent in registration.dependents(instance):
                reindex(dependent)


def remove(instance: models.Model) -> None:
    """Drop `instance` from the index (soft delete, erasure)."""
    from kunde.core.models import SearchEntry

    registration = _registration_for(type(instance))
    if registration is None or instance.pk is None:
        return
    with transaction.atomic():
        deleted, _ = SearchEntry.objects.filter(
            object_type=registration.object_type, object_id=instance.pk
        ).delete()
        if deleted and registration.dependents is not None:
            for dependent in registration.dependents(instance):
                reindex(dependent)


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def iter_documents(registration: Registration, *,
                   batch_size: int = 1000) -> Iterator[tuple[dt.datetime, tuple[Any, ...]]]:
    """(last change, `entry_values` row) of every indexable record, oldest change first.

    Models without `updated_at` come in primary-key order, as if never changed.
    """
    meta: Any = registration.model._meta
    dated = any(f.name == "updated_at" for f in meta.concrete_fields)
    ordering = ("updated_at", "pk") if dated else ("pk",)
    last: tuple[Any, ...] | None = None
    while True:
        queryset = registration.queryset().order_by(*ordering)
        if last is not None:
            after = Q(pk__gt=last[-1])
            if dated:
                after = Q(updated_at__gt=last[0]) | (Q(updated_at=last[0]) & after)
            queryset = queryset.filter(after)
        batch = list(queryset[:batch_size])
        if not batch:
            return
        for instance in batch:
            fields = _entry_fields(registration, instance, registration.document(instance))
            changed = instance.updated_at if dated else _NEVER
            yield changed, tuple(fields[column] for column in db.ENTRY_COLUMNS)
        last = (batch[-1].updated_at, batch[-1].pk) if dated else (batch[-1].pk,)


def rebuild(*, types: Sequence[str] | None = None,
            progress: Callable[[Registration, int], None] | None = None,
            batch_size: int = 1000) -> int:
    """Rewrite the index of every registered model (or of `types`); return the entry count.

    Records of all types are written in the order they last changed, so that "most
    recently changed first" within a ranking tier holds after a rebuild too.
    """
    from kunde.core.models import SearchEntry

    chosen = [r for r in registrations() if types is None or r.type in types]
    streams = [
        ((changed, row, registration) for changed, row in iter_documents(registration))
        for registration in chosen
    ]
    written = 0
    with bulk_load():
        SearchEntry.objects.filter(object_type__in=[r.object_type for r in chosen]).delete()
        batch: list[tuple[Any, ...]] = []
        counts: dict[str, int] = {}
        for _changed, row, registration in heapq.merge(*streams, key=lambda item: item[0]):
            batch.append(row)
            counts[registration.type] = counts.get(registration.type, 0) + 1
            if len(batch) >= batch_size:
                written += _flush(batch, counts, progress)
        written += _flush(batch, counts, progress)
    return written


def _flush(batch: list[tuple[Any, ...]], counts: dict[str, int],
           progress: Callable[[Registration, int], None] | None) -> int:
    written = len(batch)
    if batch:
        bulk_insert(batch)
    if progress is not None:
        for type_name, count in counts.items():
            progress(next(r for r in _registry.values() if r.type == type_name), count)
    batch.clear()
    counts.clear()
    return written


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    """One search result: what it is, which one, how to show it and where it lives."""

    type: str
    id: int
    title: str
    subtitle: str
    url: str
    type_label: str = field(default="", compare=False)


def visibility_for(user: Any) -> Visibility | None:
    """What `user` may find, by the same rule as `ScopedQuerySet.for_user`; None: nothing."""
    scope = scope_for(user, Action.VIEW)
    if scope is Scope.ALL:
        return Visibility(everything=True)
    if scope is Scope.NONE:
        return None
    teams = tuple(team_ids(user)) if scope is Scope.TEAM else ()
    return Visibility(owner_id=user.pk, team_ids=teams)


def parse_query(query: str) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """Split `query` into groups (one per typed word) of alternative token sequences."""
    groups = []
    for chunk in query.split()[:MAX_QUERY_WORDS]:
        tokens = tuple(words(chunk)[:MAX_QUERY_WORDS])
        if not tokens:
            continue
        alternatives = [tokens]
        german = _german_spelling(chunk)
        if german and tuple(german) != tokens:
            alternatives.append(tuple(german[:MAX_QUERY_WORDS]))
        groups.append(tuple(alternatives))
    return tuple(groups)


def plan(query: str) -> list[TextMatch]:
    """The tiers to try for `query`, best first (see the module docstring)."""
    from kunde.contacts.validators import phone_query_digits

    tiers: list[TextMatch] = []
    digits = phone_query_digits(query)
    if digits:
        typed = re.sub(r"\D", "", query)
        forms = dict.fromkeys(form for form in (digits, typed) if form)
        tiers.append(TextMatch(groups=(tuple(Phrase((form,), prefix=True) for form in forms),)))
    groups = parse_query(query)
    if groups:
        exact = tuple(tuple(Phrase(tokens) for tokens in group) for group in groups)
        tiers += [TextMatch(exact, names_only=True), TextMatch(exact)]
        # A number typed as digits is matched by the phone tier above (and exactly, as a
        # postal code); a prefix of "0176" would merge the doclists of every mobile number.
        if not digits:
            prefix = tuple(tuple(Phrase(tokens, prefix=True) for tokens in group) for group in groups)
            tiers += [TextMatch(prefix, names_only=True), TextMatch(prefix)]
    return tiers


def search(user: Any, query: str, *, limit: int = 20) -> list[SearchHit]:
    """Return the best hits for `query` among the records `user` may see."""
    query = (query or "").strip()[:MAX_QUERY_LENGTH]
    limit = max(0, min(int(limit), MAX_LIMIT))
    visibility = visibility_for(user)
    if not query or not limit or visibility is None:
        return []
    _discover()
    engine = db.fulltext()
    found: list[db.EntryRow] = []
    for match in plan(query):
        found += engine.find(match, visibility, limit=limit - len(found), exclude=[r.id for r in found])
        if len(found) >= limit:
            break
    folded = " ".join(words(query))
    if not found and len(folded) >= FUZZY_MIN_LENGTH and not any(c.isdigit() for c in folded):
        # A typo rescue only: similar spellings would crowd out real matches.
        found = engine.find_similar(folded, visibility, limit=limit)
    return [hit for hit in (_hit(row) for row in found) if hit is not None]


def _hit(row: db.EntryRow) -> SearchHit | None:
    registration = _registry.get(row.object_type)
    if registration is None:
        return None
    try:
        url = registration.url(row.object_id)
    except NoReverseMatch:
        url = ""
    return SearchHit(
        type=registration.type, id=row.object_id, title=row.title, subtitle=row.subtitle, url=url,
        type_label=str(registration.label),
    )
