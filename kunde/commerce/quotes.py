"""Quotes: create and revise, send as PDF by e-mail, and the customer's answer by a signed link.

An accepted quote becomes an order, and the deal it belongs to is won. The link only says
which quote; whether an answer is still possible is the quote's state: a sent quote that
is still valid takes one answer, everything else gets a page saying why, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.activities.services import activity_record
from kunde.commerce.deductions import Deduction, deduction_total, deductions_for
from kunde.commerce.models import Quote, QuoteLine
from kunde.commerce.money import decimal, deducted_totals, discounted_totals, line_net
from kunde.commerce.services import _lines, next_number, order_create
from kunde.contacts.models import Organisation, Person
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.exceptions import PermissionDenied
from kunde.core.links import LinkError, make_token, read_token
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, user_can
from kunde.core.services import lock, require_create
from kunde.sales.money import to_eur

VALIDITY = dt.timedelta(days=30)
LINK_PURPOSE = "quote"


class QuoteEvent:
    SENT = "commerce.quote_sent"
    ACCEPTED = "commerce.quote_accepted"
    DECLINED = "commerce.quote_declined"


@dataclass(frozen=True)
class QuoteTotals:
    undiscounted: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_by_rate: dict[Decimal, Decimal]
    deductions: tuple[Deduction, ...] = ()


def quote_can_change(user: User | Any, quote: Quote) -> bool:
    """Whether `user` may send or revise `quote`: by their role on the quote itself, or on its deal.

    A quote is owned by whoever made it; a rep who may change the quote's deal (a quote without a
    deal: its customer) may work it too, so a colleague's quote does not block the deal.
    """
    if user_can(user, Action.CHANGE, quote):
        return True
    if quote.deal is not None:
        return user_can(user, Action.CHANGE, quote.deal)
    return any(user_can(user, Action.CHANGE, record) for record in (quote.organisation, quote.person)
               if record is not None)


def _require_change(actor: User | None, quote: Quote) -> None:
    if actor is not None and not quote_can_change(actor, quote):
        raise PermissionDenied(f"change not allowed on commerce.quote #{quote.pk}")


def _discount(value: Any, errors: dict[str, list[str]]) -> Decimal:
    """The quote discount as Decimal, or an error under `discount_percent` (not a number, not 0 to 100)."""
    try:
        discount = decimal(value, "discount_percent")
    except ValueError:
        errors["discount_percent"] = [_("The discount must be a number.")]
        return Decimal(0)
    if not Decimal(0) <= discount <= Decimal(100):
        errors["discount_percent"] = [_("The discount must lie between 0 and 100 %.")]
    elif discount != discount.quantize(Decimal("0.01")):
        errors["discount_percent"] = [_("Give the discount with at most two decimals.")]
    return discount


def _owner_and_team(actor: User | None, deal: Any, customer: Organisation | Person | None) -> tuple[Any, Any]:
    """Who owns a new quote: the rep who makes it, in the team of its deal (else of its customer).

    The team keeps the quote visible to the people working the deal and the customer; the system
    (actor None) gives it to the deal's or the customer's owner.
    """
    holder = deal if deal is not None else customer
    owner = actor if actor is not None else (holder.owner if holder is not None else None)
    team = holder.team if holder is not None and holder.team_id else None
    if team is None and owner is not None:
        team = owner.primary_team
    return owner, team


def _other_customer(deal: Any, person: Person | None, organisation: Organisation | None) -> bool:
    """Whether the quote's customer is not the deal's (another contact person of the deal's company is)."""
    if deal.organisation_id is not None:
        return organisation is not None and organisation.pk != deal.organisation_id
    return person is not None and deal.person_id is not None and person.pk != deal.person_id


def quote_totals(quote: Quote) -> QuoteTotals:
    lines = [(line.net_amount, line.vat_rate) for line in quote.lines.all()]
    deductions = deductions_for(quote)  # e.g. redeemed loyalty points, after the percentage discount
    sums = deducted_totals(discounted_totals(lines, quote.discount_percent), deduction_total(deductions))
    return QuoteTotals(undiscounted=sum((net for net, _rate in lines), Decimal(0)), net=sums.net, vat=sums.vat,
                       gross=sums.gross, vat_by_rate=sums.vat_by_rate, deductions=tuple(deductions))


def quote_totals_refresh(quote: Quote) -> Quote:
    """Store `quote`'s totals again after a deduction was granted or withdrawn (caller holds the row lock)."""
    sums = quote_totals(quote)
    quote.net_total, quote.vat_total, quote.gross_total = sums.net, sums.vat, sums.gross
    quote.save(update_fields=["net_total", "vat_total", "gross_total"])
    return quote


def _write_lines(quote: Quote, rows: Sequence[dict[str, Any]]) -> None:
    errors: dict[str, list[str]] = {}
    parsed = _lines(rows, errors)
    if errors:
        raise ValidationError(errors)
    quote.lines.all().delete()
    QuoteLine.objects.bulk_create([
        QuoteLine(quote=quote, position=index, product=line.product, description=line.description,
                  quantity=line.quantity, unit=line.unit, unit_price=line.unit_price,
                  discount_percent=line.discount_percent, vat_rate=line.vat_rate,
                  net_amount=line_net(line.quantity, line.unit_price, line.discount_percent))
        for index, line in enumerate(parsed, start=1)])
    sums = quote_totals(quote)
    quote.net_total, quote.vat_total, quote.gross_total = sums.net, sums.vat, sums.gross
    quote.save(update_fields=["net_total", "vat_total", "gross_total"])


@transaction.atomic
def quote_create(*, actor: User | None, lines: Sequence[dict[str, Any]], person: Person | None = None,
                 organisation: Organisation | None = None, deal: Any = None, discount_percent: Any = 0,
                 currency: str = "EUR", valid_until: dt.date | None = None, language: str = "",
                 notes: str = "") -> Quote:
    """A draft quote with its lines and totals, owned by `actor`; a quote for a deal needs leave to change it."""
    require_create(actor)
    errors: dict[str, list[str]] = {}
    if person is None and organisation is None and deal is not None:
        person, organisation = deal.person, deal.organisation
    if person is None and organisation is None:
        errors["customer"] = [_("Give a person or an organisation (or both).")]
    for record in (person, organisation, deal):
        if record is not None and actor is not None and not user_can(actor, Action.VIEW, record):
            errors["customer"] = [_("Unknown customer.")]
    if deal is not None and "customer" not in errors:
        # The customer's acceptance wins the deal: only who may change the deal may quote for it.
        if actor is not None and not user_can(actor, Action.CHANGE, deal):
            errors["deal"] = [_("You may not change this deal, so you cannot make a quote for it.")]
        elif _other_customer(deal, person, organisation):
            errors["deal"] = [_("The deal belongs to another customer.")]
    discount = _discount(discount_percent, errors)
    today = timezone.localdate()
    currency = (currency or "EUR").strip().upper()
    try:
        to_eur(Decimal(1), currency, today)
    except ValidationError as error:
        errors["currency"] = error.messages
    if errors:
        raise ValidationError(errors)
    language = language or (person.preferred_language if person and person.preferred_language in {"de", "en"}
                            else "de")
    owner, team = _owner_and_team(actor, deal, organisation or person)
    quote = Quote.objects.create(
        number=next_number("AN", today), person=person, organisation=organisation, deal=deal, language=language,
        currency=currency, issued_on=today, valid_until=valid_until or today + VALIDITY, discount_percent=discount,
        net_total=0, vat_total=0, gross_total=0, notes=notes, owner=owner, team=team)
    _write_lines(quote, lines)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=quote, after=snapshot(quote))
    return quote


