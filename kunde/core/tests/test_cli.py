"""The `kunde` command line: dispatch, createadmin, backup/restore and serve."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from kunde import cli
from kunde.accounts.models import User
from kunde.core import backups, jobs
from kunde.core.models import AuditEntry

STRONG = "Kunde-Admin-Passw0rd!"
KUNDE_COMMANDS = ["serve", "worker", "demo", "import", "createadmin", "backup", "restore"]
TEST_VENDOR = "sqlite" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"
# End-to-end runs start their own `kunde` processes with their own database, so running
# them in both passes of the suite would test the same thing twice.
embedded_pass = pytest.mark.skipif(TEST_VENDOR != "sqlite", reason="runs in the SQLite pass of the suite")


def kunde_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a `kunde` subprocess with its own data directory (SQLite unless told)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(KUNDE_DATA_DIR=str(data_dir), KUNDE_TASK_BACKEND="django_tasks_db.DatabaseBackend", **extra)
    return env


def kunde(args: list[str], env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kunde.cli", *args], env=env, capture_output=True, text=True, timeout=timeout,
        check=False,
    )


def usernames(database: Path) -> list[str]:
    with closing(sqlite3.connect(database)) as connection, connection:
        return [row[0] for row in connection.execute("SELECT username FROM accounts_user ORDER BY username")]


# --- dispatch ---------------------------------------------------------------------


def test_kunde_alone_lists_kundes_commands_first(capsys):
    """`kunde` and `kunde help` show Kunde's commands, in order, before Django's."""
    cli.main([])
    out = capsys.readouterr().out
    cli.main(["help"])
    assert capsys.readouterr().out == out
    assert out.startswith("Kunde ") and "Usage: kunde <command> [options]" in out
    own = out.split("Kunde commands:\n", 1)[1].split("\n\n", 1)[0]
    listed = [line.split()[0] for line in own.splitlines()]
    assert listed[: len(KUNDE_COMMANDS)] == KUNDE_COMMANDS
    assert "  serve " in own and "gunicorn" in own
    others = out.split("Other commands (Django and installed apps):\n", 1)[1]
    assert "migrate" in others and "createsuperuser" in others
    assert out.index("Kunde commands:") < out.index("Other commands")
    assert "Type 'kunde help <command>'" in out and "Data directory:" in out


def test_help_for_one_command_shows_its_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: kunde serve")
    for option in ("--host", "--port", "--workers", "--no-worker"):
        assert option in out


def test_an_unknown_command_fails_with_a_hint(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["frobnicate"])
    assert exit_info.value.code == 1
    assert "Unknown command: 'frobnicate'" in capsys.readouterr().err


def test_version(capsys):
    cli.main(["--version"])
    assert capsys.readouterr().out.startswith("kunde ")


@embedded_pass
def test_kunde_dispatches_to_django_commands_without_settings_in_the_environment(tmp_path):
    """The entry point sets DJANGO_SETTINGS_MODULE itself; `kunde check` runs Django's check."""
    result = kunde(["check"], kunde_env(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


# --- createadmin ------------------------------------------------------------------


@pytest.mark.django_db
def test_createadmin_makes_a_superuser_with_the_admin_role(capsys):
    call_command("createadmin", "--username", "chefin", "--password", STRONG, "--email", "chefin@example.com")
    user = User.objects.get(username="chefin")
    assert (user.is_superuser, user.is_staff, user.role.key, user.email) == (True, True, "admin", "chefin@example.com")
    assert user.check_password(STRONG)
    audit = AuditEntry.objects.get(object_type="accounts.user", object_id=str(user.pk))
    assert audit.action == "create" and "password" not in audit.changes
    assert capsys.readouterr().out == "Administrator chefin created.\n"


@pytest.mark.django_db
def test_createadmin_refuses_an_existing_user_and_a_weak_password():
    call_command("createadmin", "--username", "admin", "--password", STRONG)
    with pytest.raises(CommandError, match="exists already"):
        call_command("createadmin", "--username", "admin", "--password", "Other-Passw0rd!")
    assert User.objects.get(username="admin").check_password(STRONG)
    call_command("createadmin", "--username", "admin", "--if-missing")  # fine: nothing to do
    with pytest.raises(CommandError, match="too weak"):
        call_command("createadmin", "--username", "weak", "--password", "12345678")
    assert not User.objects.filter(username="weak").exists()


@pytest.mark.django_db
def test_createadmin_reads_the_password_from_the_environment_or_a_prompt(monkeypatch):
    monkeypatch.setenv("KUNDE_ADMIN_PASSWORD", STRONG)
    call_command("createadmin", "--username", "fromenv", "--no-input")
    assert User.objects.get(username="fromenv").check_password(STRONG)

    monkeypatch.delenv("KUNDE_ADMIN_PASSWORD")
    with pytest.raises(CommandError, match="No password"):
        call_command("createadmin", "--username", "nopass", "--no-input")
    assert not User.objects.filter(username="nopass").exists()

    answers = iter(["Mismatch-Passw0rd!", "Different-Passw0rd!", "short", "short", STRONG, STRONG])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    call_command("createadmin", "--username", "prompted")
    assert User.objects.get(username="prompted").check_password(STRONG)


# --- backup and restore: the SQLite functions ---------------------------------------


def make_database(path: Path) -> None:
    """A small WAL database with the tables a Kunde backup must have."""
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("PRAGMA journal_mode=WAL")
        for table in backups.REQUIRED_TABLES:
            connection.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, app TEXT, name TEXT)")
        connection.execute("INSERT INTO django_migrations (app, name) VALUES ('core', '0001_initial')")
        connection.execute("CREATE TABLE pairs (id INTEGER PRIMARY KEY, batch INTEGER, half TEXT)")


def test_sqlite_backup_is_consistent_while_another_connection_writes(tmp_path):
    """Rows written in pairs (one transaction each) are never split in the copy."""
    live = tmp_path / "live.sqlite3"
    make_database(live)
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        connection = sqlite3.connect(live, timeout=30)
        batch = 0
        while not stop.is_set():
            with connection:
                connection.execute("INSERT INTO pairs (batch, half) VALUES (?, 'a')", (batch,))
                connection.execute("INSERT INTO pairs (batch, half) VALUES (?, 'b')", (batch,))
            batch += 1
            written[0] = batch
        connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 200:
            time.sleep(0.01)
        copies = []
        for number in range(3):
            target = tmp_path / f"copy{number}.sqlite3"
            backups.sqlite_backup(live, target)
            copies.append(target)
    finally:
        stop.set()
        thread.join()
    counts = []
    for copy in copies:
        info = backups.sqlite_validate(copy)
        assert info.migrations == frozenset({("core", "0001_initial")})
        with closing(sqlite3.connect(copy)) as connection, connection:
            rows = connection.execute("SELECT batch, count(*) FROM pairs GROUP BY batch").fetchall()
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert rows and all(count == 2 for _batch, count in rows)
        assert [batch for batch, _count in rows] == list(range(len(rows)))
        counts.append(len(rows))
        assert not Path(f"{copy}-wal").exists()
    assert counts == sorted(counts) and counts[-1] <= written[0]


def test_sqlite_restore_replaces_the_contents_under_open_connections(tmp_path):
    live = tmp_path / "live.sqlite3"
    make_database(live)
    with closing(sqlite3.connect(live)) as connection, connection:
        connection.execute("INSERT INTO pairs (batch, half) VALUES (1, 'kept')")
    backup = tmp_path / "backup.sqlite3"
    backups.sqlite_backup(live, backup)
    reader = sqlite3.connect(live)  # a server's connection, open during the restore
    with closing(sqlite3.connect(live)) as connection, connection:
        connection.execute("INSERT INTO pairs (batch, half) VALUES (2, 'lost')")
    assert reader.execute("SELECT count(*) FROM pairs").fetchone()[0] == 2
    backups.sqlite_restore(backup, live)
    assert reader.execute("SELECT half FROM pairs").fetchall() == [("kept",)]
    reader.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"hello, not a database at all", "neither a SQLite database nor a pg_dump archive"),
        (b"PGDMP" + b"\0" * 40, "Reading the archive failed"),
    ],
)
def test_validation_rejects_files_that_are_not_backups(tmp_path, content, message):
    path = tmp_path / "file.bin"
    path.write_bytes(content)
    if content.startswith(b"PGDMP") and shutil.which("pg_restore") is None:
        pytest.skip("pg_restore is not installed")
    with pytest.raises(backups.BackupError, match=message):
        backups.validate(path)


