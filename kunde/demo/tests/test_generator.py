"""The demo generator: valid, realistic, deterministic data written through the services."""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections import Counter

import phonenumbers
import pytest
from django.core.management import call_command
from django.utils import timezone
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat

from kunde.accounts.models import Team, User
from kunde.activities.models import Activity
from kunde.contacts.models import Address, Employment, Organisation, Person, PhoneNumber
from kunde.contacts.validators import normalize_email, normalize_vat_id, validate_postal_code
from kunde.core.models import AuditEntry
from kunde.demo import data
from kunde.demo.generator import (
    DemoGenerator,
    austrian_vat_id,
    german_vat_id,
    phone_number,
    postal_code,
    swiss_vat_id,
)


def customers() -> tuple[object, object]:
    """The generated customers: organisations and people, without the partner the partners demo adds."""
    return (Organisation.objects.filter(partner_profile__isnull=True),
            Person.objects.exclude(employments__organisation__partner_profile__isnull=False))


def names(people) -> list[str]:
    return [f"{p.first_name} {p.last_name}" for p in people]


@pytest.fixture
def demo(db):
    generator = DemoGenerator(seed=7, customers=12, staff_password="Demo-Passw0rd-1")
    return generator, generator.run()


def test_generated_vat_ids_have_valid_check_digits():
    """German, Austrian and Swiss VAT ids pass python-stdnum and Kunde's own validator."""
    rng = random.Random(3)
    for _ in range(300):
        for value in (german_vat_id(rng), austrian_vat_id(rng)):
            assert eu_vat.is_valid(value), value
            assert normalize_vat_id(value) == value
        swiss = swiss_vat_id(rng)
        assert ch_vat.is_valid(swiss), swiss
        assert normalize_vat_id(swiss) == ch_vat.compact(swiss)
    assert german_vat_id(random.Random(1)).startswith("DE") and len(german_vat_id(random.Random(1))) == 11


@pytest.mark.parametrize("country", [c for c, _w in data.COUNTRY_WEIGHTS], ids=lambda c: c.code)
def test_phone_numbers_are_valid_and_match_the_city(country):
    """Landlines carry the city's dialling code, mobiles are mobile numbers, all are valid."""
    rng = random.Random(country.code)
    for city in country.cities:
        for _ in range(15):
            landline = phonenumbers.parse(phone_number(rng, country, city))
            assert phonenumbers.is_valid_number(landline)
            assert phonenumbers.region_code_for_number(landline) == country.code
            national = str(landline.national_number)
            assert any(national.startswith(code) for code in city.dialling_codes), (city.name, national)
            mobile = phonenumbers.parse(phone_number(rng, country, city, mobile=True))
            assert phonenumbers.is_valid_number(mobile)
            if country.code != "US":  # US numbers do not tell mobile from landline
                assert phonenumbers.number_type(mobile) == phonenumbers.PhoneNumberType.MOBILE


@pytest.mark.parametrize("country", [c for c, _w in data.COUNTRY_WEIGHTS], ids=lambda c: c.code)
def test_postal_codes_fit_the_country_format(country):
    rng = random.Random(country.code)
    for city in country.cities:
        for _ in range(20):
            code = postal_code(rng, country, city)
            validate_postal_code(country.code, code)
            if country.code in ("DE", "AT", "CH", "US"):
                assert city.postal_codes[0] <= int(code) <= city.postal_codes[1]


def test_demo_writes_valid_realistic_customers(demo):
    """Companies with legal form, VAT id, industry and size; B2B contacts; B2C customers; valid data."""
    _generator, result = demo
    organisation_rows, people_rows = customers()
    organisations, people = list(organisation_rows), list(people_rows)
    assert (len(organisations), len(people)) == (result.organisations, result.people)
    assert result.organisations + result.private_customers == 12
    assert result.organisations >= 3 and result.private_customers >= 3

    for organisation in organisations:
        assert organisation.legal_form and organisation.industry and organisation.size
        assert organisation.website.startswith("https://www.")
        if organisation.vat_id:
            assert normalize_vat_id(organisation.vat_id) == organisation.vat_id
        assert organisation.lifecycle_stage is not None
        primary = Employment.objects.filter(organisation=organisation, is_primary_contact=True)
        assert primary.count() == 1
    assert any(o.vat_id.startswith("DE") for o in organisations)

    b2c = [p for p in people if not p.employments.exists()]
    assert len(b2c) == result.private_customers
    for person in b2c:
        assert person.lifecycle_stage is not None
        assert person.addresses.count() == 1
    for person in people:
        assert person.salutation in ("mr", "ms") and person.first_name and person.last_name
        assert person.preferred_language in ("de", "en")
        for email in person.emails.all():
            assert normalize_email(email.email) == email.email
    for phone in PhoneNumber.objects.all():
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone.number)), phone.number
    for address in Address.objects.all():
        validate_postal_code(address.country, address.postal_code)
        assert address.street and address.city


