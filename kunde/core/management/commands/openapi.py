"""Write the OpenAPI document to docs/openapi.json, or check that the committed one is current."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from ninja.responses import NinjaJSONEncoder

SNAPSHOT = Path(settings.BASE_DIR).parent / "docs" / "openapi.json"
REGENERATE = "python -m django openapi  (with DJANGO_SETTINGS_MODULE=kunde.settings), then commit docs/openapi.json"


def openapi_document() -> str:
    """The API's OpenAPI document as committed: English, sorted keys, 2-space indent."""
    from kunde.api import api

    with translation.override("en"):
        schema = api.get_openapi_schema(path_prefix="/api/v1/")
        return json.dumps(schema, cls=NinjaJSONEncoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write docs/openapi.json from the code; with --check, fail when the committed file is stale."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Exit 1 when docs/openapi.json differs.")
        parser.add_argument("--output", type=Path, default=SNAPSHOT, help="Where to write (default: %(default)s).")

    def handle(self, *args: Any, check: bool, output: Path, **options: Any) -> None:
        document = openapi_document()
        if check:
            committed = output.read_text(encoding="utf-8") if output.exists() else ""
            if committed != document:
                diff = difflib.unified_diff(committed.splitlines(), document.splitlines(),
                                            "committed", "generated", lineterm="", n=1)
                self.stderr.write("\n".join(list(diff)[:60]))
                raise CommandError(f"{output} is stale. Regenerate it: {REGENERATE}")
            self.stdout.write(f"{output} is up to date.")
            return
        output.write_text(document, encoding="utf-8")
        self.stdout.write(f"Wrote {output}.")