def test_validation_rejects_damaged_and_foreign_sqlite_files(tmp_path):
    foreign = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(foreign)) as connection, connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    with pytest.raises(backups.BackupError, match="not a Kunde database"):
        backups.validate(foreign)

    good = tmp_path / "good.sqlite3"
    make_database(good)
    with closing(sqlite3.connect(good)) as connection, connection:
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.executemany("INSERT INTO pairs (batch, half) VALUES (?, ?)", [(i, "x" * 500) for i in range(400)])
    truncated = tmp_path / "truncated.sqlite3"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(backups.BackupError):
        backups.validate(truncated)


# --- backup and restore: the commands, end to end ------------------------------------


@embedded_pass
def test_backup_and_restore_commands_on_sqlite(tmp_path):
    """Back up, change, restore: the change is gone; without --yes nothing happens."""
    data = tmp_path / "data"
    env = kunde_env(data)
    assert kunde(["migrate", "-v0"], env).returncode == 0
    created = kunde(["createadmin", "--no-input"], {**env, "KUNDE_ADMIN_PASSWORD": STRONG})
    assert created.returncode == 0, created.stderr
    backup = tmp_path / "before.sqlite3"
    made = kunde(["backup", str(backup)], env)
    assert made.returncode == 0, made.stderr
    assert f"Backup written to {backup}" in made.stdout
    assert backup.stat().st_mode & 0o777 == 0o600
    assert kunde(["backup", str(backup)], env).returncode == 1  # never overwrites silently

    kunde(["createadmin", "--no-input", "--username", "later"], {**env, "KUNDE_ADMIN_PASSWORD": STRONG})
    database = data / "kunde.sqlite3"
    assert usernames(database) == ["admin", "later"]

    refused = kunde(["restore", str(backup)], env)
    assert refused.returncode == 1
    assert "Run again with --yes" in refused.stderr
    assert usernames(database) == ["admin", "later"]

    restored = kunde(["restore", str(backup), "--yes"], env)
    assert restored.returncode == 0, restored.stderr
    assert usernames(database) == ["admin"]
    safety = list((data / "backups").glob("pre-restore-*.sqlite3"))
    assert len(safety) == 1 and usernames(safety[0]) == ["admin", "later"]

    default = kunde(["backup"], env)
    assert default.returncode == 0 and len(list((data / "backups").glob("kunde-*.sqlite3"))) == 1

    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_text("no backup")
    rejected = kunde(["restore", str(garbage), "--yes"], env)
    assert rejected.returncode == 1 and "Not restored" in rejected.stderr
    assert usernames(database) == ["admin"]


