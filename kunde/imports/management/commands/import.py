"""`kunde import people|organisations|products|activities|deals FILE`: import CSV/XLSX (dry run, resume, undo)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from kunde.accounts.models import User
from kunde.core.exceptions import PermissionDenied
from kunde.imports.mapping import ACTIVITY, DEAL, ORGANISATION, PERSON, PRODUCT, fields_for
from kunde.imports.models import ImportRun
from kunde.imports.reading import open_table
from kunde.imports.services import (
    import_dry_run,
    import_execute,
    import_prepare,
    import_undo,
    report_path,
)

KINDS = {"people": PERSON, "organisations": ORGANISATION, "products": PRODUCT, "activities": ACTIVITY, "deals": DEAL}


class Command(BaseCommand):
    help = "Import people, organisations, products, history entries or deals from a CSV or XLSX file (dry run, " \
           "resume after a crash, undo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(KINDS), help="What the file holds (activities: history entries).")
        parser.add_argument("file", nargs="?", help="The CSV or XLSX file (not needed with --resume/--undo).")
        parser.add_argument("--as", dest="username", required=True, help="The user the import acts as.")
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                            help="Map a column to a field (repeatable); other columns use the suggestions. "
                                 + "; ".join(f"{kind}: {', '.join(fields_for(object_type))}"
                                             for kind, object_type in KINDS.items())
                                 + ". FIELD empty ignores the column.")
        parser.add_argument("--system", default="import", help="Name of the source system of external ids.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would happen; change nothing.")
        parser.add_argument("--resume", type=int, metavar="RUN", help="Continue an interrupted import.")
        parser.add_argument("--undo", type=int, metavar="RUN", help="Undo a finished import.")
        parser.add_argument("--batch-size", type=int, default=None, help=None)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['username']!r}")
        try:
            if options["undo"]:
                run = import_undo(actor=user, run=self._run(options["undo"]))
                self.stdout.write(f"Import {run.pk} undone.")
                for change in run.changes.exclude(undo_skipped="").order_by("row_number", "id"):
                    self.stdout.write(f"  row {change.row_number} ({change.object_type} {change.object_id}) left as "
                                      f"it is: {change.undo_skipped}")
                return
            run = self._run(options["resume"]) if options["resume"] else self._prepare(user, options)
            if run.object_type != KINDS[options["kind"]]:
                raise CommandError(f"import {run.pk} holds {run.object_type}, not {options['kind']}")
            self._go(user, run, options)
        except PermissionDenied as error:
            raise CommandError(f"not allowed: {error}") from error
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error

    def _run(self, pk: int) -> ImportRun:
        run = ImportRun.objects.filter(pk=pk).first()
        if run is None:
            raise CommandError(f"no import {pk}")
        return run

    def _prepare(self, user: User, options: dict[str, Any]) -> ImportRun:
        if not options["file"]:
            raise CommandError("name the file to import")
        source = Path(options["file"])
        if not source.is_file():
            raise CommandError(f"{source} is not a file")
        overrides = dict(item.split("=", 1) if "=" in item else (item, "") for item in options["map"])
        from kunde.imports.mapping import suggest_mapping

        object_type = KINDS[options["kind"]]
        headers = open_table(source).headers
        mapping = {**suggest_mapping(headers, object_type), **overrides} if overrides else None
        run = import_prepare(actor=user, source=source, system=options["system"], mapping=mapping,
                             object_type=object_type)
        self.stdout.write(f"Import {run.pk}: {run.file_name}")
        for header, field in run.mapping.items():
            self.stdout.write(f"  {header!r} -> {field or '(ignored)'}")
        return run

    def _go(self, user: User, run: ImportRun, options: dict[str, Any]) -> None:
        bar = tqdm(unit=" rows", initial=run.rows_done if not options["dry_run"] else 0,
                   disable=None, file=self.stderr._out)

        def progress(rows: int, counts: Any) -> None:
            bar.update(rows - bar.n)
            bar.set_postfix({k: v for k, v in sorted(counts.items())}, refresh=False)

        if options["dry_run"]:
            counts = import_dry_run(actor=user, run=run, on_batch=progress)
            bar.close()
            self.stdout.write(f"Dry run: {dict(sorted(counts.items()))}; report: {report_path(run, dry_run=True)}")
            return
        run = import_execute(actor=user, run=run, on_batch=progress, batch_size=options["batch_size"])
        bar.close()
        self.stdout.write(f"Import {run.pk} done: {dict(sorted(run.counts.items()))}; "
                          f"report: {report_path(run, dry_run=False)}")
