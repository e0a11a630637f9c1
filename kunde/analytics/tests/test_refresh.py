"""The refresh end to end on the real database: scores, aggregates, bad input, models."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from kunde.analytics import refresh, selectors
from kunde.analytics.models import CustomerScore, RefreshRun, ScopeAggregate
from kunde.commerce.models import Order
from kunde.commerce.services import order_create
from kunde.contacts.models import Person
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def buyer(world):
    """A private customer of the owner (world.person works for an organisation, which is then the customer)."""
    return make_person(world.owner, first_name="Anna", last_name="Privat")


def buy(actor, customer, on, amount, *, status="open"):
    kind = "person" if isinstance(customer, Person) else "organisation"
    return order_create(actor=actor, **{kind: customer}, ordered_on=on, status=status,
                        lines=[{"description": "Ware", "quantity": 1, "unit_price": str(amount), "vat_rate": 19}])


def bulk_customers(owner, count: int, *, seed: int = 7, team=None) -> list[Person]:
    """`count` people with a purchase history drawn at random (fast inserts, not services)."""
    rng = random.Random(seed)
    people = Person.objects.bulk_create([Person(first_name="Kundin", last_name=f"Bulk{seed}-{i}", owner=owner,
                                                team=team) for i in range(count)])
    orders = []
    start = TODAY - dt.timedelta(days=720)
    for person in people:
        rate = rng.choice([0.005, 0.01, 0.02, 0.04])  # purchases per day while alive
        alive_until = start + dt.timedelta(days=rng.randint(30, 900))
        day = start + dt.timedelta(days=rng.randint(0, 500))
        while day <= min(alive_until, TODAY):
            amount = Decimal(rng.randint(20, 400))
            orders.append(Order(number=f"B{seed}-{len(orders)}", person=person, ordered_on=day, owner=owner,
                                team=team, net_total=amount, vat_total=0, gross_total=amount, net_total_eur=amount))
            day += dt.timedelta(days=max(1, int(rng.expovariate(rate))))
    Order.objects.bulk_create(orders, batch_size=2000)
    return people


def test_scores_count_purchase_days_and_handle_returns_zero_future_and_cancelled(world, buyer):
    person = buyer
    buy(world.owner, person, dt.date(2026, 3, 1), "100.00")
    buy(world.owner, person, dt.date(2026, 3, 1), "50.00")  # same day: one purchase occasion
    buy(world.owner, person, dt.date(2026, 6, 1), "80.00")
    # A return as a shop or ERP books it: a negative order. Revenue goes down; it is no purchase.
    Order.objects.create(number="RET-1", person=person, ordered_on=dt.date(2026, 6, 5), owner=world.owner,
                         net_total=-30, vat_total=0, gross_total=-30, net_total_eur=-30)
    buy(world.owner, person, dt.date(2026, 7, 1), "0.00")  # free replacement: no purchase
    buy(world.owner, person, dt.date(2026, 8, 1), "999.00", status="cancelled")
    buy(world.owner, person, dt.date(2027, 1, 1), "500.00")  # future-dated: not yet
    other = make_person(world.owner, last_name="Ohnekauf")

    run = refresh.run(today=TODAY)

    assert run.status == RefreshRun.Status.DONE, run.error
    score = CustomerScore.objects.get(person=person)
    assert score.purchases == 2
    assert score.revenue == pytest.approx(200.0)  # 100 + 50 + 80 - 30 (+ 0)
    assert score.first_purchase_on == dt.date(2026, 3, 1)
    assert score.last_purchase_on == dt.date(2026, 6, 1)
    assert score.recency_days == (TODAY - dt.date(2026, 6, 1)).days
    assert score.rfm_segment
    assert not CustomerScore.objects.filter(person=other).exists()


def test_too_little_data_says_what_is_needed_and_the_refresh_still_finishes(world, buyer):
    buy(world.owner, buyer, dt.date(2026, 5, 1), "100.00")

    run = refresh.run(today=TODAY)

    assert run.status == RefreshRun.Status.DONE
    assert "needs" in run.diagnostics["insufficient"]["bgnbd"]
    assert "churn" in run.diagnostics["insufficient"]
    score = CustomerScore.objects.get(person=buyer)
    assert score.probability_alive is None and score.predicted_clv is None
    # Without a model the risk is recency against the inactivity window, and says so.
    assert score.churn_basis == "inactivity"
    assert score.churn_risk == pytest.approx((TODAY - dt.date(2026, 5, 1)).days / 365)


def test_models_fit_on_enough_history_and_every_buyer_gets_scores(world):
    bulk_customers(world.owner, 400, team=world.team_a)

    run = refresh.run(today=TODAY)

    assert run.status == RefreshRun.Status.DONE, run.error
    fitted = run.diagnostics
    assert set(fitted["bgnbd"]) >= {"r", "alpha", "a", "b"}
    assert fitted["gamma_gamma"]["p"] > 0
    # The independence assumption of Gamma-Gamma is checked and reported, not taken for granted.
    assert -1 <= fitted["gamma_gamma"]["frequency_value_correlation"] <= 1
    assert fitted["calibration"]["rows"]
    scores = CustomerScore.objects.filter(person__last_name__startswith="Bulk")
    assert scores.count() == Person.objects.filter(last_name__startswith="Bulk", orders__isnull=False).distinct(
    ).count()
    assert not scores.filter(probability_alive__isnull=True).exists()
    assert not scores.filter(predicted_clv__isnull=True).exists()
    # A regular buyer who stopped long ago is riskier than one who just bought.
    gone = scores.filter(recency_days__gt=300, purchases__gte=3).order_by("-recency_days").first()
    fresh = scores.filter(recency_days__lt=20, purchases__gte=3).first()
    assert gone is not None and fresh is not None
    assert gone.churn_basis == fresh.churn_basis == "bgnbd"
    assert gone.churn_risk > fresh.churn_risk
    # BG/NBD says nothing about one-time buyers (P(alive) = 1 by construction): the classifier does.
    once = scores.filter(purchases=1).order_by("-recency_days").first()
    assert once is not None and once.churn_basis == "classifier"
    assert fitted["churn"]["auc"] > 0.5
    assert 0 <= fresh.next_purchase_probability <= 1


def test_kpis_are_summed_over_what_the_user_may_see(world, buyer):
    buy(world.owner, buyer, dt.date(2026, 11, 3), "120.00")
    stranger = make_person(world.other_team, last_name="Fremd")
    buy(world.other_team, stranger, dt.date(2026, 11, 10), "80.00")
    buy(world.other_team, stranger, dt.date(2025, 2, 10), "10.00")
    refresh.run(today=TODAY)

    def kpi(user, key):
        dash = selectors.dashboard(user, kind="month", period="2026-11")
        return next(k["value"] for k in dash["kpis"] if k["key"] == key)

    assert kpi(world.admin, "customers") == 2
    assert kpi(world.admin, "revenue") == pytest.approx(200.0)
    assert kpi(world.owner, "customers") == 1
    assert kpi(world.owner, "new_customers") == 1
    assert kpi(world.owner, "revenue") == pytest.approx(120.0)
    assert kpi(world.teammate, "revenue") == pytest.approx(120.0)  # team scope
    assert kpi(world.other_team, "revenue") == pytest.approx(80.0)
    assert kpi(world.other_team, "repurchase_rate") == pytest.approx(1.0)
    assert kpi(world.other_team, "new_customers") == 0


def test_churn_and_retention_follow_the_inactivity_window(world):
    loyal = make_person(world.owner, last_name="Treu")
    lapsed = make_person(world.owner, last_name="Weg")
    buy(world.owner, loyal, dt.date(2025, 12, 15), "10.00")
    buy(world.owner, loyal, dt.date(2026, 6, 15), "10.00")
    buy(world.owner, lapsed, dt.date(2025, 1, 15), "10.00")  # active at the start of 2026, not at its end
    refresh.run(today=TODAY)

    dash = selectors.dashboard(world.admin, kind="year", period="2026")
    values = {k["key"]: k["value"] for k in dash["kpis"]}
    assert values["churned_customers"] == 1
    assert values["churn_rate"] == pytest.approx(0.5)
    assert values["retention_rate"] == pytest.approx(0.5)
    assert values["active_customers"] == 1


def test_a_second_refresh_replaces_rows_and_records_segment_movement(world, buyer):
    buy(world.owner, buyer, dt.date(2026, 11, 1), "100.00")
    refresh.run(today=TODAY)
    first = CustomerScore.objects.get(person=buyer)
    refresh.run(today=TODAY + dt.timedelta(days=400))

    assert CustomerScore.objects.filter(person=buyer).count() == 1
    moved = CustomerScore.objects.get(person=buyer)
    assert moved.previous_rfm_segment == first.rfm_segment
    assert ScopeAggregate.objects.filter(name="kpi").count() == ScopeAggregate.objects.filter(name="scores").count()


def test_scores_follow_the_customers_visibility_at_once(world, buyer):
    buy(world.owner, buyer, dt.date(2026, 11, 1), "100.00")
    refresh.run(today=TODAY)
    assert selectors.customer_score(world.owner, buyer) is not None
    assert selectors.customer_score(world.other_team, buyer) is None
    Person.objects.filter(pk=buyer.pk).update(owner=world.other_team, team=world.team_b)
    assert selectors.customer_score(world.owner, buyer) is None
    assert selectors.customer_score(world.other_team, buyer) is not None


@pytest.mark.django_db(transaction=True)
def test_the_bulk_path_outside_a_transaction_writes_the_same_scores(world, buyer):
    """Outside a transaction, reads and writes go through ADBC (on a file or server database)."""
    buy(world.owner, buyer, dt.date(2026, 3, 1), "100.00")
    buy(world.owner, buyer, dt.date(2026, 6, 1), "80.00")
    org_order = buy(world.owner, world.organisation, dt.date(2026, 7, 1), "70.00")

    run = refresh.run(today=TODAY)

    assert run.status == RefreshRun.Status.DONE, run.error
    score = CustomerScore.objects.get(person=buyer)
    assert score.purchases == 2 and score.revenue == pytest.approx(180.0)
    assert score.first_purchase_on == dt.date(2026, 3, 1)
    assert score.computed_at is not None
    assert isinstance(score.churn_factors, list)
    assert CustomerScore.objects.get(organisation=org_order.organisation).revenue == pytest.approx(70.0)


def test_a_customer_whose_risk_rises_triggers_rules_once(world, buyer, django_capture_on_commit_callbacks):
    from kunde.activities.models import Activity
    from kunde.campaigns.models import RuleRun
    from kunde.campaigns.services import rule_create

    rule = rule_create(actor=world.owner, name="Win back", trigger="event", event_type="analytics.customer_at_risk",
                       action="create_task", params={"subject": "Call before they are gone", "due_days": 2})
    buy(world.owner, buyer, dt.date(2026, 10, 1), "100.00")
    with django_capture_on_commit_callbacks(execute=True):
        first = refresh.run(today=TODAY)
    assert first.diagnostics["became_at_risk"] == 0  # a first score is no change
    # A year on without a purchase, the inactivity risk crosses 50 %.
    with django_capture_on_commit_callbacks(execute=True):
        later = refresh.run(today=TODAY + dt.timedelta(days=300))
    assert later.diagnostics["became_at_risk"] == 1
    assert RuleRun.objects.filter(rule=rule, person=buyer).count() == 1
    assert Activity.objects.filter(person=buyer, subject="Call before they are gone").exists()
    with django_capture_on_commit_callbacks(execute=True):
        again = refresh.run(today=TODAY + dt.timedelta(days=301))
    assert again.diagnostics["became_at_risk"] == 0  # still at risk: no new announcement
