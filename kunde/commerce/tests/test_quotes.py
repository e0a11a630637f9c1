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


# --- who works a quote, and what a send and a revision do ---------------------------------------


@pytest.fixture
def deal(world, quote):
    from kunde.sales.defaults import ensure_sales_defaults
    from kunde.sales.services import deal_create

    ensure_sales_defaults()
    return deal_create(actor=world.owner, title="50 Tische", organisation=world.organisation, person=world.person,
                       amount=Decimal("25000"))


def test_a_teammate_sends_and_revises_the_quote_they_made(world, quote, smtp_server):
    """The rep who makes a quote owns it and may send and revise it, whoever owns the customer."""
    from kunde.core.testing.api import client_for

    api = client_for(world, "teammate")
    created = api.post("/quotes", {"organisation": world.organisation.pk, "person": world.person.pk,
                                   "lines": [{"sku": "TD-ST-01", "quantity": 2}]})
    assert created.status_code == 201, created.content
    made = Quote.objects.get(pk=created.json()["id"])
    assert (made.owner, made.team) == (world.teammate, world.team_a)
    sent = api.post(f"/quotes/{made.pk}/send", {})
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    revised = api.post(f"/quotes/{made.pk}/revise", {"discount_percent": "10"})
    assert revised.status_code == 201 and revised.json()["revision"] == 2
    assert revised.json()["net_total"] == "395.82"  # 2 x 219.90 x 0.90
    page = Client()
    page.force_login(world.teammate)
    assert 'id="quote-send"' in page.get(f"/quotes/{revised.json()['id']}/").content.decode()
    page.force_login(world.read_only)
    assert 'id="quote-send"' not in page.get(f"/quotes/{revised.json()['id']}/").content.decode()
    # The customer's owner may work the teammate's quote too (a quote without a deal: by the customer).
    assert client_for(world, "owner").post(f"/quotes/{revised.json()['id']}/send", {}).status_code == 200


def test_whoever_may_change_the_deal_works_its_quotes(world, deal, smtp_server):
    """A manager's quote for a rep's deal is the rep's to send; the quote's team is the deal's."""
    from kunde.core.testing.api import client_for

    created = client_for(world, "manager").post("/quotes", {"deal": deal.pk, "lines": [{"sku": "TD-ST-01"}]})
    assert created.status_code == 201, created.content
    made = Quote.objects.get(pk=created.json()["id"])
    assert (made.owner, made.team, made.organisation) == (world.manager, world.team_a, world.organisation)
    assert client_for(world, "owner").post(f"/quotes/{made.pk}/send", {}).status_code == 200
    assert client_for(world, "teammate").post(f"/quotes/{made.pk}/send", {}).status_code == 403
    page = Client()
    page.force_login(world.owner)
    assert 'id="quote-revise"' in page.get(f"/quotes/{made.pk}/").content.decode()
    page.force_login(world.teammate)
    assert 'id="quote-revise"' not in page.get(f"/quotes/{made.pk}/").content.decode()


@pytest.mark.parametrize(("who", "status"), [("read_only", 403), ("teammate", 422), ("other_team", 422),
                                             ("owner", 201), ("manager", 201), ("admin", 201)])
def test_a_quote_for_a_deal_needs_leave_to_change_the_deal(world, deal, who, status):
    """Acceptance wins the deal, so only who may change the deal may quote for it; nothing is saved otherwise."""
    from kunde.core.testing.api import client_for

    before = Quote.objects.count()
    response = client_for(world, who).post("/quotes", {"deal": deal.pk, "lines": [{"sku": "TD-ST-01"}]})
    assert response.status_code == status, response.content
    if who == "teammate":
        assert "deal" in response.content.decode() and "You may not change this deal" in response.content.decode()
    assert Quote.objects.count() == before + (1 if status == 201 else 0)


def test_a_quote_for_a_deal_of_another_customer_is_refused(world, deal):
    from django.core.exceptions import ValidationError

    from kunde.core.testing.factories import make_organisation, make_person

    other = make_organisation(world.owner, name="Fremd")
    with pytest.raises(ValidationError) as error:
        quote_create(actor=world.owner, deal=deal, organisation=other, lines=[{"sku": "TD-ST-01"}])
    assert "deal" in error.value.message_dict and not Quote.objects.filter(organisation=other).exists()
    # Another contact person of the deal's company may get the quote.
    colleague = make_person(world.owner, first_name="Gerda", last_name="Glas", organisation=world.organisation)
    made = quote_create(actor=world.owner, deal=deal, organisation=world.organisation, person=colleague,
                        lines=[{"sku": "TD-ST-01"}])
    assert (made.deal, made.person) == (deal, colleague)


