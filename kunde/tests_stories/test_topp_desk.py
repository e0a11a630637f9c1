"""The Topp Desk story from the design brief, end to end through the real pieces.

Gunther Glas GmbH asks Topp Desk AG for 50 height-adjustable desks and 50 chairs through the
web form; the inquiry becomes a lead; a sales rep qualifies and converts it into an
organisation, a contact person and a deal; the deal moves through the pipeline; a quote with
line items, a discount and 19 % VAT goes out as a PDF by e-mail; the customer accepts by the
link; the deal is won and an order recorded; everything is on the customer's 360° page.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from pypdf import PdfReader

from kunde.commerce.models import Order, ProductCategory
from kunde.commerce.quotes import quote_create, quote_send
from kunde.commerce.services import product_create
from kunde.mail.services import outbox_send_due
from kunde.sales import webform
from kunde.sales.models import Deal, Lead, LeadForm, Stage
from kunde.sales.services import deal_move, lead_convert, lead_qualify

pytestmark = pytest.mark.django_db


def test_topp_desk_from_web_form_to_order(world, smtp_server, monkeypatch, settings):
    settings.KUNDE_COMPANY_NAME = "Topp Desk AG"
    desks = ProductCategory.objects.create(key="desks", name_en="Desks", name_de="Tische")
    chairs = ProductCategory.objects.create(key="chairs", name_en="Chairs", name_de="Stühle")
    product_create(actor=world.admin, sku="TD-HV-160", name="Höhenverstellbarer Schreibtisch 160 cm",
                   net_price="489.00", category=desks)
    product_create(actor=world.admin, sku="TD-ST-01", name="Bürostuhl Ergo", net_price="219.90", category=chairs)

    # 1. The inquiry arrives through the embedded web form and becomes a lead.
    LeadForm.objects.create(key="anfrage", name="Anfrage", owner=world.owner, allowed_origins="https://topp-desk.de")
    visitor = Client()
    page = visitor.get("/forms/lead/anfrage/")
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    monkeypatch.setattr(webform, "MIN_FILL_SECONDS", 0)
    visitor.post("/forms/lead/anfrage/", {
        "token": token, "name": "Gunther Glas", "company": "Gunther Glas GmbH", "email": "einkauf@gunther-glas.de",
        "message": "Wir benötigen 50 höhenverstellbare Tische und 50 Stühle.", "website": "",
    }, HTTP_ORIGIN="https://topp-desk.de")
    lead = Lead.objects.get()
    assert (lead.company, lead.email) == ("Gunther Glas GmbH", "einkauf@gunther-glas.de")

    # 2. The rep qualifies and converts it; the existing organisation is reused.
    lead_qualify(actor=world.owner, lead=lead)
    person, organisation, deal = lead_convert(actor=world.owner, lead=lead, organisation=world.organisation,
                                              deal_title="50 Tische + 50 Stühle", amount=Decimal("35000"))
    assert organisation == world.organisation and person is not None and deal is not None
    assert person.emails.get().email == "einkauf@gunther-glas.de"

    # 3. The deal moves through the pipeline.
    stages = list(Stage.objects.filter(pipeline=deal.pipeline, kind="open").order_by("position"))
    deal = deal_move(actor=world.owner, deal=deal, stage=stages[1])

    # 4. A quote with two lines, 5 % discount and 19 % VAT goes out as a PDF.
    quote = quote_create(actor=world.owner, deal=deal, discount_percent="5", lines=[
        {"sku": "TD-HV-160", "quantity": 50}, {"sku": "TD-ST-01", "quantity": 50}])
    assert (quote.net_total, quote.vat_total, quote.gross_total) == (
        Decimal("33672.75"), Decimal("6397.82"), Decimal("40070.57"))  # 35445.00 x 0.95; 19 % VAT
    quote_send(actor=world.owner, quote=quote)
    assert outbox_send_due() == 1
    mail = smtp_server.wait_for(1)[0]
    assert mail["To"] == "einkauf@gunther-glas.de"
    pdf = PdfReader(io.BytesIO(next(mail.iter_attachments()).get_content()))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Topp Desk AG" in text and "40.070,57 EUR" in text and "USt. 19 %" in text

    # 5. The customer accepts by the link in the e-mail.
    link = re.search(r"http://localhost:8000(/q/\S+/)", mail.get_body(("plain",)).get_content()).group(1)
    customer = Client()
    assert "Angebot annehmen" in customer.get(link).content.decode()
    customer.post(link, {"answer": "accept", "comment": "Lieferung bitte nach Berlin."})

    # 6. The deal is won and an order recorded with the quote's totals.
    deal = Deal.objects.get(pk=deal.pk)
    order = Order.objects.get()
    assert deal.status == "won" and deal.won_at is not None
    assert (order.gross_total, order.organisation, order.person) == (quote.gross_total, organisation, person)
    assert order.lines.filter(category=desks).get().quantity == 50

    # 7. Everything is on the organisation's 360° page.
    rep = Client()
    rep.force_login(world.owner)
    html = rep.get(organisation.get_absolute_url()).content.decode()
    for expected in (order.number, quote.number, "50 Tische + 50 Stühle"):
        assert expected in html, expected
