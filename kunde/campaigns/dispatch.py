"""Running a campaign: recipients, sending in batches with a rate limit, exports, results.

`campaign_start` freezes the recipients (one row per person, unique): the people of the
segment whom the starting user may see. It refuses a segment without a single consenting
member, and a segment that was deleted or that user may not see. The worker then sends pending recipients in
batches: each recipient in its own transaction, consent checked again at that moment
(by `sending.deliver`), the outbox row and the recipient's new status committed together;
the outbox's dedupe key `campaign:<id>:person:<pid>` keeps one message per recipient
even if the worker dies and the batch runs again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.activities.services import activity_record
from kunde.campaigns import integration
from kunde.campaigns.models import Campaign, CampaignRecipient, Conversion
from kunde.campaigns.sending import deliver
from kunde.campaigns.services import CampaignEvent, require_writer, survey_invite, survey_url
from kunde.contacts.models import Address, Person, PhoneNumber
from kunde.core.events import emit_on_commit
from kunde.core.export import csv_text

logger = logging.getLogger("kunde.campaigns")

BATCH_SIZE = 200
_BULK = 2000


def rate_per_second() -> float:
    return float(getattr(settings, "KUNDE_CAMPAIGN_RATE", 0) or 0)  # 0 = no limit


def _segment(campaign: Campaign, actor: User | None) -> Any:
    """The campaign's people that `actor` may see (ValidationError for a missing or invisible segment)."""
    return integration.segment_people(segment_id=campaign.segment_id, definition=campaign.segment_definition,
                                      user=actor)


def _any_consenting(campaign: Campaign, people: Any) -> bool:
    for person in people.iterator(chunk_size=500):
        if integration.may_contact(person, purpose=campaign.purpose, channel=campaign.channel):
            return True
    return False


@transaction.atomic
def campaign_start(*, actor: User | None, campaign: Campaign, now: dt.datetime | None = None) -> int:
    """Freeze the recipients `actor` may see and hand the campaign to the worker; returns their number."""
    require_writer(actor)
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        raise ValidationError(_("This campaign has already been sent."))
    if campaign.channel == "email" and campaign.template is not None:
        from kunde.campaigns.services import _check_template

        _check_template(campaign.template)
    people = integration.without_held_out(campaign, _segment(campaign, actor).filter(deleted_at__isnull=True))
    people = people.order_by("pk")
    if not _any_consenting(campaign, people):
        raise ValidationError(
            _("Nobody in this segment may be contacted for “%(purpose)s” by %(channel)s: nothing was sent.")
            % {"purpose": campaign.purpose, "channel": campaign.get_channel_display()}
        )
    count = 0
    batch: list[CampaignRecipient] = []
    for pk in people.values_list("pk", flat=True).iterator(chunk_size=_BULK):
        batch.append(CampaignRecipient(campaign=campaign, person_id=pk))
        if len(batch) >= _BULK:
            CampaignRecipient.objects.bulk_create(batch, ignore_conflicts=True)
            count += len(batch)
            batch = []
    if batch:
        CampaignRecipient.objects.bulk_create(batch, ignore_conflicts=True)
        count += len(batch)
    later = campaign.scheduled_at is not None and campaign.scheduled_at > now
    campaign.status = Campaign.Status.SCHEDULED if later else Campaign.Status.SENDING
    if not later:
        campaign.started_at = now
        if campaign.channel != "email":  # letters and calls: the frozen list is the result (export)
            campaign.status, campaign.finished_at = Campaign.Status.SENT, now
    campaign.version += 1
    campaign.save(update_fields=["status", "started_at", "finished_at", "version", "updated_at"])
    if not later and campaign.channel == "email":
        transaction.on_commit(lambda: _kick(campaign.pk))
    return count


def _kick(campaign_id: int) -> None:
    from kunde.campaigns.tasks import send_campaign

    try:
        send_campaign.enqueue(campaign_id)
    except Exception:  # the periodic job picks it up anyway
        logger.exception("could not enqueue campaign %s", campaign_id)


