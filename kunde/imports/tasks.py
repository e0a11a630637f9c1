"""Background work of imports: a dry run or an import started in the web wizard."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django_tasks import task


@task()
def run_import(run_id: int, user_id: int, dry_run: bool) -> dict[str, Any]:
    """Run the wizard's dry run or import of one run, saving progress per batch (a crash leaves it resumable)."""
    from kunde.accounts.models import User
    from kunde.imports.models import ImportRun
    from kunde.imports.services import import_dry_run, import_execute

    run = ImportRun.objects.filter(pk=run_id).first()
    actor = User.objects.filter(pk=user_id, is_active=True).first()
    if run is None or actor is None:
        return {"run": run_id, "done": False}
    try:
        if dry_run:
            def progress(rows: int, counts: Counter[str]) -> None:
                ImportRun.objects.filter(pk=run_id).update(dry_run_rows=rows, dry_run_counts=dict(counts))

            counts = import_dry_run(actor=actor, run=run, on_batch=progress)
            ImportRun.objects.filter(pk=run_id).update(dry_run_counts=dict(counts))
        else:
            import_execute(actor=actor, run=run)
    except Exception as error:
        ImportRun.objects.filter(pk=run_id).update(error=f"{type(error).__name__}: {error}"[:2000])
        if not dry_run:
            ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.RUNNING).update(
                status=ImportRun.Status.INTERRUPTED)
    finally:
        ImportRun.objects.filter(pk=run_id).update(queued="")
    return {"run": run_id, "done": True}