@transaction.atomic
def quote_revise(*, actor: User | None, quote: Quote, lines: Sequence[dict[str, Any]] | None = None,
                 discount_percent: Any = None) -> Quote:
    """A new revision (same number) as a draft; the old one is kept, superseded."""
    _require_change(actor, quote)
    current = lock(quote)
    if current.status in {Quote.Status.ACCEPTED, Quote.Status.SUPERSEDED}:
        raise ValidationError({"status": [_("This quote cannot be revised any more.")]})
    errors: dict[str, list[str]] = {}
    discount = current.discount_percent if discount_percent is None else _discount(discount_percent, errors)
    if errors:
        raise ValidationError(errors)
    rows = lines if lines is not None else [
        {"product": line.product, "description": line.description, "quantity": line.quantity, "unit": line.unit,
         "unit_price": line.unit_price, "discount_percent": line.discount_percent, "vat_rate": line.vat_rate}
        for line in current.lines.all()]
    Quote.objects.filter(pk=current.pk).update(status=Quote.Status.SUPERSEDED)
    revision = Quote.objects.create(
        number=current.number, revision=current.revision + 1, previous=current, person=current.person,
        organisation=current.organisation, deal=current.deal, language=current.language, currency=current.currency,
        issued_on=timezone.localdate(), valid_until=timezone.localdate() + VALIDITY,
        discount_percent=discount, net_total=0, vat_total=0, gross_total=0, notes=current.notes,
        owner=current.owner, team=current.team)
    _write_lines(revision, rows)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=revision, after=snapshot(revision),
                 extra={"revision_of": current.pk})
    return revision


