"""Consistent backups and safe restores of the database (SQLite and PostgreSQL).

SQLite uses the online backup API (`sqlite3.Connection.backup`) in one step: with the
WAL journal a reader never blocks writers, so the copy is a consistent snapshot even
while the server writes. PostgreSQL uses `pg_dump -Fc` (one repeatable-read snapshot);
a restore replays the dump through `psql --single-transaction`, so a failed restore
leaves the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Tables every Kunde database has; a file without them is not a Kunde backup.
REQUIRED_TABLES = ("django_migrations", "accounts_user", "contacts_person")


class BackupError(Exception):
    """A backup or restore could not be made; nothing was changed."""


@dataclass(frozen=True)
class BackupInfo:
    """What a validated backup file holds."""

    kind: str  # "sqlite" or "postgresql"
    path: Path
    size: int
    migrations: frozenset[tuple[str, str]]


def database_kind(settings_dict: dict[str, Any]) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {engine}.")


def default_backup_path(directory: Path, kind: str, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return directory / f"kunde-{stamp}.{'sqlite3' if kind == 'sqlite' else 'pgdump'}"


def sqlite_path(settings_dict: dict[str, Any]) -> Path:
    name = str(settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(name)


# --- SQLite -----------------------------------------------------------------------


def sqlite_backup(source: Path, target: Path) -> None:
    """Copy the live database `source` into the new file `target`, consistently."""
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source, timeout=60)
        dst = sqlite3.connect(partial)
        try:
            # pages=-1: one step under one read transaction. Copying in chunks would
            # restart from scratch after every concurrent write and might never finish.
            src.backup(dst, pages=-1)
            # A self-contained file: no -wal/-shm companions needed to read it.
            dst.execute("PRAGMA journal_mode=DELETE")
            result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if result != "ok":
            raise BackupError(f"The copy failed its integrity check: {result}")
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_readonly(path: Path) -> sqlite3.Connection:
    # immutable=1: read without locks or companion files; never modifies the backup.
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def sqlite_validate(path: Path) -> BackupInfo:
    """Check that `path` is an intact SQLite Kunde database; return what it holds."""
    _check_file(path)
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{path} is not a SQLite database.")
    try:
        connection = _sqlite_readonly(path)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"{path} is damaged: {result}")
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            _check_tables(path, tables)
            migrations = frozenset(connection.execute("SELECT app, name FROM django_migrations"))
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be read as a SQLite database: {exc}") from exc
    return BackupInfo("sqlite", path, path.stat().st_size, migrations)


def sqlite_restore(backup: Path, target: Path) -> None:
    """Replace the contents of the database `target` with `backup`.

    Written through SQLite's own locking (the backup API in reverse), so connections
    that other processes hold on `target` see the restored data, never a torn file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        src = _sqlite_readonly(backup)
        dst = sqlite3.connect(target, timeout=60)
        try:
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite restore failed: {exc}") from exc


# --- PostgreSQL -------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found. Install the PostgreSQL client tools of your server's version, "
            "e.g. `apt-get install postgresql-client`."
        )
    return path


def _pg_connection(settings_dict: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Return a libpq connection string and an environment carrying the password."""
    parts = {"dbname": settings_dict["NAME"], "host": settings_dict.get("HOST"),
             "port": settings_dict.get("PORT"), "user": settings_dict.get("USER")}
    options = settings_dict.get("OPTIONS") or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if options.get(key):
            parts[key] = options[key]

    def quote(value: Any) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    conninfo = " ".join(f"{key}={quote(value)}" for key, value in parts.items() if value not in (None, ""))
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return conninfo, env


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def pg_backup(settings_dict: dict[str, Any], target: Path) -> None:
    """Dump the database into `target` (pg_dump custom format, one consistent snapshot)."""
    conninfo, env = _pg_connection(settings_dict)
    partial = target.with_name(target.name + ".partial")
    try:
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={partial}", f"--dbname={conninfo}"], env, "pg_dump")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def pg_validate(path: Path) -> BackupInfo:
    """Check that `path` is a readable pg_dump archive of a Kunde database."""
    _check_file(path)
    with path.open("rb") as handle:
        if handle.read(len(PGDUMP_MAGIC)) != PGDUMP_MAGIC:
            raise BackupError(f"{path} is not a pg_dump archive (custom format).")
    listing = _run([_pg_tool("pg_restore"), "--list", str(path)], dict(os.environ), "Reading the archive").stdout
    tables = {line.split()[-2] for line in listing.splitlines() if " TABLE public " in line and " DATA " not in line}
    _check_tables(path, tables)
    return BackupInfo("postgresql", path, path.stat().st_size, _pg_migrations(path))


def _pg_migrations(path: Path) -> frozenset[tuple[str, str]]:
    """Read the django_migrations rows out of the archive."""
    sql = _run([_pg_tool("pg_restore"), "--data-only", "--table=django_migrations", "--file=-", str(path)],
               dict(os.environ), "Reading the archive").stdout
    rows: set[tuple[str, str]] = set()
    in_copy = False
    for line in sql.splitlines():
        if line.startswith("COPY public.django_migrations"):
            in_copy = True
            columns = line[line.index("(") + 1 : line.index(")")].replace(" ", "").split(",")
            continue
        if in_copy:
            if line == "\\.":
                break
            values = dict(zip(columns, line.split("\t"), strict=False))
            rows.add((values["app"], values["name"]))
    return frozenset(rows)


def pg_restore(settings_dict: dict[str, Any], backup: Path) -> None:
    """Replace the database's public schema with the archive, all or nothing."""
    conninfo, env = _pg_connection(settings_dict)
    with tempfile.TemporaryDirectory(prefix="kunde-restore-") as scratch:
        script = Path(scratch) / "restore.sql"
        _run([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(backup)],
             env, "pg_restore")
        prelude = Path(scratch) / "prelude.sql"
        # Tables a newer version added would survive a plain --clean and break the
        # next migrate; a fresh schema holds exactly what the backup holds.
        prelude.write_text("DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
        _run([_pg_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
              f"--dbname={conninfo}", f"--file={prelude}", f"--file={script}"], env, "Restoring with psql")


# --- shared -----------------------------------------------------------------------


def _check_file(path: Path) -> None:
    if not path.exists():
        raise BackupError(f"{path} does not exist.")
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    if path.stat().st_size == 0:
        raise BackupError(f"{path} is empty.")


def _check_tables(path: Path, tables: set[str]) -> None:
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise BackupError(f"{path} is not a Kunde database (missing tables: {', '.join(missing)}).")


def validate(path: Path) -> BackupInfo:
    """Validate a backup file of either kind, recognised by its first bytes."""
    _check_file(path)
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return sqlite_validate(path)
    if head.startswith(PGDUMP_MAGIC):
        return pg_validate(path)
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump archive.")
