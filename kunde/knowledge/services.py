"""Every write to knowledge-base articles goes through here.

Who may do what (by the role's scopes, `core.permissions`): anyone who may create records
writes drafts; changing an article follows the role's change scope (members their own,
managers their team's, administrators all); publishing, unpublishing and archiving need
in addition a supervising role — an administrator or a role that may change other
people's records (managers).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.core.exceptions import PermissionDenied
from kunde.core.permissions import Action, Scope, is_admin, scope_for
from kunde.core.services import record_create, record_update, require_create, require_permission
from kunde.knowledge.fulltext import index_article
from kunde.knowledge.models import Article, ArticleCategory, ArticleVersion


class ArticleEvent:
    CREATED = "knowledge.article_created"
    UPDATED = "knowledge.article_updated"
    PUBLISHED = "knowledge.article_published"
    UNPUBLISHED = "knowledge.article_unpublished"
    ARCHIVED = "knowledge.article_archived"


def can_publish(user: Any) -> bool:
    """Whether `user` may publish articles at all (administrators and managers)."""
    if user is None:
        return True
    return is_admin(user) or scope_for(user, Action.CHANGE) in (Scope.ALL, Scope.TEAM)


def require_publisher(actor: Any, article: Article) -> None:
    """Raise PermissionDenied unless `actor` may publish and change `article`."""
    require_permission(actor, Action.CHANGE, article)
    if not can_publish(actor):
        raise PermissionDenied("only managers and administrators publish articles")


def _append_version(*, actor: Any, article: Article, title: str, body: str, body_format: str) -> ArticleVersion:
    last = article.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = ArticleVersion(
        article=article, number=last + 1, title=title.strip(), body=body, body_format=body_format,
        author=actor,
    )
    version.full_clean()
    version.save(force_insert=True)
    return version


@transaction.atomic
def article_create(
    *,
    actor: Any,
    language: str,
    slug: str,
    title: str,
    body: str,
    body_format: str = ArticleVersion.Format.MARKDOWN,
    category: ArticleCategory | None = None,
    translation_of: Article | None = None,
) -> Article:
    """Create a draft article with its first version (a translation joins `translation_of`'s group)."""
    require_create(actor)
    article = Article(
        language=language, slug=slug, title=title.strip(), category=category,
        owner=actor, team=actor.primary_team if actor is not None else None,
    )
    if translation_of is not None:
        if translation_of.language == language:
            raise ValidationError({"translation_of": _("A translation must be in the other language.")})
        article.translation_group = translation_of.translation_group
    article.validate_constraints()
    record_create(actor=actor, instance=article, event=ArticleEvent.CREATED)
    version = _append_version(actor=actor, article=article, title=title, body=body, body_format=body_format)
    Article.all_objects.filter(pk=article.pk).update(latest_version=version)
    article.latest_version = version
    return article


@transaction.atomic
def article_edit(
    *,
    actor: Any,
    article: Article,
    title: str,
    body: str,
    body_format: str = ArticleVersion.Format.MARKDOWN,
    expected_version: int | None = None,
    **metadata: Any,
) -> Article:
    """Append a new (draft) version; the published text stays public until `article_publish`.

    `metadata` may change `slug` and `category` at once (they are not versioned).
    """
    unknown = set(metadata) - {"slug", "category"}
    if unknown:
        raise TypeError(f"unexpected fields {sorted(unknown)}")
    require_permission(actor, Action.CHANGE, article)
    current = Article.all_objects.select_for_update().get(pk=article.pk)
    latest = current.latest_version
    unchanged = (
        latest is not None and latest.title == title.strip() and latest.body == body
        and latest.body_format == body_format
    )
    changes: dict[str, Any] = dict(metadata)
    if not unchanged:
        version = _append_version(actor=actor, article=current, title=title, body=body, body_format=body_format)
        changes.update(latest_version=version, title=version.title)
    updated = record_update(
        actor=actor, instance=current, changes=changes, expected_version=expected_version,
        event=ArticleEvent.UPDATED,
    )
    index_article(updated)
    return updated


@transaction.atomic
def article_publish(*, actor: Any, article: Article, expected_version: int | None = None) -> Article:
    """Make the latest version the public one."""
    require_publisher(actor, article)
    current = Article.all_objects.get(pk=article.pk)
    updated = record_update(
        actor=actor, instance=current,
        changes={
            "status": Article.Status.PUBLISHED, "published_version": current.latest_version,
            "published_at": timezone.now(),
        },
        expected_version=expected_version, event=ArticleEvent.PUBLISHED,
    )
    index_article(updated)
    return updated


def _withdraw(*, actor: Any, article: Article, status: str, event: str, expected_version: int | None) -> Article:
    require_publisher(actor, article)
    updated = record_update(
        actor=actor, instance=article,
        changes={"status": status, "published_version": None, "published_at": None},
        expected_version=expected_version, event=event,
    )
    index_article(updated)
    return updated


@transaction.atomic
def article_unpublish(*, actor: Any, article: Article, expected_version: int | None = None) -> Article:
    """Take the article off the help centre; it becomes a draft again (versions stay)."""
    return _withdraw(actor=actor, article=article, status=Article.Status.DRAFT,
                     event=ArticleEvent.UNPUBLISHED, expected_version=expected_version)


@transaction.atomic
def article_archive(*, actor: Any, article: Article, expected_version: int | None = None) -> Article:
    """Retire the article: no longer public, kept with its history (publishing revives it)."""
    return _withdraw(actor=actor, article=article, status=Article.Status.ARCHIVED,
                     event=ArticleEvent.ARCHIVED, expected_version=expected_version)


def category_ensure(*, key: str, name_de: str, name_en: str, position: int = 0) -> ArticleCategory:
    """Create the category `key` once (demo data, setup); an existing one is returned unchanged."""
    category, _created = ArticleCategory.objects.get_or_create(
        key=key, defaults={"name_de": name_de, "name_en": name_en, "position": position},
    )
    return category
