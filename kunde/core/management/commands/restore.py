"""`kunde restore PATH --yes`: replace the database with a backup made by `kunde backup`."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.loader import MigrationLoader

from kunde.core import backups
from kunde.core.management.commands.backup import backup_directory, human_size, make_backup


class Command(BaseCommand):
    help = (
        "Restore the database from a backup file (validated first). Replaces every "
        "record: asks for --yes and keeps a safety backup of the current database."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="A file written by `kunde backup`.")
        parser.add_argument("--yes", action="store_true", help="Really replace the current database.")
        parser.add_argument(
            "--no-safety-backup", action="store_true",
            help="Do not back up the current database before replacing it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        connection = connections["default"]
        try:
            kind = backups.database_kind(connection.settings_dict)
            info = backups.validate(path)
        except backups.BackupError as exc:
            raise CommandError(f"Not restored: {exc}") from None
        if info.kind != kind:
            raise CommandError(
                f"Not restored: {path} is a {info.kind} backup but the database is {kind}. "
                "Restore it into a database of the same kind."
            )
        self._check_version(info)
        target = self._describe(connection.settings_dict, kind)
        self.stdout.write(f"Backup {path}: {human_size(info.size)}, {len(info.migrations)} migrations, valid.")
        if not options["yes"]:
            raise CommandError(
                f"This replaces every record in {target} with the backup. Run again with --yes to do it."
            )
        started = time.monotonic()
        if not options["no_safety_backup"] and self._has_tables(connection):
            default = backups.default_backup_path(backup_directory(), kind)
            try:
                safety = make_backup(default.with_name(default.name.replace("kunde-", "pre-restore-", 1)))
            except backups.BackupError as exc:
                raise CommandError(f"Not restored: the safety backup failed: {exc}") from None
            self.stdout.write(f"The current database was saved to {safety}.")
        connections.close_all()
        try:
            if kind == "sqlite":
                backups.sqlite_restore(path, backups.sqlite_path(connection.settings_dict))
            else:
                backups.pg_restore(connection.settings_dict, path)
        except backups.BackupError as exc:
            raise CommandError(f"Not restored: {exc}") from None
        # A backup from an older version is brought up to this version's schema.
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS(
            f"Restored {target} from {path} in {time.monotonic() - started:.1f} s."
        ))

    def _check_version(self, info: backups.BackupInfo) -> None:
        known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
        unknown = sorted(info.migrations - known)
        # Only Kunde's own migrations matter: a third-party app may have been removed.
        kunde_labels = {config.label for config in apps.get_app_configs() if config.name.startswith("kunde.")}
        ours = [f"{app}.{name}" for app, name in unknown if app in kunde_labels]
        if ours:
            raise CommandError(
                "Not restored: the backup was made by a newer version of Kunde (unknown migrations: "
                f"{', '.join(ours[:5])}). Upgrade Kunde first."
            )

    def _describe(self, settings_dict: dict[str, Any], kind: str) -> str:
        if kind == "sqlite":
            return f"the SQLite database {settings_dict['NAME']}"
        return f"the PostgreSQL database {settings_dict['NAME']}"

    def _has_tables(self, connection: Any) -> bool:
        try:
            return "django_migrations" in connection.introspection.table_names()
        except Exception:
            return False
