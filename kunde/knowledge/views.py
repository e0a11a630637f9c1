"""Staff pages of the knowledge base: list, editor with preview, versions with diff, publishing,
and the suggestion fragment the service desk includes on a ticket."""

from __future__ import annotations

import difflib
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kunde.core.exceptions import ConflictError
from kunde.core.permissions import Action, Scope, can_create, scope_for, user_can
from kunde.core.views.lists import Column, FilteredListView
from kunde.core.views.ui import actor, apply_validation_error, denied_as_403, login_required
from kunde.knowledge import selectors, services
from kunde.knowledge.filters import ArticleFilter
from kunde.knowledge.forms import ArticleForm
from kunde.knowledge.text import render_body

MAX_PREVIEW_LENGTH = 100_000


class ArticleListView(FilteredListView):
    list_key = "knowledge.article"
    title = gettext_lazy("Knowledge base")
    filterset_class = ArticleFilter
    page_selector = selectors.article_page
    export_selector = None
    columns = [
        Column("title", gettext_lazy("Title"), accessor="title", link=True, sort="title"),
        Column("language", gettext_lazy("Language"), accessor="get_language_display"),
        Column("status", gettext_lazy("Status"), accessor="get_status_display"),
        Column("category", gettext_lazy("Category"), accessor="category"),
        Column("owner", gettext_lazy("Owner"), accessor="owner"),
        Column("updated", gettext_lazy("Changed"), accessor="updated_at", sort="updated"),
    ]
    filter_fields = ["q", "status", "language", "category"]
    create_url = "/knowledge/new/"
    create_label = gettext_lazy("New article")
    saved_views_enabled = False


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    """(kind, line) pairs of a line diff: kind is "add", "remove" or "same"."""
    lines = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        code, text = line[:2], line[2:]
        if code == "? ":
            continue
        lines.append(({"+ ": "add", "- ": "remove"}.get(code, "same"), text))
    return lines


@login_required
@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An article: its latest text, the version history, and the draft-vs-published diff."""
    user = actor(request)
    article = selectors.article_get(user, pk)
    latest, published = article.latest_version, article.published_version
    diff = None
    if latest is not None and published is not None and latest.pk != published.pk:
        diff = _diff(f"{published.title}\n\n{published.body}", f"{latest.title}\n\n{latest.body}")
    return render(request, "knowledge/article_detail.html", {
        "article": article,
        "latest": latest,
        "body": render_body(latest.body, latest.body_format) if latest else "",
        "versions": selectors.article_versions(article),
        "diff": diff,
        "public_url": selectors.article_public_url(article) if published else "",
        "may_change": user_can(user, Action.CHANGE, article),
        "may_publish": services.can_publish(user) and user_can(user, Action.CHANGE, article),
    })


@login_required
@denied_as_403
def article_create_view(request: HttpRequest) -> HttpResponse:
    """Write a new article (a draft)."""
    user = actor(request)
    if not can_create(user):
        raise HttpPermissionDenied("this role may not create records")
    form = ArticleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = services.article_create(
                actor=user, language=data["language"], slug=data["slug"], title=data["title"], body=data["body"],
                body_format=data["body_format"], category=data["category"], translation_of=data["translation_of"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Draft “%(title)s” saved.") % {"title": article.title})
            return redirect(article)
    return render(request, "knowledge/article_form.html", {"form": form, "article": None})


@login_required
@denied_as_403
def article_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an article: saving appends a draft version."""
    user = actor(request)
    article = selectors.article_get(user, pk, Action.CHANGE)
    form = ArticleForm(request.POST if request.method == "POST" else None, article=article)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = services.article_edit(
                actor=user, article=article, title=data["title"], body=data["body"],
                body_format=data["body_format"], expected_version=data["version"], slug=data["slug"],
                category=data["category"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except ConflictError:
            form.add_error(None, _("Someone else has changed this article meanwhile. Reload the page to see "
                                   "their version."))
        else:
            messages.success(request, _("Draft “%(title)s” saved.") % {"title": article.title})
            return redirect(article)
    return render(request, "knowledge/article_form.html", {"form": form, "article": article})


def _transition(request: HttpRequest, pk: int, service: Any, message: str) -> HttpResponse:
    user = actor(request)
    article = selectors.article_get(user, pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        article = service(actor=user, article=article, expected_version=version)
    except ConflictError:
        messages.error(request, _("Someone else has changed this article meanwhile; please check it again."))
    else:
        messages.success(request, message % {"title": article.title})
    return redirect(article)


@login_required
@require_POST
@denied_as_403
def article_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.article_publish, _("“%(title)s” is published."))


@login_required
@require_POST
@denied_as_403
def article_unpublish_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.article_unpublish, _("“%(title)s” is no longer public."))


@login_required
@require_POST
@denied_as_403
def article_archive_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.article_archive, _("“%(title)s” is archived."))


@login_required
@require_POST
def article_preview(request: HttpRequest) -> HttpResponse:
    """The editor's text rendered as the help centre will show it (an htmx fragment)."""
    body = request.POST.get("body", "")[:MAX_PREVIEW_LENGTH]
    body_format = request.POST.get("body_format", "markdown")
    return render(request, "knowledge/_preview.html", {"body": render_body(body, body_format)})


@login_required
@require_GET
def article_suggest(request: HttpRequest) -> HttpResponse:
    """Published articles for a ticket's text (`?q=`, `?language=`): an HTML fragment with
    "insert link" buttons (see `knowledge/suggest.js`)."""
    if scope_for(actor(request), Action.VIEW) is Scope.NONE:
        raise HttpPermissionDenied("no access")
    text = request.GET.get("q", "")[:2000]
    language = request.GET.get("language", "") or getattr(request, "LANGUAGE_CODE", "de")
    try:
        limit = max(1, min(int(request.GET.get("limit", 5)), 10))
    except ValueError:
        limit = 5
    articles = selectors.article_suggestions(text, language, limit) if text.strip() else []
    entries = [
        {"article": a, "title": a.published_version.title,
         "url": request.build_absolute_uri(selectors.article_public_url(a))}
        for a in articles
    ]
    return render(request, "knowledge/_suggestions.html", {
        "entries": entries, "target": request.GET.get("target", "")[:100],
    })
