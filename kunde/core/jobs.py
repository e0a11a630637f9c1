"""Periodic jobs: registered in one place, scheduled by `kunde worker`, run as tasks.

An app declares its periodic work in its own `tasks.py` (imported by `autodiscover`),
or in its `AppConfig.ready`::

    from datetime import timedelta
    from kunde.core.jobs import register_periodic

    register_periodic("service.check_slas", check_slas, every=timedelta(minutes=5))

Time is cut into intervals of `every` (aligned to the Unix epoch plus `offset`, so a
daily job with `offset=timedelta(hours=2)` runs once per day after 02:00 UTC). The
scheduler claims an interval by inserting a `PeriodicJobRun` row; the unique
(job, due_at) constraint makes several workers enqueue each interval at most once.
A job that fails is logged and simply runs again in the next interval, so every job
must be idempotent. Missed intervals (worker down) are not caught up one by one: the
current interval runs once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from kunde.core.models import PeriodicJobRun

logger = logging.getLogger("kunde.jobs")

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_registry: dict[str, PeriodicJob] = {}


@dataclass(frozen=True)
class PeriodicJob:
    """A function to run once per interval of `every`."""

    name: str
    func: Callable[[], Any]
    every: dt.timedelta
    offset: dt.timedelta = dt.timedelta(0)
    queue_name: str | None = None
    # A queued or running run older than this is considered lost (its worker died).
    stale_after: dt.timedelta | None = None

    @property
    def description(self) -> str:
        doc = (self.func.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def interval_start(self, now: dt.datetime) -> dt.datetime:
        """Return the start of the interval that contains `now`."""
        since = now - _EPOCH - self.offset
        return _EPOCH + self.offset + (since // self.every) * self.every

    def next_due(self, now: dt.datetime) -> dt.datetime:
        return self.interval_start(now) + self.every

    def lost_after(self) -> dt.timedelta:
        return self.stale_after or max(self.every, dt.timedelta(minutes=15))


def register_periodic(
    name: str,
    task: Callable[[], Any],
    *,
    every: dt.timedelta,
    offset: dt.timedelta = dt.timedelta(0),
    queue_name: str | None = None,
    stale_after: dt.timedelta | None = None,
) -> PeriodicJob:
    """Run `task` (a function or a Tasks API task, called without arguments) every `every`."""
    if every <= dt.timedelta(0):
        raise ValueError("every must be positive")
    if not dt.timedelta(0) <= offset < every:
        raise ValueError("offset must lie within one interval")
    func = getattr(task, "func", task)  # a django-tasks Task wraps the plain function
    job = PeriodicJob(
        name=name, func=func, every=every, offset=offset, queue_name=queue_name, stale_after=stale_after
    )
    existing = _registry.get(name)
    if existing is not None and existing != job:
        raise ValueError(f"a different periodic job is already registered as {name!r}")
    _registry[name] = job
    return job


def unregister_periodic(name: str) -> None:
    """Remove a job from the registry (tests, or an app switching a job off)."""
    _registry.pop(name, None)


def autodiscover() -> None:
    """Import the `tasks` module of every Kunde app, which registers its periodic jobs."""
    if not apps.ready:
        return
    for app_config in apps.get_app_configs():
        if app_config.name.startswith("kunde.") and module_has_submodule(app_config.module, "tasks"):
            import_module(f"{app_config.name}.tasks")


def periodic_jobs() -> list[PeriodicJob]:
    """Return every registered job, by name."""
    autodiscover()
    return [_registry[name] for name in sorted(_registry)]


def get_job(name: str) -> PeriodicJob:
    autodiscover()
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"no periodic job named {name!r}") from None


def scheduler_id() -> str:
    """Name this scheduler in the claim rows (host and process)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def schedule_due(now: dt.datetime | None = None, *, claimed_by: str = "") -> list[PeriodicJobRun]:
    """Claim and enqueue every job whose current interval has not been claimed yet."""
    now = now or timezone.now()
    claimed = []
    for job in periodic_jobs():
        run = _claim_and_enqueue(job, now, claimed_by or scheduler_id())
        if run is not None:
            claimed.append(run)
    return claimed


def _claim_and_enqueue(job: PeriodicJob, now: dt.datetime, claimed_by: str) -> PeriodicJobRun | None:
    due_at = job.interval_start(now)
    if PeriodicJobRun.objects.filter(job=job.name, due_at=due_at).exists():
        return None
    if _previous_run_pending(job, now):
        return None
    from kunde.core.tasks import run_periodic_job

    try:
        # The claim and the enqueue commit together (the database task backend writes
        # its row in the same transaction): no interval is claimed without its task.
        with transaction.atomic():
            run = PeriodicJobRun.objects.create(job=job.name, due_at=due_at, claimed_by=claimed_by, enqueued_at=now)
            task = run_periodic_job if job.queue_name is None else run_periodic_job.using(
                queue_name=job.queue_name
            )
            result = task.enqueue(job.name, run.pk)
            PeriodicJobRun.objects.filter(pk=run.pk).update(task_result_id=str(result.id)[:64])
    except IntegrityError:
        logger.debug("periodic job %s: interval %s already claimed by another worker", job.name, due_at)
        return None
    logger.debug("periodic job %s enqueued for the interval starting %s", job.name, due_at.isoformat())
    run.refresh_from_db()
    return run


def _previous_run_pending(job: PeriodicJob, now: dt.datetime) -> bool:
    """Whether the job's last run has not finished yet; a run pending too long is given up."""
    previous = (
        PeriodicJobRun.objects.filter(job=job.name)
        .exclude(status__in=[PeriodicJobRun.Status.SUCCEEDED, PeriodicJobRun.Status.FAILED])
        .order_by("-due_at")
        .first()
    )
    if previous is None:
        return False
    if now - previous.enqueued_at < job.lost_after():
        logger.info("periodic job %s: the previous run (%s) has not finished; not enqueuing another",
                    job.name, previous.due_at.isoformat())
        return True
    PeriodicJobRun.objects.filter(pk=previous.pk, status=previous.status).update(
        status=PeriodicJobRun.Status.FAILED, finished_at=now,
        error="Given up: the run did not finish in time (its worker probably stopped).",
    )
    logger.warning("periodic job %s: the run for %s never finished; scheduling the current interval",
                   job.name, previous.due_at.isoformat())
    return False


def last_runs() -> dict[str, PeriodicJobRun]:
    """Return the latest run of each registered job."""
    latest: dict[str, PeriodicJobRun] = {}
    for job in periodic_jobs():
        run = PeriodicJobRun.objects.filter(job=job.name).order_by("-due_at").first()
        if run is not None:
            latest[job.name] = run
    return latest
