"""The one way marketing mail leaves this app: `deliver`, which checks consent at send time.

Campaigns and rules call `deliver`; it asks `audience.may_contact` for the purpose and the
channel right before it renders and hands the message to the mail outbox, in the caller's
transaction. `dedupe_key` makes the outbox keep one message per recipient and occasion,
so a worker that dies mid-campaign and starts again sends nobody twice.
(`tests/test_consent_guard.py` checks that nothing else in this app calls the outbox.)
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _

from kunde.activities.services import activity_record
from kunde.campaigns import integration
from kunde.campaigns.models import EmailTemplate
from kunde.campaigns.personalisation import Rendered, choose_language, person_context, render_with
from kunde.contacts.models import Person
from kunde.core import links

EMAIL_SENT = "campaigns.email_sent"

_HREF = re.compile(r'href="(https?://[^"]+)"')


@dataclass(frozen=True)
class Delivery:
    """What happened to one person: `sent` with the outbox row, or skipped with a reason."""

    sent: bool
    reason: str = ""
    outbound: Any = None
    rendered: Rendered | None = None

    @property
    def message_id(self) -> str:
        return str(getattr(self.outbound, "message_id", "") or "")


def click_url(recipient_id: int, url: str) -> str:
    from kunde.campaigns.services import public_url

    encoded = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    token = links.make_token("campaign-click", f"{recipient_id}.{encoded}")
    return public_url(reverse("campaigns:click", args=[token]))


def read_click_token(token: str) -> tuple[int, str]:
    """(recipient id, target URL) of a click link; raises LinkError or ValueError when broken."""
    recipient_id, _sep, encoded = links.read_token("campaign-click", token).partition(".")
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    return int(recipient_id), url


def track_links(html: str, recipient_id: int, *, keep: tuple[str, ...] = ()) -> str:
    """Point every http(s) link except `keep` (unsubscribe, preferences) at the signed redirect."""

    def swap(match: re.Match[str]) -> str:
        url = match.group(1).replace("&amp;", "&")
        if url in keep or not url:
            return match.group(0)
        return f'href="{click_url(recipient_id, url)}"'

    return _HREF.sub(swap, html)


def pixel(recipient_id: int) -> str:
    from kunde.campaigns.services import public_url

    token = links.make_token("campaign-open", str(recipient_id))
    return f'<img src="{public_url(reverse("campaigns:open", args=[token]))}" width="1" height="1" alt="">'


def deliver(
    *,
    person: Person,
    template: EmailTemplate,
    dedupe_key: str,
    purpose: str = "",
    sender: Any = None,
    related: models.Model | None = None,
    campaign_name: str = "",
    survey_url: str = "",
    track_recipient_id: int | None = None,
    tracking_pixel: bool = False,
    categories: dict[str, str] | None = None,
    context: dict[str, Any] | None = None,
) -> Delivery:
    """Send `template` to `person` if they may be contacted for `purpose` by e-mail right now."""
    purpose = purpose or template.purpose
    address = integration.primary_email(person)
    if not address:
        return Delivery(False, _("No e-mail address."))
    if not integration.may_contact(person, purpose=purpose, channel="email", address=address):
        return Delivery(False, _("No valid consent for “%(purpose)s” by e-mail.") % {"purpose": purpose})
    language = choose_language(template, person)
    if context is None:
        context = person_context(person, language=language, purpose=purpose, sender=sender,
                                 campaign_name=campaign_name, survey_url=survey_url, categories=categories)
    rendered = render_with(template, language, context)
    html = rendered.html
    if html and track_recipient_id is not None:
        keep = tuple(v for k, v in context.get("links", {}).items() if k in ("unsubscribe", "preferences"))
        html = track_links(html, track_recipient_id, keep=keep)
    if html and tracking_pixel and track_recipient_id is not None:
        html = html.replace("</body>", pixel(track_recipient_id) + "</body>") if "</body>" in html \
            else html + pixel(track_recipient_id)
    outbound = integration.outbox_enqueue(
        to=address, subject=rendered.subject, text=rendered.text, html=html,
        from_address=getattr(sender, "email", "") if sender is not None else "",
        headers=integration.unsubscribe_headers(person, purpose), dedupe_key=dedupe_key, purpose=purpose,
        person=person, related=related,
    )
    activity_record(
        actor=None, kind=EMAIL_SENT, subject=rendered.subject, person=person, channel="email", direction="out",
        related=related, notes=rendered.text[:4000],
        data={"template_id": template.pk, "outbound_id": getattr(outbound, "pk", None), "dedupe_key": dedupe_key},
    )
    return Delivery(True, outbound=outbound, rendered=rendered)


def send_test(*, actor: Any, template: EmailTemplate, person: Person, token: str) -> Delivery:
    """Send the template as rendered for `person` to the user's own address (no customer is mailed)."""
    address = getattr(actor, "email", "")
    if not address:
        return Delivery(False, _("Your user account has no e-mail address."))
    language = choose_language(template, person)
    context = person_context(person, language=language, purpose=template.purpose, sender=actor)
    rendered = render_with(template, language, context)
    outbound = integration.outbox_enqueue(
        to=address, subject="[TEST] " + rendered.subject, text=rendered.text, html=rendered.html,
        dedupe_key=f"template-test:{template.pk}:{token}", purpose="test",
    )
    return Delivery(True, outbound=outbound, rendered=rendered)
