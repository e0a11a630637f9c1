"""`kunde bench` builds its own scratch database, measures, and reports a table and JSON."""

from __future__ import annotations

import io
import json

from django.core.management import call_command

from kunde.bench.measure import percentile


def test_percentile_is_nearest_rank():
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile(list(map(float, range(1, 101))), 95) == 95.0
    assert percentile([7.0], 95) == 7.0


def test_bench_on_200_customers_prints_a_table_and_the_json_document(tmp_path):
    out = io.StringIO()
    json_path = tmp_path / "bench.json"
    call_command("bench", customers=200, samples=5, api_seconds=0.5, api_clients=2,
                 progress=False, json_path=json_path, stdout=out)
    text = out.getvalue()
    table, _, document = text.partition("\n{")
    report = json.loads("{" + document)
    assert "search p50 / p95" in table and "360° page p50 / p95" in table
    assert json.loads(json_path.read_text()) == report
    assert set(report) >= {"customers", "generation", "search", "page_360", "list_page", "api", "memory",
                           "targets_at_1M", "database_mb", "machine"}
    assert report["customers"] == 200
    generation = report["generation"]
    assert (generation["people"], generation["history_entries"]) == (200, 2000)
    assert generation["organisations"] == 4
    for block in ("search", "page_360", "list_page"):
        assert {"p50_ms", "p95_ms", "samples"} <= set(report[block])
    assert report["search"]["exact_lookups_found"] == "10/10"
    assert {"requests_per_second", "clients", "statuses", "target"} <= set(report["api"])
    assert report["memory"]["web_worker_peak_rss_mb"] > 0
    assert report["analytics"]["refresh_status"] == "done" and report["analytics"]["orders"] > 0
    assert "dedupe" in report
    assert report["retention"]["admin"]["plan_page"]["samples"] > 0 and report["retention"]["segment_members"] > 0
    assert report["loyalty"]["backfill_100k"]["entries"] > 0
    # The scratch directory is gone unless --keep was given.
    assert report["directory"] is None
