"""`kunde backup [PATH]`: a consistent copy of the database, taken while Kunde runs."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from kunde.core import backups


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def backup_directory() -> Path:
    return Path(settings.DATA_DIR) / "backups"


def make_backup(target: Path | None, *, force: bool = False) -> Path:
    """Back the default database up into `target` (a file or a folder); return the file."""
    settings_dict = connections["default"].settings_dict
    kind = backups.database_kind(settings_dict)
    if target is None:
        target = backups.default_backup_path(backup_directory(), kind)
    elif target.is_dir():
        target = backups.default_backup_path(target, kind)
    if target.exists() and not force:
        raise backups.BackupError(f"{target} exists already; choose another name or pass --force.")
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        backups.sqlite_backup(backups.sqlite_path(settings_dict), target)
    else:
        backups.pg_backup(settings_dict, target)
    target.chmod(0o600)  # the whole customer database: readable by its owner only
    return target


class Command(BaseCommand):
    help = (
        "Back up the database, safely while Kunde runs. PATH is a file or a folder "
        "(default: the backups folder in the data directory)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="Backup file or folder.")
        parser.add_argument("--force", action="store_true", help="Overwrite an existing file.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            path = make_backup(options["path"], force=options["force"])
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        size = path.stat().st_size
        self.stdout.write(self.style.SUCCESS(
            f"Backup written to {path} ({human_size(size)}, {time.monotonic() - started:.1f} s)."
        ))
