"""vCard downloads and upload, and the calendar feed (its settings page and the feed itself)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kunde.contacts.models import Employment, Person
from kunde.contacts.selectors import person_get
from kunde.core.views.ui import KundeForm, actor, apply_validation_error, denied_as_403, login_required
from kunde.interop.calendar import calendar_for
from kunde.interop.carddav import carddav_people
from kunde.interop.models import CalendarFeed
from kunde.interop.services import (
    MAX_VCARD_BYTES,
    calendar_feed_create,
    calendar_feed_revoke,
    calendar_feed_user,
    vcards_import,
)
from kunde.interop.vcard import VERSIONS, current_employment, person_to_vcard

VCARD_TYPE = "text/vcard; charset=utf-8"


def _version(request: HttpRequest) -> str:
    version = request.GET.get("version", "3.0")
    if version not in VERSIONS:
        raise Http404("unknown vCard version")
    return version


def _employment(person: Person) -> tuple[str, str]:
    return current_employment(person)


@login_required
@require_GET
def person_vcard(request: HttpRequest, pk: int) -> HttpResponse:
    """One person's vCard, for the address book."""
    person = person_get(actor(request), pk)
    organisation, role = _employment(person)
    response = HttpResponse(person_to_vcard(person, version=_version(request), organisation=organisation, role=role),
                            content_type=VCARD_TYPE)
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.vcf"'
    return response


def people_vcard_response(people: QuerySet[Person], *, filename: str,
                          on_done: Callable[[int, bool], None] | None = None) -> StreamingHttpResponse:
    """Every person of a (scoped, filtered) list as one .vcf file (vCard 3.0, which every address book reads)."""
    rows = people.prefetch_related(
        "emails", "phones", "addresses",
        Prefetch("employments", queryset=Employment.objects.select_related("organisation")),
    ).iterator(chunk_size=500)

    def cards() -> Iterator[str]:
        count = 0
        for person in rows:
            count += 1
            organisation, role = _employment(person)
            yield person_to_vcard(person, organisation=organisation, role=role)
        if on_done is not None:
            on_done(count, True)

    response = StreamingHttpResponse(cards(), content_type=VCARD_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.vcf"'
    return response


class VcardUploadForm(KundeForm):
    file = forms.FileField(label=gettext_lazy("vCard file (.vcf)"),
                           help_text=gettext_lazy("From Apple Contacts, Google Contacts or Outlook; up to 10 MB."))


@login_required
@denied_as_403
def vcard_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a .vcf file; show per card what happened."""
    form = VcardUploadForm(request.POST or None, request.FILES or None)
    results = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_VCARD_BYTES:
            form.add_error("file", _("The file is larger than 10 MB."))
        else:
            try:
                results = vcards_import(actor=actor(request), data=upload.read())
            except ValidationError as exc:
                apply_validation_error(form, exc)
    counts = {outcome: sum(1 for r in results or [] if r.outcome == outcome)
              for outcome in ("created", "existing", "failed")}
    return render(request, "interop/vcard_import.html", {"form": form, "results": results, "counts": counts},
                  status=400 if form.errors else 200)


@login_required
def calendar_feed_settings(request: HttpRequest) -> HttpResponse:
    """The user's calendar feed URLs: create one (shown once), revoke old ones."""
    user = actor(request)
    new_url = None
    if request.method == "POST":
        _feed, token = calendar_feed_create(actor=user)
        new_url = request.build_absolute_uri(f"/calendar/{token}.ics")
        messages.success(request, _("Calendar feed created."))
    feeds = CalendarFeed.objects.filter(user=user)
    return render(request, "interop/calendar_feeds.html", {"feeds": feeds, "new_url": new_url})


@login_required
@require_POST
def calendar_feed_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    feed = CalendarFeed.objects.filter(user=user, pk=pk).first()
    if feed is None:
        raise Http404("no such feed")
    calendar_feed_revoke(actor=user, feed=feed)
    messages.success(request, _("The feed URL no longer works."))
    return redirect("interop:calendar_feeds")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself: no login, the secret URL is the credential (404 once revoked)."""
    user = calendar_feed_user(token)
    if user is None:
        raise Http404("unknown or revoked calendar feed")
    body = calendar_for(user, base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_GET
def carddav_settings(request: HttpRequest) -> HttpResponse:
    """How to connect a phone or mail client to the user's read-only CardDAV address book."""
    user = actor(request)
    context = {
        "server_url": request.build_absolute_uri("/"),
        "dav_url": request.build_absolute_uri(reverse("interop:dav_root")),
        "book_url": request.build_absolute_uri(reverse("interop:dav_book", kwargs={"username": user.get_username()})),
        "username": user.get_username(),
        "host": request.get_host(),
        "card_count": carddav_people(user).count(),
    }
    return render(request, "interop/carddav.html", context)
