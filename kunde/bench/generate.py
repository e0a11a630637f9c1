"""Fill a scratch database with N people fast: raw batched inserts, not services.

People (a fifth of them working at an organisation), one e-mail, phone and address
each, ten history entries per person (made by one INSERT ... SELECT per batch), and
the search index (entries from the same document functions the services use, then
one FTS5 rebuild). Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from tqdm import tqdm

from kunde.activities.models import Activity
from kunde.contacts.models import (
    Address,
    EmailAddress,
    Employment,
    LifecycleStage,
    Organisation,
    Person,
    PhoneNumber,
)
from kunde.contacts.search import organisation_document_from_values, person_document_from_values
from kunde.core import search
from kunde.core.db import refresh_statistics

BATCH = 20_000
HISTORY_PER_PERSON = 10
TEAMS = 8
MEMBERS_PER_TEAM = 4
BENCH_PASSWORD = "Kunde-Bench-Passw0rd!"  # noqa: S105 - a throwaway scratch database

# (city, first postal code, last postal code, area codes, weight)
CITIES = [
    ("Berlin", 10115, 14199, ("30",), 8), ("Hamburg", 20095, 22769, ("40",), 6),
    ("München", 80331, 81929, ("89",), 6), ("Köln", 50667, 51149, ("221",), 4),
    ("Frankfurt am Main", 60306, 60599, ("69",), 4), ("Stuttgart", 70173, 70629, ("711",), 4),
    ("Düsseldorf", 40210, 40629, ("211",), 3), ("Leipzig", 4103, 4357, ("341",), 3),
    ("Dortmund", 44135, 44388, ("231",), 2), ("Essen", 45127, 45359, ("201",), 2),
    ("Bremen", 28195, 28779, ("421",), 2), ("Dresden", 1067, 1328, ("351",), 2),
    ("Hannover", 30159, 30669, ("511",), 2), ("Nürnberg", 90402, 90491, ("911",), 2),
    ("Bonn", 53111, 53229, ("228",), 1), ("Münster", 48143, 48167, ("251",), 1),
    ("Karlsruhe", 76131, 76229, ("721",), 1), ("Augsburg", 86150, 86199, ("821",), 1),
    ("Freiburg im Breisgau", 79098, 79117, ("761",), 1), ("Kiel", 24103, 24159, ("431",), 1),
    ("Lübeck", 23552, 23570, ("451",), 1), ("Göttingen", 37073, 37085, ("551",), 1),
    ("Würzburg", 97070, 97084, ("931",), 1), ("Erfurt", 99084, 99099, ("361",), 1),
]
COMMON_GERMAN_NAMES = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
]
STREETS = [
    "Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schulstraße", "Dorfstraße", "Bergstraße",
    "Lindenstraße", "Kirchstraße", "Waldstraße", "Ringstraße", "Goethestraße", "Am Markt",
]
MAIL_PROVIDERS = ["gmx.de", "web.de", "t-online.de", "gmail.com", "outlook.de", "posteo.de"]
MOBILE_PREFIXES = ["151", "152", "157", "160", "162", "170", "171", "172", "175", "176", "178"]
INDUSTRIES = ["Maschinenbau", "Handel", "Logistik", "Software", "Beratung", "Bau", "Gastronomie",
              "Gesundheit", "Finanzen", "Medien"]
ORG_WORDS = ["Glas", "Möbel", "Technik", "Logistik", "Bau", "Handel", "Software", "Design",
             "Energie", "Metall", "Druck", "Consulting", "Systeme", "Werke", "Service"]
LEGAL_FORMS = ["GmbH", "GmbH", "GmbH", "AG", "KG", "GmbH & Co. KG", "e.K.", "UG (haftungsbeschränkt)"]
TAGS = ["VIP", "Newsletter", "Stammkunde", "Messe 2026", "Onlineshop"]
SUBJECTS = [
    ("phone", "Rückruf zur Bestellung"), ("email", "Angebot nachgefasst"), ("meeting", "Jahresgespräch"),
    ("phone", "Reklamation aufgenommen"), ("email", "Newsletter-Anfrage"), ("video", "Produktdemo"),
    ("chat", "Frage zur Lieferzeit"), ("web", "Kontaktformular"), ("letter", "Vertragsunterlagen"),
    ("event", "Messebesuch"), ("phone", "Follow-up call"), ("email", "Quote sent"),
    ("meeting", "Quarterly review"), ("chat", "Question about invoice"), ("phone", "Support call"),
    ("social", "Kommentar beantwortet"), ("video", "Onboarding session"), ("email", "Rechnung erklärt"),
    ("phone", "Kündigung abgewendet"), ("meeting", "Workshop vor Ort"),
]


_ASCII: dict[str, str | int | None] = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}


def _fold_ascii(text: str) -> str:
    german = text.lower().translate(str.maketrans(_ASCII))
    return "".join(ch for ch in search.fold(german) if ch.isalnum())


def _sql_time(value: dt.datetime) -> str:
    """A UTC datetime the way Django stores it in SQLite."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


