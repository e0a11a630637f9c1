"""The periodic job registry and scheduler: due/not due, one run per interval, retries."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from kunde.core import jobs
from kunde.core.models import IdempotencyRecord, PeriodicJobRun
from kunde.core.tasks import prune_task_results, purge_idempotency_records, run_periodic_job
from kunde.core.testing.factories import make_user

NOW = dt.datetime(2026, 3, 10, 14, 25, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
JOB = "tests.count"


class Counter:
    """A job that counts its calls and fails while `failures` is above zero."""

    def __init__(self) -> None:
        self.calls = 0
        self.failures = 0

    def __call__(self) -> dict[str, int]:
        """Count a call (a test job)."""
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise RuntimeError("mailbox unreachable")
        return {"calls": self.calls}


@pytest.fixture
def counter(monkeypatch):
    """A registry holding only the test job: the real housekeeping jobs run on the real clock."""
    jobs.autodiscover()
    monkeypatch.setattr(jobs, "_registry", {})
    job = Counter()
    jobs.register_periodic(JOB, job, every=HOUR)
    return job


def runs() -> list[tuple[str, dt.datetime, str]]:
    return list(PeriodicJobRun.objects.filter(job=JOB).order_by("due_at").values_list("job", "due_at", "status"))


def test_intervals_are_aligned_to_the_epoch_plus_offset():
    """An hourly job's interval starts on the hour; a daily job with offset 3 h at 03:00 UTC."""
    hourly = jobs.PeriodicJob("h", print, every=HOUR)
    daily = jobs.PeriodicJob("d", print, every=dt.timedelta(days=1), offset=dt.timedelta(hours=3))
    assert hourly.interval_start(NOW) == dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
    assert hourly.next_due(NOW) == dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
    assert daily.interval_start(NOW) == dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)
    early = dt.datetime(2026, 3, 10, 2, 59, tzinfo=dt.UTC)
    assert daily.interval_start(early) == dt.datetime(2026, 3, 9, 3, 0, tzinfo=dt.UTC)


def test_registration_rejects_conflicts_and_bad_intervals(counter):
    """Registering the same job twice is harmless; another function under its name is an error."""
    assert jobs.register_periodic(JOB, counter, every=HOUR) == jobs.get_job(JOB)
    with pytest.raises(ValueError, match="already registered"):
        jobs.register_periodic(JOB, print, every=HOUR)
    with pytest.raises(ValueError, match="positive"):
        jobs.register_periodic("tests.zero", print, every=dt.timedelta(0))
    with pytest.raises(ValueError, match="offset"):
        jobs.register_periodic("tests.offset", print, every=HOUR, offset=HOUR)
    assert jobs.get_job(JOB).func is counter


def test_core_jobs_are_registered_by_autodiscovery():
    """The core's housekeeping jobs come from kunde/core/tasks.py without any explicit import."""
    names = {job.name for job in jobs.periodic_jobs()}
    assert {"core.purge_idempotency_records", "core.prune_task_results"} <= names
    assert jobs.get_job("core.purge_idempotency_records").every == HOUR


@pytest.mark.django_db
def test_a_due_job_runs_once_per_interval(counter):
    """The first look in an interval enqueues the job; later looks in it do nothing."""
    claimed = [run.job for run in jobs.schedule_due(NOW, claimed_by="worker-a")]
    assert claimed.count(JOB) == 1
    assert counter.calls == 1
    run = PeriodicJobRun.objects.get(job=JOB)
    assert (run.due_at, run.status, run.claimed_by) == (
        dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC), PeriodicJobRun.Status.SUCCEEDED, "worker-a"
    )
    assert run.task_result_id != ""
    assert run.started_at is not None and run.finished_at is not None

    for later in (NOW + dt.timedelta(minutes=10), NOW + dt.timedelta(minutes=34, seconds=59)):
        assert JOB not in [r.job for r in jobs.schedule_due(later, claimed_by="worker-b")]
    assert counter.calls == 1
    assert len(runs()) == 1

    jobs.schedule_due(NOW + HOUR, claimed_by="worker-b")
    assert counter.calls == 2
    assert [due for _job, due, _status in runs()] == [
        dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
    ]


