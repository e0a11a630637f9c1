"""The /articles endpoints: permission matrix, drafts, publishing, concurrency."""

from __future__ import annotations

import pytest

from kunde.core.models import AuditEntry
from kunde.core.testing.api import ApiClient, client_for
from kunde.knowledge.models import Article
from kunde.knowledge.testing import make_article

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]


def expect(**codes: int) -> list[tuple[str, int]]:
    return [(who, codes[who]) for who in WHO]


@pytest.fixture
def draft(world):
    return make_article(world.owner, title="Depotauszug anfordern", slug="depotauszug", body="Alt", published=False)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=200,
                                                   owner=200, manager=200, admin=200))
def test_get_article_matrix(world, draft, who, status):
    response = client_for(world, who).get(f"/articles/{draft.pk}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert (body["title"], body["status"], body["body"], body["public_url"]) == (
            "Depotauszug anfordern", "draft", "Alt", None)
        assert response["ETag"] == f'W/"{draft.version}"'


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=200,
                                                   owner=200, manager=200, admin=200))
def test_list_articles_matrix(world, draft, who, status):
    response = client_for(world, who).get("/articles", {"status": "draft"})
    assert response.status_code == status
    if status == 200:
        assert [row["id"] for row in response.json()["items"]] == [draft.pk]


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=201, other_team=201,
                                                   owner=201, manager=201, admin=201))
def test_create_article_matrix(world, who, status):
    client = client_for(world, who)
    before = AuditEntry.objects.count()
    response = client.post("/articles", {
        "language": "de", "slug": "konto-sperren", "title": "Konto sperren", "body": "Rufen Sie an.",
    })
    assert response.status_code == status
    if status == 201:
        assert response.json()["status"] == "draft" and response.json()["latest_version"] == 1
    else:
        assert AuditEntry.objects.count() == before and not Article.objects.exists()


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=403,
                                                   owner=200, manager=200, admin=200))
def test_update_article_matrix(world, draft, who, status):
    """Every staff member reads the article; members change only their own (a visible record: 403)."""
    response = client_for(world, who).patch(f"/articles/{draft.pk}", {"body": "Neu"})
    assert response.status_code == status
    assert draft.versions.count() == (2 if status == 200 else 1)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=403,
                                                   owner=403, manager=200, admin=200))
def test_publish_matrix(world, draft, who, status):
    response = client_for(world, who).post(f"/articles/{draft.pk}/publish")
    assert response.status_code == status
    draft.refresh_from_db()
    assert draft.status == ("published" if status == 200 else "draft")
    if status == 200:
        assert response.json()["public_url"] == "/help/de/depotauszug/"


def test_draft_edit_then_publish_through_the_api(world, draft):
    owner, manager = ApiClient(world.owner), ApiClient(world.manager)
    assert manager.post(f"/articles/{draft.pk}/publish").status_code == 200
    response = owner.patch(f"/articles/{draft.pk}", {"body": "**Neu**"}, headers={"If-Match": 'W/"2"'})
    assert response.status_code == 200
    body = response.json()
    assert (body["has_draft"], body["published_version"], body["latest_version"]) == (True, 1, 2)
    assert "<strong>Neu</strong>" in body["html"]
    stale = owner.patch(f"/articles/{draft.pk}", {"body": "Stale"}, headers={"If-Match": 'W/"2"'})
    assert stale.status_code == 412
    versions = owner.get(f"/articles/{draft.pk}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    published = manager.post(f"/articles/{draft.pk}/publish").json()
    assert (published["has_draft"], published["published_version"]) == (False, 2)


def test_unknown_category_and_bad_slug_are_422(world):
    client = ApiClient(world.owner)
    response = client.post("/articles", {"language": "de", "slug": "x", "title": "X", "body": "x",
                                         "category": "nope"})
    assert response.status_code == 422
    assert client.post("/articles", {"language": "de", "slug": "a b", "title": "X", "body": "x"}).status_code == 422
    assert client.post("/articles", {"language": "fr", "slug": "x", "title": "X", "body": "x"}).status_code == 422
    assert not Article.objects.exists()
