"""Search ranking and the selectors the service desk calls."""

from __future__ import annotations

import pytest

from kunde.knowledge.selectors import article_public_url, article_search_public, article_suggestions
from kunde.knowledge.testing import make_article
from kunde.knowledge.text import render_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(world):
    return {
        "transaction": make_article(
            world.owner, title="Ungewöhnliche Transaktion melden", slug="transaktion-melden",
            body="Sie sehen eine **Abbuchung**, die Sie nicht kennen? Sperren Sie Ihr Konto und melden Sie "
                 "die ungewöhnliche Buchung unserem Service.",
        ),
        "statement": make_article(
            world.owner, title="Depotauszug anfordern", slug="depotauszug",
            body="Einen Depotauszug für Ihr Depot fordern Sie im Kundenportal an.",
        ),
        "address": make_article(
            world.owner, title="Adresse ändern", slug="adresse-aendern",
            body="Ihre neue Anschrift teilen Sie uns mit dem Formular mit.",
        ),
        "draft": make_article(
            world.owner, title="Abbuchung zurückholen (Entwurf)", slug="entwurf",
            body="Ungewöhnliche Abbuchung auf dem Konto", published=False,
        ),
        "en_transaction": make_article(
            world.owner, title="Report an unusual transaction", slug="report-unusual-transaction", language="en",
            body="If you see a debit on your account that you do not recognise, report the transactions to us.",
        ),
        "en_statement": make_article(
            world.owner, title="Request a custody account statement", slug="request-statement", language="en",
            body="Statements are requested in the customer portal.",
        ),
    }


def test_suggestion_for_an_unusual_debit_ticket(library):
    found = article_suggestions("Ungewöhnliche Abbuchung auf meinem Konto", "de")
    assert found[0] == library["transaction"]
    assert library["draft"] not in found
    assert all(a.language == "de" for a in found)


def test_suggestions_rank_by_relevance_in_english(library):
    found = article_suggestions("Unusual transactions on my account - what should I do?", "en")
    assert found[0] == library["en_transaction"]
    assert article_suggestions("I need a statement of my custody account", "en")[0] == library["en_statement"]


def test_umlauts_and_their_spellings_find_the_same_article(library):
    for query in ("ändern", "aendern", "Adresse ÄNDERN"):
        assert article_search_public(query, "de")[:1] == [library["address"]], query


def test_stemming_matches_inflected_forms(library):
    assert article_search_public("Depotauszüge", "de")[0] == library["statement"]
    assert article_search_public("Transaktionen", "de")[0] == library["transaction"]
    assert article_search_public("requesting statements", "en")[0] == library["en_statement"]


def test_suggestions_fall_back_to_the_other_language(library):
    assert article_suggestions("custody statement", "de")[0] == library["en_statement"]


def test_nothing_matching_and_empty_text_suggest_nothing(library):
    assert article_suggestions("", "de") == []
    assert article_suggestions("Wetter", "de") == []
    assert article_suggestions("Konto", "de", limit=0) == []


def test_drafts_are_never_suggested(library):
    assert library["draft"] not in article_suggestions("Abbuchung zurückholen Entwurf", "de", limit=50)


def test_public_url(library):
    assert article_public_url(library["statement"]) == "/help/de/depotauszug/"


def test_rendering_is_sanitised():
    html = render_body('# T\n\n<script>alert(1)</script>[x](javascript:alert(1)) <b onclick="x">b</b>', "markdown")
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html
    assert "<b>b</b>" in html
    assert render_body('<p style="color:red">a</p><iframe src="x"></iframe>', "html") == "<p>a</p>"
