"""Benchmark of the knowledge base: article suggestions for ticket texts and help-centre search.

Generates published articles in bulk (German and English, bodies of ~150 words drawn from
a banking vocabulary, each with its search row), then times `article_suggestions` for
ticket-like texts and the help centre's search page.

    python -m kunde.bench.knowledge --articles 10000      # on the current database
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from typing import Any

_GERMAN_WORDS = (
    "Konto Depot Abbuchung Überweisung Lastschrift Zinsen Gebühren Kreditkarte Sparplan Fonds Aktie Anleihe "
    "Steuer Freistellungsauftrag Kündigung Adresse Vollmacht Erbschaft Online-Banking PIN TAN Sperre Zugang "
    "Auszug Dokumente Postfach Formular Antrag Bestätigung Frist Betrag Empfänger Auftrag Limit Ausland "
    "Währung Dividende Rendite Risiko Beratung Termin Filiale Karte Verlust Diebstahl Betrug Sicherheit"
)
_ENGLISH_WORDS = (
    "account custody debit transfer direct interest fees credit card savings plan fund share bond tax "
    "exemption cancellation address power attorney inheritance online banking PIN TAN block access "
    "statement documents mailbox form application confirmation deadline amount payee order limit abroad "
    "currency dividend yield risk advice appointment branch loss theft fraud security"
)
GERMAN, ENGLISH = _GERMAN_WORDS.split(), _ENGLISH_WORDS.split()
TICKETS = [
    ("de", "Ungewöhnliche Abbuchung auf meinem Konto, bitte prüfen Sie die Lastschrift"),
    ("de", "Ich brauche einen Depotauszug für die Steuer und eine Bestätigung der Dividende"),
    ("de", "Meine Karte wurde gestohlen, bitte sperren Sie den Zugang zum Online-Banking"),
    ("en", "There is a debit on my account I do not recognise, possibly fraud"),
    ("en", "Please send me a custody statement for my tax return"),
]


def generate_articles(count: int, seed: int = 1) -> dict[str, Any]:
    """Add published articles until there are `count`."""
    from django.db import transaction
    from django.utils import timezone

    from kunde.knowledge.fulltext import index_article
    from kunde.knowledge.models import Article, ArticleVersion

    existing = Article.all_objects.count()
    if existing >= count:
        return {"articles": existing, "made": 0, "seconds": 0.0}
    rnd = random.Random(seed)
    started = time.perf_counter()
    now = timezone.now()
    for start in range(existing, count, 1000):
        with transaction.atomic():
            for index in range(start, min(start + 1000, count)):
                language = "de" if index % 2 == 0 else "en"
                vocabulary = GERMAN if language == "de" else ENGLISH
                title = " ".join(rnd.sample(vocabulary, 4))
                body = " ".join(rnd.choice(vocabulary) for _ in range(150))
                article = Article.objects.create(slug=f"bench-{index}", language=language, title=title,
                                                 status=Article.Status.PUBLISHED, published_at=now)
                version = ArticleVersion.objects.create(article=article, number=1, title=title, body=body)
                Article.all_objects.filter(pk=article.pk).update(published_version=version, latest_version=version)
                article.published_version = version
                index_article(article)
    return {"articles": count, "made": count - existing, "seconds": round(time.perf_counter() - started, 1)}


def _timed(samples: int, call: Any) -> dict[str, float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(len(times) * 0.95) - 1], 2)}


def measure_knowledge(articles: int = 10000, samples: int = 40, seed: int = 1) -> dict[str, Any]:
    """Generate, then time suggestions and the help-centre search page."""
    from django.test import Client

    from kunde.knowledge.selectors import article_suggestions

    result: dict[str, Any] = {"generate": generate_articles(articles, seed)}
    rnd = random.Random(seed)
    result["article_suggestions"] = _timed(samples, lambda: article_suggestions(*reversed(rnd.choice(TICKETS))))
    client = Client()
    result["help_search_page"] = _timed(
        samples, lambda: client.get("/help/de/search/", {"q": rnd.choice(["Abbuchung Konto", "Depotauszug",
                                                                           "Karte gesperrt"])}))
    return result


def main(argv: list[str] | None = None) -> int:
    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    django.setup()
    print(measure_knowledge(args.articles, args.samples, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