def _send_one(campaign: Campaign, recipient_id: int, categories: dict[str, str]) -> str:
    with transaction.atomic():
        recipient = (
            CampaignRecipient.objects.select_for_update().select_related("person")
            .filter(pk=recipient_id, status=CampaignRecipient.Status.PENDING).first()
        )
        if recipient is None:
            return "done"
        person = recipient.person
        now = timezone.now()
        if person.deleted_at is not None:
            recipient.status, recipient.reason = CampaignRecipient.Status.SKIPPED, _("Person deleted.")
            recipient.save(update_fields=["status", "reason"])
            return "skipped"
        link = ""
        if campaign.survey is not None:
            link = survey_url(survey_invite(survey=campaign.survey, person=person, campaign=campaign))
        assert campaign.template is not None
        delivery = deliver(
            person=person, template=campaign.template, purpose=campaign.purpose,
            dedupe_key=f"campaign:{campaign.pk}:person:{person.pk}", sender=campaign.created_by, related=campaign,
            campaign_name=campaign.name, survey_url=link, categories=categories,
            track_recipient_id=recipient.pk if campaign.track_clicks else None,
            tracking_pixel=campaign.tracking_pixel,
        )
        if delivery.sent:
            recipient.status, recipient.sent_at = CampaignRecipient.Status.SENT, now
            recipient.outbound_id = getattr(delivery.outbound, "pk", None)
            recipient.message_id = delivery.message_id[:250]
        else:
            recipient.status, recipient.reason = CampaignRecipient.Status.SKIPPED, delivery.reason[:200]
        recipient.save(update_fields=["status", "reason", "sent_at", "outbound_id", "message_id"])
        return "sent" if delivery.sent else "skipped"


def campaign_send_batch(campaign_id: int, *, limit: int = BATCH_SIZE, rate: float | None = None) -> int:
    """Send up to `limit` pending recipients of a sending campaign; returns how many were handled."""
    campaign = Campaign.objects.select_related("template", "created_by", "survey").filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Campaign.Status.SENDING or campaign.channel != "email":
        return 0
    rate = rate_per_second() if rate is None else rate
    categories = integration.category_names()
    ids = list(
        CampaignRecipient.objects.filter(campaign=campaign, status=CampaignRecipient.Status.PENDING)
        .order_by("pk").values_list("pk", flat=True)[:limit]
    )
    started = time.monotonic()
    for index, recipient_id in enumerate(ids, start=1):
        try:
            _send_one(campaign, recipient_id, categories)
        except ValidationError as error:  # e.g. the template cannot be filled in for this person
            CampaignRecipient.objects.filter(pk=recipient_id, status=CampaignRecipient.Status.PENDING).update(
                status=CampaignRecipient.Status.FAILED, reason=" ".join(error.messages)[:200])
        except Exception as error:  # one broken recipient does not stop the campaign
            logger.exception("campaign %s: recipient %s failed", campaign.pk, recipient_id)
            CampaignRecipient.objects.filter(pk=recipient_id, status=CampaignRecipient.Status.PENDING).update(
                status=CampaignRecipient.Status.FAILED, reason=str(error)[:200])
        if rate:
            ahead = index / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    if not CampaignRecipient.objects.filter(campaign=campaign, status=CampaignRecipient.Status.PENDING).exists():
        _finish(campaign)
    return len(ids)


def _finish(campaign: Campaign) -> None:
    with transaction.atomic():
        updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SENT, finished_at=timezone.now())
        if updated:
            emit_on_commit(CampaignEvent.CAMPAIGN_SENT, id=campaign.pk)


def campaign_send_all(campaign_id: int, *, time_budget: float | None = None) -> int:
    """Send batch after batch until the campaign is done (or the time budget is used up)."""
    started = time.monotonic()
    total = 0
    while True:
        handled = campaign_send_batch(campaign_id)
        total += handled
        if not handled or (time_budget is not None and time.monotonic() - started > time_budget):
            return total


