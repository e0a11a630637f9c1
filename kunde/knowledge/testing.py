"""Helpers for tests of the knowledge base (and of apps that suggest its articles)."""

from __future__ import annotations

from typing import Any

from kunde.knowledge.models import Article
from kunde.knowledge.services import article_create, article_publish


def make_article(actor: Any = None, *, title: str, body: str = "", language: str = "de", slug: str = "",
                 published: bool = True, **kwargs: Any) -> Article:
    """An article (published by the system unless `published=False`)."""
    from django.utils.text import slugify

    article = article_create(actor=actor, language=language, slug=slug or slugify(title)[:100], title=title,
                             body=body or title, **kwargs)
    if published:
        article = article_publish(actor=None, article=article)
    return article
