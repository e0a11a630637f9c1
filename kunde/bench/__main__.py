"""Child process of `kunde bench`: `python -m kunde.bench generate|measure --out FILE ...`.

Run by the `bench` management command with KUNDE_DATA_DIR pointing at a scratch
directory and no DATABASE_URL, so Django opens the scratch SQLite database.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kunde.bench")
    parser.add_argument("step", choices=["generate", "measure"])
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--api-clients", type=int, default=6)
    parser.add_argument("--api-seconds", type=float, default=5.0)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--api-threads", type=int, default=4)
    # The app steps scale with the customers by default, in the issues' proportions (1M people:
    # 300k deals, 1M tickets, 100k campaign e-mails); give a number to override, 0 to skip.
    parser.add_argument("--campaign-messages", type=int, default=None,
                        help="personalised e-mails to render and hand to a local SMTP sink (default: customers/10)")
    parser.add_argument("--sales-deals", type=int, default=None,
                        help="deals to generate before timing the kanban board and the sales dashboard "
                             "(default: 0.3 x customers)")
    parser.add_argument("--service-tickets", type=int, default=None,
                        help="tickets to generate before timing a team's ticket queue (default: customers)")
    parser.add_argument("--mail-messages", type=int, default=None,
                        help="e-mails to deliver to a local Dovecot and poll into tickets (default: customers/100, "
                             "at most 10,000; skipped without Dovecot)")
    parser.add_argument("--analytics-orders-per-customer", type=float, default=10,
                        help="orders per customer (BG/NBD process over three years) before timing the full "
                             "analytics refresh and the KPI dashboard (default 10; 0 skips)")
    parser.add_argument("--no-retention", dest="retention", action="store_false",
                        help="skip the retention plan step (plan figures, plan page and effects API over every "
                             "customer with a lifecycle stage; runs after the analytics step)")
    parser.add_argument("--loyalty-orders", type=int, default=None,
                        help="bench orders to accrue loyalty points for, set-based (default: customers; 0 skips)")
    parser.add_argument("--no-dedupe", dest="dedupe", action="store_false",
                        help="skip the duplicate scan (it adds 2 %% near-duplicate people to the database)")
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    args = parser.parse_args(argv)
    for name, share in (("campaign_messages", 0.1), ("sales_deals", 0.3), ("service_tickets", 1.0)):
        if getattr(args, name) is None:
            setattr(args, name, max(100, int(args.customers * share)))
    if args.loyalty_orders is None:
        args.loyalty_orders = args.customers
    if args.mail_messages is None:
        args.mail_messages = max(100, min(10000, args.customers // 100))
    if os.environ.get("DATABASE_URL"):
        parser.error("the benchmark runs on a scratch SQLite database: unset DATABASE_URL")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    import django

    django.setup()
    result = generate(args) if args.step == "generate" else measure(args)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def generate(args: argparse.Namespace) -> dict:
    from django.core.management import call_command

    from kunde.bench.generate import generate as fill
    from kunde.bench.measure import peak_rss_mb

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - started
    made = fill(args.customers, args.seed, progress=args.progress)
    return {
        "people": made.people,
        "organisations": made.organisations,
        "history_entries": made.history,
        "migrate_seconds": round(migrate_seconds, 1),
        "seconds": round(made.seconds, 1),
        "people_seconds": round(made.people_seconds, 1),
        "history_seconds": round(made.history_seconds, 1),
        "index_rebuild_seconds": round(made.index_seconds, 1),
        "people_per_second": round(made.people / made.people_seconds) if made.people_seconds else None,
        "history_entries_per_second": round(made.history / made.history_seconds) if made.history_seconds else None,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure(args: argparse.Namespace) -> dict:
    from kunde.bench import measure as m
    from kunde.core.db import refresh_statistics

    # A running install refreshes planner statistics after migrations and every six hours;
    # measure that steady state, also on a reused database migrated since generation.
    refresh_statistics()
    rnd = random.Random(args.seed)
    users = m.bench_users()
    steps = [
        ("search", lambda: m.measure_search(users, rnd, args.samples)),
        ("page_360", lambda: m.measure_360(users, rnd, args.samples)),
        ("list_page", lambda: m.measure_list(users, max(3, args.samples // 4))),
    ]
    if args.campaign_messages:
        from kunde.bench.campaigns import measure_campaign_send

        steps.append(("campaign_send", lambda: measure_campaign_send(args.campaign_messages)))
    if args.sales_deals:
        from kunde.bench.sales import measure_sales

        steps.append(("sales", lambda: measure_sales(args.sales_deals, max(10, args.samples // 2), args.seed)))
    if getattr(args, "service_tickets", 0):
        from kunde.bench.service import measure_service

        steps.append(("service", lambda: measure_service(args.service_tickets, max(10, args.samples // 2), args.seed)))
    if args.mail_messages:
        from kunde.bench.mail import measure_mail_ingest

        steps.append(("mail", lambda: measure_mail_ingest(args.mail_messages)))
    if args.analytics_orders_per_customer:
        from kunde.bench.analytics import measure_analytics

        steps.append(("analytics", lambda: measure_analytics(args.customers, args.analytics_orders_per_customer,
                                                             max(10, args.samples // 2), args.seed)))
    if args.retention and args.analytics_orders_per_customer:
        from kunde.bench.retention import measure_retention

        steps.append(("retention", lambda: measure_retention(args.customers, args.analytics_orders_per_customer,
                                                             max(10, args.samples // 2), args.seed)))
    if args.loyalty_orders:
        from kunde.bench.loyalty import measure_loyalty

        steps.append(("loyalty", lambda: measure_loyalty(args.loyalty_orders)))
    if args.dedupe:
        # Last: it plants near-duplicates (2 % more people) into the bench database.
        from kunde.bench.dedupe import measure_dedupe

        steps.append(("dedupe", lambda: measure_dedupe(seed=args.seed)))
    result: dict = {}
    for name, step in steps:
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        result[name] = step()
    print("measuring API throughput and web memory ...", file=sys.stderr, flush=True)
    result["api"], memory = m.measure_web(
        users, rnd, clients=args.api_clients, seconds=args.api_seconds, workers=args.api_workers,
        threads=args.api_threads)
    result["memory"] = {**memory, "bench_measure_peak_rss_mb": m.peak_rss_mb()}
    return result


if __name__ == "__main__":
    sys.exit(main())