class _Table:
    """INSERT of the given columns; every other column gets the model field's default."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        meta: Any = model._meta
        self.table = meta.db_table
        self.columns = list(columns)
        self.defaults: list[Any] = []
        for model_field in meta.concrete_fields:
            if model_field.primary_key or model_field.column in self.columns:
                continue
            self.columns.append(model_field.column)
            default = model_field.get_default() if model_field.has_default() or model_field.null else ""
            self.defaults.append(model_field.get_db_prep_save(default, connection))
        self.tail = tuple(self.defaults)
        marks = ", ".join(["?"] * len(self.columns))
        self.sql = f'INSERT INTO "{self.table}" ({", ".join(self.columns)}) VALUES ({marks})'  # noqa: S608

    def insert(self, raw: Any, rows: list[tuple[Any, ...]]) -> None:
        tail = self.tail
        raw.executemany(self.sql, [row + tail for row in rows])


@dataclass
class Cast:
    """The users the generated records belong to."""

    admin_id: int
    member_id: int
    owners: list[tuple[int, int]]  # (user id, team id)


def create_users(seed: int) -> Cast:
    """Teams, members and an admin, through the services (a handful of rows)."""
    from kunde.accounts.models import Role
    from kunde.accounts.services import team_create, user_create

    owners: list[tuple[int, int]] = []
    member_id = 0
    for t in range(TEAMS):
        team = team_create(actor=None, name=f"Bench-Team {t + 1}")
        for m in range(MEMBERS_PER_TEAM):
            user = user_create(actor=None, username=f"bench-{t + 1}-{m + 1}", password=BENCH_PASSWORD,
                               role_key=Role.MEMBER, teams=[team])
            owners.append((user.pk, team.pk))
            if t == 0 and m == 0:
                member_id = user.pk
    admin = user_create(actor=None, username="bench-admin", password=BENCH_PASSWORD, role_key=Role.ADMIN)
    return Cast(admin_id=admin.pk, member_id=member_id, owners=owners)


class NamePool:
    """First and last names, German and English, with realistic frequent surnames."""

    def __init__(self, rnd: random.Random) -> None:
        from faker.providers.person.de_DE import Provider as German
        from faker.providers.person.en_US import Provider as English

        self.rnd = rnd
        self.de_first = list(German.first_names_male) + list(German.first_names_female)
        self.de_last = list(German.last_names)
        self.en_first = list(English.first_names_male) + list(English.first_names_female)
        en_last = English.last_names
        self.en_last = list(en_last)
        self.en_last_weights = list(en_last.values()) if isinstance(en_last, dict) else None

    def person(self) -> tuple[str, str, str]:
        """Return (first name, last name, language)."""
        rnd = self.rnd
        if rnd.random() < 0.65:
            last = rnd.choice(COMMON_GERMAN_NAMES) if rnd.random() < 0.3 else rnd.choice(self.de_last)
            return rnd.choice(self.de_first), last, "de"
        if self.en_last_weights:
            last = rnd.choices(self.en_last, weights=self.en_last_weights)[0]
        else:
            last = rnd.choice(self.en_last)
        return rnd.choice(self.en_first), last, "en"


def _cities(rnd: random.Random, count: int) -> Iterator[tuple[str, str, str]]:
    """(city, postal code, area code) drawn by weight."""
    weights = [c[4] for c in CITIES]
    for city, low, high, areas, _weight in rnd.choices(CITIES, weights=weights, k=count):
        yield city, f"{rnd.randint(low, high):05d}", rnd.choice(areas)


def _phone(rnd: random.Random, area: str) -> str:
    if rnd.random() < 0.5:
        return f"+49{rnd.choice(MOBILE_PREFIXES)}{rnd.randint(1_000_000, 99_999_999)}"
    width = 10 - len(area)
    return f"+49{area}{rnd.randint(10 ** (width - 1), 10 ** width - 1)}"


@dataclass
class Generated:
    people: int
    organisations: int
    history: int
    seconds: float
    people_seconds: float
    history_seconds: float
    index_seconds: float


def _pragmas(raw: Any, *, bulk: bool) -> None:
    if bulk:
        # A scratch database: durability and constraint checks are not what is measured.
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-262144")
        raw.execute("PRAGMA temp_store=FILE")
    else:
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("PRAGMA synchronous=NORMAL")


def generate(customers: int, seed: int, *, progress: bool = True) -> Generated:
    """Create `customers` people with organisations, contact points, history and index."""
    from kunde.core.models import SearchEntry

    started = time.perf_counter()
    rnd = random.Random(seed)
    cast = create_users(seed)
    stages = list(LifecycleStage.objects.values_list("id", flat=True))
    connection.ensure_connection()
    raw = connection.connection
    _pragmas(raw, bulk=True)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stamp = _sql_time(now)

    people_t = _Table(Person, ["created_at", "updated_at", "version", "custom_fields", "salutation",
                               "first_name", "last_name", "preferred_language", "lifecycle_stage_id",
                               "owner_id", "team_id"])
    org_t = _Table(Organisation, ["created_at", "updated_at", "version", "custom_fields", "name",
                                  "legal_form", "industry", "website", "lifecycle_stage_id", "owner_id",
                                  "team_id"])
    email_t = _Table(EmailAddress, ["created_at", "updated_at", "is_primary", "kind", "email", "person_id"])
    phone_t = _Table(PhoneNumber, ["created_at", "updated_at", "is_primary", "kind", "number", "person_id"])
    address_t = _Table(Address, ["created_at", "updated_at", "is_primary", "kind", "street", "postal_code",
                                 "city", "country", "person_id"])
    employment_t = _Table(Employment, ["created_at", "updated_at", "role", "is_primary_contact",
                                       "organisation_id", "person_id"])
    tags = _create_tags(raw, stamp)
    names = NamePool(rnd)

    # Organisations first: about ten people work at each, a fifth of all people.
    org_count = max(1, customers // 50)
    organisations: list[tuple[int, str, str]] = []  # (id, name, domain)
    index_rows: list[tuple[Any, ...]] = []
    org_rows = []
    for index in range(org_count):
        owner, team = cast.owners[index % len(cast.owners)]
        base = f"{rnd.choice(names.de_last)} {rnd.choice(ORG_WORDS)}"
        legal_form = rnd.choice(LEGAL_FORMS)
        domain = f"{_fold_ascii(base)}{index}.de"
        org_rows.append((stamp, stamp, 1, "{}", base, legal_form, rnd.choice(INDUSTRIES),
                         f"https://www.{domain}", rnd.choice(stages), owner, team))
    with transaction.atomic():
        org_start = _next_id(raw, org_t.table)
        org_t.insert(raw, org_rows)
    for offset, row in enumerate(org_rows):
        org_id = org_start + offset
        organisations.append((org_id, row[4], row[7].removeprefix("https://www.")))
        document = organisation_document_from_values(
            name=row[4], display_name=f"{row[4]} {row[5]}", legal_form=row[5], industry=row[6],
            website=row[7])
        index_rows.append(search.entry_values("contacts.organisation", org_id, row[9], row[10], document))

    index_started = time.perf_counter()
    with search.bulk_load(atomic=False):
        index_seconds = time.perf_counter() - index_started
        with transaction.atomic():
            search.bulk_insert(index_rows)
        people_started = time.perf_counter()
        bar = tqdm(total=customers, unit="people", desc="people", disable=not progress)
        made = 0
        while made < customers:
            size = min(BATCH, customers - made)
            with transaction.atomic():
                _people_batch(raw, rnd, names, cast, stages, tags, organisations, size, made, stamp,
                              people_t, email_t, phone_t, address_t, employment_t)
            made += size
            bar.update(size)
        bar.close()
        people_seconds = time.perf_counter() - people_started
        rebuild_started = time.perf_counter()
    index_seconds += time.perf_counter() - rebuild_started

    history_started = time.perf_counter()
    history = _history(raw, seed, now, progress=progress)
    history_seconds = time.perf_counter() - history_started
    _pragmas(raw, bulk=False)
    refresh_statistics()
    if SearchEntry.objects.count() != customers + org_count:
        raise RuntimeError("The search index does not hold every generated record.")
    return Generated(
        people=customers, organisations=org_count, history=history,
        seconds=time.perf_counter() - started, people_seconds=people_seconds,
        history_seconds=history_seconds, index_seconds=index_seconds,
    )


def _next_id(raw: Any, table: str) -> int:
    row = raw.execute(f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"').fetchone()  # noqa: S608
    return int(row[0])


def _create_tags(raw: Any, stamp: str) -> list[tuple[int, str]]:
    from kunde.core.models import Tag

    tag_t = _Table(Tag, ["created_at", "updated_at", "name"])
    with transaction.atomic():
        tag_t.insert(raw, [(stamp, stamp, name) for name in TAGS])
    return [(tag.pk, tag.name) for tag in Tag.objects.filter(name__in=TAGS)]


def _people_batch(raw: Any, rnd: random.Random, names: NamePool, cast: Cast, stages: list[int],
                  tags: list[tuple[int, str]], organisations: list[tuple[int, str, str]], size: int,
                  offset: int, stamp: str, people_t: _Table, email_t: _Table, phone_t: _Table,
                  address_t: _Table, employment_t: _Table) -> None:
    """Insert `size` people with their contact points, links, tags and search entries."""
    start = _next_id(raw, people_t.table)
    people, emails, phones, addresses, employments, person_tags, entries = [], [], [], [], [], [], []
    places = _cities(rnd, size)
    for index in range(size):
        person_id = start + index
        first, last, language = names.person()
        owner, team = cast.owners[rnd.randrange(len(cast.owners))]
        people.append((stamp, stamp, 1, "{}", rnd.choice(("mr", "ms", "")), first, last, language,
                       rnd.choice(stages), owner, team))
        organisation = rnd.choice(organisations) if rnd.random() < 0.2 else None
        local = f"{_fold_ascii(first)}.{_fold_ascii(last)}"
        domain = organisation[2] if organisation else rnd.choice(MAIL_PROVIDERS)
        email = f"{local}{offset + index}@{domain}" if organisation is None else f"{local}@{domain}"
        city, postal_code, area = next(places)
        phone = _phone(rnd, area)
        emails.append((stamp, stamp, True, "work" if organisation else "home", email, person_id))
        phones.append((stamp, stamp, True, "mobile" if phone[3] == "1" else "work", phone, person_id))
        street = f"{rnd.choice(STREETS)} {rnd.randint(1, 180)}"
        addresses.append((stamp, stamp, True, "postal", street, postal_code, city, "DE", person_id))
        person_tag_names = []
        if rnd.random() < 0.2:
            tag_id, tag_name = rnd.choice(tags)
            person_tags.append((person_id, tag_id))
            person_tag_names.append(tag_name)
        org_names = []
        if organisation is not None:
            employments.append((stamp, stamp, rnd.choice(("Einkauf", "Geschäftsführung", "Vertrieb", "")),
                                False, organisation[0], person_id))
            org_names.append(organisation[1])
        document = person_document_from_values(
            first_name=first, last_name=last, emails=[email], phones=[phone], organisations=org_names,
            cities=[city], postal_codes=[postal_code], tags=person_tag_names)
        entries.append(search.entry_values("contacts.person", person_id, owner, team, document))
    people_t.insert(raw, people)
    email_t.insert(raw, emails)
    phone_t.insert(raw, phones)
    address_t.insert(raw, addresses)
    employment_t.insert(raw, employments)
    raw.executemany("INSERT INTO contacts_person_tags (person_id, tag_id) VALUES (?, ?)", person_tags)
    search.bulk_insert(entries)


def _history(raw: Any, seed: int, now: dt.datetime, *, progress: bool) -> int:
    """Ten history entries per person, generated inside SQLite (no Python row per entry)."""
    table = _Table(Activity, [
        "created_at", "updated_at", "version", "kind", "occurred_at", "channel", "direction",
        "duration_minutes", "subject", "notes", "outcome", "mood", "due_at", "done_at", "related_id",
        "data", "assignee_id", "created_by_id", "organisation_id", "person_id",
    ])
    raw.execute("CREATE TEMP TABLE bench_n (i INTEGER PRIMARY KEY)")
    raw.executemany("INSERT INTO bench_n VALUES (?)", [(i,) for i in range(HISTORY_PER_PERSON)])
    raw.execute("CREATE TEMP TABLE bench_subject (k INTEGER PRIMARY KEY, channel TEXT, subject TEXT)")
    raw.executemany("INSERT INTO bench_subject VALUES (?, ?, ?)",
                    [(k, channel, subject) for k, (channel, subject) in enumerate(SUBJECTS)])
    epoch = int(now.replace(tzinfo=dt.UTC).timestamp())
    extra_columns = table.columns[20:]
    # h is a per-entry pseudo-random number; each column takes different digits of it.
    select = f"""
        SELECT t, t, 1,
               CASE WHEN h % 10 < 8 THEN 'contact' WHEN h % 10 = 8 THEN 'note' ELSE 'task' END,
               t, CASE WHEN h % 10 < 8 THEN s.channel ELSE '' END,
               CASE WHEN h % 10 >= 8 THEN '' WHEN (h / 10) % 2 = 0 THEN 'in' ELSE 'out' END,
               CASE WHEN h % 10 < 8 THEN 5 + (h / 100) % 55 END,
               s.subject, 'Notiz ' || (h % 9973), '',
               CASE WHEN h % 10 < 8 AND (h / 1000) % 5 > 0 THEN 1 + (h / 7) % 5 END,
               CASE WHEN h % 10 = 9 THEN strftime('%Y-%m-%d %H:%M:%S', t, '+7 days') END,
               CASE WHEN h % 10 = 9 AND (h / 10) % 2 = 0 THEN t END,
               '', '{{}}', CASE WHEN h % 10 = 9 THEN owner END, owner,
               CASE WHEN org IS NOT NULL AND (h / 3) % 2 = 0 THEN org END, pid
               {"".join(", ?" for _ in extra_columns)}
        FROM (
            SELECT p.id AS pid, p.owner_id AS owner, e.organisation_id AS org,
                   strftime('%Y-%m-%d %H:%M:%S', ? - (x.h % 31536000), 'unixepoch') AS t, x.h AS h
            FROM (SELECT p.id AS pid, n.i AS i,
                         abs((p.id * 1103515245 + n.i * 2654435761 + ?) % 2147483629) AS h
                  FROM contacts_person p, bench_n n WHERE p.id BETWEEN ? AND ?) x
            JOIN contacts_person p ON p.id = x.pid
            LEFT JOIN contacts_employment e ON e.person_id = p.id
            ORDER BY p.id, t
        ) y JOIN bench_subject s ON s.k = y.h % {len(SUBJECTS)}
    """  # noqa: S608 - constant identifiers and placeholders only
    sql = f'INSERT INTO "{table.table}" ({", ".join(table.columns)}) {select}'
    low, high = raw.execute("SELECT min(id), max(id) FROM contacts_person").fetchone()
    total = 0
    bar = tqdm(total=(high - low + 1) * HISTORY_PER_PERSON, unit="entries", desc="history",
               disable=not progress)
    step = BATCH
    for first in range(low, high + 1, step):
        last = min(first + step - 1, high)
        with transaction.atomic():
            cursor = raw.execute(sql, (*table.tail, epoch, seed, first, last))
        total += cursor.rowcount
        bar.update((last - first + 1) * HISTORY_PER_PERSON)
    bar.close()
    return total