def acceptance_url(quote: Quote) -> str:
    base = getattr(settings, "KUNDE_BASE_URL", "http://localhost:8000").rstrip("/")
    return base + reverse("commerce:quote_answer", args=[make_token(LINK_PURPOSE, quote.pk)])


def _recipient(quote: Quote) -> str:
    for holder in (quote.person, quote.organisation):
        if holder is not None:
            email = holder.emails.order_by("-is_primary", "id").first()
            if email is not None:
                return email.email
    return ""


def _history(actor: User | None, quote: Quote, **entry: Any) -> None:
    """A history entry on the quote's customer, attributed to `actor`.

    The caller has checked that `actor` may work the quote; a rep may do so without being allowed
    to change the customer (a teammate's customer), so the entry is then written as the system and
    attributed to the rep afterwards, as the deal history does.
    """
    from kunde.activities.models import Activity

    fields = {"person": quote.person, "organisation": quote.organisation, "related": quote, **entry}
    try:
        activity_record(actor=actor, **fields)
    except PermissionDenied:
        activity = activity_record(actor=None, **fields)
        Activity.objects.filter(pk=activity.pk).update(created_by=actor)


def _send_key(quote: Quote) -> str:
    """The outbox key of the next e-mail of `quote`: one per send, so "send again" really sends.

    Counted under the quote's row lock, so two sends never share a key; the first send keeps the
    key of earlier versions (``quote:<id>:sent:<revision>``).
    """
    from kunde.mail.models import OutboundMessage

    base = f"quote:{quote.pk}:sent:{quote.revision}"
    count = OutboundMessage.objects.filter(related_type="commerce.quote", related_id=str(quote.pk),
                                           purpose="quote").count()
    key = base if count == 0 else f"{base}:{count + 1}"
    while OutboundMessage.objects.filter(dedupe_key=key).exists():  # an earlier message was removed
        count += 1
        key = f"{base}:{count + 1}"
    return key


@transaction.atomic
def quote_send(*, actor: User | None, quote: Quote, to: str = "") -> Quote:
    """E-mail the quote as PDF with its acceptance link; it is then open for one answer.

    Sending a sent quote again (the customer lost the e-mail, another recipient) sends a new e-mail
    with the same link; each e-mail is one history entry naming its recipient.
    """
    from kunde.commerce.pdf import render_quote_pdf
    from kunde.mail.services import outbox_enqueue

    _require_change(actor, quote)
    current = lock(quote)
    if current.status not in {Quote.Status.DRAFT, Quote.Status.SENT}:
        raise ValidationError({"status": [_("Only a draft or sent quote can be sent.")]})
    if current.valid_until < timezone.localdate():
        # Its link would only say "expired": the customer needs a new revision instead.
        raise ValidationError({"valid_until": [_("This quote has expired; make a new revision and send that.")]})
    address = to.strip() or _recipient(current)
    if not address:
        raise ValidationError({"to": [_("The customer has no e-mail address; give one.")]})
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"to": [_("Enter a valid e-mail address.")]}) from None
    again = current.status == Quote.Status.SENT
    with translation.override(current.language):
        subject = _("Your quote %(number)s") % {"number": str(current)}
        greeting = _("Dear %(name)s,") % {"name": current.person.full_name} if current.person else _("Hello,")
        text = "\n\n".join([
            greeting,
            _("please find our quote %(number)s attached (valid until %(date)s).") % {
                "number": str(current), "date": current.valid_until.strftime("%d.%m.%Y")},
            _("You can accept or decline it here: %(url)s") % {"url": acceptance_url(current)},
        ])
    message = outbox_enqueue(
        to=address, subject=subject, text=text, dedupe_key=_send_key(current),
        attachments=[(f"{str(current).replace(' / ', '-')}.pdf", render_quote_pdf(current), "application/pdf")],
        purpose="quote", person=current.person, organisation=current.organisation, related=current)
    current.status, current.sent_at, current.recipient_email = Quote.Status.SENT, timezone.now(), address
    current.save(update_fields=["status", "sent_at", "recipient_email"])
    values = {"number": str(current), "amount": current.gross_total, "currency": current.currency, "to": address}
    _history(actor, current, kind=QuoteEvent.SENT, channel="email", direction="out",
             subject=(_("Quote %(number)s sent again to %(to)s (%(amount)s %(currency)s)") if again
                      else _("Quote %(number)s sent to %(to)s (%(amount)s %(currency)s)")) % values,
             data={"quote_id": current.pk, "message_id": message.pk, "again": again})
    emit_on_commit(QuoteEvent.SENT, id=current.pk)
    return current


