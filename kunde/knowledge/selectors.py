"""Every read of knowledge-base articles: staff (scoped) and public (published only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse

from kunde.core.pagination import Page, keyset_page, page_size
from kunde.core.permissions import Action
from kunde.knowledge.filters import ArticleFilter
from kunde.knowledge.fulltext import ranked_article_ids
from kunde.knowledge.models import Article, ArticleCategory, ArticleVersion, Language
from kunde.knowledge.text import query_terms

LANGUAGES = tuple(Language.values)


# --- for the service desk ----------------------------------------------------------------


def article_suggestions(text: str, language: str, limit: int = 5) -> list[Article]:
    """Published articles most relevant to a ticket's `text`, in `language` first.

    Articles in the other language fill the list only when none in `language` match.
    """
    language = language[:2].lower() if language else ""
    limit = max(0, min(limit, 50))
    if language not in LANGUAGES:
        return _search(query_terms(text, "de") + query_terms(text, "en"), language=None, limit=limit)
    found = _search(query_terms(text, language), language=language, limit=limit)
    if not found:
        other = "en" if language == "de" else "de"
        found = _search(query_terms(text, other), language=other, limit=limit)
    return found


def article_public_url(article: Article) -> str:
    """The article's absolute path in the public help centre ("/help/de/<slug>/")."""
    return reverse("knowledge:help_article", kwargs={"language": article.language, "slug": article.slug})


def _search(terms: list[str], *, language: str | None, limit: int) -> list[Article]:
    ids = ranked_article_ids(list(dict.fromkeys(terms)), language=language, limit=limit)
    articles = Article.objects.published().select_related("published_version", "category").in_bulk(ids)
    return [articles[pk] for pk in ids if pk in articles]


# --- public help centre ------------------------------------------------------------------


def article_search_public(query: str, language: str, limit: int = 20) -> list[Article]:
    """Published articles in `language` matching `query`, best first."""
    return _search(query_terms(query, language), language=language, limit=limit)


def article_public_get(language: str, slug: str) -> Article:
    """The published article at `slug` in `language`; drafts and archived ones are 404."""
    try:
        return (
            Article.objects.published()
            .select_related("published_version", "category")
            .get(language=language, slug=slug)
        )
    except Article.DoesNotExist:
        raise Http404("No such article.") from None


def article_public_list(language: str, category: ArticleCategory | None = None) -> QuerySet[Article]:
    """Published articles in `language` (of `category`), by title."""
    queryset = Article.objects.published().filter(language=language).select_related("category")
    if category is not None:
        queryset = queryset.filter(category=category)
    return queryset.order_by("title", "id")


def article_translation(article: Article) -> Article | None:
    """The published article in the other language of the same translation group, if any."""
    return (
        Article.objects.published()
        .filter(translation_group=article.translation_group)
        .exclude(pk=article.pk)
        .first()
    )


def category_list(language: str | None = None) -> list[ArticleCategory]:
    """Categories in their order; with `language`, only those holding a published article in it."""
    queryset = ArticleCategory.objects.all()
    if language is not None:
        published = Article.objects.published().filter(language=language, category_id__isnull=False)
        queryset = queryset.filter(pk__in=published.values("category_id"))
    return list(queryset)


def category_get(key: str) -> ArticleCategory:
    try:
        return ArticleCategory.objects.get(key=key)
    except ArticleCategory.DoesNotExist:
        raise Http404("No such category.") from None


# --- staff -------------------------------------------------------------------------------


def article_queryset(user: Any, action: Action | str = Action.VIEW) -> QuerySet[Article]:
    return Article.objects.for_user(user, action)


def article_list(user: Any, params: Mapping[str, Any]) -> QuerySet[Article]:
    """The articles `user` may see, filtered and sorted by `params` (raises FilterError)."""
    return ArticleFilter(params, queryset=article_queryset(user)).filtered()


def article_page(user: Any, params: Mapping[str, Any]) -> tuple[Page, ArticleFilter]:
    """One keyset page of the article list."""
    filterset = ArticleFilter(params, queryset=article_queryset(user))
    queryset = filterset.filtered().select_related("owner", "category")
    page = keyset_page(queryset, ordering=filterset.ordering, cursor=params.get("cursor"),
                       size=page_size(params.get("page_size")))
    return page, filterset


def article_get(user: Any, pk: Any, action: Action | str = Action.VIEW) -> Article:
    """The article `pk` if `user` may act on it; otherwise 404."""
    try:
        return (
            article_queryset(user, action)
            .select_related("owner", "category", "published_version", "latest_version")
            .get(pk=pk)
        )
    except (Article.DoesNotExist, ValueError, TypeError):
        raise Http404("No such article.") from None


def article_versions(article: Article) -> list[ArticleVersion]:
    """The article's versions, newest first."""
    return list(article.versions.select_related("author").order_by("-number"))
