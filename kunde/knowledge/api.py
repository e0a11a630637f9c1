"""REST API of the knowledge base: the routers kunde/api.py mounts, as (prefix, router).

Staff only (the API's token or session authentication): every role with a view scope
reads all articles; writing follows `knowledge.services` (members draft their own,
managers and administrators publish).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kunde.core.api.auth import actor
from kunde.core.api.errors import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from kunde.core.api.etag import etag_docs, expected_version, with_etag
from kunde.core.api.idempotency import idempotent
from kunde.core.api.pagination import filter_parameters, list_params, page_out, page_schema
from kunde.core.api.schemas import InputSchema, choice_type
from kunde.knowledge import selectors, services
from kunde.knowledge.filters import ArticleFilter
from kunde.knowledge.models import Article, ArticleCategory, ArticleVersion, Language
from kunde.knowledge.text import render_body

if TYPE_CHECKING:
    LanguageValue = str
    FormatValue = str
else:
    LanguageValue = choice_type(Language)
    FormatValue = choice_type(ArticleVersion.Format)


class ArticleIn(InputSchema):
    """A new article (a draft); `translation_of` links it to the same article in the other language."""

    language: LanguageValue
    slug: str = Field(max_length=120, pattern=r"^[-a-zA-Z0-9_]+$")
    title: str = Field(max_length=200)
    body: str = Field(max_length=100_000)
    body_format: FormatValue = "markdown"
    category: str | None = Field(None, description="Key of an article category.")
    translation_of: int | None = Field(None, description="Id of the article this one translates.")


class ArticlePatch(InputSchema):
    """A new draft version (title, body, format) and/or changed address and category."""

    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=100_000)
    body_format: FormatValue | None = None
    slug: str | None = Field(None, max_length=120, pattern=r"^[-a-zA-Z0-9_]+$")
    category: str | None = Field(None, description="Key of an article category; null removes it.")
    version: int | None = Field(None, description="The version the change is based on (or If-Match).")


class VersionOut(Schema):
    number: int
    title: str
    body: str
    body_format: str
    author: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_author(obj: ArticleVersion) -> int | None:
        return obj.author_id


class ArticleOut(Schema):
    id: int
    slug: str
    language: str
    category: str | None
    translation_group: str
    status: str
    title: str = Field(description="Title of the latest version (the draft, if there is one).")
    has_draft: bool
    published_version: int | None = Field(description="Number of the public version.")
    latest_version: int | None
    published_at: dt.datetime | None
    public_url: str | None
    owner: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_category(obj: Article) -> str | None:
        return obj.category.key if obj.category is not None else None

    @staticmethod
    def resolve_translation_group(obj: Article) -> str:
        return str(obj.translation_group)

    @staticmethod
    def resolve_published_version(obj: Article) -> int | None:
        return obj.published_version.number if obj.published_version is not None else None

    @staticmethod
    def resolve_latest_version(obj: Article) -> int | None:
        return obj.latest_version.number if obj.latest_version is not None else None

    @staticmethod
    def resolve_public_url(obj: Article) -> str | None:
        return selectors.article_public_url(obj) if obj.status == Article.Status.PUBLISHED else None

    @staticmethod
    def resolve_owner(obj: Article) -> int | None:
        return obj.owner_id


class ArticleDetailOut(ArticleOut):
    body: str = Field(description="Body of the latest version as written.")
    body_format: str
    html: str = Field(description="The latest version's body as sanitised HTML.")

    @staticmethod
    def resolve_body(obj: Article) -> str:
        return obj.latest_version.body if obj.latest_version is not None else ""

    @staticmethod
    def resolve_body_format(obj: Article) -> str:
        return obj.latest_version.body_format if obj.latest_version is not None else "markdown"

    @staticmethod
    def resolve_html(obj: Article) -> str:
        latest = obj.latest_version
        return render_body(latest.body, latest.body_format) if latest else ""


ArticlePageOut = page_schema(ArticleOut, "ArticlePage")

articles = Router(tags=["knowledge"])


def _category(key: str | None) -> ArticleCategory | None:
    if key is None:
        return None
    category = ArticleCategory.objects.filter(key=key).first()
    if category is None:
        raise ValidationError({"category": [_("Unknown category.")]})
    return category


def _detail(user: Any, article_id: int, response: HttpResponse) -> Article:
    article = selectors.article_get(user, article_id)
    with_etag(response, article)
    return article


@articles.get("", response={200: ArticlePageOut, **LIST_ERRORS},
              openapi_extra={"parameters": filter_parameters(ArticleFilter)},
              description="Knowledge-base articles, filtered and sorted like the article list.")
def list_articles(request: HttpRequest) -> dict[str, Any]:
    """List articles."""
    page, _filters = selectors.article_page(actor(request), list_params(request))
    return page_out(page, lambda article: article)


@articles.post("", response={201: ArticleDetailOut, **CREATE_ERRORS}, openapi_extra=etag_docs(status=201))
@idempotent
def create_article(request: HttpRequest, payload: ArticleIn, response: HttpResponse) -> Status:
    """Create a draft article with its first version."""
    user = actor(request)
    data = payload.model_dump()
    translation_of = None
    if data["translation_of"] is not None:
        try:
            translation_of = selectors.article_get(user, data["translation_of"])
        except Http404:
            raise ValidationError({"translation_of": [_("Unknown article.")]}) from None
    article = services.article_create(
        actor=user, language=data["language"], slug=data["slug"], title=data["title"], body=data["body"],
        body_format=data["body_format"], category=_category(data["category"]), translation_of=translation_of,
    )
    return Status(201, _detail(user, article.pk, response))


@articles.get("/{int:article_id}", response={200: ArticleDetailOut, **READ_ERRORS}, openapi_extra=etag_docs())
def get_article(request: HttpRequest, article_id: int, response: HttpResponse) -> Article:
    """Get an article with its latest text; the ETag carries the version for If-Match."""
    return _detail(actor(request), article_id, response)


@articles.patch("/{int:article_id}", response={200: ArticleDetailOut, **WRITE_ERRORS},
                openapi_extra=etag_docs(if_match="optional"))
def update_article(request: HttpRequest, article_id: int, payload: ArticlePatch, response: HttpResponse) -> Article:
    """Save a new draft version; the published text stays public until POST …/publish."""
    user = actor(request)
    article = selectors.article_get(user, article_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    latest = article.latest_version
    metadata: dict[str, Any] = {}
    if data.get("slug") is not None:
        metadata["slug"] = data["slug"]
    if "category" in data:
        metadata["category"] = _category(data["category"])
    services.article_edit(
        actor=user, article=article, expected_version=version,
        title=data.get("title") or (latest.title if latest else article.title),
        body=data["body"] if data.get("body") is not None else (latest.body if latest else ""),
        body_format=data.get("body_format") or (latest.body_format if latest else "markdown"),
        **metadata,
    )
    return _detail(user, article_id, response)


def _transition(request: HttpRequest, article_id: int, response: HttpResponse, service: Any) -> Article:
    user = actor(request)
    article = selectors.article_get(user, article_id)
    service(actor=user, article=article, expected_version=expected_version(request))
    return _detail(user, article_id, response)


@articles.post("/{int:article_id}/publish", response={200: ArticleDetailOut, **WRITE_ERRORS},
               openapi_extra=etag_docs(if_match="optional"))
@idempotent
def publish_article(request: HttpRequest, article_id: int, response: HttpResponse) -> Article:
    """Make the latest version public (managers and administrators)."""
    return _transition(request, article_id, response, services.article_publish)


@articles.post("/{int:article_id}/unpublish", response={200: ArticleDetailOut, **WRITE_ERRORS},
               openapi_extra=etag_docs(if_match="optional"))
@idempotent
def unpublish_article(request: HttpRequest, article_id: int, response: HttpResponse) -> Article:
    """Take the article off the help centre (managers and administrators)."""
    return _transition(request, article_id, response, services.article_unpublish)


@articles.post("/{int:article_id}/archive", response={200: ArticleDetailOut, **WRITE_ERRORS},
               openapi_extra=etag_docs(if_match="optional"))
@idempotent
def archive_article(request: HttpRequest, article_id: int, response: HttpResponse) -> Article:
    """Retire the article (managers and administrators)."""
    return _transition(request, article_id, response, services.article_archive)


@articles.get("/{int:article_id}/versions", response={200: list[VersionOut], **READ_ERRORS})
def list_versions(request: HttpRequest, article_id: int) -> list[ArticleVersion]:
    """Every version of the article, newest first."""
    return selectors.article_versions(selectors.article_get(actor(request), article_id))


routers: list[tuple[str, Router]] = [("/articles", articles)]