@pytest.mark.django_db
def test_an_interval_claimed_by_another_worker_is_not_enqueued_again(counter):
    """When another worker holds the claim row, this scheduler enqueues nothing."""
    PeriodicJobRun.objects.create(job=JOB, due_at=dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC),
                                  claimed_by="worker-a", status=PeriodicJobRun.Status.SUCCEEDED)
    assert JOB not in [run.job for run in jobs.schedule_due(NOW, claimed_by="worker-b")]
    assert counter.calls == 0
    assert len(runs()) == 1


@pytest.mark.django_db
def test_the_claim_is_unique_in_the_database(counter):
    """Two workers racing past the existence check: the second insert is refused by the database."""
    from django.db import IntegrityError, transaction

    due = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
    PeriodicJobRun.objects.create(job=JOB, due_at=due, claimed_by="worker-a")
    with pytest.raises(IntegrityError), transaction.atomic():
        PeriodicJobRun.objects.create(job=JOB, due_at=due, claimed_by="worker-b")
    assert len(runs()) == 1


@pytest.mark.django_db
def test_a_failing_job_is_logged_and_retried_in_the_next_interval(counter, caplog):
    """A failure is recorded and logged; the same interval is not retried, the next one is."""
    counter.failures = 1
    with caplog.at_level(logging.ERROR, logger="kunde.jobs"):
        jobs.schedule_due(NOW)
    run = PeriodicJobRun.objects.get(job=JOB)
    assert run.status == PeriodicJobRun.Status.FAILED
    assert "RuntimeError: mailbox unreachable" in run.error
    messages = [r.getMessage() for r in caplog.records if r.name == "kunde.jobs" and r.levelno == logging.ERROR]
    assert messages == [
        "periodic job tests.count failed (RuntimeError: mailbox unreachable); it runs again in the next "
        "interval, from 2026-03-10T15:00:00+00:00"
    ]

    jobs.schedule_due(NOW + dt.timedelta(minutes=20))
    assert counter.calls == 1

    jobs.schedule_due(NOW + HOUR)
    assert counter.calls == 2
    assert [status for _job, _due, status in runs()] == ["failed", "succeeded"]