def _postgres_base_url() -> str:
    """The server of the suite's PostgreSQL database, as a URL without a database name."""
    database = settings.DATABASES["default"]
    user = database.get("USER") or ""
    if database.get("PASSWORD"):
        user += ":" + urllib.parse.quote(database["PASSWORD"], safe="")
    return f"postgres://{user}@{database.get('HOST') or '127.0.0.1'}:{database.get('PORT') or 5432}"


@pytest.mark.skipif(TEST_VENDOR != "postgresql", reason="runs in the PostgreSQL pass of the suite")
@pytest.mark.skipif(shutil.which("pg_dump") is None or shutil.which("psql") is None,
                    reason="the PostgreSQL client tools (pg_dump, pg_restore, psql) are not installed")
def test_backup_and_restore_commands_on_postgresql(tmp_path):
    """pg_dump/pg_restore: restore brings the old data back, and survives tables added later."""
    import psycopg

    base = _postgres_base_url()

    name = f"kunde_cli_backup_{os.getpid()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{base}/{name}"
    env = kunde_env(tmp_path / "data", DATABASE_URL=url)
    try:
        assert kunde(["migrate", "-v0"], env).returncode == 0
        kunde(["createadmin", "--no-input"], {**env, "KUNDE_ADMIN_PASSWORD": STRONG})
        backup = tmp_path / "before.pgdump"
        made = kunde(["backup", str(backup)], env)
        assert made.returncode == 0, made.stderr
        assert backup.read_bytes()[:5] == b"PGDMP"
        kunde(["createadmin", "--no-input", "--username", "later"], {**env, "KUNDE_ADMIN_PASSWORD": STRONG})
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CREATE TABLE added_by_a_newer_version (id int)")

        refused = kunde(["restore", str(backup)], env)
        assert refused.returncode == 1 and "--yes" in refused.stderr
        restored = kunde(["restore", str(backup), "--yes"], env)
        assert restored.returncode == 0, restored.stderr
        with psycopg.connect(url) as connection:
            users = [row[0] for row in connection.execute("SELECT username FROM accounts_user ORDER BY 1")]
            tables = [row[0] for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        assert users == ["admin"]
        assert "added_by_a_newer_version" not in tables
        assert list((tmp_path / "data" / "backups").glob("pre-restore-*.pgdump"))

        sqlite_file = tmp_path / "other.sqlite3"
        make_database(sqlite_file)
        wrong_kind = kunde(["restore", str(sqlite_file), "--yes"], env)
        assert wrong_kind.returncode == 1 and "is a sqlite backup but the database is postgresql" in wrong_kind.stderr
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- serve --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> set[int]:
    """Every descendant process of `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def migrated_data(tmp_path_factory) -> Path:
    """A migrated SQLite data directory, copied by each serve test (migrating takes a while)."""
    data = tmp_path_factory.mktemp("served") / "data"
    result = kunde(["migrate", "-v0"], kunde_env(data))
    assert result.returncode == 0, result.stderr
    return data


@pytest.fixture
def server(migrated_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(migrated_data, data)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kunde.cli", "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=kunde_env(data), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    try:
        wait_for(lambda: any("Kunde is running at" in line for line in lines), 90, "the server to start")
        yield process, port, data, lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def get(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def finished_job_runs(database: Path) -> set[str]:
    try:
        with closing(sqlite3.connect(database, timeout=5)) as connection, connection:
            rows = connection.execute("SELECT job FROM core_periodicjobrun WHERE status = 'succeeded'").fetchall()
    except sqlite3.Error:
        return set()
    return {row[0] for row in rows}


@embedded_pass
def test_serve_runs_gunicorn_and_a_worker_and_stops_cleanly_on_sigterm(server):
    """One command serves pages and static files and runs the periodic jobs; SIGTERM stops everything."""
    process, port, data, lines = server
    assert f"Kunde is running at http://127.0.0.1:{port}/ (with a background worker)" in "".join(lines)
    assert get(port, "/accounts/login/") == 200
    assert get(port, "/static/vendor/htmx.min.js") == 200
    descendants = children_of(process.pid)
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in descendants]
    assert sum("gunicorn" in c for c in commands) == 2  # the arbiter and one web worker
    assert sum("kunde.cli worker" in c for c in commands) == 1
    wait_for(lambda: finished_job_runs(data / "kunde.sqlite3") >= {
        "core.purge_idempotency_records", "core.prune_task_results"}, 60, "the worker to run the periodic jobs")

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    wait_for(lambda: not any(alive(pid) for pid in descendants), 30, "every child process to exit")
    assert "Stopping Kunde" in "".join(lines)


@embedded_pass
def test_serve_stops_cleanly_on_ctrl_c(server):
    process, port, _data, _lines = server
    descendants = children_of(process.pid)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    wait_for(lambda: not any(alive(pid) for pid in descendants), 30, "every child process to exit")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


@embedded_pass
def test_serve_leaves_no_orphans_when_killed(server):
    """Even a SIGKILL of `kunde serve` takes the web server and the worker down with it."""
    process, _port, _data, _lines = server
    descendants = children_of(process.pid)
    assert descendants
    process.kill()
    process.wait()
    wait_for(lambda: not any(alive(pid) for pid in descendants), 45, "the orphaned children to exit")


@embedded_pass
def test_serve_restarts_a_crashed_worker(server):
    process, _port, _data, lines = server
    workers = [pid for pid in children_of(process.pid)
               if b"kunde.cli\0worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(workers) == 1
    os.kill(workers[0], signal.SIGKILL)
    wait_for(lambda: any("The background worker exited" in line for line in lines), 15, "the supervisor to notice")

    def restarted() -> bool:
        current = [pid for pid in children_of(process.pid)
                   if b"kunde.cli\0worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        return bool(current) and current != workers

    wait_for(restarted, 30, "a new worker")


@embedded_pass
def test_serve_refuses_a_port_in_use(migrated_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(migrated_data, data)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = kunde(["serve", "--port", str(port)], kunde_env(data), timeout=60)
    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr


# --- several schedulers at once -------------------------------------------------------


def _scheduler_race(env: dict[str, str]) -> None:
    """Start four one-shot schedulers at once; the database lets each interval through once."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "kunde.cli", "worker", "--scheduler-only", "--once"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], outputs


@embedded_pass
def every_job_once() -> list[tuple[str, int]]:
    """Each registered periodic job (every app's), enqueued exactly once."""
    jobs.autodiscover()
    return sorted((job.name, 1) for job in jobs.periodic_jobs())


def test_several_schedulers_enqueue_each_interval_once_on_sqlite(migrated_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(migrated_data, data)
    _scheduler_race(kunde_env(data))
    with closing(sqlite3.connect(data / "kunde.sqlite3")) as connection:
        runs = connection.execute("SELECT job, count(*) FROM core_periodicjobrun GROUP BY job ORDER BY job").fetchall()
        tasks = connection.execute("SELECT count(*) FROM django_tasks_database_dbtaskresult").fetchone()[0]
    assert runs == every_job_once()
    assert tasks == len(runs)


@pytest.mark.skipif(TEST_VENDOR != "postgresql", reason="runs in the PostgreSQL pass of the suite")
def test_several_schedulers_enqueue_each_interval_once_on_postgresql(tmp_path):
    import psycopg

    base = _postgres_base_url()
    name = f"kunde_cli_jobs_{os.getpid()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = kunde_env(tmp_path / "data", DATABASE_URL=f"{base}/{name}")
    try:
        assert kunde(["migrate", "-v0"], env).returncode == 0
        _scheduler_race(env)
        with psycopg.connect(f"{base}/{name}") as connection:
            runs = connection.execute(
                "SELECT job, count(*) FROM core_periodicjobrun GROUP BY job ORDER BY job").fetchall()
            tasks = connection.execute("SELECT count(*) FROM django_tasks_database_dbtaskresult").fetchone()[0]
        assert runs == every_job_once()
        assert tasks == len(runs)
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