def test_demo_staff_have_every_role_in_teams(demo):
    _generator, result = demo
    users = User.objects.select_related("role")
    assert Counter(u.role.key for u in users) == {"admin": 1, "manager": 2, "member": 5, "readonly": 1}
    assert Team.objects.count() == 3
    assert all(u.teams.exists() for u in users if u.role.key != "admin")
    assert all(u.email.endswith("@kunde-demo.example") for u in users)
    assert all(u.check_password("Demo-Passw0rd-1") for u in users)
    assert len(result.logins) == 9


def test_demo_history_spans_a_year_with_moods_and_tasks(demo):
    """Every customer has contacts in the last year; tasks are open and done; moods are on the scale."""
    generator, result = demo
    now = generator.now
    contacts = Activity.objects.filter(kind="contact")
    # The generator's own tasks; the contracts demo adds renewal reminders of its own.
    tasks = Activity.objects.filter(kind="task").exclude(related_type__app_label="contracts")
    assert contacts.count() == result.contacts and tasks.count() == result.tasks
    for organisation in customers()[0]:
        assert organisation.activities.filter(kind="contact").exists(), organisation
    for person in Person.objects.filter(employments__isnull=True):
        assert person.activities.filter(kind="contact").exists(), person
    oldest = contacts.order_by("occurred_at").first().occurred_at
    assert now - dt.timedelta(days=366) <= oldest < now - dt.timedelta(days=200)
    assert contacts.order_by("-occurred_at").first().occurred_at <= now
    assert set(contacts.values_list("channel", flat=True)) >= {"phone", "email", "meeting"}
    moods = [m for m in contacts.values_list("mood", flat=True) if m is not None]
    assert set(moods) <= {1, 2, 3, 4, 5} and len(set(moods)) >= 4
    open_tasks = tasks.filter(done_at__isnull=True)
    assert open_tasks.count() == result.open_tasks > 0
    done = tasks.filter(done_at__isnull=False)
    assert done.exists()
    for task in done:
        assert task.created_at <= task.done_at <= now


def test_demo_writes_through_the_services_at_the_time_of_history(demo):
    """Audit entries exist for every record, dated when the record was (virtually) written."""
    generator, _result = demo
    for person in Person.objects.all():
        created = AuditEntry.objects.get(object_type="contacts.person", object_id=str(person.pk), action="create")
        assert created.at == person.created_at
        assert created.actor_id == person.owner_id
    first_contact = Activity.objects.filter(kind="contact").order_by("occurred_at").first()
    audit = AuditEntry.objects.get(object_type="activities.activity", object_id=str(first_contact.pk))
    assert first_contact.occurred_at < audit.at < first_contact.occurred_at + dt.timedelta(hours=3)
    assert audit.at < generator.now - dt.timedelta(days=200)
    # Lifecycle progress is recorded as updates over time (lead → prospect → customer).
    assert AuditEntry.objects.filter(action="update", changes__has_key="lifecycle_stage_id").exists()


@pytest.mark.django_db
def test_mood_trends_follow_the_lifecycle():
    """Former customers' moods fall over their history."""
    generator = DemoGenerator(seed=11, customers=30)
    generator.run()
    early, late = [], []
    for record in [*Organisation.objects.filter(lifecycle_stage__key="former_customer"),
                   *Person.objects.filter(lifecycle_stage__key="former_customer")]:
        moods = [m for m in record.activities.filter(kind="contact").order_by("occurred_at")
                 .values_list("mood", flat=True) if m is not None]
        if len(moods) >= 4:
            half = len(moods) // 2
            early += moods[:half]
            late += moods[half:]
    assert early and late
    assert statistics.mean(late) < statistics.mean(early) - 0.5


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_customers():
    """Two runs with one seed give the same names; another seed gives others."""
    first = DemoGenerator(seed=5, customers=6).run()
    first_people = names(customers()[1].order_by("id"))
    first_orgs = list(customers()[0].order_by("id").values_list("name", flat=True))
    second = DemoGenerator(seed=5, customers=6).run()  # the demo users exist already: reused
    assert second.users == 0 and first.users == 9
    all_people = names(customers()[1].order_by("id"))
    assert all_people[len(first_people):] == first_people
    assert list(customers()[0].order_by("id").values_list("name", flat=True))[len(first_orgs):] == first_orgs
    assert User.objects.count() == 9

    other = [DemoGenerator(seed=6, customers=6).plan_customer(i) for i in range(6)]
    assert [f"{p.first_name} {p.last_name}" for plan in other for p in plan.people] != first_people