class QuoteAnswerRefused(Exception):
    """The link cannot take an answer (any more); `reason` is one of invalid, expired, answered, withdrawn."""

    def __init__(self, reason: str, quote: Quote | None = None) -> None:
        super().__init__(reason)
        self.reason, self.quote = reason, quote


def quote_for_link(token: str) -> Quote:
    try:
        quote_id = read_token(LINK_PURPOSE, token)
    except LinkError as error:
        raise QuoteAnswerRefused("invalid") from error
    quote = Quote.objects.select_related("person", "organisation").filter(pk=quote_id).first()
    if quote is None:
        raise QuoteAnswerRefused("invalid")
    return quote


def _answerable(quote: Quote) -> None:
    if quote.status in {Quote.Status.ACCEPTED, Quote.Status.DECLINED}:
        raise QuoteAnswerRefused("answered", quote)
    if quote.status != Quote.Status.SENT:
        raise QuoteAnswerRefused("withdrawn", quote)
    if quote.valid_until < timezone.localdate():
        raise QuoteAnswerRefused("expired", quote)


def quote_check_link(token: str) -> Quote:
    """The quote behind a link that may still be answered (else QuoteAnswerRefused)."""
    quote = quote_for_link(token)
    _answerable(quote)
    return quote


@transaction.atomic
def quote_answer(*, token: str, accept: bool, comment: str = "") -> Quote:
    """The customer's answer through the link: accepted → an order (and the deal won), or declined."""
    quote = lock(quote_for_link(token))
    _answerable(quote)
    quote.answered_at, quote.answer_comment = timezone.now(), comment.strip()[:2000]
    if accept:
        quote.status = Quote.Status.ACCEPTED
        quote.order = order_create(
            actor=None, owner=quote.owner, person=quote.person, organisation=quote.organisation,
            currency=quote.currency, source="quote", lines=_order_lines(quote), notes=str(quote),
            discount_percent=quote.discount_percent, deduction=deduction_total(deductions_for(quote)))
    else:
        quote.status = Quote.Status.DECLINED
    quote.save(update_fields=["status", "answered_at", "answer_comment", "order"])
    kind = QuoteEvent.ACCEPTED if accept else QuoteEvent.DECLINED
    with translation.override(quote.language):
        subject = (_("Quote %(number)s accepted") if accept else _("Quote %(number)s declined")) % {
            "number": str(quote)}
    activity_record(actor=None, kind=kind, channel="web", direction="in", person=quote.person,
                    organisation=quote.organisation, subject=subject, notes=quote.answer_comment, related=quote,
                    data={"quote_id": quote.pk, "order_id": quote.order_id})
    if accept and quote.deal is not None:
        from kunde.sales.services import deal_win

        deal_win(actor=None, deal=quote.deal)
    emit_on_commit(kind, id=quote.pk, order_id=quote.order_id, deal_id=quote.deal_id)
    return quote


def _order_lines(quote: Quote) -> list[dict[str, Any]]:
    return [{"product": line.product, "description": line.description, "quantity": line.quantity,
             "unit": line.unit, "unit_price": line.unit_price, "vat_rate": line.vat_rate,
             "discount_percent": line.discount_percent}
            for line in quote.lines.order_by("position")]
