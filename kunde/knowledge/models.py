"""Models of the knowledge base: categories, articles and their append-only versions.

An article is one text in one language; its German and English versions share a
`translation_group`. Every edit appends an `ArticleVersion`; `published_version` is what
the public help centre shows, `latest_version` what the editor works on. When the two
differ, the article has an unpublished draft.
"""

from __future__ import annotations

import uuid
from typing import Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kunde.core.models import OwnedRecord, SoftDeleteQuerySet
from kunde.core.permissions import Action, Scope, scope_for
from kunde.core.personal_data import Category

# Path segments of the help centre that an article slug may not take.
RESERVED_SLUGS = frozenset({"search", "category", "static", "de", "en"})


class Language(models.TextChoices):
    GERMAN = "de", _("German")
    ENGLISH = "en", _("English")


class ArticleCategory(models.Model):
    """A section of the help centre, named in both languages."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    name_de = models.CharField(_("German name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.name(get_language() or "en")

    def name(self, language: str) -> str:
        """The category's name in `language` (German or English)."""
        return self.name_de if language.startswith("de") else self.name_en


class ArticleQuerySet(SoftDeleteQuerySet):
    def for_user(self, user: Any, action: Action | str = Action.VIEW) -> Self:
        """Every staff member reads the whole knowledge base; changing follows the role's scope."""
        if Action(action) is Action.VIEW:
            return self if scope_for(user, Action.VIEW) is not Scope.NONE else self.none()
        return super().for_user(user, action)

    def published(self) -> Self:
        """Articles the public may read."""
        return self.filter(status=Article.Status.PUBLISHED, published_version__isnull=False)


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> ArticleQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


AllArticlesManager = models.Manager.from_queryset(ArticleQuerySet)


class Article(OwnedRecord):
    """A help text in one language; its content lives in its versions."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        ARCHIVED = "archived", _("archived")

    slug = models.SlugField(_("slug"), max_length=120)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    category = models.ForeignKey(
        ArticleCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles",
        null=True, blank=True,
    )
    translation_group = models.UUIDField(_("translation group"), default=uuid.uuid4, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The latest version's title, for lists and sorting.
    title = models.CharField(_("title"), max_length=200)
    published_version = models.ForeignKey(
        "ArticleVersion", verbose_name=_("published version"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    latest_version = models.ForeignKey(
        "ArticleVersion", verbose_name=_("latest version"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    objects = ArticleManager()  # type: ignore[misc]
    all_objects = AllArticlesManager()  # type: ignore[misc]

    personal_data: dict[str, Category] = {"custom_fields": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        base_manager_name = "all_objects"
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="knowledge_uniq_article_slug"),
            models.UniqueConstraint(
                fields=["translation_group", "language"], name="knowledge_uniq_article_translation",
            ),
        ]
        indexes = [
            models.Index(fields=["title", "id"], name="knowledge_article_title"),
            models.Index(fields=["-updated_at", "-id"], name="knowledge_article_updated"),
            models.Index(fields=["status", "language", "category"], name="knowledge_article_public"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("knowledge:article_detail", args=[self.pk])

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("This address is reserved; please choose another.")})

    @property
    def has_draft(self) -> bool:
        """Whether the latest version is not the published one."""
        return self.latest_version_id is not None and self.latest_version_id != self.published_version_id


class ArticleVersion(models.Model):
    """One immutable state of an article's title and body."""

    class Format(models.TextChoices):
        MARKDOWN = "markdown", _("Markdown")
        HTML = "html", _("HTML")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=100_000)
    body_format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.MARKDOWN)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    personal_data = {"author": Category.IDENTITY, "title": Category.FREE_TEXT, "body": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_uniq_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: a version, once written, never changes."""
        if not self._state.adding:
            raise ValueError("article versions are append-only")
        super().save(*args, **kwargs)


class ArticleSearchDocument(models.Model):
    """The search index row of one published article: stemmed words of its public text.

    Words are folded and stemmed in Python (`knowledge.text`), so SQLite (FTS5 with bm25)
    and PostgreSQL (a generated tsvector with ts_rank) search the same tokens.
    """

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="search_document")
    language = models.CharField(max_length=2, choices=Language.choices)
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)

    personal_data = {"title": Category.FREE_TEXT, "body": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("article search document")
        verbose_name_plural = _("article search documents")

    def __str__(self) -> str:
        return f"search document of article #{self.article_id}"
