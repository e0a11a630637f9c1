"""Public help centre (anonymous) and the staff pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kunde.knowledge.models import Article
from kunde.knowledge.services import article_archive, article_edit, category_ensure
from kunde.knowledge.testing import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(world):
    accounts = category_ensure(key="konto", name_de="Konto und Depot", name_en="Account and custody")
    published = make_article(world.owner, title="Depotauszug anfordern", slug="depotauszug", category=accounts,
                             body="Fordern Sie Ihren **Depotauszug** im Portal an.")
    english = make_article(world.owner, title="Request a statement", slug="request-statement", language="en",
                           category=accounts, body="Request your statement in the portal.",
                           translation_of=published)
    draft = make_article(world.owner, title="Geheimer Entwurf", slug="entwurf", published=False,
                         body="Depotauszug intern")
    archived = make_article(world.owner, title="Alter Depotauszug", slug="alt", body="Depotauszug früher")
    article_archive(actor=None, article=archived)
    return {"published": published, "english": english, "draft": draft, "archived": archived, "category": accounts}


def test_help_root_redirects_to_the_visitor_language(site):
    client = Client()
    assert client.get("/help/", headers={"accept-language": "de-DE,de;q=0.9"})["Location"] == "/help/de/"
    assert client.get("/help/?lang=en")["Location"] == "/help/en/"
    assert client.get("/help/?lang=xx", headers={"accept-language": "fr"})["Location"] == "/help/en/"


def test_help_home_lists_published_articles_in_its_language(site):
    response = Client().get("/help/de/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Depotauszug anfordern" in text and "Konto und Depot" in text
    assert "Geheimer Entwurf" not in text and "Alter Depotauszug" not in text
    assert "Request a statement" not in text
    assert "Hilfe" in text or "Help" in text
    assert Client().get("/help/fr/").status_code == 404


def test_article_page_is_public_and_links_its_translation(site):
    response = Client().get("/help/de/depotauszug/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "<strong>Depotauszug</strong>" in text
    assert 'href="/help/en/request-statement/"' in text
    assert response["Content-Language"] == "de"


@pytest.mark.parametrize("slug", ["entwurf", "alt", "gibt-es-nicht"])
def test_drafts_and_archived_articles_are_404(site, slug):
    assert Client().get(f"/help/de/{slug}/").status_code == 404


def test_a_draft_of_a_published_article_stays_private(site, world):
    article_edit(actor=world.owner, article=site["published"], title="Depotauszug anfordern",
                 body="GEHEIME ÄNDERUNG")
    text = Client().get("/help/de/depotauszug/").content.decode()
    assert "GEHEIME" not in text and "Depotauszug" in text
    assert "GEHEIME" not in Client().get("/help/de/search/", {"q": "geheime änderung"}).content.decode()


def test_search_finds_published_only(site):
    response = Client().get("/help/de/search/", {"q": "Depotauszüge"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "Depotauszug anfordern" in text
    assert "Geheimer Entwurf" not in text and "Alter Depotauszug" not in text
    assert "Kein Artikel passt zu Ihrer Suche" in Client().get("/help/de/search/", {"q": "Wetter"}).content.decode()
    assert "No article matches" in Client().get("/help/en/search/", {"q": "weather"}).content.decode()


def test_category_page(site):
    text = Client().get("/help/en/category/konto/").content.decode()
    assert "Account and custody" in text and "Request a statement" in text
    assert Client().get("/help/en/category/nope/").status_code == 404


def test_help_pages_have_no_inline_script_or_style(site):
    for url in ("/help/de/", "/help/de/depotauszug/", "/help/de/search/?q=konto", "/help/en/category/konto/"):
        response = Client().get(url)
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert " style=" not in html and "<style" not in html, url
        assert "script-src 'self'" in response["Content-Security-Policy"]


def login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def test_staff_list_and_detail(site, world):
    client = login(Client(), world.teammate)
    response = client.get("/knowledge/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Geheimer Entwurf" in text and "Depotauszug anfordern" in text
    assert client.get(f"/knowledge/{site['draft'].pk}/").status_code == 200
    assert Client().get("/knowledge/").status_code == 302


def test_staff_editor_creates_a_draft_and_shows_the_diff(site, world):
    client = login(Client(), world.owner)
    response = client.post(f"/knowledge/{site['published'].pk}/edit/", {
        "title": "Depotauszug anfordern", "slug": "depotauszug", "body_format": "markdown",
        "body": "Fordern Sie Ihren Depotauszug jetzt an.", "version": site["published"].version, "category": "",
    })
    assert response.status_code == 302
    detail = client.get(f"/knowledge/{site['published'].pk}/").content.decode()
    assert 'data-testid="diff"' in detail and "jetzt an." in detail
    # A member may not publish: no button, and the POST is refused.
    assert "/publish/" not in detail
    assert client.post(f"/knowledge/{site['published'].pk}/publish/").status_code == 403
    assert Article.objects.get(pk=site["published"].pk).has_draft


def test_manager_publishes_from_the_page(site, world):
    client = login(Client(), world.manager)
    response = client.post(f"/knowledge/{site['draft'].pk}/publish/", {"version": site["draft"].version})
    assert response.status_code == 302
    assert Client().get("/help/de/entwurf/").status_code == 200


def test_new_article_form(world):
    client = login(Client(), world.owner)
    assert client.get("/knowledge/new/").status_code == 200
    response = client.post("/knowledge/new/", {"title": "Konto sperren", "slug": "konto-sperren", "language": "de",
                                                "body_format": "markdown", "body": "Rufen Sie uns an."})
    assert response.status_code == 302
    assert Article.objects.get(slug="konto-sperren").status == Article.Status.DRAFT
    reserved = client.post("/knowledge/new/", {"title": "x", "slug": "search", "language": "de",
                                                "body_format": "markdown", "body": "x"})
    assert reserved.status_code == 200 and not Article.objects.filter(slug="search").exists()
    assert login(Client(), world.read_only).get("/knowledge/new/").status_code == 403


def test_preview_is_sanitised(world):
    client = login(Client(), world.owner)
    response = client.post("/knowledge/preview/", {"body": "**fett** <script>x</script>", "body_format": "markdown"})
    assert "<strong>fett</strong>" in response.content.decode() and "<script>" not in response.content.decode()


def test_suggestion_fragment(site, world):
    client = login(Client(), world.teammate)
    response = client.get("/knowledge/suggest/", {"q": "Ich brauche einen Depotauszug", "language": "de",
                                                  "target": "#reply"})
    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-insert-link="http://testserver/help/de/depotauszug/"' in text
    assert 'data-target="#reply"' in text
    assert "Geheimer Entwurf" not in text
    assert Client().get("/knowledge/suggest/", {"q": "Depotauszug"}).status_code == 302


def test_list_page_and_help_home_query_counts_do_not_grow_with_articles(site, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(Client(), world.admin)

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as staff:
            assert client.get("/knowledge/").status_code == 200
        with CaptureQueriesContext(connection) as public:
            assert Client().get("/help/de/").status_code == 200
        return len(staff), len(public)

    before = counts()
    for index in range(5):
        make_article(world.owner, title=f"Konto Thema {index}", category=site["category"])
    assert counts() == before


def test_a_category_with_only_drafts_is_not_listed(site, world):
    empty = category_ensure(key="intern", name_de="Interne Themen", name_en="Internal topics")
    make_article(world.owner, title="Nur ein Entwurf", slug="nur-entwurf", category=empty, published=False)
    assert "Interne Themen" not in Client().get("/help/de/").content.decode()
    assert "Konto und Depot" in Client().get("/help/de/").content.decode()
