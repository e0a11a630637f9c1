"""Administration of the e-mail channel: mailbox status, incoming messages, retry, raw source."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kunde.core.views.admin_area import admin_required
from kunde.mail import selectors
from kunde.mail.inbound import inbound_retry
from kunde.mail.models import InboundMessage


@admin_required
def inbound_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "failed")
    return render(request, "mail/inbound_list.html", {
        "admin_section": "mail", "mailboxes": selectors.mailboxes(), "messages_": selectors.inbound_messages(status),
        "status": status, "statuses": InboundMessage.Status.choices,
    })


@admin_required
@require_POST
def inbound_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(InboundMessage, pk=pk, status=InboundMessage.Status.FAILED, unparseable=False)
    if inbound_retry(message):
        messages.success(request, _("The message was handled."))
    else:
        message.refresh_from_db()
        messages.error(request, _("Handling failed again: %(error)s") % {"error": message.error})
    return redirect(reverse("mail:inbound_list") + "?status=failed")


@admin_required
def inbound_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The message exactly as the server delivered it (e.g. to open a broken one in a mail client)."""
    message = get_object_or_404(InboundMessage, pk=pk)
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = content_disposition_header(True, f"message-{message.pk}.eml")
    response["X-Content-Type-Options"] = "nosniff"
    return response
