"""Benchmark of the CardDAV address book: ETag listing, full and incremental sync of N people.

Creates (once) `--people` bench people owned by one bench user, each with an e-mail address
and a phone number (set-based, `bulk_create`), then times what a phone's sync costs the
server: the `{id: etag}` read, a Depth-1 PROPFIND listing ETags, an initial
sync-collection with every vCard (the whole streamed answer is consumed), an incremental
sync after 10 changes, and a multiget of 100 cards. Prints JSON with times and the peak
RSS. It runs on the current database (KUNDE_DATA_DIR / DATABASE_URL), so use a scratch one.

    python -m kunde.interop.bench --people 100000
"""

from __future__ import annotations

import argparse
import base64
import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

NAME = "Davbench"


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _timed(func: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = func()
    return round((time.perf_counter() - started) * 1000, 1), value


def _generate(user: Any, count: int) -> dict[str, Any]:
    from django.db import transaction

    from kunde.contacts.models import EmailAddress, Person, PhoneNumber

    existing = Person.all_objects.filter(owner=user).count()
    if existing >= count:
        return {"people": existing, "generated_s": "reused"}
    started = time.perf_counter()
    with transaction.atomic():
        people = Person.all_objects.bulk_create(
            [Person(first_name=f"Jürgen{index}", last_name=f"{NAME}-Müller", owner=user)
             for index in range(existing, count)], batch_size=2000)
        EmailAddress.objects.bulk_create(
            [EmailAddress(person=person, email=f"p{person.pk}@example.de", is_primary=True) for person in people],
            batch_size=5000)
        PhoneNumber.objects.bulk_create(
            [PhoneNumber(person=person, number=f"+4930{person.pk:08d}") for person in people], batch_size=5000)
    return {"people": count, "generated_s": round(time.perf_counter() - started, 1)}


def _call(user: Any, secret: str, method: str, path: str, body: str, depth: str = "1") -> tuple[int, int]:
    """Run one DAV request in process and consume the (streamed) answer; (status, bytes)."""
    from django.test import RequestFactory

    from kunde.interop import dav

    credentials = base64.b64encode(f"{user.username}:{secret}".encode()).decode()
    request = RequestFactory().generic(method, path, body.encode(), content_type="application/xml",
                                       HTTP_AUTHORIZATION=f"Basic {credentials}", HTTP_DEPTH=depth)
    response = dav.dav(request, kind="book", username=user.username)
    size = sum(len(chunk) for chunk in response) if response.streaming else len(response.content)  # type: ignore[attr-defined]
    return response.status_code, size


def _sync_body(token: str, props: str) -> str:
    return (f'<d:sync-collection xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:sync-token>{token}'
            f"</d:sync-token><d:sync-level>1</d:sync-level><d:prop>{props}</d:prop></d:sync-collection>")


def main(argv: list[str] | None = None) -> int:
    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args(argv)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from kunde.accounts.models import User
    from kunde.accounts.services import api_token_create
    from kunde.contacts.models import Person
    from kunde.interop.carddav import carddav_etags, sync_state_get
    from kunde.interop.dav import card_path
    from kunde.interop.models import CardDavSyncState

    # A superuser's book holds everyone: the bench people are all of the scratch database.
    user, _created = User.objects.get_or_create(username="davbench", defaults={"is_superuser": True})
    secret = api_token_create(user=user, name="bench")[1]
    result: dict[str, Any] = {"generate": _generate(user, args.people)}
    path = f"/dav/addressbooks/{user.username}/contacts/"
    from django.urls import reverse

    reverse("interop:dav_root")  # import the URLconf before anything is timed

    result["etags_ms"], etags = _timed(lambda: carddav_etags(user))
    result["cards"] = len(etags)
    listing = '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/></d:prop></d:propfind>'
    result["propfind_depth1_ms"], (status, size) = _timed(lambda: _call(user, secret, "PROPFIND", path, listing))
    result["propfind_depth1_mb"] = round(size / 1e6, 1)
    rss_before = _peak_mb()
    full = _sync_body("", "<d:getetag/><card:address-data/>")
    result["initial_sync_ms"], (status, size) = _timed(lambda: _call(user, secret, "REPORT", path, full))
    result["initial_sync_mb"] = round(size / 1e6, 1)
    result["initial_sync_cards_per_s"] = round(len(etags) / (result["initial_sync_ms"] / 1000))
    result["peak_rss_mb_before_sync"], result["peak_rss_mb"] = rss_before, _peak_mb()
    state = CardDavSyncState.objects.filter(user=user).first()
    assert state is not None and status == 207
    token = f"http://kunde.invalid/ns/sync/{state.pk}-{state.digest[:16]}"
    assert sync_state_get(user, token) is not None
    result["snapshot_kb"] = round(len(bytes(state.snapshot)) / 1024)
    for person in Person.objects.filter(owner=user).order_by("-pk")[:10]:
        Person.objects.filter(pk=person.pk).update(version=person.version + 1)
    incremental = _sync_body(token, "<d:getetag/><card:address-data/>")
    result["incremental_sync_10_changes_ms"], (status, size) = _timed(
        lambda: _call(user, secret, "REPORT", path, incremental))
    hrefs = "".join(f"<d:href>{card_path(user, pk)}</d:href>" for pk in list(etags)[:100])
    multiget = ('<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop>'
                f"<d:getetag/><card:address-data/></d:prop>{hrefs}</card:addressbook-multiget>")
    result["multiget_100_ms"], (status, size) = _timed(lambda: _call(user, secret, "REPORT", path, multiget))
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
