"""Deal services: create, move, win, lose, reopen; money; history entries; events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kunde.activities.models import Activity
from kunde.core import events
from kunde.core.exceptions import PermissionDenied
from kunde.sales.models import Deal, DealStatus, ExchangeRate, StageVisit
from kunde.sales.money import to_eur
from kunde.sales.services import deal_create, deal_lose, deal_move, deal_reopen, deal_update, deal_win

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured():
    seen: list[tuple[str, dict]] = []

    def handler(event_type, payload):
        seen.append((event_type, payload))

    events.subscribe("*", handler)
    yield seen
    events.unsubscribe("*", handler)


def test_default_pipeline_has_german_and_english_stages(sales):
    names = [(s.name_en, s.name_de) for s in sales.stages]
    assert names[0] == ("Qualification", "Qualifizierung")
    assert sales.won.probability == 100 and sales.lost.probability == 0


def test_to_eur_uses_latest_rate_and_rounds_half_up(db):
    ExchangeRate.objects.create(currency="USD", rate=Decimal("0.9"), valid_from=dt.date(2026, 1, 1))
    ExchangeRate.objects.create(currency="USD", rate=Decimal("0.925"), valid_from=dt.date(2026, 6, 1))
    assert to_eur(Decimal("100"), "USD", dt.date(2026, 3, 1)) == Decimal("90.00")
    assert to_eur(Decimal("0.10"), "USD", dt.date(2026, 7, 1)) == Decimal("0.09")  # 0.0925 → 0.09
    assert to_eur(Decimal("0.30"), "usd", dt.date(2026, 7, 1)) == Decimal("0.28")  # 0.2775 → 0.28
    assert to_eur(Decimal("12.34"), "EUR", dt.date(2020, 1, 1)) == Decimal("12.34")
    with pytest.raises(ValidationError, match="No exchange rate for CHF"):
        to_eur(Decimal("1"), "CHF", dt.date(2026, 1, 1))
    with pytest.raises(ValidationError):
        to_eur(Decimal("1"), "USD", dt.date(2025, 12, 31))
    with pytest.raises(TypeError):
        to_eur(1.5, "EUR", dt.date(2026, 1, 1))  # type: ignore[arg-type]


def test_create_deal_defaults_and_history(world, sales, django_capture_on_commit_callbacks, captured):
    with django_capture_on_commit_callbacks(execute=True):
        deal = deal_create(
            actor=world.owner,
            title="50 Schreibtische",
            organisation=world.organisation,
            person=world.person,
            amount=Decimal("25000"),
        )
    assert deal.stage == sales.open[0] and deal.pipeline == sales.pipeline
    assert deal.probability == 10 and deal.amount_eur == Decimal("25000.00") and deal.currency == "EUR"
    assert deal.owner == world.owner and deal.team == world.team_a and deal.status == DealStatus.OPEN
    assert ("sales.deal_created", {"id": deal.pk, "request_id": ""}) in [
        (t, {**p, "request_id": ""}) for t, p in captured
    ]
    assert Activity.objects.filter(kind="sales.deal_created", organisation=world.organisation).exists()


def test_deal_needs_customer_and_known_currency(world, sales):
    with pytest.raises(ValidationError) as error:
        deal_create(actor=world.owner, title="Nobody")
    assert "organisation" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        deal_create(
            actor=world.owner, title="Swiss", organisation=world.organisation, amount=Decimal(5), currency="CHF"
        )
    assert "No exchange rate" in error.value.message_dict["currency"][0]
    assert not Deal.objects.exists()


def test_foreign_currency_is_converted(world, sales):
    ExchangeRate.objects.create(currency="USD", rate=Decimal("0.5"), valid_from=dt.date(2000, 1, 1))
    deal = deal_create(
        actor=world.owner, title="US", organisation=world.organisation, amount=Decimal("1000"), currency="usd"
    )
    assert deal.currency == "USD" and deal.amount_eur == Decimal("500.00")
    deal = deal_update(actor=world.owner, deal=deal, changes={"amount": Decimal("3000")}, expected_version=deal.version)
    assert deal.amount_eur == Decimal("1500.00")


def test_move_records_time_in_previous_stage(world, sales, captured, django_capture_on_commit_callbacks):
    deal = deal_create(actor=world.owner, title="D", organisation=world.organisation)
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=deal.stage_entered_at - dt.timedelta(days=3))
    deal.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        moved = deal_move(actor=world.owner, deal=deal, stage=sales.open[1])
    assert moved.stage == sales.open[1] and moved.probability == sales.open[1].probability
    entry = Activity.objects.get(kind="sales.deal_stage_changed")
    assert entry.data["from_stage_id"] == sales.open[0].pk and entry.data["to_stage_id"] == sales.open[1].pk
    assert 3 * 86400 <= entry.data["seconds_in_previous_stage"] < 3 * 86400 + 60
    assert StageVisit.objects.get(deal=deal).seconds == entry.data["seconds_in_previous_stage"]
    assert "sales.deal_stage_changed" in [t for t, _ in captured]


def test_move_orders_cards_within_stage(world, sales):
    a = deal_create(actor=world.owner, title="A", organisation=world.organisation)
    b = deal_create(actor=world.owner, title="B", organisation=world.organisation)
    c = deal_create(actor=world.owner, title="C", organisation=world.organisation)
    def column():
        return list(
            Deal.objects.filter(stage=sales.open[0]).order_by("position", "id").values_list("title", flat=True)
        )
    assert column() == ["C", "B", "A"]
    deal_move(actor=world.owner, deal=c, stage=sales.open[0], position=2)
    assert column() == ["B", "A", "C"]
    deal_move(actor=world.owner, deal=a, stage=sales.open[0], position=1)
    assert column() == ["B", "A", "C"]
    deal_move(actor=world.owner, deal=b, stage=sales.open[0], position=1)
    assert column() == ["A", "B", "C"]


def test_win_lose_reopen(world, sales, captured, django_capture_on_commit_callbacks):
    deal = deal_create(actor=world.owner, title="D", organisation=world.organisation, amount=Decimal(10))
    with django_capture_on_commit_callbacks(execute=True):
        won = deal_win(actor=world.owner, deal=deal)
    assert won.status == DealStatus.WON and won.stage == sales.won and won.won_at and won.probability == 100
    assert "sales.deal_won" in [t for t, _ in captured]
    again = deal_win(actor=world.owner, deal=won)
    assert again.version == won.version  # idempotent
    reopened = deal_reopen(actor=world.owner, deal=won)
    assert reopened.status == DealStatus.OPEN and reopened.won_at is None and reopened.stage.kind == "open"
    with pytest.raises(ValidationError):
        deal_move(actor=world.owner, deal=reopened, stage=sales.lost)
    lost = deal_move(actor=world.owner, deal=reopened, stage=sales.lost, lost_reason=sales.reason)
    assert lost.status == DealStatus.LOST and lost.lost_reason == sales.reason and lost.lost_at
    kinds = list(Activity.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["sales.deal_created", "sales.deal_won", "sales.deal_reopened", "sales.deal_lost"]
    back = deal_move(actor=world.owner, deal=lost, stage=sales.open[0])
    assert back.status == DealStatus.OPEN and back.stage == sales.open[0] and back.lost_reason is None


def test_lose_requires_reason(world, sales):
    deal = deal_create(actor=world.owner, title="D", organisation=world.organisation)
    with pytest.raises(ValidationError):
        deal_lose(actor=world.owner, deal=deal, reason=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("who", ["read_only", "other_team"])
def test_others_may_not_move(world, sales, who):
    deal = deal_create(actor=world.owner, title="D", organisation=world.organisation)
    with pytest.raises(PermissionDenied):
        deal_move(actor=getattr(world, who), deal=deal, stage=sales.open[1])
    with pytest.raises(PermissionDenied):
        deal_win(actor=getattr(world, who), deal=deal)


def test_history_written_when_rep_cannot_change_customer(world, sales):
    deal = deal_create(actor=world.owner, title="D", organisation=world.organisation)
    deal = deal_update(actor=world.owner, deal=deal, changes={"owner": world.owner}, expected_version=deal.version)
    # A manager hands the deal to a rep of the other team, who cannot change the organisation.
    from kunde.sales.models import Deal as DealModel

    DealModel.objects.filter(pk=deal.pk).update(owner=world.other_team, team=world.team_b)
    deal.refresh_from_db()
    moved = deal_move(actor=world.other_team, deal=deal, stage=sales.open[1])
    entry = Activity.objects.get(kind="sales.deal_stage_changed")
    assert entry.created_by == world.other_team and moved.stage == sales.open[1]
