"""Background tasks of the core: the periodic job runner and housekeeping jobs."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import traceback
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django_tasks import task

from kunde.core.context import request_id_scope
from kunde.core.db import refresh_statistics
from kunde.core.jobs import get_job, register_periodic
from kunde.core.models import IdempotencyRecord, PeriodicJobRun

logger = logging.getLogger("kunde.jobs")

JOB_RUN_RETENTION = dt.timedelta(days=30)
_DELETE_BATCH = 5000


@task()
def run_periodic_job(name: str, run_id: int) -> dict[str, Any]:
    """Run one claimed interval of the periodic job `name` and record how it went."""
    job = get_job(name)
    started = PeriodicJobRun.objects.filter(pk=run_id, status=PeriodicJobRun.Status.QUEUED).update(
        status=PeriodicJobRun.Status.RUNNING, started_at=timezone.now()
    )
    if not started:
        # Delivered twice (or given up as lost meanwhile): the interval is already taken care of.
        logger.info("periodic job %s: run %s is no longer queued; skipping", name, run_id)
        return {"job": name, "skipped": True}
    # Inside a caller's transaction (tests, an immediate backend) a savepoint keeps a
    # failing job from breaking it; a worker calls jobs in autocommit, so a long job
    # does not hold the SQLite writer lock for its whole run.
    in_transaction = transaction.get_connection().in_atomic_block
    guard = transaction.atomic() if in_transaction else contextlib.nullcontext()
    with request_id_scope(f"job:{name}:{run_id}"):
        try:
            with guard:
                result = job.func()
        except Exception as exc:
            PeriodicJobRun.objects.filter(pk=run_id).update(
                status=PeriodicJobRun.Status.FAILED, finished_at=timezone.now(), error=traceback.format_exc()[-8000:]
            )
            due_at = PeriodicJobRun.objects.values_list("due_at", flat=True).get(pk=run_id)
            logger.error(
                "periodic job %s failed (%s: %s); it runs again in the next interval, from %s",
                name, type(exc).__name__, exc, (due_at + job.every).isoformat(),
            )
            raise
    PeriodicJobRun.objects.filter(pk=run_id).update(
        status=PeriodicJobRun.Status.SUCCEEDED, finished_at=timezone.now(), error=""
    )
    logger.info("periodic job %s finished: %s", name, result)
    return {"job": name, "result": result if isinstance(result, dict | list | str | int | None) else str(result)}


def _delete_in_batches(queryset: models.QuerySet[Any]) -> int:
    """Delete `queryset` a batch at a time, so no write transaction runs long."""
    deleted = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:_DELETE_BATCH])
        if not ids:
            return deleted
        count, _ = queryset.model._default_manager.filter(pk__in=ids).delete()
        deleted += count


def purge_idempotency_records() -> dict[str, int]:
    """Delete stored API idempotency answers older than 24 hours."""
    cutoff = timezone.now() - IdempotencyRecord.RETENTION
    return {"deleted": _delete_in_batches(IdempotencyRecord.objects.filter(created_at__lt=cutoff))}


def prune_task_results() -> dict[str, int]:
    """Delete finished background task results and periodic job runs past their retention."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    retention = dt.timedelta(days=int(getattr(settings, "KUNDE_TASK_RESULT_RETENTION_DAYS", 14)))
    results = DBTaskResult.objects.finished().filter(finished_at__lt=now - retention)
    runs = PeriodicJobRun.objects.filter(
        due_at__lt=now - JOB_RUN_RETENTION,
        status__in=[PeriodicJobRun.Status.SUCCEEDED, PeriodicJobRun.Status.FAILED],
    )
    return {"task_results": _delete_in_batches(results), "job_runs": _delete_in_batches(runs)}


def refresh_database_statistics() -> dict[str, str]:
    """Keep the query planner's statistics current (see core.db.refresh_statistics)."""
    refresh_statistics()
    return {"database": connection.vendor}


register_periodic("core.refresh_database_statistics", refresh_database_statistics, every=dt.timedelta(hours=6))
register_periodic("core.purge_idempotency_records", purge_idempotency_records, every=dt.timedelta(hours=1))
register_periodic(
    "core.prune_task_results", prune_task_results, every=dt.timedelta(days=1), offset=dt.timedelta(hours=3)
)
