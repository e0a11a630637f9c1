"""Article services: drafts, versions, publishing, permissions and the search index."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kunde.core.exceptions import ConflictError, PermissionDenied
from kunde.core.models import AuditEntry
from kunde.knowledge.models import Article, ArticleSearchDocument, ArticleVersion
from kunde.knowledge.selectors import article_public_get, article_search_public
from kunde.knowledge.services import (
    article_archive,
    article_create,
    article_edit,
    article_publish,
    article_unpublish,
    can_publish,
)
from kunde.knowledge.testing import make_article

pytestmark = pytest.mark.django_db


def test_create_makes_a_draft_with_its_first_version(world):
    article = article_create(actor=world.owner, language="de", slug="depotauszug", title="Depotauszug anfordern",
                             body="So fordern Sie einen **Depotauszug** an.")
    assert article.status == Article.Status.DRAFT
    assert article.owner == world.owner and article.team == world.team_a
    version = article.latest_version
    assert (version.number, version.title, version.author) == (1, "Depotauszug anfordern", world.owner)
    assert article.published_version is None and article.has_draft
    assert AuditEntry.objects.filter(object_type="knowledge.article", object_id=str(article.pk),
                                     action="create").exists()
    assert not ArticleSearchDocument.objects.exists()


def test_read_only_may_not_create(world):
    with pytest.raises(PermissionDenied):
        article_create(actor=world.read_only, language="de", slug="x", title="X", body="x")
    assert not Article.objects.exists()


def test_reserved_slug_is_refused(world):
    with pytest.raises(ValidationError):
        article_create(actor=world.owner, language="de", slug="search", title="Suche", body="x")
    assert not Article.objects.exists()


def test_editing_a_published_article_keeps_the_public_text_until_published(world):
    article = make_article(world.owner, title="Depotauszug anfordern", body="Alter Text")
    edited = article_edit(actor=world.owner, article=article, title="Depotauszug anfordern",
                          body="Neuer Text", expected_version=article.version)
    assert edited.status == Article.Status.PUBLISHED
    assert edited.has_draft
    public = article_public_get("de", article.slug)
    assert public.published_version.body == "Alter Text"
    assert [v.number for v in edited.versions.all()] == [2, 1]
    published = article_publish(actor=world.manager, article=edited)
    assert article_public_get("de", article.slug).published_version.body == "Neuer Text"
    assert not published.has_draft


def test_an_unchanged_edit_appends_no_version(world):
    article = make_article(world.owner, title="Konto", body="Text", published=False)
    article_edit(actor=world.owner, article=article, title="Konto", body="Text")
    assert article.versions.count() == 1


def test_versions_are_append_only(world):
    article = make_article(world.owner, title="Konto", body="Text")
    version = article.latest_version
    version.body = "verändert"
    with pytest.raises(ValueError):
        version.save()
    assert ArticleVersion.objects.get(pk=version.pk).body == "Text"


def test_stale_edit_conflicts_and_changes_nothing(world):
    article = make_article(world.owner, title="Konto", body="Text", published=False)
    article_edit(actor=world.owner, article=article, title="Konto", body="Zwei", expected_version=article.version)
    with pytest.raises(ConflictError):
        article_edit(actor=world.owner, article=article, title="Konto", body="Drei", expected_version=article.version)
    assert list(article.versions.values_list("body", flat=True)) == ["Zwei", "Text"]


@pytest.mark.parametrize(("who", "allowed"), [("read_only", False), ("teammate", False), ("other_team", False),
                                              ("owner", True), ("manager", True), ("admin", True)])
def test_who_may_edit(world, who, allowed):
    article = make_article(world.owner, title="Konto", body="Text", published=False)
    actor = getattr(world, who)
    if allowed:
        article_edit(actor=actor, article=article, title="Konto", body="Neu")
        assert article.versions.count() == 2
    else:
        with pytest.raises(PermissionDenied):
            article_edit(actor=actor, article=article, title="Konto", body="Neu")
        assert article.versions.count() == 1


@pytest.mark.parametrize(("who", "allowed"), [("read_only", False), ("teammate", False), ("other_team", False),
                                              ("owner", False), ("manager", True), ("admin", True)])
def test_who_may_publish(world, who, allowed):
    """Members write drafts; managers (of the article's team) and administrators publish."""
    article = make_article(world.owner, title="Konto", body="Text", published=False)
    actor = getattr(world, who)
    assert can_publish(actor) is (who in ("manager", "admin"))
    if allowed:
        assert article_publish(actor=actor, article=article).status == Article.Status.PUBLISHED
    else:
        with pytest.raises(PermissionDenied):
            article_publish(actor=actor, article=article)
        article.refresh_from_db()
        assert article.status == Article.Status.DRAFT and article.published_version is None


def test_unpublish_and_archive_take_the_article_off_the_index(world):
    first = make_article(world.owner, title="Ungewöhnliche Transaktion melden", body="Abbuchung Konto")
    second = make_article(world.owner, title="Transaktion archivieren", body="Transaktion")
    assert {a.pk for a in article_search_public("Transaktion", "de")} == {first.pk, second.pk}
    article_unpublish(actor=world.manager, article=first)
    article_archive(actor=world.admin, article=second)
    assert article_search_public("Transaktion", "de") == []
    assert Article.objects.get(pk=second.pk).status == Article.Status.ARCHIVED
    assert AuditEntry.objects.filter(object_type="knowledge.article", action="update").count() >= 2


def test_translation_joins_the_group_in_the_other_language(world):
    german = make_article(world.owner, title="Depotauszug anfordern")
    english = article_create(actor=world.owner, language="en", slug="request-statement", title="Request a statement",
                             body="x", translation_of=german)
    assert english.translation_group == german.translation_group
    with pytest.raises(ValidationError):
        article_create(actor=world.owner, language="de", slug="zweiter", title="Zweiter", body="x",
                       translation_of=german)
