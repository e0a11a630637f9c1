"""`kunde bench --customers N`: build a scratch database of N customers and time Kunde on it."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kunde.bench import TARGETS_1M


class Command(BaseCommand):
    help = (
        "Benchmark Kunde on a scratch SQLite database of N customers (10 history entries each): "
        "generation rate, search, 360° page, list page, API requests/s, memory. Prints a table "
        "and a JSON document."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, required=True, help="Number of people.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (same seed, same data).")
        parser.add_argument("--dir", type=Path, help="Data directory (default: a new one under /tmp).")
        parser.add_argument("--keep", action="store_true", help="Keep the scratch directory afterwards.")
        parser.add_argument("--reuse", action="store_true",
                            help="Measure an existing --dir generated with the same --customers/--seed.")
        parser.add_argument("--json", dest="json_path", type=Path, help="Also write the JSON here.")
        parser.add_argument("--samples", type=int, default=40,
                            help="People sampled for search queries and 360° pages.")
        parser.add_argument("--api-clients", type=int, default=6, help="Concurrent API clients.")
        parser.add_argument("--api-seconds", type=float, default=5.0, help="Length of the API load.")
        parser.add_argument("--api-workers", type=int, default=2, help="gunicorn worker processes.")
        parser.add_argument("--api-threads", type=int, default=4, help="Threads per gunicorn worker.")
        parser.add_argument("--no-progress", dest="progress", action="store_false")

    def handle(self, *args: Any, **options: Any) -> None:
        customers = options["customers"]
        if customers < 20:
            raise CommandError("--customers must be at least 20.")
        created = options["dir"] is None
        directory = (Path(tempfile.mkdtemp(prefix="kunde-bench-", dir="/tmp")) if created
                     else options["dir"].resolve())
        (directory / "static").mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(KUNDE_DATA_DIR=str(directory), KUNDE_ENV="development", DEBUG="0",
                   LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="kunde.settings")
        common = ["--customers", str(customers), "--seed", str(options["seed"])]
        if not options["progress"]:
            common.append("--no-progress")
        try:
            generated = self._generated(directory, options, env, common)
            measured = self._child(env, directory / "measure.json", [
                "measure", *common, "--samples", str(options["samples"]),
                "--api-clients", str(options["api_clients"]), "--api-seconds", str(options["api_seconds"]),
                "--api-workers", str(options["api_workers"]), "--api-threads", str(options["api_threads"]),
            ])
        finally:
            if created and not options["keep"]:
                shutil.rmtree(directory, ignore_errors=True)
        report = {
            "customers": customers,
            "seed": options["seed"],
            "directory": str(directory) if (options["keep"] or not created) else None,
            "database_mb": generated.pop("database_mb", None),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "sqlite": _sqlite_version()},
            "generation": generated,
            **measured,
            "targets_at_1M": TARGETS_1M,
        }
        self.stdout.write(render_table(report))
        document = json.dumps(report, indent=2, ensure_ascii=False)
        self.stdout.write(document)
        if options["json_path"]:
            options["json_path"].write_text(document + "\n")

    def _generated(self, directory: Path, options: dict[str, Any], env: dict[str, str],
                   common: list[str]) -> dict[str, Any]:
        marker = directory / "generate.json"
        if options["reuse"]:
            if not marker.exists():
                raise CommandError(f"--reuse: {directory} holds no generated benchmark database.")
            generated = json.loads(marker.read_text())
            if generated.get("people") != options["customers"]:
                raise CommandError(f"--reuse: {directory} holds {generated.get('people')} people.")
            generated["reused"] = True
        else:
            if (directory / "kunde.sqlite3").exists():
                raise CommandError(f"{directory} already holds a database; use --reuse or a new --dir.")
            generated = self._child(env, marker, ["generate", *common])
        generated["database_mb"] = round(
            sum(f.stat().st_size for f in directory.glob("kunde.sqlite3*")) / 2**20, 1)
        return generated

    def _child(self, env: dict[str, str], out: Path, arguments: list[str]) -> dict[str, Any]:
        command = [sys.executable, "-m", "kunde.bench", *arguments, "--out", str(out)]
        completed = subprocess.run(command, env=env, check=False)  # noqa: S603
        if completed.returncode != 0:
            raise CommandError(f"{' '.join(arguments[:1])} failed (exit {completed.returncode}).")
        return json.loads(out.read_text())


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _ms(block: dict[str, Any] | None, key: str) -> str:
    if not block or block.get(key) is None:
        return "—"
    return f"{block[key]:.1f} ms"


APP_STEPS = ("sales", "commerce", "knowledge", "service", "audience", "campaigns", "campaign_send", "imports",
             "mail", "analytics", "retention", "loyalty", "dedupe")


def _app_rows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The steps later apps add to the report: timings as p50 / p95, counts as they are."""
    rows: list[tuple[str, str, str]] = []
    for step in APP_STEPS:
        figures = report.get(step)
        if not isinstance(figures, dict):
            continue
        rows.append((step, "", ""))
        for name, value in figures.items():
            if isinstance(value, dict) and "p95_ms" in value:
                rows.append((f"  {name} p50 / p95", f"{_ms(value, 'p50_ms')} / {_ms(value, 'p95_ms')}", ""))
            elif isinstance(value, int | float | str):
                rows.append((f"  {name}", f"{value:,}" if isinstance(value, int) else str(value), ""))
    return rows


