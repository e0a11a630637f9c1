"""Rows per second of the record importers: `python -m kunde.imports.bench --rows 10000`.

Runs against the database the environment names (set KUNDE_DATA_DIR to a scratch directory:
the script migrates it and adds a benchmark user and rows). It imports N organisations, then
N history entries naming N/10 people by e-mail, each once fresh and once again (the
idempotent re-import, every row unchanged), and prints rows per second for each pass.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--kinds", default="people,organisations,history",
                        help="Which passes to run (people are always imported when history is: it names them).")
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from kunde.accounts.defaults import ensure_default_roles
    from kunde.accounts.models import Role
    from kunde.contacts.defaults import ensure_default_customer_groups, ensure_default_stages
    from kunde.core.testing.factories import make_team, make_user
    from kunde.imports.mapping import ACTIVITY, ORGANISATION, PERSON
    from kunde.imports.services import import_execute, import_prepare

    ensure_default_roles()
    ensure_default_stages()
    ensure_default_customer_groups()
    stamp = int(time.time())
    user = make_user(Role.MEMBER, team=make_team(f"Bench {stamp}"), username=f"bench{stamp}")
    rows, people = arguments.rows, max(arguments.rows // 10, 1)
    directory = Path(tempfile.mkdtemp(prefix="kunde-imports-bench-"))

    def timed(name: str, object_type: str, text: str) -> None:
        path = directory / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        for attempt in ("fresh", "again"):
            run = import_prepare(actor=user, source=path, object_type=object_type)
            started = time.perf_counter()
            import_execute(actor=user, run=run)
            seconds = time.perf_counter() - started
            count = text.count("\n") - 1
            print(f"{name:14} {attempt:5} {count:7d} rows {seconds:8.1f} s {count / seconds:9.0f} rows/s "
                  f"{dict(sorted(run.counts.items()))}", flush=True)

    kinds = set(arguments.kinds.split(","))
    timed("people", PERSON, "Vorname,Nachname,E-Mail\n" + "".join(
        f"Bench,Person {i},p{i}.{stamp}@bench.example\n" for i in range(people)))
    if "organisations" in kinds:
        timed("organisations", ORGANISATION, "Firma,Branche,Ort,Straße,PLZ\n" + "".join(
            f"Bench {stamp} Firma {i} GmbH,Handel,Berlin,Hauptstraße {i % 200 + 1},10115\n" for i in range(rows)))
    if "history" in kinds:
        timed("history", ACTIVITY, "ID,Betreff,Typ,Datum,E-Mail,Notiz\n" + "".join(
            f"H{stamp}-{i},Anruf {i},Anruf,2026-0{i % 9 + 1}-1{i % 10} 10:{i % 60:02d},"
            f"p{i % people}.{stamp}@bench.example,Notiz {i}\n" for i in range(rows)))


if __name__ == "__main__":
    main()
