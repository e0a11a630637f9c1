"""Orders: Decimal totals with VAT per rate, numbering, bad input, history, purchase history, API and bulk import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from kunde.activities.models import Activity
from kunde.commerce.models import Order, OrderLine, Product, ProductCategory
from kunde.commerce.selectors import purchases
from kunde.commerce.services import order_create, product_create
from kunde.core.models import AuditEntry
from kunde.core.testing.api import client_for

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]


@pytest.fixture
def catalogue(world):
    desks = ProductCategory.objects.create(key="desks", name_en="Desks", name_de="Tische")
    chairs = ProductCategory.objects.create(key="chairs", name_en="Chairs", name_de="Stühle")
    desk = product_create(actor=world.admin, sku="TD-HV-160", name="Höhenverstellbarer Schreibtisch",
                          net_price="489.00", category=desks)
    chair = product_create(actor=world.admin, sku="TD-ST-01", name="Bürostuhl Ergo", net_price="219.90",
                           category=chairs)
    return desk, chair


def test_totals_are_decimal_with_vat_per_rate_and_half_up_rounding(world, catalogue):
    order = order_create(actor=world.owner, organisation=world.organisation, lines=[
        {"sku": "TD-HV-160", "quantity": 50, "discount_percent": "7.5"},   # 50 x 489.00 x 0.925 = 22616.25
        {"sku": "TD-ST-01", "quantity": 50},                                # 10995.00
        {"description": "Lieferbroschüre", "quantity": 3, "unit_price": "0.335", "vat_rate": 7},  # 1.005 → 1.01
    ])
    assert order.number == f"AU-{dt.date.today().year}-0001"
    assert [line.net_amount for line in order.lines.order_by("position")] == [
        Decimal("22616.25"), Decimal("10995.00"), Decimal("1.01")]
    assert order.net_total == Decimal("33612.26")
    assert order.vat_total == Decimal("6386.14") + Decimal("0.07")  # 19 % of 33611.25 (6386.1375), 7 % of 1.01
    assert order.gross_total == order.net_total + order.vat_total
    assert order.net_total_eur == order.net_total


@pytest.mark.parametrize(("line", "field"), [
    ({"description": "x", "quantity": -1, "unit_price": 10}, "lines.0"),
    ({"description": "x", "quantity": 1, "unit_price": 10, "vat_rate": 16}, "lines.0"),
    ({"description": "x", "quantity": "viel", "unit_price": 10}, "lines.0"),
    ({"sku": "GIBT-ES-NICHT"}, "lines.0.sku"),
])
def test_bad_lines_are_refused_and_nothing_is_saved(world, catalogue, line, field):
    before = (Order.objects.count(), OrderLine.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as caught:
        order_create(actor=world.owner, person=world.person, lines=[line])
    assert field in caught.value.message_dict
    assert (Order.objects.count(), OrderLine.objects.count(), AuditEntry.objects.count()) == before


def test_currency_without_a_rate_is_refused(world, catalogue):
    with pytest.raises(ValidationError) as caught:
        order_create(actor=world.owner, person=world.person, currency="CHF", lines=[{"sku": "TD-ST-01"}])
    assert "CHF" in caught.value.message_dict["currency"][0]


def test_order_lands_on_the_history_and_in_the_purchase_history(world, catalogue):
    order = order_create(actor=world.owner, person=world.person, ordered_on=dt.date(2026, 5, 12),
                         lines=[{"sku": "TD-ST-01", "quantity": 2}])
    entry = Activity.objects.get(kind="commerce.order_created")
    assert (entry.person, entry.organisation, entry.related_id) == (world.person, world.organisation, str(order.pk))
    bought = purchases(person=world.person, category="chairs", since=dt.date(2026, 1, 1))
    assert [(line.ordered_on, line.net_amount, line.organisation) for line in bought] == [
        (dt.date(2026, 5, 12), Decimal("439.80"), world.organisation)]
    assert not purchases(person=world.person, category="desks").exists()


def test_order_shows_on_the_customer_page(world, catalogue):
    order = order_create(actor=world.owner, person=world.person, lines=[{"sku": "TD-ST-01"}])
    client = Client()
    client.force_login(world.owner)
    html = client.get(world.person.get_absolute_url()).content.decode()
    assert order.number in html and 'id="customer-orders"' in html
    assert order.number in client.get(f"/orders/{order.pk}/").content.decode()


@pytest.mark.parametrize("who", WHO)
def test_order_api_matrix(world, catalogue, who):
    client = client_for(world, who)
    order = order_create(actor=world.owner, person=world.person, lines=[{"sku": "TD-ST-01"}])
    sees = who in {"read_only", "teammate", "owner", "manager", "admin"}
    listed = client.get("/orders")
    assert listed.status_code == (401 if who == "anonymous" else 200)
    if who != "anonymous":
        assert ([item["id"] for item in listed.json()["items"]] == [order.pk]) is sees
    assert client.get(f"/orders/{order.pk}").status_code == (401 if who == "anonymous" else 200 if sees else 404)
    created = client.post("/orders", {"person": world.person.pk, "lines": [{"sku": "TD-HV-160", "quantity": 2}]})
    writes = who in {"teammate", "owner", "manager", "admin"}
    expected = {"anonymous": 401, "read_only": 403, "other_team": 422}.get(who, 201 if writes else 403)
    assert created.status_code == expected
    if expected == 201:
        assert created.json()["net_total"] == "978.00" and created.json()["lines"][0]["category"] == "desks"


@pytest.mark.parametrize("who", WHO)
def test_product_api_matrix(world, catalogue, who):
    client = client_for(world, who)
    assert client.get("/products").status_code == (401 if who == "anonymous" else 200)
    response = client.post("/products", {"sku": f"NEU-{who}", "name": "Neu", "net_price": "10.00"})
    assert response.status_code == {"anonymous": 401, "admin": 201}.get(who, 403)
    bad = client_for(world, "admin").post("/products", {"sku": "X-1", "name": "X", "net_price": "1", "vat_rate": 16})
    assert bad.status_code == 422 and not Product.objects.filter(sku="X-1").exists()


def test_bulk_orders_are_idempotent_by_external_id(world, catalogue):
    client = client_for(world, "owner")
    orders = [
        {"external_id": "SHOP-1001", "person_email": "j.mueller@gunther-glas.de", "ordered_on": "2026-11-01",
         "lines": [{"sku": "TD-ST-01", "quantity": 1}]},
        {"external_id": "SHOP-1002", "person_email": "unbekannt@example.de", "lines": [{"sku": "TD-ST-01"}]},
        {"external_id": "SHOP-1004", "organisation": world.organisation.pk, "ordered_on": "01.11.2026",
         "lines": [{"description": "Montage", "unit_price": "150", "quantity": 1}]},
        {"external_id": "SHOP-1003", "organisation": world.organisation.pk,
         "lines": [{"description": "Montage", "unit_price": "150", "quantity": 1}]},
    ]
    first = client.post("/orders/bulk", {"system": "shop", "orders": orders}).json()
    assert [r["result"] for r in first] == ["created", "failed", "failed", "created"]
    assert "Unknown person" in first[1]["detail"] and "ordered_on" in first[2]["detail"]
    again = client.post("/orders/bulk", {"system": "shop", "orders": orders}).json()
    assert [r["result"] for r in again] == ["unchanged", "failed", "failed", "unchanged"]
    assert [r["id"] for r in again] == [first[0]["id"], None, None, first[3]["id"]]
    assert Order.objects.filter(external_system="shop").count() == 2
