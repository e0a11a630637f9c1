"""The benchmark behind `kunde bench`: a scratch database of N customers, then timings.

`kunde bench` (core/management/commands/bench.py) runs two child processes against a
fresh SQLite data directory: `python -m kunde.bench generate` (bulk data, search index)
and `python -m kunde.bench measure` (search, 360° page, list page, API under concurrent
load, memory). Separate processes keep the generator's memory out of the measurement
and let the children configure Django for the scratch database from the environment.
"""

TARGETS_1M = {
    "search_p95_ms": 30.0,
    "page_360_p95_ms": 150.0,
    "list_page_p95_ms": 150.0,
    "web_rss_mb": 300.0,
}