def run_due_campaigns(now: dt.datetime | None = None, *, time_budget: float = 50.0) -> int:
    """Start scheduled campaigns whose time has come and send pending recipients of sending ones."""
    now = now or timezone.now()
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.SCHEDULED, scheduled_at__lte=now) \
            .values_list("pk", flat=True):
        due = Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SCHEDULED)
        due.filter(channel="email").update(status=Campaign.Status.SENDING, started_at=now)
        due.exclude(channel="email").update(status=Campaign.Status.SENT, started_at=now, finished_at=now)
    total = 0
    started = time.monotonic()
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.SENDING, channel="email") \
            .order_by("pk").values_list("pk", flat=True):
        left = time_budget - (time.monotonic() - started)
        if left <= 0:
            break
        total += campaign_send_all(campaign_id, time_budget=left)
    return total


# --- letter and phone campaigns -------------------------------------------------------


def campaign_export_csv(*, actor: User | None, campaign: Campaign) -> str:
    """A call list (phone) or mail-merge list (letter) of the recipients who may be contacted so."""
    require_writer(actor)
    out = io.StringIO()
    writer = csv.writer(out)
    phone = campaign.channel == "phone"
    writer.writerow(["person_id", "salutation", "title", "first_name", "last_name", "language",
                     *(["phone"] if phone else ["street", "extra", "postal_code", "city", "country"])])
    recipients = CampaignRecipient.objects.filter(campaign=campaign).select_related("person").order_by("pk")
    if actor is not None:
        recipients = recipients.filter(person__in=Person.objects.for_user(actor))
    for recipient in recipients.iterator(chunk_size=500):
        person = recipient.person
        if not integration.may_contact(person, purpose=campaign.purpose, channel=campaign.channel):
            continue
        base = [person.pk, person.get_salutation_display() if person.salutation else "", person.title,
                person.first_name, person.last_name, person.preferred_language]
        if phone:
            number = PhoneNumber.objects.filter(person=person).order_by("-is_primary", "id").first()
            if number is None:
                continue
            writer.writerow([csv_text(cell) for cell in (*base, number.number)])
        else:
            address = Address.objects.filter(person=person).order_by("-is_primary", "id").first()
            if address is None:
                continue
            writer.writerow([csv_text(cell) for cell in (*base, address.street, address.extra, address.postal_code,
                                                        address.city, address.country)])
    return out.getvalue()


# --- clicks, opens, conversions and results ------------------------------------------


def record_click(recipient_id: int) -> None:
    now = timezone.now()
    CampaignRecipient.objects.filter(pk=recipient_id, first_clicked_at__isnull=True).update(first_clicked_at=now)
    CampaignRecipient.objects.filter(pk=recipient_id).update(clicks=F("clicks") + 1)


def record_open(recipient_id: int) -> None:
    CampaignRecipient.objects.filter(pk=recipient_id, opened_at__isnull=True).update(opened_at=timezone.now())