def render_table(report: dict[str, Any]) -> str:
    """The report as an aligned text table with the 1M targets next to the figures."""
    generation = report["generation"]
    search = report.get("search", {})
    page = report.get("page_360", {})
    listing = report.get("list_page", {})
    api = report.get("api", {})
    memory = report.get("memory", {})
    targets = report["targets_at_1M"]
    rows: list[tuple[str, str, str]] = [
        ("customers / organisations / history entries",
         f"{generation['people']:,} / {generation['organisations']:,} / {generation['history_entries']:,}", ""),
        ("database size", f"{report['database_mb']} MB", ""),
        ("generation (total)", "reused" if generation.get("reused") else f"{generation['seconds']} s", ""),
        ("  people (+contact points, index rows)", f"{generation['people_per_second']:,} people/s", ""),
        ("  history entries", f"{generation['history_entries_per_second']:,} entries/s", ""),
        ("  search index rebuild (FTS5)", f"{generation['index_rebuild_seconds']} s", ""),
        ("search p50 / p95", f"{_ms(search, 'p50_ms')} / {_ms(search, 'p95_ms')}",
         f"p95 ≤ {targets['search_p95_ms']:.0f} ms"),
    ]
    for kind, figures in search.get("by_kind", {}).items():
        rows.append((f"  {kind}", f"{_ms(figures, 'p50_ms')} / {_ms(figures, 'p95_ms')}", ""))
    rows += [
        ("  e-mail/phone lookups that found their person", str(search.get("exact_lookups_found", "—")), ""),
        ("360° page p50 / p95", f"{_ms(page, 'p50_ms')} / {_ms(page, 'p95_ms')}",
         f"p95 ≤ {targets['page_360_p95_ms']:.0f} ms"),
        ("  measured", str(page.get("target", "—")), f"{page.get('queries', '?')} queries"),
        ("list page p50 / p95", f"{_ms(listing, 'p50_ms')} / {_ms(listing, 'p95_ms')}",
         f"p95 ≤ {targets['list_page_p95_ms']:.0f} ms"),
    ]
    for name, figures in listing.get("by_page", {}).items():
        rows.append((f"  {name}", f"{_ms(figures, 'p50_ms')} / {_ms(figures, 'p95_ms')}", ""))
    rows += [
        ("  measured", str(listing.get("target", "—")), f"{listing.get('queries', '?')} queries"),
        ("API requests/s", f"{api.get('requests_per_second', '—')}",
         f"{api.get('clients')} clients, {api.get('workers')}×{api.get('threads')} gunicorn"),
        ("  latency p50 / p95", f"{_ms(api, 'p50_ms')} / {_ms(api, 'p95_ms')}",
         f"statuses {api.get('statuses')} errors {api.get('errors')}"),
        ("  measured", str(api.get("target", "—")), ""),
        ("web worker peak RSS", f"{memory.get('web_worker_peak_rss_mb', '—')} MB",
         f"≤ {targets['web_rss_mb']:.0f} MB"),
        ("  now: RSS / of it private (anon) / SQLite file pages",
         " ".join(f"{rss}/{anon}/{file}" for rss, anon, file in zip(
             memory.get("web_worker_rss_mb", []), memory.get("web_worker_rss_anon_mb", []),
             memory.get("web_worker_rss_file_mb", []), strict=False)) + " MB", "per worker"),
        ("bench process peak RSS (generate / measure)",
         f"{generation.get('peak_rss_mb', '—')} / {memory.get('bench_measure_peak_rss_mb', '—')} MB", ""),
    ]
    rows += _app_rows(report)
    width = max(len(r[0]) for r in rows)
    value_width = min(60, max(len(r[1]) for r in rows))
    lines = [f"Kunde benchmark — {report['customers']:,} customers, seed {report['seed']}", ""]
    lines += [f"{label.ljust(width)}  {value.ljust(value_width)}  {note}".rstrip() for label, value, note in rows]
    return "\n".join(lines) + "\n\n"
