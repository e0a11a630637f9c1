"""The public help centre at /help/: no login, published articles only, German or English.

The language is the first path segment (`/help/de/…`); `/help/` itself sends the visitor
to the language LocaleMiddleware chose (browser, language cookie) or to `?lang=`.
Everything here reads through the public selectors, which never return a draft or an
archived article.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET

from kunde.knowledge import selectors
from kunde.knowledge.text import excerpt, plain_text, render_body

LANGUAGES = ("de", "en")
MAX_QUERY_LENGTH = 200


def _language_or_404(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the page in the URL's language; any other language segment is a 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, language: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if language not in LANGUAGES:
            raise Http404("No such language.")
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, language, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
        response.headers.setdefault("Content-Language", language)
        return response

    return wrapper


def _context(language: str, **extra: Any) -> dict[str, Any]:
    other = "en" if language == "de" else "de"
    return {
        "help_language": language,
        "other_language": other,
        "other_language_url": reverse("knowledge:help_home", kwargs={"language": other}),
        "categories": [(c, c.name(language)) for c in selectors.category_list(language)],
        **extra,
    }


@require_GET
def help_root(request: HttpRequest) -> HttpResponse:
    """Send the visitor to the help centre in `?lang=` or their language."""
    language = request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", "") or "en"
    language = language[:2].lower()
    if language not in LANGUAGES:
        language = "en"
    return HttpResponseRedirect(reverse("knowledge:help_home", kwargs={"language": language}))


def _entries(articles: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "article": article,
            "url": selectors.article_public_url(article),
            "title": article.published_version.title,
            "excerpt": excerpt(plain_text(article.published_version.body, article.published_version.body_format)),
        }
        for article in articles
    ]


@require_GET
@_language_or_404
def help_home(request: HttpRequest, language: str) -> HttpResponse:
    """The categories and their articles."""
    articles = list(selectors.article_public_list(language).select_related("published_version"))
    sections = []
    for category, name in _context(language)["categories"]:
        listed = [a for a in articles if a.category_id == category.pk]
        if listed:
            sections.append({"category": category, "name": name, "entries": _entries(listed)})
    loose = [a for a in articles if a.category_id is None]
    if loose:
        sections.append({"category": None, "name": "", "entries": _entries(loose)})
    return render(request, "knowledge/help/home.html", _context(language, sections=sections))


@require_GET
@_language_or_404
def help_category(request: HttpRequest, language: str, key: str) -> HttpResponse:
    """The articles of one category."""
    category = selectors.category_get(key)
    articles = list(selectors.article_public_list(language, category).select_related("published_version"))
    return render(request, "knowledge/help/category.html", _context(
        language, category=category, category_name=category.name(language), entries=_entries(articles),
    ))


@require_GET
@_language_or_404
def help_search(request: HttpRequest, language: str) -> HttpResponse:
    """Published articles matching `?q=`, best first."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    articles = selectors.article_search_public(query, language) if query else []
    return render(request, "knowledge/help/search.html", _context(language, query=query, entries=_entries(articles)))


@require_GET
@_language_or_404
def help_article(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    """One published article; drafts and archived articles are 404."""
    article = selectors.article_public_get(language, slug)
    version = article.published_version
    translated = selectors.article_translation(article)
    context = _context(
        language, article=article, title=version.title, body=render_body(version.body, version.body_format),
        category_name=article.category.name(language) if article.category else "",
    )
    if translated is not None:
        context["other_language_url"] = selectors.article_public_url(translated)
    return render(request, "knowledge/help/article.html", context)
