"""Order pages: the list (filters, export) and one order with its lines and totals."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kunde.commerce.deductions import deductions_for
from kunde.commerce.filters import OrderFilter
from kunde.commerce.models import Quote
from kunde.commerce.pdf import render_quote_pdf
from kunde.commerce.quotes import (
    QuoteAnswerRefused,
    quote_answer,
    quote_can_change,
    quote_check_link,
    quote_revise,
    quote_send,
    quote_totals,
)
from kunde.commerce.selectors import order_get, order_list, order_page
from kunde.commerce.services import order_totals
from kunde.core.views.lists import Column, FilteredListView
from kunde.core.views.ui import actor, denied_as_403, login_required


def _customer(order):  # type: ignore[no-untyped-def]
    return order.organisation or order.person


class OrderListView(FilteredListView):
    list_key = "commerce.order"
    title = gettext_lazy("Orders")
    filterset_class = OrderFilter
    page_selector = order_page
    export_selector = order_list
    export_related = ("person", "organisation", "owner")
    export_filename = "orders"
    columns = [
        Column("number", gettext_lazy("Number"), accessor="number"),
        Column("date", gettext_lazy("Order date"), accessor="ordered_on", sort="ordered"),
        Column("customer", gettext_lazy("Customer"), accessor=_customer),
        Column("status", gettext_lazy("Status"), accessor="get_status_display"),
        Column("net", gettext_lazy("Net"), accessor="net_total"),
        Column("gross", gettext_lazy("Gross"), accessor="gross_total"),
        Column("currency", gettext_lazy("Currency"), accessor="currency"),
        Column("external", gettext_lazy("External id"), accessor="external_id"),
    ]


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_get(actor(request), pk)
    lines = list(order.lines.all())
    sums = order_totals(order)
    return render(request, "commerce/order_detail.html", {"order": order, "lines": lines,
                                                          "vat_by_rate": sums.vat_by_rate,
                                                          "deductions": deductions_for(order)})


# --- quotes ----------------------------------------------------------------------------


def _quote(request: HttpRequest, pk: int) -> Quote:
    quote = Quote.objects.for_user(actor(request)).select_related("person", "organisation", "deal", "order").filter(
        pk=pk).first()
    if quote is None:
        raise Http404("No such quote.")
    return quote


@login_required
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _quote(request, pk)
    return render(request, "commerce/quote_detail.html", {
        "quote": quote, "lines": list(quote.lines.all()), "totals": quote_totals(quote),
        "can_change": quote_can_change(actor(request), quote),
        "revisions": Quote.objects.filter(number=quote.number).order_by("revision"),
    })


@login_required
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _quote(request, pk)
    response = HttpResponse(render_quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{str(quote).replace(" / ", "-")}.pdf"'
    return response


@login_required
@require_POST
@denied_as_403
def quote_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _quote(request, pk)
    try:
        quote_send(actor=actor(request), quote=quote, to=request.POST.get("to", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The quote is on its way."))
    return redirect(quote.get_absolute_url())


@login_required
@require_POST
@denied_as_403
def quote_revise_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a new revision, optionally with another quote discount (a form error names a bad one)."""
    quote = _quote(request, pk)
    discount = request.POST.get("discount_percent", "").strip().replace(",", ".")
    try:
        revision = quote_revise(actor=actor(request), quote=quote, discount_percent=discount or None)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("commerce:quote_detail", pk)
    messages.success(request, _("Revision %(number)s created.") % {"number": revision})
    return redirect(revision.get_absolute_url())


REFUSALS = {
    "invalid": gettext_lazy("This link is not valid. Please use the link from our e-mail."),
    "expired": gettext_lazy("This quote has expired. Please ask us for a new one."),
    "answered": gettext_lazy("This quote has already been answered. Thank you!"),
    "withdrawn": gettext_lazy("This quote is no longer open; a newer version may have been sent to you."),
}


def quote_answer_view(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's page (no login): see the quote, accept or decline it once."""
    try:
        quote = quote_check_link(token)
    except QuoteAnswerRefused as refused:
        language = refused.quote.language if refused.quote else (request.LANGUAGE_CODE or "de")
        with translation.override(language):
            return render(request, "commerce/quote_answer.html", {"refusal": str(REFUSALS[refused.reason]),
                                                                   "quote": refused.quote}, status=410 if
                          refused.reason != "invalid" else 404)
    with translation.override(quote.language):
        if request.method == "POST":
            accept = request.POST.get("answer") == "accept"
            try:
                quote = quote_answer(token=token, accept=accept, comment=request.POST.get("comment", ""))
            except QuoteAnswerRefused as refused:
                return render(request, "commerce/quote_answer.html", {"refusal": str(REFUSALS[refused.reason]),
                                                                       "quote": quote}, status=410)
            return render(request, "commerce/quote_answer.html", {"quote": quote, "done": True})
        return render(request, "commerce/quote_answer.html", {
            "quote": quote, "lines": list(quote.lines.all()), "totals": quote_totals(quote)})
