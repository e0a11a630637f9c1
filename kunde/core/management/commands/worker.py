"""`kunde worker`: background tasks (django-tasks-db's worker) plus the periodic job scheduler."""

from __future__ import annotations

import logging
import os
import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import CommandError
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import valid_backend_name

from kunde.core import jobs

logger = logging.getLogger("kunde.jobs")


class Scheduler:
    """Enqueue due periodic jobs every `interval` seconds until stopped."""

    def __init__(self, *, interval: float, claimed_by: str) -> None:
        self.interval = interval
        self.claimed_by = claimed_by
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def tick(self) -> None:
        """Schedule once; a failure (database busy, a bad job) is logged, never fatal."""
        try:
            jobs.schedule_due(claimed_by=self.claimed_by)
        except Exception:
            logger.exception("the periodic job scheduler failed; retrying in %.0f s", self.interval)

    def run(self) -> None:
        names = ", ".join(job.name for job in jobs.periodic_jobs()) or "none"
        logger.info("periodic job scheduler started (every %.0f s); jobs: %s", self.interval, names)
        try:
            while not self.stopping.is_set():
                close_old_connections()  # a dropped database connection is replaced
                self.tick()
                close_old_connections()
                self.stopping.wait(self.interval)
        finally:
            connection.close()

    def start_thread(self) -> None:
        self.thread = threading.Thread(target=self.run, name="kunde-scheduler", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)


class Command(DbWorkerCommand):
    help = (
        "Run background tasks and periodic jobs. Tasks come through the Tasks API "
        "(django-tasks-db); periodic jobs are registered in kunde.core.jobs."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        # Every queue by default, so no app's tasks wait for a worker nobody started;
        # the backend is checked in handle(), so --scheduler-only works with any backend.
        parser.set_defaults(queue_name="*", reload=False, backend_name=None)
        group = parser.add_argument_group("periodic jobs")
        group.add_argument(
            "--no-scheduler", action="store_true",
            help="Run tasks only; another worker (or `--scheduler-only`) schedules the periodic jobs.",
        )
        group.add_argument(
            "--scheduler-only", action="store_true",
            help="Only schedule periodic jobs (e.g. next to the workers of another task backend).",
        )
        group.add_argument(
            "--scheduler-interval", type=float, default=15.0, metavar="SECONDS",
            help="How often to look for due periodic jobs (default: %(default)s).",
        )
        group.add_argument(
            "--once", action="store_true",
            help="With --scheduler-only: schedule what is due once and exit (for cron).",
        )
        group.add_argument("--list-jobs", action="store_true", help="List the periodic jobs and their last runs.")
        group.add_argument("--run-job", metavar="NAME", help="Run one periodic job now, in this process.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list_jobs"]:
            self._list_jobs()
            return
        if options["run_job"]:
            self._run_job(options["run_job"])
            return
        self.configure_logging(options["verbosity"])
        scheduler = Scheduler(interval=options["scheduler_interval"], claimed_by=f"{jobs.scheduler_id()}")
        if options["scheduler_only"]:
            self._run_scheduler_only(scheduler, once=options["once"])
            return
        options["backend_name"] = self._database_backend(options["backend_name"])
        reloading_parent = options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not options["no_scheduler"] and not reloading_parent:
            scheduler.start_thread()
        try:
            super().handle(*args, **options)
        finally:
            scheduler.stop()

    def _database_backend(self, name: str | None) -> str:
        try:
            return valid_backend_name(name or DEFAULT_TASK_BACKEND_ALIAS)
        except Exception as exc:
            raise CommandError(
                f"{exc}. With another task backend run its own workers, and "
                "`kunde worker --scheduler-only` for the periodic jobs."
            ) from exc

    def _run_scheduler_only(self, scheduler: Scheduler, *, once: bool) -> None:
        if once:
            scheduler.tick()
            return

        def stop(signum: int, frame: FrameType | None) -> None:
            logger.warning("Received %s - stopping the scheduler.", signal.strsignal(signum))
            scheduler.stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        scheduler.run()

    def _list_jobs(self) -> None:
        now = timezone.now()
        last = jobs.last_runs()
        registered = jobs.periodic_jobs()
        if not registered:
            self.stdout.write("No periodic jobs are registered.")
            return
        for job in registered:
            run = last.get(job.name)
            state = "never run" if run is None else f"last {run.status} for {run.due_at:%Y-%m-%d %H:%M} UTC"
            self.stdout.write(
                f"{job.name}\n    every {job.every}; next from {job.next_due(now):%Y-%m-%d %H:%M} UTC; {state}"
                + (f"\n    {job.description}" if job.description else "")
            )

    def _run_job(self, name: str) -> None:
        try:
            job = jobs.get_job(name)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        try:
            result = job.func()
        except Exception as exc:
            logger.exception("periodic job %s failed", name)
            raise CommandError(f"{name} failed: {exc}") from exc
        self.stdout.write(f"{name}: {result}")
