"""`kunde serve`: the production server (gunicorn, gthread workers) plus, by default on
SQLite, one background worker, supervised together so that one command is enough."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from argparse import ArgumentParser, BooleanOptionalAction
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from kunde.core.db import refresh_statistics

GRACEFUL_TIMEOUT = 20  # seconds gunicorn gives requests in flight at shutdown
WORKER_STOP_TIMEOUT = 30  # seconds the background worker gets to finish its task
_PR_SET_PDEATHSIG = 1


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def default_web_workers() -> int:
    """Two gthread processes suit SQLite's single writer; more cores, a few more."""
    return _env_int("KUNDE_WEB_WORKERS", max(2, min(4, (os.cpu_count() or 1))))


def _child_setup(parent_pid: int) -> Callable[[], None]:
    """Return the Popen pre-exec hook that ties a child's life to `kunde serve`."""

    def setup() -> None:
        os.setpgid(0, 0)  # own process group: a terminal's Ctrl-C reaches only the supervisor
        if sys.platform.startswith("linux"):
            # SIGTERM when the supervisor dies, even by SIGKILL: no orphaned servers.
            with contextlib.suppress(Exception):
                ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the supervisor died before the hook was in place
            os._exit(1)

    return setup


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"Port {port} on {host} is already in use (is Kunde already running?). "
                    "Stop the other server or choose another port with --port."
                ) from None
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror}") from None


