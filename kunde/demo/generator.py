"""Generate realistic demo data through Kunde's services.

Every record is written by the same services the UI and API use, so audit trail,
events and search index are filled as in real use. Each write happens "at" the time
it would have happened (the clock is moved with time-machine), so creation dates,
audit entries and completed tasks line up with the year of history.

Identity data (names, companies, addresses, numbers) comes from one random stream
per customer seeded by (seed, index), so the same seed always yields the same people
and `--customers 10` is a prefix of `--customers 20`. Dates come from a second
stream and are relative to today.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import phonenumbers
import time_machine
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from faker import Faker
from stdnum.at import uid as at_uid
from stdnum.ch import uid as ch_uid
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.iso7064 import mod_11_10
from tqdm import tqdm

from kunde.accounts.models import Team, User
from kunde.accounts.services import team_create, user_create
from kunde.activities import services as activities
from kunde.activities.models import Activity
from kunde.contacts import services as contacts
from kunde.contacts.models import LifecycleStage, Organisation, Person
from kunde.core.context import request_id_scope
from kunde.core.permissions import is_admin
from kunde.demo import data
from kunde.demo.data import City, Country, Topic

T = TypeVar("T")
BERLIN = ZoneInfo("Europe/Berlin")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def ascii_slug(text: str, separator: str = "-") -> str:
    """Return `text` as lower-case ASCII for e-mail addresses and domains ("Müller" → "mueller")."""
    text = unicodedata.normalize("NFKD", text.translate(_UMLAUTS)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-zA-Z0-9]+", separator, text.lower())
    return text.strip(separator)


def weighted(rng: random.Random, options: Sequence[tuple[T, int]]) -> T:
    return rng.choices([value for value, _weight in options], weights=[w for _value, w in options])[0]


# --- generated values -------------------------------------------------------------


def german_vat_id(rng: random.Random) -> str:
    """A German USt-IdNr. with a correct ISO 7064 MOD 11,10 check digit."""
    body = str(rng.randint(10_000_000, 99_999_999))
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def austrian_vat_id(rng: random.Random) -> str:
    """An Austrian UID (ATU + 8 digits) with a correct check digit."""
    body = "U" + str(rng.randint(1_000_000, 9_999_999))
    return f"AT{body}{at_uid.calc_check_digit(body)}"


def swiss_vat_id(rng: random.Random) -> str:
    """A Swiss UID with MWST suffix, e.g. CHE-123.456.789 MWST."""
    while True:
        body = str(rng.randint(10_000_000, 99_999_999))
        check = ch_uid.calc_check_digit(body)
        if len(check) == 1:
            digits = body + check
            return f"CHE-{digits[0:3]}.{digits[3:6]}.{digits[6:9]} MWST"


def vat_id(rng: random.Random, country: Country) -> str:
    value = {"DE": german_vat_id, "AT": austrian_vat_id, "CH": swiss_vat_id}[country.code](rng)
    valid = ch_vat.is_valid(value) if country.code == "CH" else eu_vat.is_valid(value)
    if not valid:  # a bug here must not produce bad demo data silently
        raise AssertionError(f"generated an invalid VAT id {value}")
    return value


_LANDLINE_LENGTHS = {"DE": (10, 11), "AT": (9, 10), "CH": (9,), "GB": (10,)}
_MOBILE_LENGTHS = {"DE": (10, 11), "AT": (10, 11), "CH": (9,), "GB": (10,)}
_CALLING_CODES = {"DE": 49, "AT": 43, "CH": 41, "GB": 44, "US": 1}


def phone_number(rng: random.Random, country: Country, city: City, *, mobile: bool = False) -> str:
    """Return an E.164 number that `phonenumbers` accepts as valid for `country` (and the city's area)."""
    wanted = {phonenumbers.PhoneNumberType.MOBILE} if mobile else {
        phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    }
    if country.code == "US":
        wanted = {phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
                  phonenumbers.PhoneNumberType.MOBILE}
    for _attempt in range(200):
        if country.code == "US":
            exchange = rng.randint(201, 998)
            if exchange % 100 == 11 or exchange == 555:
                continue
            national = f"{rng.choice(city.dialling_codes)}{exchange}{rng.randint(0, 9999):04d}"
        else:
            prefix = rng.choice(country.mobile_prefixes if mobile else city.dialling_codes)
            lengths = _MOBILE_LENGTHS if mobile else _LANDLINE_LENGTHS
            rest = rng.choice(lengths[country.code]) - len(prefix)
            first = str(rng.randint(2, 9)) if not mobile else str(rng.randint(0, 9))
            national = prefix + first + "".join(str(rng.randint(0, 9)) for _ in range(rest - 1))
        number = phonenumbers.parse(f"+{_CALLING_CODES[country.code]}{national}")
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in wanted:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    kind = phonenumbers.PhoneNumberType.MOBILE if mobile else phonenumbers.PhoneNumberType.FIXED_LINE
    example = phonenumbers.example_number_for_type(country.code, kind)
    if example is None:
        raise ValueError(f"no valid phone number found for {country.code}")
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


_GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def postal_code(rng: random.Random, country: Country, city: City) -> str:
    if country.code == "GB":
        letters = "".join(rng.choice(_GB_INWARD_LETTERS) for _ in range(2))
        return f"{rng.choice(city.postal_prefixes)} {rng.randint(1, 9)}{letters}"
    low, high = city.postal_codes
    if country.code == "AT" and city.name == "Wien":
        return str(low + 10 * rng.randint(0, (high - low) // 10))  # Vienna's districts: 1010 … 1230
    width = 5 if country.code in ("DE", "US") else 4
    return f"{rng.randint(low, high):0{width}d}"


def street(rng: random.Random, country: Country, fake: Faker) -> str:
    if country.code in ("DE", "AT"):
        number = str(rng.randint(1, 140)) + ("a" if rng.random() < 0.06 else "")
        return f"{rng.choice(data.GERMAN_STREETS)} {number}"
    if country.code == "CH":
        return f"{fake.street_name()} {rng.randint(1, 90)}"
    if country.code == "US":
        return fake.street_address()
    return f"{rng.randint(1, 220)} {fake.street_name()}"


# --- plans ------------------------------------------------------------------------


@dataclass
class Staff:
    users: list[User]
    by_team: dict[str, list[User]]
    managers: dict[str, User]
    created: int = 0


@dataclass
class PersonPlan:
    gender: str
    first_name: str
    last_name: str
    language: str
    title: str = ""
    role: str = ""
    department: str = ""
    emails: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    birthday: dt.date | None = None
    preferred_channel: str = ""
    tags: list[str] = field(default_factory=list)
    employed_since: dt.date | None = None
    left: bool = False  # a former contact of the organisation


@dataclass
class CustomerPlan:
    index: int
    country: Country
    city: City
    b2b: bool
    stage: str
    trajectory: str
    people: list[PersonPlan]
    organisation: dict[str, Any] | None = None
    org_tags: list[str] = field(default_factory=list)


@dataclass
class DemoResult:
    users: int = 0
    organisations: int = 0
    people: int = 0
    private_customers: int = 0
    contacts: int = 0
    tasks: int = 0
    open_tasks: int = 0
    orders: int = 0
    seconds: float = 0.0
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, team


TRAJECTORIES: dict[str, Callable[[float], float]] = {
    "improving": lambda t: 2.4 + 2.0 * t,
    "declining": lambda t: 4.3 - 2.4 * t,
    "steady_good": lambda t: 4.1,
    "steady_neutral": lambda t: 3.2,
    "dip": lambda t: 4.0 - 1.9 * math.exp(-(((t - 0.5) / 0.15) ** 2)),
}
TRAJECTORY_WEIGHTS = {
    "customer": (("improving", 25), ("steady_good", 35), ("steady_neutral", 15), ("dip", 20), ("declining", 5)),
    "former_customer": (("declining", 80), ("dip", 20)),
    "prospect": (("improving", 40), ("steady_neutral", 40), ("steady_good", 20)),
    "lead": (("steady_neutral", 50), ("improving", 30), ("steady_good", 20)),
    "subscriber": (("steady_neutral", 50), ("improving", 30), ("steady_good", 20)),
}
EARLY_STAGE_TOPICS = {"intro", "inquiry", "newsletter", "webinar", "fair", "advice", "social", "order_question",
                      "demo", "quote", "quote_follow_up", "support"}
FIRST_TOPICS = {"b2b": ("intro", "fair", "inquiry"), "b2c": ("newsletter", "advice", "order_question")}
ONLY_FIRST = {"intro", "newsletter"}  # a customer is introduced and signs up once
AFTER_TROUBLE = {"complaint", "damaged", "delay"}


class DemoGenerator:
    """Write `customers` demo customers with a year of history, deterministically for `seed`."""

    def __init__(
        self,
        *,
        seed: int = 1,
        customers: int = 200,
        staff_password: str | None = None,
        progress: bool = False,
        now: dt.datetime | None = None,
    ) -> None:
        self.seed = seed
        self.customers = customers
        self.staff_password = staff_password
        self.progress = progress
        self.now = (now or timezone.now()).replace(microsecond=0)
        self.language = "de" if settings.LANGUAGE_CODE.lower().startswith("de") else "en"
        self.stages = {stage.key: stage for stage in LifecycleStage.objects.all()}
        self.used_company_names: set[str] = set()
        self.result = DemoResult()

    # -- entry point --

    def run(self) -> DemoResult:
        started = time.monotonic()
        with request_id_scope(f"demo-{self.seed}"):
            staff = self.staff()
            from kunde.knowledge.demo import load_demo_articles  # the help centre's articles

            load_demo_articles(author=next(iter(staff.managers.values()), None))
            from kunde.commerce.demo import load_demo_catalogue  # products for the purchase history

            self.catalogue = load_demo_catalogue()
            bar = tqdm(total=self.customers, unit=" customers", disable=None if self.progress else True,
                       desc="Demo data")
            with bar:
                for index in range(self.customers):
                    plan = self.plan_customer(index)
                    with transaction.atomic():
                        self.write_customer(plan, staff)
                    bar.update()
            from kunde.campaigns.demo import fidelis_quarterly_review_rule  # a rule that acts on the history

            fidelis_quarterly_review_rule(actor=next(iter(staff.managers.values()), None), segment_definition={
                "op": "and", "rules": [{"field": "lifecycle_stage", "operator": "eq", "value": "customer"}]})
            self.retention_demo(staff)
        self.result.seconds = time.monotonic() - started
        return self.result

    def retention_demo(self, staff: Staff) -> None:
        """The retention apps' demo data (a contract plan, the loyalty programme, webinars, a partner,
        ideas), then one measured retention plan per story that uses them; all as of `now`."""
        from kunde.contracts.demo import load_demo_contracts
        from kunde.customer_events.demo import load_demo_events
        from kunde.ideas.demo import load_demo_ideas
        from kunde.loyalty.demo import load_demo_loyalty
        from kunde.partners.demo import load_demo_partners
        from kunde.retention.demo import load_demo_retention

        # They span every team's customers (and plans and programmes are an administrator's to set up).
        admin = next((user for user in staff.users if is_admin(user)), None)
        with self.at(self.now):
            load_demo_contracts(actor=admin)
            load_demo_loyalty(actor=admin)
            load_demo_events(actor=admin)
            load_demo_partners(actor=admin)
            load_demo_ideas(actor=admin)
            load_demo_retention(actor=admin, load_others=False)

    @contextmanager
    def at(self, moment: dt.datetime) -> Iterator[None]:
        """Run the block as if the clock showed `moment` (never in the future)."""
        with time_machine.travel(min(moment, self.now), tick=False):
            yield

    # -- staff --

    def staff(self) -> Staff:
        """Create (or reuse) the demo company's teams and users."""
        rng = random.Random(f"{self.seed}:staff")
        fakers = {"de": Faker("de_DE"), "en": Faker("en_US")}
        for locale, fake in fakers.items():
            fake.seed_instance(f"{self.seed}:staff:{locale}")
        created_at = self.now - dt.timedelta(days=400)
        teams: dict[str, Team] = {}
        with self.at(created_at), transaction.atomic():
            for key, names in data.TEAMS.items():
                name = names[self.language]
                teams[key] = Team.objects.filter(name=name).first() or team_create(actor=None, name=name)
        staff = Staff(users=[], by_team={key: [] for key in teams}, managers={})
        usernames: set[str] = set()
        for role, team_key, language in data.STAFF:
            gender = rng.choice(("f", "m"))
            first, last = self._staff_name(rng, fakers[language], gender, language)
            username = f"{ascii_slug(first, '')}.{ascii_slug(last, '')}"
            while username in usernames:
                first, last = self._staff_name(rng, fakers[language], gender, language)
                username = f"{ascii_slug(first, '')}.{ascii_slug(last, '')}"
            usernames.add(username)
            user = User.objects.filter(username=username).first()
            if user is None:
                with self.at(created_at), transaction.atomic():
                    user = user_create(
                        actor=None, username=username,
                        password=self.staff_password or secrets.token_urlsafe(24),
                        role_key=role, email=f"{username}@{data.STAFF_EMAIL_DOMAIN}",
                        first_name=first, last_name=last,
                        teams=[teams[team_key]] if team_key else [],
                    )
                staff.created += 1
            staff.users.append(user)
            team_label = teams[team_key].name if team_key else ""
            self.result.logins.append((username, role, team_label))
            if team_key:
                staff.by_team[team_key].append(user)
                if role == "manager":
                    staff.managers[team_key] = user
        self.result.users = staff.created
        return staff

    def _staff_name(self, rng: random.Random, fake: Faker, gender: str, language: str) -> tuple[str, str]:
        if language == "de":
            first = rng.choice(data.GERMAN_FIRST_NAMES_FEMALE if gender == "f" else data.GERMAN_FIRST_NAMES_MALE)
            return first, rng.choice(data.GERMAN_LAST_NAMES)
        return (fake.first_name_female() if gender == "f" else fake.first_name_male()), fake.last_name()

    # -- planning (identity only: the random stream must not depend on the date) --

    def plan_customer(self, index: int) -> CustomerPlan:
        rng = random.Random(f"{self.seed}:customer:{index}")
        country = weighted(rng, data.COUNTRY_WEIGHTS)
        fake = Faker(country.faker_locale)
        fake.seed_instance(f"{self.seed}:customer:{index}")
        city = weighted(rng, [(c, c.weight) for c in country.cities])
        b2b = rng.random() < 0.48
        stage = weighted(rng, [(key, org if b2b else private) for key, org, private in data.STAGES])
        trajectory = weighted(rng, TRAJECTORY_WEIGHTS[stage])
        if not b2b:
            person = self._plan_private_person(rng, fake, country, city)
            return CustomerPlan(index, country, city, False, stage, trajectory, [person])
        organisation, domain, size_contacts = self._plan_organisation(rng, fake, country, city)
        email_pattern = rng.choice(("{f}.{l}", "{i}.{l}", "{f}{l}", "{l}"))
        count = rng.randint(*size_contacts)
        roles = rng.sample(data.B2B_ROLES, k=min(count + 1, len(data.B2B_ROLES)))
        people = [
            self._plan_contact(rng, fake, country, city, domain, email_pattern, roles[i], primary=i == 0)
            for i in range(count)
        ]
        if rng.random() < 0.12:  # someone who left; their successor is listed above
            people.append(self._plan_contact(rng, fake, country, city, domain, email_pattern, roles[-1],
                                             primary=False, left=True))
        tags = rng.sample(data.TAGS_B2B[self.language], k=weighted(rng, ((0, 45), (1, 35), (2, 20))))
        return CustomerPlan(index, country, city, True, stage, trajectory, people, organisation, tags)

    def _person_name(self, rng: random.Random, fake: Faker, country: Country, gender: str) -> tuple[str, str]:
        if country.language == "de" and rng.random() < 0.85:
            first = rng.choice(data.GERMAN_FIRST_NAMES_FEMALE if gender == "f" else data.GERMAN_FIRST_NAMES_MALE)
            return first, rng.choice(data.GERMAN_LAST_NAMES)
        first = fake.first_name_female() if gender == "f" else fake.first_name_male()
        return first, fake.last_name()

    def _title(self, rng: random.Random, country: Country, chance: float) -> str:
        titles = data.ACADEMIC_TITLES.get(country.code)
        return rng.choice(titles) if titles and rng.random() < chance else ""

    def _birthday(self, rng: random.Random) -> dt.date | None:
        if rng.random() < 0.45:
            return None
        return dt.date(1948, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 57))

    def _plan_organisation(
        self, rng: random.Random, fake: Faker, country: Country, city: City
    ) -> tuple[dict[str, Any], str, tuple[int, int]]:
        industry: tuple[str, str, tuple[str, ...], tuple[str, ...], int] = weighted(
            rng, [(row, row[4]) for row in data.INDUSTRIES]
        )
        size, _weight, contacts_range = weighted(rng, [(row, row[1]) for row in data.COMPANY_SIZES])
        size_class = "small" if size in ("1-9", "10-49") else "large"
        legal_form = weighted(rng, data.LEGAL_FORMS[country.code][size_class])
        name = self._company_name(rng, fake, country, city, industry)
        domain = f"{ascii_slug(name)}.{country.domain}"
        phones = [{"number": phone_number(rng, country, city), "kind": "work", "is_primary": True}]
        if country.language == "de" and rng.random() < 0.3:
            phones.append({"number": phone_number(rng, country, city), "kind": "fax"})
        organisation = {
            "name": name,
            "legal_form": legal_form,
            "industry": industry[0] if self.language == "en" else industry[1],
            "size": size,
            "website": f"https://www.{domain}",
            "vat_id": vat_id(rng, country) if country.code in ("DE", "AT", "CH") and rng.random() < 0.9 else "",
            "emails": [{"email": f"{rng.choice(('info', 'kontakt' if country.language == 'de' else 'hello'))}@{domain}",
                        "kind": "work"}],
            "phones": phones,
            "addresses": [{"kind": "postal", "street": street(rng, country, fake),
                           "postal_code": postal_code(rng, country, city), "city": city.name,
                           "region": city.region, "country": country.code, "is_primary": True}],
        }
        return organisation, domain, contacts_range

    def _company_name(
        self, rng: random.Random, fake: Faker, country: Country, city: City,
        industry: tuple[str, str, tuple[str, ...], tuple[str, ...], int],
    ) -> str:
        german = country.language == "de"
        words = industry[2] if german else industry[3]
        for _attempt in range(20):
            last = self._person_name(rng, fake, country, rng.choice("fm"))[1]
            other = self._person_name(rng, fake, country, rng.choice("fm"))[1]
            pattern = weighted(rng, (("last", 40), ("pair", 14), ("prefix", 26), ("acronym", 10), ("city", 10)))
            word = rng.choice(words)
            name = {
                "last": f"{last} {word}",
                "pair": f"{last} & {other}" if last != other else f"{last} & Partner",
                "prefix": f"{rng.choice(data.GERMAN_NAME_PREFIXES if german else data.ENGLISH_NAME_PREFIXES)} {word}",
                "acronym": "".join(rng.choice("ABDEFGHKLMNPRSTW") for _ in range(rng.randint(2, 3))) + f" {word}",
                "city": f"{city.name.split()[0]} {word}" if city.name.split()[0] != "St." else f"{last} {word}",
            }[pattern]
            if name not in self.used_company_names:
                break
        else:
            name = f"{name} {rng.randint(2, 99)}"
        self.used_company_names.add(name)
        return name

    def _plan_contact(
        self, rng: random.Random, fake: Faker, country: Country, city: City, domain: str, pattern: str,
        role: tuple[str, str, str, str, str], *, primary: bool, left: bool = False,
    ) -> PersonPlan:
        gender = rng.choice(("f", "m"))
        first, last = self._person_name(rng, fake, country, gender)
        local = pattern.format(f=ascii_slug(first, ""), l=ascii_slug(last, ""), i=ascii_slug(first, "")[:1])
        german = country.language == "de"
        phones = [{"number": phone_number(rng, country, city), "kind": "work", "is_primary": True}]
        if rng.random() < 0.6:
            phones.append({"number": phone_number(rng, country, city, mobile=True), "kind": "mobile"})
        return PersonPlan(
            gender=gender, first_name=first, last_name=last, language=country.language,
            title=self._title(rng, country, 0.09),
            role=(role[0] if gender == "f" else role[1]) if german else role[2],
            department=role[3] if german else role[4],
            emails=[{"email": f"{local}@{domain}", "kind": "work", "is_primary": True}],
            phones=phones, birthday=self._birthday(rng) if rng.random() < 0.5 else None,
            preferred_channel=weighted(rng, (("email", 40), ("phone", 35), ("meeting", 10), ("video", 15))),
            employed_since=dt.date(2008, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 16)),
            left=left,
        )

    def _plan_private_person(self, rng: random.Random, fake: Faker, country: Country, city: City) -> PersonPlan:
        gender = rng.choice(("f", "m"))
        first, last = self._person_name(rng, fake, country, gender)
        f, l_ = ascii_slug(first, ""), ascii_slug(last, "")
        local = weighted(rng, ((f"{f}.{l_}", 40), (f"{f}{l_}", 15), (f"{f}_{l_}", 8), (f"{f[:1]}.{l_}", 12),
                               (f"{f}.{l_}{rng.randint(1, 99)}", 15), (f"{l_}.{f}", 10)))
        phones = []
        if rng.random() < 0.9:
            phones.append({"number": phone_number(rng, country, city, mobile=True), "kind": "mobile"})
        if rng.random() < 0.3 or not phones:
            phones.append({"number": phone_number(rng, country, city), "kind": "home"})
        return PersonPlan(
            gender=gender, first_name=first, last_name=last, language=country.language,
            title=self._title(rng, country, 0.03),
            emails=[{"email": f"{local}@{rng.choice(country.mail_providers)}", "kind": "home", "is_primary": True}],
            phones=phones,
            addresses=[{"kind": "home", "street": street(rng, country, fake),
                        "postal_code": postal_code(rng, country, city), "city": city.name,
                        "region": city.region, "country": country.code, "is_primary": True}],
            birthday=self._birthday(rng),
            preferred_channel=weighted(rng, (("email", 45), ("phone", 15), ("chat", 20), ("sms", 8), ("letter", 5),
                                            ("", 7))),
            tags=rng.sample(data.TAGS_B2C[self.language], k=weighted(rng, ((0, 30), (1, 40), (2, 20), (3, 10)))),
        )

    # -- writing --

    def _owner(self, rng: random.Random, plan: CustomerPlan, staff: Staff) -> tuple[User, User | None]:
        team = "international" if plan.country.code in ("US", "GB") else "dach"
        if not plan.b2b:
            team = "service"
        candidates = [u for u in staff.by_team[team] if u.role and u.role.key in ("manager", "member")]
        weights = [1 if user == staff.managers.get(team) else 2 for user in candidates]
        return rng.choices(candidates, weights=weights)[0], staff.managers.get(team)

    def write_customer(self, plan: CustomerPlan, staff: Staff) -> None:
        rng = random.Random(f"{self.seed}:history:{plan.index}")
        owner, manager = self._owner(rng, plan, staff)
        start, end, count = self._lifetime(rng, plan)
        stages = self._stage_path(rng, plan.stage, start, end)
        initial_stage = self.stages.get(stages[0][1])
        organisation: Organisation | None = None
        people: list[tuple[Person, PersonPlan]] = []
        with self.at(start):
            if plan.organisation is not None:
                organisation = contacts.organisation_create(
                    actor=owner, lifecycle_stage=initial_stage, tags=plan.org_tags, **plan.organisation
                )
                self.result.organisations += 1
        for position, person_plan in enumerate(plan.people):
            created = start + dt.timedelta(minutes=5 + position * 3)
            with self.at(created):
                person = self._create_person(owner, person_plan, organisation, initial_stage, created, start, end,
                                             primary=position == 0)
            people.append((person, person_plan))
        if organisation is None:
            self.result.private_customers += 1
        record: Organisation | Person = organisation or people[0][0]
        self._history(rng, plan, owner, manager, people, record, stages, start, end, count)
        if plan.stage == "customer":
            from kunde.commerce.demo import demo_orders

            self.result.orders += demo_orders(rng, owner=owner, catalogue=self.catalogue, person=people[0][0],
                                              organisation=organisation, start=start, end=end)

    def _create_person(
        self, owner: User, plan: PersonPlan, organisation: Organisation | None, stage: LifecycleStage | None,
        created: dt.datetime, start: dt.datetime, end: dt.datetime, *, primary: bool,
    ) -> Person:
        person = contacts.person_create(
            actor=owner, first_name=plan.first_name, last_name=plan.last_name, title=plan.title,
            salutation="ms" if plan.gender == "f" else "mr", birthday=plan.birthday,
            preferred_language=plan.language,
            preferred_channel=plan.preferred_channel,
            lifecycle_stage=stage if organisation is None else None,
            tags=plan.tags, emails=plan.emails, phones=plan.phones, addresses=plan.addresses,
        )
        self.result.people += 1
        if organisation is not None:
            left_on = (start + (end - start) * 0.4).date() if plan.left else None
            contacts.employment_create(
                actor=owner, person=person, organisation=organisation, role=plan.role, department=plan.department,
                start_date=plan.employed_since, end_date=left_on, is_primary_contact=primary and not plan.left,
            )
        return person

    def _lifetime(self, rng: random.Random, plan: CustomerPlan) -> tuple[dt.datetime, dt.datetime, int]:
        days = {"customer": (330, 365), "former_customer": (300, 365), "prospect": (60, 240), "lead": (5, 120),
                "subscriber": (10, 300)}[plan.stage]
        start = self.now - dt.timedelta(days=rng.uniform(*days))
        if plan.stage == "former_customer":
            end = self.now - dt.timedelta(days=rng.uniform(45, 150))
        else:
            end = self.now - dt.timedelta(hours=rng.uniform(2, 96))
        counts = {"customer": (10, 26) if plan.b2b else (6, 16), "former_customer": (6, 14), "prospect": (4, 10),
                  "lead": (1, 5), "subscriber": (1, 4)}[plan.stage]
        return start, max(end, start + dt.timedelta(days=1)), rng.randint(*counts)

    def _stage_path(
        self, rng: random.Random, final: str, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[dt.datetime, str]]:
        """The customer's way through the lifecycle: (since when, stage key)."""
        span = end - start
        path = {"subscriber": ["subscriber"], "lead": [rng.choice(("subscriber", "lead")), "lead"],
                "prospect": ["lead", "prospect"], "customer": ["lead", "prospect", "customer"],
                "former_customer": ["prospect", "customer", "former_customer"]}[final]
        steps = [(start, path[0])]
        marks = sorted(rng.uniform(0.1, 0.9) for _ in path[1:])
        if final == "former_customer":
            marks[-1] = 0.97
        for mark, key in zip(marks, path[1:], strict=True):
            if key != steps[-1][1]:
                steps.append((start + span * mark, key))
        return steps

    def _when(self, rng: random.Random, plan: CustomerPlan, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        """A plausible working time (Berlin) between start and end."""
        moment = start + (end - start) * rng.random()
        local = moment.astimezone(BERLIN)
        if plan.b2b:
            if local.weekday() >= 5:
                local -= dt.timedelta(days=local.weekday() - 4)
            hours = (15, 19) if plan.country.code == "US" else (8, 17)
        else:
            hours = (8, 21)
        local = local.replace(hour=rng.randint(*hours), minute=rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50)), second=0)
        return max(start + dt.timedelta(minutes=30), min(local.astimezone(dt.UTC), end))

    def _history(
        self, rng: random.Random, plan: CustomerPlan, owner: User, manager: User | None,
        people: list[tuple[Person, PersonPlan]], record: Organisation | Person,
        stages: list[tuple[dt.datetime, str]], start: dt.datetime, end: dt.datetime, count: int,
    ) -> None:
        language = plan.country.language
        audience = "b2b" if plan.b2b else "b2c"
        moments = sorted(self._when(rng, plan, start, end) for _ in range(count))
        pending_stages = list(stages[1:])
        previous_topic = ""
        curve = TRAJECTORIES[plan.trajectory]
        for number, moment in enumerate(moments):
            while pending_stages and pending_stages[0][0] <= moment:
                since, key = pending_stages.pop(0)
                record = self._change_stage(owner, record, key, since)
            t = (moment - start) / (end - start) if end > start else 1.0
            base = curve(t)
            stage_now = self._stage_at(stages, moment)
            topic = self._topic(rng, audience, stage_now, base, previous_topic, first=number == 0)
            person, _person_plan = self._contact_person(rng, people, moment, start, end)
            self._contact(rng, plan, language, owner, manager, person, people, topic, moment, base)
            previous_topic = topic.key
        for since, key in pending_stages:
            record = self._change_stage(owner, record, key, since)
        if plan.stage in ("customer", "prospect", "lead") and rng.random() < 0.35:
            self._upcoming_task(rng, language, owner, people[0][0])

    def _stage_at(self, stages: list[tuple[dt.datetime, str]], moment: dt.datetime) -> str:
        current = stages[0][1]
        for since, key in stages:
            if since <= moment:
                current = key
        return current

    def _change_stage(self, owner: User, record: Organisation | Person, key: str, since: dt.datetime) -> Any:
        with self.at(since):
            if isinstance(record, Organisation):
                return contacts.organisation_update(actor=owner, organisation=record, expected_version=None,
                                                    changes={"lifecycle_stage": self.stages.get(key)})
            return contacts.person_update(actor=owner, person=record, expected_version=None,
                                          changes={"lifecycle_stage": self.stages.get(key)})

    def _topic(
        self, rng: random.Random, audience: str, stage: str, base: float, previous: str, *, first: bool
    ) -> Topic:
        by_key = {topic.key: topic for topic in data.TOPICS}
        if first:
            return by_key[rng.choice(FIRST_TOPICS[audience])]
        if previous in AFTER_TROUBLE and rng.random() < 0.5:
            return by_key["resolved"]
        options = []
        for topic in data.TOPICS:
            if topic.audience not in (audience, "both") or topic.key in ONLY_FIRST:
                continue
            if stage in ("subscriber", "lead", "prospect") and topic.key not in EARLY_STAGE_TOPICS:
                continue
            weight = float(topic.weight)
            if topic.mood_bias < 0:
                weight *= 1 + max(0.0, 3.3 - base) * 1.6
            elif topic.mood_bias > 0:
                weight *= 1 + max(0.0, base - 3.4)
            options.append((topic, weight))
        return rng.choices([t for t, _ in options], weights=[w for _, w in options])[0]

    def _contact_person(
        self, rng: random.Random, people: list[tuple[Person, PersonPlan]], moment: dt.datetime,
        start: dt.datetime, end: dt.datetime,
    ) -> tuple[Person, PersonPlan]:
        left_at = start + (end - start) * 0.4
        current = [(p, plan) for p, plan in people if not plan.left or moment < left_at]
        if len(current) > 1 and rng.random() < 0.5:
            return current[0]
        return rng.choice(current)

    def _values(
        self, rng: random.Random, language: str, moment: dt.datetime, audience: str, key: str
    ) -> dict[str, Any]:
        """The details a contact is about (a product, a reference number), shared with its follow-up."""
        ref_prefix = {"quote": ("AN", "Q"), "quote_follow_up": ("AN", "Q"), "order": ("AU", "SO"),
                      "delay": ("AU", "SO"), "invoice": ("RE", "INV"), "reminder": ("RE", "INV")}.get(key)
        if audience == "b2c":
            ref = f"#{rng.randint(100_000, 999_999)}"
        else:
            prefix = ref_prefix[0 if language == "de" else 1] if ref_prefix else "AU"
            ref = f"{prefix}-{moment.year}-{rng.randint(100, 9999):04d}"
        products = data.PRODUCTS_B2B if audience == "b2b" else data.PRODUCTS_B2C
        year = moment.year + (1 if key == "renewal" else 0)
        return {
            "product": rng.choice(products[language]), "ref": ref, "issue": rng.choice(data.ISSUES[language]),
            "year": year, "fair": rng.choice(data.FAIRS), "webinar": rng.choice(data.WEBINARS[language]),
        }

    def _contact(
        self, rng: random.Random, plan: CustomerPlan, language: str, owner: User, manager: User | None,
        person: Person, people: list[tuple[Person, PersonPlan]], topic: Topic, moment: dt.datetime, base: float,
    ) -> Activity:
        channel = rng.choice(topic.channels)
        noise = rng.gauss(0, 0.6 if plan.trajectory == "dip" else 0.4)
        mood: int | None = max(1, min(5, round(base + topic.mood_bias + noise)))
        silent = (topic.direction == "out" and channel in ("email", "letter", "sms")) or channel == "web"
        if silent and rng.random() < 0.6:
            mood = None  # nobody saw how the customer felt
        duration = {"phone": (3, 25), "video": (20, 60), "meeting": (30, 120), "chat": (4, 20), "event": (10, 30)}
        minutes = rng.randint(*duration[channel]) if channel in duration else None
        audience = "b2b" if plan.b2b else "b2c"
        values = self._values(rng, language, moment, audience, topic.key)
        subject = (topic.subject_de if language == "de" else topic.subject_en).format(**values)
        outcomes_de, outcomes_en, details_de, details_en = data.TOPIC_DETAILS[topic.key]
        notes = " ".join(
            part for part in (
                rng.choice(details_de if language == "de" else details_en),
                data.MOOD_NOTES[language][mood - 1] if mood else "",
                rng.choice(data.NEXT_STEPS[language]) if topic.follow_up_de and rng.random() < 0.5 else "",
            ) if part
        )
        participant_users: list[User] = []
        participant_people: list[Person] = []
        if channel in ("meeting", "video"):
            participant_users = [owner]
            if manager is not None and manager != owner and rng.random() < 0.3:
                participant_users.append(manager)
            others = [p for p, p_plan in people if p != person and not p_plan.left]
            if others and rng.random() < 0.4:
                participant_people = [rng.choice(others)]
        logged_at = moment + dt.timedelta(minutes=(minutes or 0) + rng.randint(1, 20))
        with self.at(logged_at):
            activity = activities.contact_log(
                actor=owner, channel=channel, subject=subject, person=person, occurred_at=moment,
                direction=topic.direction, duration_minutes=minutes, notes=notes,
                outcome=rng.choice(outcomes_de if language == "de" else outcomes_en), mood=mood,
                participant_users=participant_users, participant_people=participant_people,
            )
        self.result.contacts += 1
        if topic.follow_up_de and rng.random() < 0.55:
            self._follow_up(rng, language, owner, person, topic, moment, values)
        return activity

    def _follow_up(
        self, rng: random.Random, language: str, owner: User, person: Person, topic: Topic, moment: dt.datetime,
        values: dict[str, Any],
    ) -> None:
        subject = (topic.follow_up_de if language == "de" else topic.follow_up_en).format(**values)
        created = moment + dt.timedelta(minutes=rng.randint(15, 90))
        due = created + dt.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 6))
        with self.at(created):
            task = activities.task_create(actor=owner, subject=subject, due_at=due, person=person)
        self.result.tasks += 1
        if due < self.now - dt.timedelta(days=1) and rng.random() < 0.9:
            done = min(due + dt.timedelta(hours=rng.uniform(-48, 36)), self.now - dt.timedelta(hours=1))
            with self.at(max(done, created + dt.timedelta(minutes=5))):
                activities.task_complete(actor=owner, task=task)
        else:
            self.result.open_tasks += 1

    def _upcoming_task(self, rng: random.Random, language: str, owner: User, person: Person) -> None:
        subjects = {"de": ("Quartalsgespräch vereinbaren", "Neues Angebot vorbereiten", "Zufriedenheit nachfragen"),
                    "en": ("Schedule the quarterly call", "Prepare a new offer", "Check in on satisfaction")}
        created = self.now - dt.timedelta(days=rng.uniform(0.5, 7))
        due = self.now + dt.timedelta(days=rng.uniform(-2, 21))
        with self.at(created):
            activities.task_create(actor=owner, subject=rng.choice(subjects[language]), due_at=due, person=person)
        self.result.tasks += 1
        self.result.open_tasks += 1
