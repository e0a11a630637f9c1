"""The ideas section of the customer portal: list, submit, vote and unvote, see status and answer.

Every view starts from `portal_person_or_login`; the person's own reads go through the
portal selectors, so an idea another customer keeps private is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kunde.ideas import selectors, services
from kunde.ideas.forms import PortalIdeaForm
from kunde.ideas.models import Idea
from kunde.service.portal import portal_person_or_login


@require_GET
def idea_list(request: HttpRequest) -> HttpResponse:
    person = portal_person_or_login(request)
    if isinstance(person, HttpResponse):
        return person
    sort = request.GET.get("sort", "votes")
    sort = sort if sort in selectors.PORTAL_SORTS else "votes"
    status = request.GET.get("status", "")
    status = status if status in Idea.Status.values else ""
    product = request.GET.get("product", "")
    product = product if product.isdigit() else ""
    return render(request, "ideas/portal/list.html", {
        "person": person, "ideas": selectors.portal_idea_list(person, sort=sort, product=product, status=status),
        "sort": sort, "status": status, "product": product, "products": selectors.active_products(),
        "statuses": Idea.Status.choices,
    })


@require_http_methods(["GET", "POST"])
def idea_new(request: HttpRequest) -> HttpResponse:
    person = portal_person_or_login(request)
    if isinstance(person, HttpResponse):
        return person
    form = PortalIdeaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            idea = services.idea_submit(actor=None, person=person, title=data["title"],
                                        description=data["description"], product=data["product"],
                                        source=Idea.Source.PORTAL)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Thank you! Your idea has been submitted."))
            return redirect("ideas:portal_detail", pk=idea.pk)
    return render(request, "ideas/portal/new.html", {"person": person, "form": form})


@require_GET
def idea_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = portal_person_or_login(request)
    if isinstance(person, HttpResponse):
        return person
    return render(request, "ideas/portal/detail.html", {"person": person,
                                                        "idea": selectors.portal_idea_get(person, pk)})


def _back(request: HttpRequest, idea: Idea) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("ideas:portal_detail", pk=idea.pk)


@require_POST
def idea_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Vote (or, with `unvote`, take the vote back); a second click changes nothing."""
    person = portal_person_or_login(request)
    if isinstance(person, HttpResponse):
        return person
    idea = selectors.portal_idea_get(person, pk)
    try:
        if request.POST.get("unvote"):
            services.idea_unvote(actor=None, idea=idea, person=person)
        else:
            services.idea_vote(actor=None, idea=idea, person=person)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    return _back(request, idea)