def test_sending_again_really_sends_again(world, quote, smtp_server):
    """"Send again" mails a new copy (here to another address); each e-mail is one true history entry."""
    quote_send(actor=world.owner, quote=quote)
    quote_send(actor=world.owner, quote=quote, to="einkauf@gunther-glas.de")
    assert outbox_send_due() == 2
    messages = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["einkauf@gunther-glas.de", "j.mueller@gunther-glas.de"]
    quote.refresh_from_db()
    assert (quote.status, quote.recipient_email) == ("sent", "einkauf@gunther-glas.de")
    history = list(Activity.objects.filter(kind="commerce.quote_sent", person=world.person).order_by("id"))
    assert len(history) == 2
    assert "j.mueller@gunther-glas.de" in history[0].subject and "again" not in history[0].subject
    assert "sent again to einkauf@gunther-glas.de" in history[1].subject
    assert history[0].data["message_id"] != history[1].data["message_id"]


def test_sending_to_a_malformed_address_is_refused(world, quote):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        quote_send(actor=world.owner, quote=quote, to="kein-name")
    assert "to" in error.value.message_dict
    quote.refresh_from_db()
    assert quote.status == "draft" and not Activity.objects.filter(kind="commerce.quote_sent").exists()


@pytest.mark.parametrize(("discount", "message"), [("150", "between 0 and 100"), ("-1", "between 0 and 100"),
                                                   ("viel", "must be a number"), ("2.555", "two decimals")])
def test_a_revision_with_a_wrong_discount_is_refused_and_nothing_changes(world, quote, discount, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        quote_revise(actor=world.owner, quote=quote, discount_percent=discount)
    assert message in " ".join(error.value.message_dict["discount_percent"])
    quote.refresh_from_db()
    assert quote.status == "draft" and Quote.objects.count() == 1


def test_the_revise_form_and_the_api_answer_a_wrong_discount_clearly(world, quote):
    from kunde.core.testing.api import client_for

    page = Client()
    page.force_login(world.owner)
    response = page.post(f"/quotes/{quote.pk}/revise/", {"discount_percent": "150"}, follow=True)
    assert response.status_code == 200 and "100" in response.content.decode()
    assert Quote.objects.count() == 1
    response = page.post(f"/quotes/{quote.pk}/revise/", {"discount_percent": "4,5"})
    revision = Quote.objects.get(revision=2)
    assert response.status_code == 302 and response["Location"] == revision.get_absolute_url()
    assert revision.discount_percent == Decimal("4.50")
    api = client_for(world, "owner")
    assert api.post(f"/quotes/{revision.pk}/revise", {"discount_percent": "101"}).status_code == 422
    assert Quote.objects.count() == 2
    again = api.post(f"/quotes/{revision.pk}/revise", "")  # no body: same discount and lines
    assert again.status_code == 201 and again.json()["discount_percent"] == "4.50"


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("read_only", 403), ("teammate", 403),
                                             ("other_team", 404), ("owner", 201), ("manager", 201), ("admin", 201)])
def test_revise_quote_matrix(world, quote, who, status):
    from kunde.core.testing.api import client_for

    response = client_for(world, who).post(f"/quotes/{quote.pk}/revise", {})
    assert response.status_code == status, response.content
    quote.refresh_from_db()
    assert quote.status == ("superseded" if status == 201 else "draft")
    assert Quote.objects.count() == (2 if status == 201 else 1)


def test_an_expired_quote_is_not_sent_again(world, quote, smtp_server):
    """Its link would only say "expired": sending it is refused, and no e-mail or history entry follows."""
    from django.core.exceptions import ValidationError

    quote_send(actor=world.owner, quote=quote)
    with time_machine.travel(dt.date.today() + dt.timedelta(days=31)), pytest.raises(ValidationError) as error:
        quote_send(actor=world.owner, quote=quote)
    assert "valid_until" in error.value.message_dict
    assert outbox_send_due() == 1 and Activity.objects.filter(kind="commerce.quote_sent").count() == 1