@pytest.mark.django_db
def test_no_pile_up_while_the_previous_run_waits_for_a_worker(counter, settings):
    """With no worker taking tasks, a job is not enqueued again until its run counts as lost."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    jobs.schedule_due(NOW)
    assert [status for _job, _due, status in runs()] == ["queued"]

    jobs.schedule_due(NOW + HOUR - dt.timedelta(minutes=1))  # still waiting: same interval anyway
    jobs.schedule_due(NOW + dt.timedelta(minutes=50))  # next interval, but the run is only 50 min old
    assert [status for _job, _due, status in runs()] == ["queued"]

    jobs.schedule_due(NOW + 2 * HOUR)  # the queued run is older than one interval: given up
    first, second = PeriodicJobRun.objects.filter(job=JOB).order_by("due_at")
    assert first.status == PeriodicJobRun.Status.FAILED
    assert first.error.startswith("Given up")
    assert (second.due_at, second.status) == (dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC), "queued")
    assert counter.calls == 0


@pytest.mark.django_db
def test_a_run_delivered_twice_runs_once(counter):
    """The task skips a run that is no longer queued (a duplicate delivery)."""
    jobs.schedule_due(NOW)
    run = PeriodicJobRun.objects.get(job=JOB)
    assert run_periodic_job.call(JOB, run.pk) == {"job": JOB, "skipped": True}
    assert counter.calls == 1


@pytest.mark.django_db
def test_purging_idempotency_records_keeps_the_last_24_hours():
    """Records older than 24 hours go; younger ones stay for replays."""
    user = make_user()
    from django.utils import timezone

    now = timezone.now()
    for key, age in (("old", dt.timedelta(hours=25)), ("edge", dt.timedelta(hours=23)), ("new", dt.timedelta(0))):
        IdempotencyRecord.objects.create(user=user, key=key, method="POST", path="/api/v1/people",
                                         request_hash="x", status_code=201, response_body="{}",
                                         created_at=now - age)
    assert purge_idempotency_records() == {"deleted": 1}
    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == ["edge", "new"]


@pytest.mark.django_db
def test_pruning_removes_old_finished_task_results_and_job_runs():
    """Finished results past the retention go; recent and unfinished ones stay."""
    from django.utils import timezone

    now = timezone.now()

    def result(status: str, finished_days_ago: float | None) -> uuid.UUID:
        row = DBTaskResult.objects.create(
            status=status, args_kwargs={"args": [], "kwargs": {}}, task_path="kunde.core.tasks.run_periodic_job",
            backend_name="default", run_after=now,
            finished_at=None if finished_days_ago is None else now - dt.timedelta(days=finished_days_ago),
        )
        return row.id

    old = result("SUCCESSFUL", 20)
    old_failed = result("FAILED", 15)
    recent = result("SUCCESSFUL", 1)
    waiting = result("READY", None)
    PeriodicJobRun.objects.create(job="x", due_at=now - dt.timedelta(days=40), status="succeeded")
    PeriodicJobRun.objects.create(job="x", due_at=now - dt.timedelta(days=39), status="queued")
    PeriodicJobRun.objects.create(job="x", due_at=now - dt.timedelta(days=2), status="failed")

    assert prune_task_results() == {"task_results": 2, "job_runs": 1}
    assert set(DBTaskResult.objects.values_list("id", flat=True)) == {recent, waiting}
    assert old not in set(DBTaskResult.objects.values_list("id", flat=True))
    assert old_failed not in set(DBTaskResult.objects.values_list("id", flat=True))
    assert sorted(PeriodicJobRun.objects.values_list("status", flat=True)) == ["failed", "queued"]


@pytest.mark.django_db
def test_worker_lists_and_runs_jobs(counter, capsys):
    """`kunde worker --list-jobs` shows every job; `--run-job` runs one now."""
    call_command("worker", "--list-jobs")
    listing = capsys.readouterr().out
    assert "tests.count\n    every 1:00:00;" in listing and "never run" in listing
    assert "A job that counts its calls" in listing

    call_command("worker", "--run-job", JOB)
    assert capsys.readouterr().out == "tests.count: {'calls': 1}\n"
    counter.failures = 1
    with pytest.raises(CommandError, match=r"tests\.count failed: mailbox unreachable"):
        call_command("worker", "--run-job", JOB)
    with pytest.raises(CommandError, match="no periodic job named 'nope'"):
        call_command("worker", "--run-job", "nope")


@pytest.mark.django_db
def test_worker_scheduler_once_enqueues_what_is_due(counter):
    """`kunde worker --scheduler-only --once` schedules the due jobs and returns."""
    call_command("worker", "--scheduler-only", "--once")
    assert counter.calls == 1
    assert list(PeriodicJobRun.objects.values_list("job", "status")) == [(JOB, "succeeded")]


@pytest.mark.django_db
def test_worker_lists_the_core_jobs(capsys):
    """The housekeeping jobs show with their interval and description."""
    call_command("worker", "--list-jobs")
    listing = capsys.readouterr().out
    assert "core.purge_idempotency_records\n    every 1:00:00;" in listing
    assert "Delete stored API idempotency answers older than 24 hours." in listing
    assert "core.prune_task_results\n    every 1 day, 0:00:00;" in listing


@pytest.mark.django_db
def test_worker_needs_the_database_backend_to_run_tasks():
    """With another task backend the worker says what to run instead."""
    with pytest.raises(CommandError, match="--scheduler-only"):
        call_command("worker", "--batch")


@pytest.mark.django_db
def test_statistics_job_gives_the_planner_statistics_for_the_list_indexes(world):
    """On SQLite the job fills sqlite_stat1, so list indexes are weighed by real numbers."""
    from django.db import connection

    from kunde.core.tasks import refresh_database_statistics

    assert refresh_database_statistics() == {"database": connection.vendor}
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'contacts_person'")
        indexed = {row[0] for row in cursor.fetchall()}
    assert "contacts_pe_last_na_65e267_idx" in indexed


def test_every_background_task_can_be_found_by_its_path():
    """The database backend stores a task's module path and refuses one that names no Task.

    A task made as `name = task()(function)` keeps the function's path, which names the plain
    function: its enqueue fails outside tests. Every task must be importable as itself.
    """
    from importlib import import_module

    from django.apps import apps
    from django.utils.module_loading import import_string, module_has_submodule
    from django_tasks.base import Task

    found = []
    for config in apps.get_app_configs():
        if config.name.startswith("kunde.") and module_has_submodule(config.module, "tasks"):
            module = import_module(f"{config.name}.tasks")
            found += [value for value in vars(module).values() if isinstance(value, Task)]
    assert len(found) >= 3
    assert [t.module_path for t in found if import_string(t.module_path) is not t] == []
