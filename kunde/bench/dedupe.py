"""Benchmark of duplicate detection: a full scan of N people with planted duplicates.

Plants known duplicates among the people of the (scratch) database, each a copy of a
real person with one change to its name and one contact point in common, the way
duplicates arise in a CRM: an umlaut spelt out (Müller → Mueller), a nickname (Johannes →
Hans), first and last name swapped, a typo in a name, the e-mail in other case or with a
"+tag", the phone in national notation, the street as "Str." instead of "Straße". Then
times `duplicates_scan` and reports recall (planted pairs found) and precision (found
pairs that were planted).

    python -m kunde.bench.dedupe --people 100000      # generates the people when the database is empty
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from typing import Any

PLANTED_SHARE = 0.02


def _typo(rnd: random.Random, word: str) -> str:
    """One keyboard slip in `word`: two letters swapped, one dropped or one doubled."""
    if len(word) < 4:
        return word + word[-1]
    index = rnd.randrange(1, len(word) - 2)
    kind = rnd.randrange(3)
    if kind == 0:
        return word[:index] + word[index + 1] + word[index] + word[index + 2:]
    if kind == 1:
        return word[:index] + word[index + 1:]
    return word[:index] + word[index] + word[index:]


_SPELT_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_NICKNAMES = {"Johannes": "Hans", "Josef": "Sepp", "Katharina": "Kathi", "Wilhelm": "Willi", "Friedrich": "Fritz",
              "Heinrich": "Heinz", "Elisabeth": "Lisa", "Margarete": "Grete", "Michael": "Micha", "Thomas": "Tom",
              "Alexander": "Alex", "Christian": "Chris", "Franziska": "Franzi", "Nikolaus": "Klaus",
              "Susanne": "Susi", "Robert": "Bob", "William": "Bill", "Richard": "Dick", "James": "Jim",
              "Jennifer": "Jenny", "Daniel": "Dani", "Benjamin": "Ben", "Gabriele": "Gabi", "Stefan": "Steffen",
              "Matthias": "Mathias", "Peter": "Pete", "Barbara": "Babsi", "Patricia": "Patty", "Ulrich": "Uli"}


def _variant(rnd: random.Random, index: int, person: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A changed copy of `person` and the name of the change."""
    import phonenumbers

    first, last = person["first_name"], person["last_name"]
    email, phone, address = person["email"], person["phone"], person["address"]
    copy: dict[str, Any] = {"first_name": first, "last_name": last, "email": None, "phone": None, "address": None}
    kind = ("umlaut", "nickname", "swapped", "typo_last", "typo_first", "email_tag")[index % 6]
    if kind == "umlaut":
        spelt = last.translate(_SPELT_OUT)
        copy["last_name"] = spelt if spelt != last else _typo(rnd, last)
        copy["email"] = email.upper() if email else None
    elif kind == "nickname":
        copy["first_name"] = _NICKNAMES.get(first, first[:3] if len(first) > 4 else first)
        if phone:
            copy["phone"] = phonenumbers.format_number(phonenumbers.parse(phone, "DE"),
                                                       phonenumbers.PhoneNumberFormat.NATIONAL)
    elif kind == "swapped":
        copy["first_name"], copy["last_name"] = last, first
        copy["address"] = address
    elif kind == "typo_last":
        copy["last_name"] = _typo(rnd, last)
        copy["email"] = email
    elif kind == "typo_first":
        copy["first_name"] = _typo(rnd, first)
        if address:
            street, postal_code, city = address
            copy["address"] = (street.replace("straße", "str.").replace("Straße", "Str."), postal_code, city)
    else:
        local, _sep, domain = (email or "x@example.org").partition("@")
        copy["email"] = f"{local}+shop@{domain}"
    if not (copy["email"] or copy["phone"] or copy["address"]):
        copy["email"] = email
    return kind, copy