class Supervisor:
    """Run the web server and the worker as child processes; stop both on a signal."""

    def __init__(self, *, web: list[str], worker: list[str] | None, announce: tuple[str, int], stdout: Any) -> None:
        self.web_cmd = web
        self.worker_cmd = worker
        self.announce_at = announce
        self.stdout = stdout
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.stop_requested = 0
        self.worker_backoff = 1.0
        self.worker_started_at = 0.0
        self.worker_restart_at: float | None = None

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def _spawn(self, cmd: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(cmd, preexec_fn=_child_setup(os.getpid()))  # noqa: S603

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested += 1

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        self.web = self._spawn(self.web_cmd)
        if self.worker_cmd:
            self._start_worker()
        announced = False
        try:
            while not self.stop_requested:
                code = self.web.poll()
                if code is not None:
                    self._say(f"The web server stopped (exit code {code}).")
                    return code
                self._watch_worker()
                if not announced and self._accepting():
                    announced = True
                    host, port = self.announce_at
                    self._say(
                        f"Kunde is running at http://{bind_address(host, port)}/ "
                        f"({'with' if self.worker_cmd else 'without'} a background worker). "
                        "Press Ctrl-C to stop."
                    )
                time.sleep(0.2)
            self._say("Stopping Kunde…")
            return 0
        finally:
            self._stop_children()

    def _start_worker(self) -> None:
        assert self.worker_cmd is not None
        self.worker = self._spawn(self.worker_cmd)
        self.worker_started_at = time.monotonic()
        self.worker_restart_at = None

    def _watch_worker(self) -> None:
        """Restart a background worker that died, backing off while it keeps dying."""
        if not self.worker_cmd:
            return
        if self.worker_restart_at is not None:
            if time.monotonic() >= self.worker_restart_at:
                self._start_worker()
            return
        assert self.worker is not None
        code = self.worker.poll()
        if code is None:
            return
        if time.monotonic() - self.worker_started_at > 60:
            self.worker_backoff = 1.0
        self._say(
            f"The background worker exited (code {code}); restarting it in {self.worker_backoff:.0f} s."
        )
        self.worker_restart_at = time.monotonic() + self.worker_backoff
        self.worker_backoff = min(self.worker_backoff * 2, 60.0)

    def _accepting(self) -> bool:
        host, port = self.announce_at
        connect_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
        try:
            with socket.create_connection((connect_host, port), timeout=0.5):
                return True
        except OSError:
            return False

    def _stop_children(self) -> None:
        """SIGTERM both (graceful); a second Ctrl-C or the deadline makes it quick, then SIGKILL."""
        children = [p for p in (self.web, self.worker) if p is not None and p.poll() is None]
        for process in children:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        deadline = time.monotonic() + max(GRACEFUL_TIMEOUT, WORKER_STOP_TIMEOUT) + 5
        escalated_at = self.stop_requested
        while any(p.poll() is None for p in children) and time.monotonic() < deadline:
            if self.stop_requested > max(escalated_at, 1):
                escalated_at = self.stop_requested
                self._say("Stopping now…")
                for process in children:
                    with contextlib.suppress(ProcessLookupError):
                        # gunicorn: SIGINT is a quick shutdown; the worker: a second signal
                        # abandons the task it runs (it stays queued as running: lost).
                        process.send_signal(signal.SIGINT if process is self.web else signal.SIGTERM)
            time.sleep(0.1)
        for process in children:
            if process.poll() is None:
                process.kill()
                process.wait()


class Command(BaseCommand):
    help = (
        "Serve Kunde with gunicorn, plus a background worker on SQLite. "
        "Migrates the database and collects static files first."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KUNDE_HOST", "127.0.0.1"),
                            help="Address to listen on (default: %(default)s; 0.0.0.0 for every interface).")
        parser.add_argument("--port", type=int, default=_env_int("KUNDE_PORT", 8000),
                            help="Port (default: %(default)s).")
        parser.add_argument("--workers", type=int, default=default_web_workers(),
                            help="Web server processes (default: %(default)s).")
        parser.add_argument("--threads", type=int, default=_env_int("KUNDE_WEB_THREADS", 4),
                            help="Threads per web process (default: %(default)s).")
        parser.add_argument("--worker", action=BooleanOptionalAction, default=None,
                            help="Also run one background worker (default: on with SQLite, off otherwise).")
        parser.add_argument("--timeout", type=int, default=60, help="Seconds before a stuck request is killed.")
        parser.add_argument("--access-log", action="store_true", help="Log every request to standard output.")
        parser.add_argument("--no-migrate", action="store_true",
                            help="Do not migrate first (when a deployment step runs `kunde migrate`).")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        check_port_free(host, port)
        database = settings.DATABASES["default"]
        if database["ENGINE"].endswith("sqlite3"):
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)  # a fresh data directory
        if not options["no_migrate"]:
            self._migrate()
        call_command("collectstatic", interactive=False, verbosity=0)
        connections.close_all()  # the children open their own connections

        run_worker = options["worker"]
        if run_worker is None:
            run_worker = self._embedded_default()
        web = self._gunicorn_command(options)
        worker = [sys.executable, "-m", "kunde.cli", "worker", "--no-startup-delay"] if run_worker else None
        os.environ.setdefault("KUNDE_DATA_DIR", str(settings.DATA_DIR))  # children agree on the data
        supervisor = Supervisor(web=web, worker=worker, announce=(host, port), stdout=self.stdout)
        code = supervisor.run()
        if code:
            sys.exit(code)

    def _embedded_default(self) -> bool:
        engine = settings.DATABASES["default"]["ENGINE"]
        backend = settings.TASKS["default"]["BACKEND"]
        return engine.endswith("sqlite3") and backend.startswith("django_tasks_db.")

    def _migrate(self) -> None:
        connection = connections["default"]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            self.stdout.write(f"Updating the database ({len(plan)} migrations)…")
        call_command("migrate", interactive=False, verbosity=0)
        if plan:
            # New indexes need statistics before the planner weighs them correctly.
            refresh_statistics(connection)

    def _gunicorn_command(self, options: dict[str, Any]) -> list[str]:
        command = [
            sys.executable, "-m", "gunicorn", "kunde.wsgi:application",
            "--bind", bind_address(options["host"], options["port"]),
            "--worker-class", "gthread",
            "--workers", str(options["workers"]),
            "--threads", str(options["threads"]),
            "--timeout", str(options["timeout"]),
            "--graceful-timeout", str(GRACEFUL_TIMEOUT),
            # Recycle web processes now and then so no slow leak grows without bound.
            "--max-requests", "5000", "--max-requests-jitter", "500",
            "--no-control-socket",
            "--log-level", "warning",
        ]
        # gunicorn's heartbeat files in memory: a slow disk must not look like a hung worker.
        shm = "/dev/shm"  # noqa: S108
        if Path(shm).is_dir():
            command += ["--worker-tmp-dir", shm]
        if options["access_log"]:
            command += ["--access-logfile", "-"]
        return command
