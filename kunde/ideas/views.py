"""Staff pages of ideas: the list, an idea with triage, customer links and merge, and new ideas."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kunde.core.exceptions import ConflictError
from kunde.core.views.lists import Column, FilteredListView
from kunde.core.views.ui import actor, apply_validation_error, denied_as_403, login_required
from kunde.ideas import selectors, services
from kunde.ideas.filters import IdeaFilter
from kunde.ideas.forms import LinkForm, MergeForm, StaffIdeaForm, TriageForm
from kunde.ideas.models import Idea


class IdeaListView(FilteredListView):
    list_key = "ideas.idea"
    title = gettext_lazy("Ideas")
    filterset_class = IdeaFilter
    page_selector = selectors.idea_page
    export_selector = selectors.idea_list
    export_related = ("product", "owner")
    export_filename = "ideas"
    export_custom_fields = False
    columns = [
        Column("title", gettext_lazy("Title"), accessor="title", link=True),
        Column("status", gettext_lazy("Status"), accessor="get_status_display"),
        Column("product", gettext_lazy("Product"), accessor="product"),
        Column("votes", gettext_lazy("Votes"), accessor="vote_count", sort="votes"),
        Column("linked", gettext_lazy("Linked customers"), accessor=lambda idea: getattr(idea, "linked_count", None)),
        Column("source", gettext_lazy("Submitted via"), accessor="get_source_display"),
        Column("owner", gettext_lazy("Owner"), accessor="owner"),
        Column("created", gettext_lazy("Submitted"), accessor="created_at", sort="created"),
    ]
    filter_fields = ["q", "status", "product", "category", "source", "merged"]
    filter_choices = {}
    create_url = reverse_lazy("ideas:idea_create")
    create_label = gettext_lazy("New idea")
    saved_views_enabled = False


@login_required
@require_GET
def idea_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An idea: status and answer, voters and linked customers (those the user may see), triage and merge."""
    user = actor(request)
    idea = selectors.idea_get(user, pk)
    may_triage = services.can_triage(user, idea)
    return render(request, "ideas/idea_detail.html", _detail_context(user, idea, may_triage))


def _detail_context(user, idea: Idea, may_triage: bool, **forms: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "idea": idea,
        "links": selectors.idea_links(user, idea),
        "votes": selectors.idea_votes(user, idea),
        "duplicates": list(idea.duplicates.all()),
        "may_triage": may_triage,
        "may_link": services.may_enter(user),
        "triage_form": forms.get("triage_form") or TriageForm(initial={
            "status": idea.status, "status_note": idea.status_note, "is_public": idea.is_public,
            "product": idea.product_id, "owner": idea.owner_id, "version": idea.version}),
        "link_form": forms.get("link_form") or LinkForm(user=user),
        "merge_form": forms.get("merge_form") or MergeForm(idea=idea),
    }


@login_required
@denied_as_403
def idea_create_view(request: HttpRequest) -> HttpResponse:
    """Enter an idea a customer told staff about."""
    user = actor(request)
    if not services.may_enter(user):
        raise HttpPermissionDenied("this role may not create records")
    form = StaffIdeaForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            idea = services.idea_submit(actor=user, title=data["title"], description=data["description"],
                                        product=data["product"], person=data["person"], is_public=data["is_public"],
                                        source=Idea.Source.STAFF, owner=user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Idea “%(title)s” saved.") % {"title": idea.title})
            return redirect(idea)
    return render(request, "ideas/idea_form.html", {"form": form})


@login_required
@require_POST
@denied_as_403
def idea_triage_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change status, answer, visibility, product or owner (owner of the idea, managers, administrators)."""
    user = actor(request)
    idea = selectors.idea_get(user, pk)
    if not services.can_triage(user, idea):
        raise HttpPermissionDenied("may not triage this idea")
    form = TriageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changes = {name: data[name] for name in ("status", "status_note", "is_public", "product", "owner")}
        try:
            services.idea_update(actor=user, idea=idea, changes=changes, expected_version=data["version"])
        except ConflictError:
            form.add_error(None, _("Someone else changed this idea meanwhile. Reload the page and apply your "
                                   "change again."))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Idea updated."))
            return redirect(idea)
    return render(request, "ideas/idea_detail.html", _detail_context(user, idea, True, triage_form=form),
                  status=400)


@login_required
@require_POST
@denied_as_403
def idea_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a person or organisation who asked for this idea."""
    user = actor(request)
    idea = selectors.idea_get(user, pk)
    if not services.may_enter(user):
        raise HttpPermissionDenied("this role may not link customers")
    form = LinkForm(request.POST, user=user)
    if form.is_valid():
        try:
            services.idea_link_customer(actor=user, idea=idea, person=form.cleaned_data["person"],
                                        organisation=form.cleaned_data["organisation"],
                                        note=form.cleaned_data["note"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Customer linked."))
            return redirect(idea)
    return render(request, "ideas/idea_detail.html",
                  _detail_context(user, idea, services.can_triage(user, idea), link_form=form), status=400)


@login_required
@require_POST
@denied_as_403
def idea_unlink_view(request: HttpRequest, pk: int, link_id: int) -> HttpResponse:
    user = actor(request)
    idea = selectors.idea_get(user, pk)
    services.idea_unlink_customer(actor=user, link=selectors.link_get(user, idea, link_id))
    messages.success(request, _("Link removed."))
    return redirect(idea)


@login_required
@require_POST
@denied_as_403
def idea_merge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge this idea into the one it duplicates."""
    user = actor(request)
    idea = selectors.idea_get(user, pk)
    if not services.can_triage(user, idea):
        raise HttpPermissionDenied("may not merge this idea")
    form = MergeForm(request.POST, idea=idea)
    if form.is_valid():
        survivor = selectors.idea_get(user, form.cleaned_data["survivor"].pk)
        try:
            services.idea_merge(actor=user, duplicate=idea, survivor=survivor)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Merged into “%(title)s”.") % {"title": survivor.title})
            return redirect(survivor)
    return render(request, "ideas/idea_detail.html", _detail_context(user, idea, True, merge_form=form),
                  status=400)
