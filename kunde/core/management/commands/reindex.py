"""Rebuild the search index of every registered model (`kunde reindex`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from kunde.core import search


class Command(BaseCommand):
    help = "Rebuild the full-text search index from the records (all, or --type person ...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--type", dest="types", action="append", metavar="TYPE",
            help="Only this type (repeatable), e.g. person, organisation.",
        )
        parser.add_argument("--no-progress", dest="progress", action="store_false",
                            help="Do not show a progress bar.")

    def handle(self, *args: Any, types: list[str] | None = None, progress: bool = True,
               **options: Any) -> None:
        chosen = [r for r in search.registrations() if not types or r.type in types]
        unknown = set(types or ()) - {r.type for r in chosen}
        if unknown:
            known = ", ".join(sorted(r.type for r in search.registrations()))
            self.stderr.write(f"Unknown type(s): {', '.join(sorted(unknown))}. Known: {known}")
            raise SystemExit(2)
        total = sum(r.queryset().count() for r in chosen)
        bar = tqdm(total=total, unit="doc", disable=not progress, file=self.stderr)

        def advance(registration: search.Registration, count: int) -> None:
            bar.set_description(registration.type)
            bar.update(count)

        written = search.rebuild(types=[r.type for r in chosen], progress=advance)
        bar.close()
        self.stdout.write(f"Indexed {written} documents ({', '.join(r.type for r in chosen)}).")
