"""ADBC on an SQLite file, in a child process — never in the process that runs Django.

The ADBC driver bundles its own copy of SQLite. Two copies of SQLite in one process share
POSIX advisory locks without knowing of each other: when one closes the file, the locks of
the other are gone, and a concurrent writer corrupts the database (sqlite.org,
"How To Corrupt An SQLite Database File", 2.2.1). We saw exactly that in the benchmark.
Separate processes are SQLite's normal case, so the bulk reads and the score write run
here, in a child, and hand Arrow IPC files over a temporary directory.

    python -m kunde.analytics.sqlite_bridge read DB DIR  < {"name": "SELECT ...", ...}
    python -m kunde.analytics.sqlite_bridge replace DB DIR  < {"table": ..., "staging": ..., "insert": ...}
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc

BUSY_TIMEOUT_MS = 60_000
# Replacing a million scores updates several indexes in random order: with SQLite's default
# 2 MB page cache that is mostly disk I/O. The cache lives in the child and goes with it.
CACHE_KIB = 256 * 1024


class BridgeError(RuntimeError):
    pass


def _start(command: str, database: str, directory: Path, job: dict[str, Any]) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "kunde.analytics.sqlite_bridge", command, database, str(directory)],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stdin is not None
    child.stdin.write(json.dumps(job).encode())
    child.stdin.close()
    return child


def _wait(children: list[subprocess.Popen[bytes]]) -> None:
    errors = []
    for child in children:
        assert child.stderr is not None
        err = child.stderr.read()
        child.wait(timeout=3600)
        if child.returncode != 0:
            errors.append(err.decode(errors="replace")[-2000:] or f"exit {child.returncode}")
    if errors:
        raise BridgeError("\n".join(errors))


def _run(command: str, database: str, directory: Path, job: dict[str, Any]) -> None:
    _wait([_start(command, database, directory, job)])


def read(database: str, queries: dict[str, str], *, workers: int = 2) -> dict[str, pa.Table]:
    """Run the named queries in `workers` child processes at once (WAL readers do not block
    each other); the results as Arrow tables. Queries are dealt out in their order, so put
    the big ones first and apart."""
    with tempfile.TemporaryDirectory(prefix="kunde-analytics-") as folder:
        directory = Path(folder)
        names = list(queries)
        shares = [{name: queries[name] for name in names[index::workers]} for index in range(workers)]
        _wait([_start("read", database, directory, share) for share in shares if share])
        tables = {}
        for name in queries:
            with pa.memory_map(str(directory / f"{name}.arrow")) as source:
                tables[name] = ipc.open_file(source).read_all()
        return tables


def replace(database: str, table: pa.Table, *, target: str, staging: str = "", insert_sql: str = "") -> None:
    """Replace every row of `target` by `table` in one transaction of a child process.

    With `insert_sql` the rows go through the `staging` table (for conversions in SQL);
    without, they are appended to `target` directly.
    """
    with tempfile.TemporaryDirectory(prefix="kunde-analytics-") as folder:
        directory = Path(folder)
        with pa.OSFile(str(directory / "rows.arrow"), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        _run("replace", database, directory, {"target": target, "staging": staging, "insert": insert_sql})


def _connect(database: str) -> Any:
    import adbc_driver_sqlite.dbapi

    connection = adbc_driver_sqlite.dbapi.connect(database)
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        cursor.execute("PRAGMA temp_store = MEMORY")
    return connection


def _child_read(database: str, directory: Path, queries: dict[str, str]) -> None:
    connection = _connect(database)
    try:
        for name, sql in queries.items():
            with connection.cursor() as cursor:
                cursor.execute(sql)
                result = cursor.fetch_arrow_table()
            # Unnamed expressions share one name; number them so the file is valid.
            result = result.rename_columns([f"c{index}" for index in range(result.num_columns)])
            with pa.OSFile(str(directory / f"{name}.arrow"), "wb") as sink, \
                    ipc.new_file(sink, result.schema) as writer:
                writer.write_table(result)
    finally:
        connection.close()


def _child_replace(database: str, directory: Path, job: dict[str, str]) -> None:
    with pa.memory_map(str(directory / "rows.arrow")) as source:
        rows = ipc.open_file(source).read_all()
    connection = _connect(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {job['target']}")  # noqa: S608 - names from the parent's model
            if job.get("insert"):
                cursor.adbc_ingest(job["staging"], rows, mode="replace")
                cursor.execute(job["insert"])
                cursor.execute(f"DROP TABLE {job['staging']}")
            else:  # the columns are already in the table's own types: append straight into it
                cursor.adbc_ingest(job["target"], rows, mode="append")
        connection.commit()
    finally:
        connection.close()


def main(argv: list[str]) -> int:
    command, database, directory = argv
    job = json.loads(sys.stdin.read())
    if command == "read":
        _child_read(database, Path(directory), job)
    elif command == "replace":
        _child_replace(database, Path(directory), job)
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
