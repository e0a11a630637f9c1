"""Timings on a generated database: search, 360° page, list page, API load, memory.

Page timings are server time: the request goes through Django's whole stack (middleware,
session, view, template) in this process via `django.test.Client`, with no network. The
API load runs against a real gunicorn on loopback with several client threads.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import phonenumbers
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kunde.accounts.models import User
from kunde.bench.generate import CITIES
from kunde.contacts.models import Organisation, Person
from kunde.core import search

PREFIXES = ["jo", "ma", "sch", "mü", "an", "kl", "th", "be", "st", "wa"]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..100) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "max_ms": round(max(values), 2) if values else None,
        "samples": len(values),
    }


def _timed(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Milliseconds `call(*args, **kwargs)` took, and its result."""
    started = time.perf_counter()
    result = call(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, result


def peak_rss_mb() -> float:
    """This process's peak resident set size."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@dataclass
class Users:
    member: User
    admin: User


def bench_users() -> Users:
    return Users(member=User.objects.get(username="bench-1-1"), admin=User.objects.get(username="bench-admin"))


def _sample_people(rnd: random.Random, user: User | None, count: int) -> list[Person]:
    """`count` random living people (visible to `user` when given), with contact points."""
    low, high = Person.objects.order_by("id").values_list("id", flat=True)[:1].get(), (
        Person.objects.order_by("-id").values_list("id", flat=True)[:1].get())
    queryset = Person.objects.for_user(user) if user is not None else Person.objects.all()
    chosen: dict[int, Person] = {}
    attempts = 0
    while len(chosen) < count and attempts < 50:
        attempts += 1
        candidates = [rnd.randint(low, high) for _ in range(count * 10)]
        for person in queryset.filter(pk__in=candidates).prefetch_related("emails", "phones", "addresses"):
            chosen.setdefault(person.pk, person)
    return list(chosen.values())[:count]


def _national(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)


def search_queries(rnd: random.Random, count: int) -> list[tuple[str, str, int | None]]:
    """(kind, query, id of the person it must find or None) — names, prefixes, e-mails,
    phones in national format, cities and organisation names."""
    queries: list[tuple[str, str, int | None]] = []
    for person in _sample_people(rnd, None, count):
        queries.append(("name", f"{person.first_name} {person.last_name}", None))
        emails = list(person.emails.all())
        phones = list(person.phones.all())
        if emails:
            queries.append(("email", emails[0].email, person.pk))
        if phones:
            queries.append(("phone", _national(phones[0].number), person.pk))
    queries += [("prefix", prefix, None) for prefix in PREFIXES]
    queries += [("city", city[0], None) for city in rnd.sample(CITIES, min(10, len(CITIES)))]
    org_names = list(Organisation.objects.order_by("?").values_list("name", flat=True)[:10])
    queries += [("organisation", name, None) for name in org_names]
    rnd.shuffle(queries)
    return queries


def measure_search(users: Users, rnd: random.Random, samples: int) -> dict[str, Any]:
    """Search latency for the scoped member and the admin, overall and per kind of query."""
    queries = search_queries(rnd, samples)
    for _kind, query, _pk in queries[:10]:  # warm the page cache a little
        search.search(users.admin, query)
    timings: list[float] = []
    by_kind: dict[str, list[float]] = {}
    by_user: dict[str, list[float]] = {"member": [], "admin": []}
    found = expected = 0
    for kind, query, pk in queries:
        for label, user in (("member", users.member), ("admin", users.admin)):
            ms, hits = _timed(search.search, user, query, limit=20)
            timings.append(ms)
            by_kind.setdefault(kind, []).append(ms)
            by_user[label].append(ms)
            if pk is not None and label == "admin":
                expected += 1
                found += any(hit.type == "person" and hit.id == pk for hit in hits)
    return {
        **summary(timings),
        "by_kind": {kind: summary(values) for kind, values in sorted(by_kind.items())},
        "by_user": {label: summary(values) for label, values in by_user.items()},
        "exact_lookups_found": f"{found}/{expected}",
    }


def _logged_in_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _query_count(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def measure_360(users: Users, rnd: random.Random, samples: int) -> dict[str, Any]:
    """Server time of the 360° page of people the member may see."""
    people = _sample_people(rnd, users.member, samples + 3)
    client = _logged_in_client(users.member)
    target = "GET /people/<id>/ (django.test.Client, logged-in member)"
    first = client.get(f"/people/{people[0].pk}/")

    def page(pk: int) -> None:
        response = client.get(f"/people/{pk}/")
        if response.status_code != 200:
            raise RuntimeError(f"/people/{pk}/ answered {response.status_code}")

    if first.status_code != 200:
        from kunde.activities.selectors import key_figures, mood_trend, timeline_page
        from kunde.contacts.selectors import person_get

        target = (f"selectors person_get + timeline_page + key_figures + mood_trend "
                  f"(GET /people/<id>/ answered {first.status_code})")

        def page(pk: int) -> None:
            person = person_get(users.member, pk)
            timeline_page(users.member, person)
            key_figures(users.member, person)
            mood_trend(users.member, person)

    for person in people[:3]:
        page(person.pk)
    timings = [_timed(page, person.pk)[0] for person in people[3:]]
    return {**summary(timings), "target": target, "queries": _query_count(lambda: page(people[3].pk))}


def _middle_cursor(user: User) -> str:
    """A keyset cursor half-way down the member's people list in the default name order."""
    from kunde.core.pagination import _encode

    visible = Person.objects.for_user(user)
    middle = visible.count() // 2
    row = visible.order_by("last_name", "first_name", "id").values_list(
        "last_name", "first_name", "id")[middle]
    return _encode(list(row), "next")


def measure_list(users: Users, rounds: int) -> dict[str, Any]:
    """Server time of the people list: first page, filters, another sort, a deep page."""
    cursor = _middle_cursor(users.member)
    pages = {
        "first page": {},
        "filter lifecycle_stage=customer": {"lifecycle_stage": "customer"},
        "filter tag=VIP": {"tag": "VIP"},
        "filter city=Berlin": {"city": "Berlin"},
        "sort -updated": {"sort": "-updated"},
        "deep keyset page (middle)": {"cursor": cursor},
    }
    client = _logged_in_client(users.member)
    probe = client.get("/people/")
    if probe.status_code == 200:
        target = "GET /people/?... (django.test.Client, logged-in member)"

        def page(params: dict[str, str]) -> None:
            response = client.get("/people/", params)
            if response.status_code != 200:
                raise RuntimeError(f"/people/?{params} answered {response.status_code}")
    else:
        from kunde.contacts.selectors import person_page

        target = f"selector person_page (GET /people/ answered {probe.status_code})"

        def page(params: dict[str, str]) -> None:
            result, _filterset = person_page(users.member, params)
            list(result.items)

    timings: list[float] = []
    by_page: dict[str, list[float]] = {}
    for params in pages.values():
        page(params)  # warm-up
    for _ in range(rounds):
        for name, params in pages.items():
            ms = _timed(page, params)[0]
            timings.append(ms)
            by_page.setdefault(name, []).append(ms)
    return {
        **summary(timings), "target": target,
        "by_page": {name: summary(values) for name, values in by_page.items()},
        "queries": _query_count(lambda: page({})),
    }


# --- gunicorn under load ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces; the parent pid follows the closing ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _mb(kilobytes: int) -> float:
    return round(kilobytes / 1024, 1)


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Any

    def request(self, path: str, headers: dict[str, str]) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()


@contextlib.contextmanager
def gunicorn(workers: int, threads: int) -> Any:
    """A gunicorn like `kunde serve` starts it, on a free loopback port."""
    port = _free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    command = [
        sys.executable, "-m", "gunicorn", "kunde.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
        "--timeout", "60", "--log-level", "warning", "--no-control-socket",
    ]
    process = subprocess.Popen(command, stdout=log, stderr=log, env=os.environ.copy())  # noqa: S603
    server = Server(process=process, port=port, log=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError("gunicorn did not start:\n" + log.read().decode(errors="replace"))
            try:
                server.request("/accounts/login/", {})
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _load(server: Server, path: str, headers: dict[str, str], clients: int, seconds: float) -> dict[str, Any]:
    """`clients` threads on keep-alive connections request `path` for `seconds`."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        mine: list[float] = []
        codes: dict[int, int] = {}
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(type(exc).__name__)
                conn.close()
                continue
            mine.append((time.perf_counter() - started) * 1000)
            codes[status] = codes.get(status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ok = statuses.get(200, 0)
    return {
        "requests_per_second": round(ok / elapsed, 1),
        "requests": sum(statuses.values()),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": len(errors),
        "seconds": round(elapsed, 2),
        **{k: v for k, v in summary(latencies).items() if k != "samples"},
    }


def measure_web(users: Users, rnd: random.Random, *, clients: int, seconds: float, workers: int,
                threads: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """API throughput under concurrent clients, then a page mix; the workers' memory."""
    from kunde.accounts.services import api_token_create

    _token, secret = api_token_create(user=users.member, name="bench")
    session = _logged_in_client(users.member).cookies["sessionid"].value
    people = [p.pk for p in _sample_people(rnd, users.member, 20)]
    with gunicorn(workers, threads) as server:
        api_headers = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
        path = "/api/v1/people?page_size=20"
        status = server.request(path, api_headers)
        target = "GET /api/v1/people?page_size=20 (Bearer token, member)"
        headers = api_headers
        if status != 200:
            path, headers = "/people/", {"Cookie": f"sessionid={session}"}
            target = f"GET /people/ as a logged-in member (the API answered {status})"
        for _ in range(workers * threads * 2):  # every worker thread connects and warms up
            server.request(path, headers)
        api = {"target": target, "clients": clients, "workers": workers, "threads": threads,
               **_load(server, path, headers, clients, seconds)}
        # The heaviest pages too, so that the workers' peak memory covers them.
        cookie = {"Cookie": f"sessionid={session}"}
        page_statuses: dict[str, int] = {}
        for pk in people:
            for page in (f"/people/{pk}/", f"/search/?q={quote(rnd.choice(PREFIXES))}", "/people/?sort=-updated"):
                code = server.request(page, cookie)
                page_statuses[str(code)] = page_statuses.get(str(code), 0) + 1
        workers_pids = _children(server.process.pid)
        memory = {
            "web_worker_peak_rss_mb": _mb(max((_status_kb(p, "VmHWM") for p in workers_pids), default=0)),
            "web_worker_rss_mb": [_mb(_status_kb(p, "VmRSS")) for p in workers_pids],
            # RSS counts the SQLite file pages a worker has touched through mmap; those are
            # shared and reclaimable. RssAnon is the worker's own (heap) memory.
            "web_worker_rss_anon_mb": [_mb(_status_kb(p, "RssAnon")) for p in workers_pids],
            "web_worker_rss_file_mb": [_mb(_status_kb(p, "RssFile")) for p in workers_pids],
            "web_master_rss_mb": _mb(_status_kb(server.process.pid, "VmRSS")),
            "page_mix_statuses": page_statuses,
        }
    return api, memory