def attribute_order(order_id: int, person_id: int | None = None, amount: Decimal | None = None,
                    at: dt.datetime | None = None) -> Conversion | None:
    """Attribute an order to the campaign that last reached its person within that campaign's window.

    A click beats a mere send; among equals the most recent one wins. One campaign per order.
    """
    if person_id is None or amount is None:
        info = integration.order_info(order_id)
        if info is None:
            return None
        person_id = person_id or info["person_id"]
        amount = Decimal(str(info["amount"] or 0)) if amount is None else amount
        at = at or info["created_at"]
    if person_id is None:
        return None
    at = at or timezone.now()
    candidates = (
        CampaignRecipient.objects.filter(person_id=person_id, status=CampaignRecipient.Status.SENT,
                                         sent_at__lte=at)
        .select_related("campaign").order_by("-first_clicked_at", "-sent_at")
    )
    best: CampaignRecipient | None = None
    via = "send"
    for recipient in candidates[:50]:
        window = dt.timedelta(days=recipient.campaign.conversion_window_days)
        if recipient.first_clicked_at is not None and recipient.first_clicked_at <= at <= \
                recipient.first_clicked_at + window:
            best, via = recipient, "click"
            break
        if best is None and recipient.sent_at is not None and at <= recipient.sent_at + window:
            best = recipient
    if best is None:
        return None
    with transaction.atomic():
        conversion, created = Conversion.objects.get_or_create(
            campaign=best.campaign, order_id=order_id,
            defaults={"recipient": best, "amount": amount or Decimal("0"), "via": via},
        )
        if created:
            activity_record(
                actor=None, kind="campaigns.order_attributed", person=best.person,
                subject=_("Order attributed to the campaign “%(name)s”") % {"name": best.campaign.name},
                related=best.campaign, data={"order_id": order_id, "campaign_id": best.campaign_id, "via": via},
            )
    return conversion


def _recipients(campaign: Campaign, user: User | None) -> Any:
    """The campaign's recipients `user` may see (None: all of them)."""
    rows = CampaignRecipient.objects.filter(campaign=campaign)
    return rows if user is None else rows.filter(pk__in=CampaignRecipient.objects.for_user(user).values("pk"))


def _outbound_statuses(recipients: Any) -> dict[str, int]:
    try:
        from kunde.mail.models import OutboundMessage  # type: ignore[attr-defined]
    except ImportError:
        return {}
    try:
        ids = recipients.filter(outbound_id__isnull=False).values("outbound_id")
        rows = OutboundMessage.objects.filter(pk__in=ids).values("status").annotate(n=Count("pk"))
        return {str(row["status"]): row["n"] for row in rows}
    except Exception:
        return {}


def campaign_results(campaign: Campaign, *, user: User | None = None) -> dict[str, Any]:
    """Counts, conversions, revenue and ROI over the recipients `user` may see (None: all of them)."""
    recipients = _recipients(campaign, user)
    counts = recipients.aggregate(
        recipients=Count("pk"),
        sent=Count("pk", filter=Q(status=CampaignRecipient.Status.SENT)),
        skipped=Count("pk", filter=Q(status=CampaignRecipient.Status.SKIPPED)),
        failed=Count("pk", filter=Q(status=CampaignRecipient.Status.FAILED)),
        pending=Count("pk", filter=Q(status=CampaignRecipient.Status.PENDING)),
        clicked=Count("pk", filter=Q(first_clicked_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        delivered=Count("pk", filter=Q(delivered_at__isnull=False, bounced_at__isnull=True)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
    )
    if not counts["delivered"] and not counts["bounced"]:  # no mail events seen: ask the outbox
        statuses = _outbound_statuses(recipients)
        counts["bounced"] = statuses.get("bounced", 0)
        counts["delivered"] = statuses.get("sent", 0)
    conversions = Conversion.objects.filter(campaign=campaign, recipient__in=recipients.values("pk")) \
        .aggregate(n=Count("pk"), revenue=Sum("amount"))
    revenue = conversions["revenue"] or Decimal("0")
    roi = None
    if campaign.cost:
        roi = ((revenue - campaign.cost) / campaign.cost).quantize(Decimal("0.01"))
    return {
        **counts,
        "unsubscribed": _unsubscribed(campaign, recipients),
        "conversions": conversions["n"], "revenue": revenue, "cost": campaign.cost, "roi": roi,
    }


def _unsubscribed(campaign: Campaign, recipients: Any) -> int:
    """Recipients mailed by this campaign who may no longer be contacted for its purpose."""
    sent = recipients.filter(status=CampaignRecipient.Status.SENT).select_related("person")
    if sent.count() > 5000:  # too many to ask one by one on a page view
        return 0
    return sum(1 for r in sent if not integration.may_contact(r.person, purpose=campaign.purpose))
