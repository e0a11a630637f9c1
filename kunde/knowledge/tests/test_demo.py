"""Demo articles: created once, translations linked, the draft stays private."""

from __future__ import annotations

import pytest

from kunde.knowledge.demo import load_demo_articles
from kunde.knowledge.models import Article
from kunde.knowledge.selectors import article_suggestions

pytestmark = pytest.mark.django_db


def test_demo_articles_load_once_and_answer_the_fidelis_ticket(world):
    created = load_demo_articles(author=world.manager)
    assert created == Article.objects.count() == 14
    assert load_demo_articles(author=world.manager) == 0
    german = Article.objects.get(slug="ungewoehnliche-transaktion-melden")
    english = Article.objects.get(slug="report-unusual-transaction")
    assert german.translation_group == english.translation_group
    assert Article.objects.get(slug="kosten-und-gebuehren").status == Article.Status.DRAFT
    assert article_suggestions("Ungewöhnliche Abbuchung auf meinem Konto", "de")[0] == german
    assert article_suggestions("There is a debit on my account I don't recognise", "en")[0] == english
