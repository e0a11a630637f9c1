"""Benchmark of the contract figures: MRR, churn per month, the KPI components, the worklist, the daily job.

Creates (once) `--contracts` bench contracts on bench organisations, set-based with
`bulk_create` (a created entry for each, an upgrade for every fifth, an immediate
cancellation for every eighth, all within the last two years), then times the reads an
administrator's pages and the API make, and one run of the daily job. Prints JSON. It runs
on the current database (KUNDE_DATA_DIR / DATABASE_URL), so use a scratch one.

    python -m kunde.contracts.bench --contracts 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

NAME = "Contractbench"


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _timed(func: Callable[[], Any], samples: int) -> dict[str, float]:
    times = []
    for _index in range(samples):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1), "max_ms": round(times[-1], 1)}


def _generate(count: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from kunde.commerce.services import next_number
    from kunde.contacts.models import Organisation
    from kunde.contracts import terms
    from kunde.contracts.models import Contract, ContractChange, ContractStatus

    existing = Contract.all_objects.filter(title=NAME).count()
    if existing >= count:
        return {"contracts": existing, "generated_s": "reused"}
    started = time.perf_counter()
    today = timezone.localdate()
    with transaction.atomic():
        organisations = Organisation.all_objects.bulk_create(
            [Organisation(name=f"{NAME} {index}") for index in range(count - existing)], batch_size=2000)
        contracts = []
        for index, organisation in enumerate(organisations):
            start = terms.add_months(today.replace(day=1), -(index % 24) - 1)
            end = terms.term_end(start, 12)
            while end < today:
                end = terms.next_term_end(end, 12)
            cancelled = index % 8 == 0
            contracts.append(Contract(
                number=next_number("VB", start), organisation=organisation, title=NAME, start_date=start,
                term_months=12, current_term_end=end, notice_period=30, notice_unit="days",
                notice_deadline=end - dt.timedelta(days=30), billing_interval=("monthly", "quarterly", "yearly")[
                    index % 3], amount=Decimal(100 + index % 50), status=ContractStatus.ENDED if cancelled
                else ContractStatus.ACTIVE, ends_on=start + dt.timedelta(days=40) if cancelled else None))
        Contract.all_objects.bulk_create(contracts, batch_size=2000)
        changes = []
        for index, contract in enumerate(contracts):
            monthly = (contract.amount / {"monthly": 1, "quarterly": 3, "yearly": 12}[
                contract.billing_interval]).quantize(Decimal("0.0001"))
            changes.append(ContractChange(contract=contract, kind="created", effective_on=contract.start_date,
                                          amount_before=0, amount_after=contract.amount, mrr_before=0,
                                          mrr_after=monthly))
            if index % 5 == 0:
                changes.append(ContractChange(contract=contract, kind="upgraded",
                                              effective_on=contract.start_date + dt.timedelta(days=20),
                                              amount_before=contract.amount, amount_after=contract.amount,
                                              mrr_before=monthly, mrr_after=monthly))
            if contract.ends_on is not None:
                changes.append(ContractChange(contract=contract, kind="cancelled", effective_on=contract.ends_on,
                                              amount_before=contract.amount, amount_after=contract.amount,
                                              mrr_before=monthly, mrr_after=0))
        ContractChange.objects.bulk_create(changes, batch_size=5000)
    return {"contracts": count, "generated_s": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args(argv)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from kunde.accounts.models import User
    from kunde.analytics import aggregates
    from kunde.contracts import reminders, selectors

    # A superuser sees everything: the figures are timed over all contracts.
    admin, _created = User.objects.get_or_create(username="contractbench", defaults={"is_superuser": True})
    result: dict[str, Any] = {"generate": _generate(args.contracts)}
    today = dt.date.today()
    months = {p.key: (aggregates.to_date(p.start + 1), aggregates.to_date(p.end))
              for p in aggregates.periods(today) if p.kind == "month"}
    wanted = dict(list(months.items())[-13:])
    result["mrr_summary"] = _timed(lambda: selectors.mrr_summary(admin), args.samples)
    result["churn_12_months"] = _timed(lambda: selectors.churn_by_month(admin, months=12), args.samples)
    result["kpi_components_13_months"] = _timed(lambda: selectors.kpi_components(admin, wanted), args.samples)
    result["expiring_first_100"] = _timed(lambda: list(selectors.expiring_contracts(admin, days=90)[:100]),
                                          args.samples)
    started = time.perf_counter()
    daily = reminders.run_daily()
    result["daily_job_s"] = round(time.perf_counter() - started, 1)
    result["daily_job"] = vars(daily)
    result["peak_rss_mb"] = _peak_mb()
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