def plant_duplicates(count: int, seed: int = 1) -> list[tuple[int, int, str]]:
    """Copy `count` random people with one change each; return (original id, copy id, kind)."""
    from django.db import transaction

    from kunde.contacts.models import Address, EmailAddress, Person, PhoneNumber

    rnd = random.Random(seed)
    ids = list(Person.objects.values_list("id", flat=True))
    chosen = sorted(rnd.sample(ids, min(count, len(ids))))
    people: dict[int, dict[str, Any]] = {
        pk: {"first_name": first, "last_name": last, "owner_id": owner, "team_id": team, "email": None,
             "phone": None, "address": None}
        for pk, first, last, owner, team in Person.objects.filter(id__in=chosen).values_list(
            "id", "first_name", "last_name", "owner_id", "team_id")}
    for pk, email in EmailAddress.objects.filter(person_id__in=chosen).values_list("person_id", "email"):
        people[pk]["email"] = people[pk]["email"] or email
    for pk, number in PhoneNumber.objects.filter(person_id__in=chosen).values_list("person_id", "number"):
        people[pk]["phone"] = people[pk]["phone"] or number
    for pk, street, postal_code, city in Address.objects.filter(person_id__in=chosen).values_list(
            "person_id", "street", "postal_code", "city"):
        people[pk]["address"] = people[pk]["address"] or (street, postal_code, city)
    planted: list[tuple[int, int, str]] = []
    with transaction.atomic():
        for index, pk in enumerate(chosen):
            original = people[pk]
            kind, copy = _variant(rnd, index, original)
            twin = Person.objects.create(first_name=copy["first_name"], last_name=copy["last_name"],
                                         owner_id=original["owner_id"], team_id=original["team_id"])
            if copy["email"]:
                EmailAddress.objects.create(person=twin, email=copy["email"], is_primary=True)
            if copy["phone"]:
                PhoneNumber.objects.create(person=twin, number=copy["phone"], is_primary=True)
            if copy["address"]:
                street, postal_code, city = copy["address"]
                Address.objects.create(person=twin, street=street, postal_code=postal_code, city=city,
                                       is_primary=True)
            planted.append((pk, twin.pk, kind))
    return planted


def measure_dedupe(planted: int | None = None, seed: int = 1) -> dict[str, Any]:
    """Plant duplicates (2 % of the people by default), scan everybody, report time, recall and precision."""
    from kunde.bench.measure import peak_rss_mb
    from kunde.contacts.models import Person
    from kunde.dedupe.detection import duplicates_scan
    from kunde.dedupe.matching import person_profiles, score_people
    from kunde.dedupe.models import DuplicateCandidate, Kind

    people = Person.objects.count()
    count = planted if planted is not None else max(10, int(people * PLANTED_SHARE))
    pairs = plant_duplicates(count, seed)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    result = duplicates_scan(Kind.PERSON)
    seconds = time.perf_counter() - started
    # A second scan over unchanged data: what the nightly job costs on an ordinary night.
    started = time.perf_counter()
    duplicates_scan(Kind.PERSON)
    rescan_seconds = time.perf_counter() - started
    found = set(DuplicateCandidate.objects.filter(kind=Kind.PERSON).values_list("person_a_id", "person_b_id"))
    planted_pairs = {(min(a, b), max(a, b)): kind for a, b, kind in pairs}
    hits = {pair: kind for pair, kind in planted_pairs.items() if pair in found}
    per_kind: dict[str, dict[str, int]] = {}
    for kind in planted_pairs.values():
        per_kind.setdefault(kind, {"planted": 0, "found": 0})["planted"] += 1
    for kind in hits.values():
        per_kind[kind]["found"] += 1
    missed = [(pair, kind) for pair, kind in planted_pairs.items() if pair not in hits][:12]
    profiles = person_profiles([pk for pair, _kind in missed for pk in pair])
    examples = []
    for (first, second), kind in missed:
        if first in profiles and second in profiles:
            value, reasons = score_people(profiles[first], profiles[second])
            examples.append({"kind": kind, "names": [profiles[first].raw_name, profiles[second].raw_name],
                             "score": value, "reasons": [reason.code for reason in reasons]})
    return {
        "people": result.records,
        "planted": len(planted_pairs),
        "candidates": len(found),
        "recall": round(len(hits) / len(planted_pairs), 4) if planted_pairs else None,
        "precision": round(len(hits) / len(found), 4) if found else None,
        "per_kind": per_kind,
        "pairs_compared": result.pairs_compared,
        "keys_written": result.keys_added,
        "scan_seconds": round(seconds, 1),
        "people_per_second": round(result.records / seconds) if seconds else None,
        "rescan_seconds": round(rescan_seconds, 1),
        "peak_rss_mb_before_scan": rss_before,
        "peak_rss_mb": peak_rss_mb(),
        "missed_examples": examples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kunde.bench.dedupe")
    parser.add_argument("--people", type=int, default=100000, help="people to generate when the database is empty")
    parser.add_argument("--planted", type=int, default=None, help="duplicates to plant (default: 2 %% of the people)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from kunde.contacts.models import Person

    call_command("migrate", verbosity=0)
    if not Person.objects.exists():
        from kunde.bench.generate import generate

        generate(args.people, args.seed, progress=False)
    print(json.dumps(measure_dedupe(args.planted, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