@pytest.mark.django_db
def test_a_smaller_run_is_a_prefix_of_a_larger_one():
    """`--customers 3` plans the same first three customers as `--customers 8`."""
    small = DemoGenerator(seed=9, customers=3)
    large = DemoGenerator(seed=9, customers=8)
    for index in range(3):
        a, b = small.plan_customer(index), large.plan_customer(index)
        assert [(p.first_name, p.last_name, p.emails, p.phones) for p in a.people] == [
            (p.first_name, p.last_name, p.emails, p.phones) for p in b.people
        ]
        assert a.organisation == b.organisation


@pytest.mark.django_db
def test_demo_command_runs_once_then_refuses_politely(capsys):
    """A second `kunde demo` says the data is there and changes nothing; --if-empty too."""
    call_command("demo", "--customers", "3", "--seed", "2", "--password", "Demo-Passw0rd-1")
    out = capsys.readouterr().out
    assert "Demo data loaded in" in out and "9 new users" in out and "Demo users:" in out
    counts = (Person.objects.count(), Activity.objects.count(), User.objects.count())

    call_command("demo", "--customers", "3", "--seed", "2")
    assert "Demo data is loaded already" in capsys.readouterr().out
    call_command("demo", "--customers", "3", "--if-empty")
    assert capsys.readouterr().out == "The database already has people; no demo data loaded.\n"
    assert (Person.objects.count(), Activity.objects.count(), User.objects.count()) == counts

    call_command("demo", "--customers", "2", "--seed", "3", "--force")
    assert Person.objects.count() > counts[0]
    assert User.objects.count() > counts[2]  # another seed: other demo users


@pytest.mark.django_db
def test_demo_never_writes_in_the_future():
    """Whatever the random dates, no record is dated after the moment of generation."""
    generator = DemoGenerator(seed=4, customers=5)
    generator.run()
    now = timezone.now()
    assert not Activity.objects.filter(created_at__gt=now).exists()
    assert not AuditEntry.objects.filter(at__gt=now).exists()
    assert not Person.objects.filter(created_at__gt=now).exists()


def test_customers_have_a_purchase_history(demo):
    """Paying customers have orders: furniture for companies, jewellery for private customers."""
    from kunde.commerce.models import Order, OrderLine

    _generator, result = demo
    assert result.orders == Order.objects.count() > 0
    companies = set(OrderLine.objects.filter(organisation__isnull=False).values_list("category__key", flat=True))
    private = set(OrderLine.objects.filter(organisation__isnull=True).values_list("category__key", flat=True))
    assert companies <= {"desks", "chairs", "storage"} and private <= {"necklaces", "rings", "earrings"}
    assert companies and private
    assert not Order.objects.filter(ordered_on__gt=timezone.localdate()).exists()


def test_the_quarterly_review_rule_is_set_up(demo):
    from kunde.campaigns.models import Rule

    rule = Rule.objects.get()
    assert rule.trigger == Rule.Trigger.QUARTERLY and rule.action == Rule.Action.CREATE_TASK


def test_the_demo_has_one_measured_retention_plan_per_story(demo):
    """HandelBlitz loyalty, Fidelis personal care with webinars, Topp Desk service contract with a partner."""
    from kunde.retention.models import RetentionPlan

    plans = {plan.name: plan for plan in RetentionPlan.objects.prefetch_related("instruments", "partners")}
    assert len(plans) == 3
    kinds = {name: {i.kind for i in plan.instruments.all() if i.linked_id} for name, plan in plans.items()}
    assert {"loyalty"} <= kinds[next(n for n in plans if "HandelBlitz" in n)]
    assert {"care", "event_series"} <= kinds[next(n for n in plans if "Fidelis" in n)]
    topp = plans[next(n for n in plans if "Topp" in n)]
    assert "subscription" in kinds[topp.name] and topp.partners.exists()
    assert all(hasattr(plan, "figures") and plan.figures.computed_at for plan in plans.values())
