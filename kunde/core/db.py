"""Database-vendor differences behind one helper: SQLite (the embedded default) and PostgreSQL.

Everything that must be written differently for the two databases lives here, so that
services and selectors stay the same on both. Today that is the full-text index of
`core.search`: SQLite FTS5 with a prefix index, PostgreSQL tsvector + GIN with pg_trgm
for fuzzy name matches.

Both engines index text that `core.search` has already folded (lower case, no
diacritics, split into words), so they agree on what a token is. Scope tokens ("o12" =
owner 12, "t3" = team 3) make visibility part of the match itself: a page of 20 hits is
20 visible hits, however few of the matches the user may see.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

SEARCH_TABLE = "core_searchentry"
FTS_TABLE = "core_searchentry_fts"
FTS_SOURCE_VIEW = "core_searchentry_fts_source"
GIN_INDEXES = ("core_searchentry_vector", "core_searchentry_names_vector", "core_searchentry_names_trgm")
ENTRY_COLUMNS = (
    "object_type", "object_id", "owner_id", "team_id", "title", "subtitle", "names", "other",
    "updated_at",
)


# Only these constant identifiers and placeholders are ever formatted into SQL text.
_ENTRY_SELECT = "SELECT e.id, e.object_type, e.object_id, e.title, e.subtitle FROM core_searchentry e"
_FTS5_SELECT = (
    f"SELECT e.id, e.object_type, e.object_id, e.title, e.subtitle FROM {FTS_TABLE} f "  # noqa: S608
    f"JOIN {SEARCH_TABLE} e ON e.id = f.rowid WHERE {FTS_TABLE}"
)


def vendor(connection: BaseDatabaseWrapper | None = None) -> str:
    """Return "sqlite" or "postgresql" (anything else is not supported)."""
    return (connection or default_connection).vendor


def is_sqlite(connection: BaseDatabaseWrapper | None = None) -> bool:
    return vendor(connection) == "sqlite"


def is_postgresql(connection: BaseDatabaseWrapper | None = None) -> bool:
    return vendor(connection) == "postgresql"


_EPOCH_DAY_SQL = {
    "sqlite": "CAST(julianday({col}) - 2440587.5 AS INTEGER)",
    "postgresql": "(CAST({col} AS date) - DATE '1970-01-01')",
}
_FLOAT_SQL = {"sqlite": "CAST({col} AS REAL)", "postgresql": "CAST({col} AS double precision)"}


def epoch_day_sql(column: str, connection: BaseDatabaseWrapper | None = None) -> str:
    """SQL for a date or timestamp column as whole days since 1970-01-01 (a timestamp's UTC date)."""
    return _EPOCH_DAY_SQL[vendor(connection)].format(col=column)


def float_sql(column: str, connection: BaseDatabaseWrapper | None = None) -> str:
    """SQL for a numeric (e.g. decimal) column as a double, the same type on both databases."""
    return _FLOAT_SQL[vendor(connection)].format(col=column)


def refresh_statistics(connection: BaseDatabaseWrapper | None = None) -> None:
    """Refresh the query planner's table statistics (SQLite: a bounded, approximate ANALYZE).

    Without statistics SQLite may pick an index that matches the filter but not the sort,
    and then sorts a whole team's rows (measured at 1M people: 134 ms-3 s instead of
    under 1 ms per list page). `analysis_limit` keeps ANALYZE to about a second at 1M rows.
    PostgreSQL's autovacuum keeps its own statistics current.
    """
    connection = connection or default_connection
    if is_sqlite(connection):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")


# --- the engine-neutral match expression ----------------------------------------------


@dataclass(frozen=True)
class Phrase:
    """Consecutive folded tokens; with `prefix` the last one matches as a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class TextMatch:
    """Every group must match (AND); within a group, any phrase (OR).

    `names_only` restricts the match to the names column (the record's own name);
    otherwise the names and the other text (e-mails, phones, places...) are searched.
    """

    groups: tuple[tuple[Phrase, ...], ...]
    names_only: bool = False


@dataclass(frozen=True)
class Visibility:
    """What a user may see: everything, or records they own or their teams hold."""

    everything: bool = False
    owner_id: int | None = None
    team_ids: tuple[int, ...] = ()

    @property
    def tokens(self) -> list[str]:
        owner = [f"o{self.owner_id}"] if self.owner_id is not None else []
        return owner + [f"t{team}" for team in self.team_ids]


@dataclass(frozen=True)
class EntryRow:
    id: int
    object_type: str
    object_id: int
    title: str
    subtitle: str


class FullTextEngine(Protocol):
    def find(self, match: TextMatch, visibility: Visibility, *, limit: int,
             exclude: Sequence[int] = ()) -> list[EntryRow]: ...

    def find_similar(self, text: str, visibility: Visibility, *, limit: int,
                     exclude: Sequence[int] = ()) -> list[EntryRow]: ...

    def bulk_load(self, *, atomic: bool = True) -> Any: ...


# --- SQLite FTS5 ------------------------------------------------------------------------


def _fts5_string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fts5_phrase(phrase: Phrase) -> str:
    text = _fts5_string(" ".join(phrase.tokens))
    return f"{text}*" if phrase.prefix else text


def fts5_expression(match: TextMatch, visibility: Visibility) -> str:
    """Render `match` (and the scope) as an FTS5 MATCH expression."""
    groups = [
        "(" + " OR ".join(_fts5_phrase(phrase) for phrase in group) + ")" for group in match.groups
    ]
    columns = "names" if match.names_only else "{names other}"
    expression = f"{columns} : ({' AND '.join(groups)})"
    if not visibility.everything:
        scope = " OR ".join(_fts5_string(token) for token in visibility.tokens)
        expression = f"({expression}) AND scope : ({scope})"
    return expression


SCOPE_CANDIDATES = 1000


@dataclass
class _Candidates:
    rows: list[EntryRow]
    complete: bool
    last_rowid: int | None


class SqliteFullText:
    """FTS5 over `core_searchentry` (external content, kept in sync by triggers)."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    def find(self, match: TextMatch, visibility: Visibility, *, limit: int,
             exclude: Sequence[int] = ()) -> list[EntryRow]:
        """Newest-indexed first; FTS5 walks its doclists backwards and stops at `limit`.

        A scoped search first checks the newest `SCOPE_CANDIDATES` matches against the
        entry's owner and team (cheap when much of the data is visible, as for a team
        member); only if they hold too few visible hits does the index apply the scope
        tokens to the older rest (cheap when little is visible). The scope token of a big
        team is a long doclist: reading it would cost milliseconds in every tier.
        """
        if visibility.everything:
            return self._select(fts5_expression(match, visibility), limit=limit, exclude=exclude)
        if not visibility.tokens:
            return []
        found = self._newest_visible(fts5_expression(match, Visibility(everything=True)),
                                     visibility, limit=limit, exclude=exclude)
        if found.complete:
            return found.rows
        return found.rows + self._select(
            fts5_expression(match, visibility), limit=limit - len(found.rows), exclude=exclude,
            below=found.last_rowid,
        )

    def _select(self, expression: str, *, limit: int, exclude: Sequence[int] = (),
                below: int | None = None) -> list[EntryRow]:
        params: list[Any] = [expression]
        where = ""
        if below is not None:
            where += " AND f.rowid < %s"
            params.append(below)
        if exclude:
            where += f" AND f.rowid NOT IN ({', '.join('%s' for _ in exclude)})"
            params.extend(exclude)
        params.append(limit)
        sql = _FTS5_SELECT + f" MATCH %s{where} ORDER BY f.rowid DESC LIMIT %s"
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [EntryRow(*row) for row in cursor.fetchall()]

    def _newest_visible(self, expression: str, visibility: Visibility, *, limit: int,
                        exclude: Sequence[int]) -> _Candidates:
        teams = ", ".join("%s" for _ in visibility.team_ids)
        visible = "e.owner_id = %s" + (f" OR e.team_id IN ({teams})" if teams else "")
        sql = (
            _FTS5_SELECT.replace("SELECT e.id,", f"SELECT ({visible}) AS visible, e.id,", 1)
            + " MATCH %s ORDER BY f.rowid DESC LIMIT %s"
        )
        params = [visibility.owner_id, *visibility.team_ids, expression, SCOPE_CANDIDATES]
        excluded = set(exclude)
        rows: list[EntryRow] = []
        seen = 0
        last_rowid = None
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            # Rows are stepped lazily: stopping early leaves the rest of the match unread.
            for is_visible, *row in cursor:
                seen += 1
                last_rowid = row[0]
                if is_visible and row[0] not in excluded:
                    rows.append(EntryRow(*row))
                    if len(rows) >= limit:
                        return _Candidates(rows, complete=True, last_rowid=last_rowid)
        return _Candidates(rows, complete=seen < SCOPE_CANDIDATES, last_rowid=last_rowid)

    def find_similar(self, text: str, visibility: Visibility, *, limit: int,
                     exclude: Sequence[int] = ()) -> list[EntryRow]:
        """No trigram index on SQLite: fuzzy matching is a PostgreSQL extra."""
        return []

    @contextmanager
    def bulk_load(self, *, atomic: bool = True) -> Iterator[None]:
        """Load many entries fast: triggers off, one FTS5 'rebuild' at the end.

        Atomic by default; `atomic=False` lets a bulk loader commit in batches (a failure
        then leaves the triggers dropped: only for scratch databases such as the benchmark).
        """
        from django.db import transaction

        outer = transaction.atomic(using=self.connection.alias) if atomic else nullcontext()
        with outer, self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [SEARCH_TABLE],
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            yield
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608
            for _name, sql in triggers:
                cursor.execute(sql)


# --- PostgreSQL full text + trigram -----------------------------------------------------


def _tsquery_operand(token: str, *, prefix: bool) -> str:
    # Tokens are folded words (letters and digits only), so they need no quoting;
    # quote anyway so that no character can ever be read as an operator.
    quoted = "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"
    return f"{quoted}:*" if prefix else quoted


def tsquery_expression(match: TextMatch) -> str:
    """Render `match` as a to_tsquery('simple', ...) expression.

    The column (`names_vector` or `vector`) carries the names-only restriction: a weight
    restriction would be invisible to the planner's estimates.
    """

    def phrase(p: Phrase) -> str:
        last = len(p.tokens) - 1
        parts = [
            _tsquery_operand(token, prefix=p.prefix and index == last)
            for index, token in enumerate(p.tokens)
        ]
        return "(" + " <-> ".join(parts) + ")"

    return " & ".join("(" + " | ".join(phrase(p) for p in group) + ")" for group in match.groups)


class PostgresFullText:
    """A generated tsvector column with a GIN index; pg_trgm on the names for typos."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    def _scope(self, visibility: Visibility, params: list[Any]) -> str:
        if visibility.everything:
            return ""
        params.extend([visibility.owner_id, list(visibility.team_ids)])
        return " AND (e.owner_id = %s OR e.team_id = ANY(%s))"

    def _exclude(self, exclude: Sequence[int], params: list[Any]) -> str:
        if not exclude:
            return ""
        params.append(list(exclude))
        return " AND NOT (e.id = ANY(%s))"

    def find(self, match: TextMatch, visibility: Visibility, *, limit: int,
             exclude: Sequence[int] = ()) -> list[EntryRow]:
        if not visibility.everything and not visibility.tokens:
            return []
        params: list[Any] = [tsquery_expression(match)]
        column = "e.names_vector" if match.names_only else "e.vector"
        where = column + " @@ to_tsquery('simple', %s)"
        where += self._scope(visibility, params) + self._exclude(exclude, params)
        params.append(limit)
        sql = _ENTRY_SELECT + f" WHERE {where} ORDER BY e.id DESC LIMIT %s"
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [EntryRow(*row) for row in cursor.fetchall()]

    def find_similar(self, text: str, visibility: Visibility, *, limit: int,
                     exclude: Sequence[int] = ()) -> list[EntryRow]:
        """Names within trigram word-similarity of `text`, most similar first."""
        if not visibility.everything and not visibility.tokens:
            return []
        params: list[Any] = [text]
        where = "%s <%% e.names" + self._scope(visibility, params) + self._exclude(exclude, params)
        params.extend([text, limit])
        sql = _ENTRY_SELECT + (
            f" WHERE {where} ORDER BY word_similarity(%s, e.names) DESC, e.id DESC LIMIT %s"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [EntryRow(*row) for row in cursor.fetchall()]

    @contextmanager
    def bulk_load(self, *, atomic: bool = True) -> Iterator[None]:
        """The generated columns keep up by themselves; the GIN indexes are tidied after.

        Fresh GIN entries wait in a pending list that every query scans until (auto)vacuum
        merges it: after a bulk load, merge it at once and refresh the statistics.
        """
        from django.db import transaction

        with transaction.atomic(using=self.connection.alias) if atomic else nullcontext():
            yield
            with self.connection.cursor() as cursor:
                for index in GIN_INDEXES:
                    cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
                cursor.execute(f"ANALYZE {SEARCH_TABLE}")


def fulltext(connection: BaseDatabaseWrapper | None = None) -> FullTextEngine:
    """Return the full-text engine of `connection`'s database."""
    connection = connection or default_connection
    if connection.vendor == "sqlite":
        return SqliteFullText(connection)
    if connection.vendor == "postgresql":
        return PostgresFullText(connection)
    raise ImproperlyConfigured(f"Kunde supports SQLite and PostgreSQL, not {connection.vendor}.")


# --- migrations -------------------------------------------------------------------------


def run_for_vendor(schema_editor: Any, *, sqlite: Sequence[str] = (),
                   postgresql: Sequence[str] = ()) -> None:
    """Execute the statements meant for the migrating database's vendor."""
    statements = {"sqlite": sqlite, "postgresql": postgresql}.get(schema_editor.connection.vendor)
    if statements is None:
        raise ImproperlyConfigured("Kunde supports SQLite and PostgreSQL only.")
    for statement in statements:
        schema_editor.execute(statement, params=None)
