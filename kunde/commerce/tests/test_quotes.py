"""Quotes: totals with a quote discount, revisions, the PDF's text, the e-mail, and the customer's answer by link."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from kunde.activities.models import Activity
from kunde.commerce.models import Order, Product, ProductCategory, Quote
from kunde.commerce.quotes import acceptance_url, quote_create, quote_revise, quote_send, quote_totals
from kunde.commerce.services import product_create
from kunde.mail.services import outbox_send_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def quote(world) -> Quote:
    desks = ProductCategory.objects.create(key="desks", name_en="Desks", name_de="Tische")
    product_create(actor=world.admin, sku="TD-HV-160", name="Höhenverstellbarer Schreibtisch", net_price="489.00",
                   category=desks)
    product_create(actor=world.admin, sku="TD-ST-01", name="Bürostuhl Ergo", net_price="219.90")
    return quote_create(actor=world.owner, organisation=world.organisation, person=world.person,
                        discount_percent="3", lines=[{"sku": "TD-HV-160", "quantity": 50},
                                                     {"sku": "TD-ST-01", "quantity": 50}])


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_totals_apply_the_quote_discount_before_vat(quote):
    totals = quote_totals(quote)
    assert totals.undiscounted == Decimal("35445.00")  # 24450.00 + 10995.00
    assert totals.net == Decimal("34381.65")  # 35445.00 x 0.97
    assert totals.vat_by_rate == {Decimal("19.00"): Decimal("6532.51")}  # 6532.5135
    assert (quote.net_total, quote.gross_total) == (totals.net, Decimal("40914.16"))
    assert str(quote) == f"AN-{dt.date.today().year}-0001"


def test_pdf_shows_the_lines_and_the_totals(quote, settings):
    from kunde.commerce.pdf import render_quote_pdf

    settings.KUNDE_COMPANY_NAME = "Topp Desk AG"
    settings.KUNDE_COMPANY_IBAN = "DE02120300000000202051"
    text = pdf_text(render_quote_pdf(quote))
    for expected in ("Topp Desk AG", "Angebot AN-", "Gunther Glas GmbH", "Jürgen Müller",
                     "Höhenverstellbarer Schreibtisch", "34.381,65 EUR", "USt. 19 %", "6.532,51 EUR",
                     "40.914,16 EUR", "DE02120300000000202051"):
        assert expected in text, expected


def test_revision_keeps_the_old_version(world, quote):
    revision = quote_revise(actor=world.owner, quote=quote, discount_percent="5")
    quote.refresh_from_db()
    assert (quote.status, revision.status, revision.revision, revision.number) == (
        "superseded", "draft", 2, quote.number)
    assert str(revision).endswith(" / 2") and revision.net_total == Decimal("33672.75")
    assert quote.lines.count() == revision.lines.count() == 2


def test_sending_mails_the_pdf_with_the_acceptance_link(world, quote, smtp_server):
    quote_send(actor=world.owner, quote=quote)
    assert outbox_send_due() == 1
    message = smtp_server.wait_for(1)[0]
    assert message["To"] == "j.mueller@gunther-glas.de" and quote.number in message["Subject"]
    link = re.search(r"http://localhost:8000(/q/\S+/)", message.get_body(("plain",)).get_content()).group(1)
    assert Client().get(link).status_code == 200
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == f"{quote.number}.pdf"
    assert "40.914,16 EUR" in pdf_text(attachment.get_content())
    assert Activity.objects.filter(kind="commerce.quote_sent", person=world.person).exists()


def answer_path(quote: Quote) -> str:
    return acceptance_url(quote).removeprefix("http://localhost:8000")


def test_customer_accepts_once_and_an_order_with_the_same_totals_follows(world, quote):
    quote_send(actor=world.owner, quote=quote)
    client = Client()
    page = client.get(answer_path(quote))
    assert page.status_code == 200 and "Angebot annehmen" in page.content.decode()
    done = client.post(answer_path(quote), {"answer": "accept", "comment": "Bitte bis Ende Januar liefern."})
    assert "Vielen Dank" in done.content.decode()
    quote.refresh_from_db()
    order = quote.order
    assert quote.status == "accepted" and order is not None
    assert (order.net_total, order.gross_total) == (quote.net_total, quote.gross_total)
    assert Activity.objects.filter(kind="commerce.quote_accepted", person=world.person,
                                   notes="Bitte bis Ende Januar liefern.").exists()
    again = client.post(answer_path(quote), {"answer": "decline"})
    assert again.status_code == 410 and "bereits beantwortet" in again.content.decode()
    quote.refresh_from_db()
    assert quote.status == "accepted" and Order.objects.count() == 1


def test_expired_forged_and_unsent_links_change_nothing(world, quote):
    client = Client()
    assert client.get(answer_path(quote)).status_code == 410  # a draft takes no answer
    quote_send(actor=world.owner, quote=quote)
    assert client.get(answer_path(quote).replace("/q/", "/q/x")).status_code == 404
    with time_machine.travel(dt.date.today() + dt.timedelta(days=31)):
        response = client.post(answer_path(quote), {"answer": "accept"})
    assert response.status_code == 410 and "abgelaufen" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == "sent" and not Order.objects.exists()


def test_staff_pages_follow_the_scope(world, quote):
    client = Client()
    client.force_login(world.other_team)
    assert client.get(f"/quotes/{quote.pk}/").status_code == 404
    assert client.get(f"/quotes/{quote.pk}/pdf/").status_code == 404
    client.force_login(world.owner)
    assert client.get(f"/quotes/{quote.pk}/pdf/")["Content-Type"] == "application/pdf"
    assert "40.914,16" in client.get(f"/quotes/{quote.pk}/").content.decode() or "40,914.16" in client.get(
        f"/quotes/{quote.pk}/").content.decode()
    assert Product.objects.count() == 2


WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]


@pytest.mark.parametrize("who", WHO)
def test_quote_api_matrix(world, quote, who, smtp_server):
    from kunde.core.testing.api import client_for

    client = client_for(world, who)
    sees = who in {"read_only", "teammate", "owner", "manager", "admin"}
    changes = who in {"owner", "manager", "admin"}
    assert client.get(f"/quotes/{quote.pk}").status_code == (401 if who == "anonymous" else 200 if sees else 404)
    created = client.post("/quotes", {"organisation": world.organisation.pk, "discount_percent": "2",
                                      "lines": [{"sku": "TD-ST-01", "quantity": 10}]})
    expected = {"anonymous": 401, "read_only": 403, "other_team": 422}.get(who, 201)
    assert created.status_code == expected
    if expected == 201:
        assert created.json()["net_total"] == "2155.02"  # 2199.00 x 0.98
    sent = client.post(f"/quotes/{quote.pk}/send", {})
    assert sent.status_code == ({"anonymous": 401}.get(who) or (200 if changes else 403 if sees else 404))
