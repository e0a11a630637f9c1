"""Writing loyalty: programme settings, accrual on orders, redemption, reversal, expiry and tiers.

Every change of points is a new ledger entry written under the account's row lock, with the
account's balance updated in the same transaction; the database's CHECK (balance >= 0) is the
last line of defence. Customer-facing steps (points earned per order, points redeemed, points
expired, a new tier) are one history entry each on the customer's timeline.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.activities.services import activity_record
from kunde.commerce.models import Order, Quote
from kunde.contacts.models import Organisation, Person
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, user_can
from kunde.core.services import lock, require_admin, require_permission
from kunde.loyalty import accrual
from kunde.loyalty.models import EarningRule, LedgerEntry, LoyaltyAccount, Programme, Tier

logger = logging.getLogger(__name__)

TIER_WINDOW = dt.timedelta(days=365)
# Orders the daily catch-up accrues (the event handles new ones; this heals missed events).
CATCH_UP_DAYS = 7
MAX_POINTS_PER_REDEMPTION = 10_000_000


class LoyaltyEvent:
    POINTS_EARNED = "loyalty.points_earned"
    POINTS_REDEEMED = "loyalty.points_redeemed"
    POINTS_EXPIRED = "loyalty.points_expired"
    POINTS_REVERSED = "loyalty.points_reversed"
    TIER_CHANGED = "loyalty.tier_changed"


class HistoryKind:
    EARNED = "loyalty.points_earned"
    REDEEMED = "loyalty.points_redeemed"
    EXPIRED = "loyalty.points_expired"
    REVERSED = "loyalty.points_reversed"
    ADJUSTED = "loyalty.points_adjusted"
    TIER_CHANGED = "loyalty.tier_changed"


# --- programme settings (administrators) -----------------------------------------------


def active_programme() -> Programme | None:
    """The one active programme, if any."""
    return Programme.objects.filter(is_active=True).first()


def _save(actor: User | None, instance: models.Model, before: dict[str, Any] | None = None) -> None:
    instance.full_clean()
    instance.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE if before is None else AuditEntry.Action.UPDATE,
                 instance=instance, before=before, after=snapshot(instance))


@transaction.atomic
def programme_create(*, actor: User | None, name: str, point_value_eur: Any = Decimal("0.01"),
                     expiry_months: int | None = None, currency: str = "EUR", is_active: bool = True) -> Programme:
    """Set up a loyalty programme (administrators); only one can be active."""
    require_admin(actor)
    if is_active and Programme.objects.filter(is_active=True).exists():
        raise ValidationError({"is_active": [_("Another programme is active; deactivate it first.")]})
    programme = Programme(name=name.strip(), point_value_eur=point_value_eur, expiry_months=expiry_months,
                          currency=(currency or "EUR").upper(), is_active=is_active)
    _save(actor, programme)
    return programme


@transaction.atomic
def programme_update(*, actor: User | None, programme: Programme, changes: dict[str, Any],
                     expected_version: int | None = None) -> Programme:
    """Change a programme's settings; new values apply to points earned from now on."""
    from kunde.core.exceptions import ConflictError

    require_admin(actor)
    current = lock(programme)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(expected=expected_version, current=current)
    if changes.get("is_active") and Programme.objects.filter(is_active=True).exclude(pk=current.pk).exists():
        raise ValidationError({"is_active": [_("Another programme is active; deactivate it first.")]})
    before = snapshot(current)
    for name in ("name", "point_value_eur", "expiry_months", "is_active"):
        if name in changes:
            setattr(current, name, changes[name])
    current.version += 1
    _save(actor, current, before)
    return current


def _clean_rule(rule: EarningRule) -> None:
    errors: dict[str, list[str]] = {}
    if rule.kind == EarningRule.Kind.CATEGORY and rule.category_id is None:
        errors["category"] = [_("A category rule needs a product category.")]
    if rule.kind in {EarningRule.Kind.CATEGORY, EarningRule.Kind.BONUS} and rule.multiplier < 1:
        errors["multiplier"] = [_("The multiplier must be at least 1 (1 = no extra points).")]
    if rule.kind == EarningRule.Kind.BONUS and rule.multiplier == 1 and not rule.extra_points:
        errors["multiplier"] = [_("A bonus campaign needs a multiplier above 1 or extra points.")]
    if rule.starts_on and rule.ends_on and rule.ends_on < rule.starts_on:
        errors["ends_on"] = [_("The end lies before the start.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rule_create(*, actor: User | None, programme: Programme, name: str, kind: str, **fields: Any) -> EarningRule:
    """Add an earning rule; it applies to orders accrued from now on (and to the backfill)."""
    require_admin(actor)
    rule = EarningRule(programme=programme, name=name.strip(), kind=kind, **fields)
    _clean_rule(rule)
    _save(actor, rule)
    return rule


@transaction.atomic
def rule_update(*, actor: User | None, rule: EarningRule, changes: dict[str, Any]) -> EarningRule:
    require_admin(actor)
    current = lock(rule)
    before = snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    _clean_rule(current)
    _save(actor, current, before)
    return current


@transaction.atomic
def tier_create(*, actor: User | None, programme: Programme, name: str, threshold: int,
                benefits: str = "") -> Tier:
    """Add a tier reached with `threshold` points earned in the last 12 months."""
    require_admin(actor)
    if programme.tiers.filter(threshold=threshold).exists():
        raise ValidationError({"threshold": [_("Another tier has this threshold.")]})
    tier = Tier(programme=programme, name=name.strip(), threshold=threshold, benefits=benefits)
    _save(actor, tier)
    return tier


@transaction.atomic
def tier_update(*, actor: User | None, tier: Tier, changes: dict[str, Any]) -> Tier:
    require_admin(actor)
    current = lock(tier)
    if "threshold" in changes and current.programme.tiers.filter(threshold=changes["threshold"]).exclude(
            pk=current.pk).exists():
        raise ValidationError({"threshold": [_("Another tier has this threshold.")]})
    before = snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    _save(actor, current, before)
    return current


# --- accounts ---------------------------------------------------------------------------


def account_for(programme: Programme, *, person: Person | None = None,
                organisation: Organisation | None = None) -> LoyaltyAccount:
    """The customer's account in `programme`, opened on first use (a person's wins over an organisation's)."""
    if person is not None:
        account, _created = LoyaltyAccount.objects.get_or_create(programme=programme, person=person)
    elif organisation is not None:
        account, _created = LoyaltyAccount.objects.get_or_create(programme=programme, organisation=organisation)
    else:
        raise ValidationError({"customer": [_("Give a person or an organisation.")]})
    return account


def _history(account: LoyaltyAccount, *, kind: str, subject: str, actor: User | None = None,
             related: models.Model | None = None, data: dict[str, Any] | None = None,
             occurred_at: dt.datetime | None = None) -> None:
    """One entry on the customer's timeline; written as the system, attributed to `actor`.

    The caller has checked the actor's right already (a redemption needs leave to change the
    customer); system steps (accrual, expiry) have no actor.
    """
    activity = activity_record(actor=None, kind=kind, person=account.person,
                               organisation=account.organisation if account.person_id is None else None,
                               subject=subject[:200], related=related, data=data or {}, occurred_at=occurred_at)
    if actor is not None:
        type(activity).objects.filter(pk=activity.pk).update(created_by=actor)


def _append(account: LoyaltyAccount, *, kind: str, points: int, reason: str, actor: User | None = None,
            **fields: Any) -> LedgerEntry:
    """Write one entry on a locked `account` and move its balance (never below zero)."""
    if account.balance + points < 0:
        raise ValidationError({"points": [_("Not enough points: the balance is %(balance)s.") % {
            "balance": account.balance}]})
    account.balance += points
    account.updated_at = timezone.now()
    try:
        with transaction.atomic():
            account.save(update_fields=["balance", "updated_at"])
    except IntegrityError as error:  # the CHECK constraint: the balance would go negative
        raise ValidationError({"points": [_("Not enough points.")]}) from error
    entry = LedgerEntry(account=account, kind=kind, points=points, balance_after=account.balance,
                        reason=reason[:300], occurred_on=fields.pop("occurred_on", timezone.localdate()),
                        actor=actor, **fields)
    entry.save(force_insert=True)
    return entry


# --- tiers --------------------------------------------------------------------------------

_QUALIFYING = Q(kind__in=[LedgerEntry.Kind.EARNED, LedgerEntry.Kind.BONUS]) | Q(
    kind=LedgerEntry.Kind.ADJUSTED, order__isnull=False)


def qualifying_points(account: LoyaltyAccount, today: dt.date | None = None) -> int:
    """Points earned on orders of the last 12 months, less their reversals (redeeming or expiry do not count)."""
    since = (today or timezone.localdate()) - TIER_WINDOW
    total = account.entries.filter(_QUALIFYING, occurred_on__gt=since).aggregate(total=Sum("points"))["total"]
    return int(total or 0)


def tier_for(programme: Programme, points: int) -> Tier | None:
    return programme.tiers.filter(threshold__lte=points).order_by("-threshold").first()


def tier_recompute(account: LoyaltyAccount, *, today: dt.date | None = None) -> Tier | None:
    """Set the tier of a locked `account` from its qualifying points; a change is on the timeline."""
    points = qualifying_points(account, today)
    tier = tier_for(account.programme, points)
    changed = tier != account.tier
    previous = account.tier
    account.qualifying_points = points
    if changed:
        account.tier, account.tier_since = tier, timezone.now()
    account.save(update_fields=["qualifying_points", "tier", "tier_since"])
    if changed:
        _announce_tier(account, previous, tier)
    return tier


def _announce_tier(account: LoyaltyAccount, previous: Tier | None, tier: Tier | None) -> None:
    if tier is not None and (previous is None or tier.threshold > previous.threshold):
        subject = _("Reached loyalty tier %(tier)s") % {"tier": tier.name}
    elif tier is not None:
        subject = _("Loyalty tier now %(tier)s (was %(previous)s)") % {
            "tier": tier.name, "previous": previous.name if previous else "—"}
    else:
        subject = _("Loyalty tier %(previous)s lapsed") % {"previous": previous.name if previous else "—"}
    _history(account, kind=HistoryKind.TIER_CHANGED, subject=subject, related=account,
             data={"account_id": account.pk, "tier_id": tier.pk if tier else None,
                   "previous_tier_id": previous.pk if previous else None})
    emit_on_commit(LoyaltyEvent.TIER_CHANGED, id=account.pk, person_id=account.person_id,
                   organisation_id=account.organisation_id, tier_id=tier.pk if tier else None,
                   previous_tier_id=previous.pk if previous else None)


def tiers_recompute_all(programme: Programme, *, today: dt.date | None = None, announce: bool = True) -> int:
    """Recompute every account's qualifying points and tier set-based; return how many tiers changed.

    Two UPDATE statements over all accounts (the 12-month window moves daily) and one SELECT of
    the accounts whose tier changes; only those are then written to the history (`announce`).
    """
    since = connection.ops.adapt_datefield_value((today or timezone.localdate()) - TIER_WINDOW)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    pk = int(programme.pk)
    account_table, entry_table = LoyaltyAccount._meta.db_table, LedgerEntry._meta.db_table
    new_tier = (f"(SELECT t.id FROM {Tier._meta.db_table} t WHERE t.programme_id = {pk} "  # noqa: S608
                f"AND t.threshold <= {account_table}.qualifying_points ORDER BY t.threshold DESC LIMIT 1)")
    with transaction.atomic(), connection.cursor() as cursor:
        # One grouped join (no subquery per account, whatever the planner's statistics); only
        # accounts whose figure moved are written.
        cursor.execute(
            f"UPDATE {account_table} SET qualifying_points = d.total FROM (SELECT a.id, "  # noqa: S608
            f"COALESCE(SUM(e.points), 0) AS total FROM {account_table} a LEFT JOIN {entry_table} e "
            "ON e.account_id = a.id AND e.occurred_on > %s "
            "AND (e.kind IN ('earned', 'bonus') OR (e.kind = 'adjusted' AND e.order_id IS NOT NULL)) "
            f"WHERE a.programme_id = {pk} GROUP BY a.id) d "
            f"WHERE {account_table}.id = d.id AND {account_table}.qualifying_points <> d.total", [since])
        cursor.execute(
            f"SELECT id, tier_id, {new_tier} FROM {account_table} WHERE programme_id = {pk} "  # noqa: S608
            f"AND COALESCE(tier_id, 0) <> COALESCE({new_tier}, 0)")
        changes = cursor.fetchall()
        if changes:
            cursor.execute(
                f"UPDATE {account_table} SET tier_id = {new_tier}, tier_since = %s "  # noqa: S608
                f"WHERE programme_id = {pk} AND COALESCE(tier_id, 0) <> COALESCE({new_tier}, 0)", [now])
        if announce and changes:
            tiers = {tier.pk: tier for tier in programme.tiers.all()}
            accounts = LoyaltyAccount.objects.in_bulk([row[0] for row in changes])
            for account_id, previous, tier in changes:
                _announce_tier(accounts[account_id], tiers.get(previous), tiers.get(tier))
    return len(changes)


# --- accrual ------------------------------------------------------------------------------


def _order_customer(order: Order) -> tuple[Person | None, Organisation | None]:
    return (order.person, None) if order.person_id else (None, order.organisation)


@transaction.atomic
def order_points_accrue(*, order: Order) -> list[LedgerEntry]:
    """Credit the points `order` earns (once: a second call writes nothing); one history entry for the order."""
    programme = active_programme()
    if programme is None or order.status == Order.Status.CANCELLED:
        return []
    person, organisation = _order_customer(order)
    if person is None and organisation is None:
        return []
    account = lock(account_for(programme, person=person, organisation=organisation))
    result = accrual.accrue(programme, order_ids=[order.pk])
    if not result.entries:
        return []
    account.refresh_from_db()
    entries = list(account.entries.filter(order=order, kind__in=[LedgerEntry.Kind.EARNED, LedgerEntry.Kind.BONUS])
                   .order_by("id"))
    _accrual_history(account, order, sum(entry.points for entry in entries))
    tier_recompute(account)
    return entries


def _accrual_history(account: LoyaltyAccount, order: Order, points: int) -> None:
    _history(account, kind=HistoryKind.EARNED, related=order,
             subject=_("%(points)s loyalty points earned on order %(number)s") % {
                 "points": points, "number": order.number},
             occurred_at=timezone.make_aware(dt.datetime.combine(order.ordered_on, dt.time(12)))
             if order.ordered_on != timezone.localdate() else None,
             data={"order_id": order.pk, "points": points, "balance": account.balance})
    emit_on_commit(LoyaltyEvent.POINTS_EARNED, id=account.pk, order_id=order.pk, points=points,
                   person_id=account.person_id, organisation_id=account.organisation_id)


def on_order_created(event_type: str, payload: dict[str, Any]) -> None:
    """`commerce.order_created` → the order's points (after its commit; a failure is healed by the daily job)."""
    order = Order.objects.select_related("person", "organisation").filter(pk=payload.get("id")).first()
    if order is not None:
        order_points_accrue(order=order)


def points_backfill(*, actor: User | None = None, since: dt.date | None = None, history: bool = False,
                    announce_tiers: bool = False) -> accrual.AccrualResult:
    """Accrue every existing order (since `since`) set-based, then recompute all tiers.

    `history=True` writes one timeline entry per accrued order (demo data, the daily catch-up
    over a few days); a backfill over a million orders leaves the history of old orders alone.
    """
    require_admin(actor)
    programme = active_programme()
    if programme is None:
        raise ValidationError({"programme": [_("No loyalty programme is active.")]})
    with transaction.atomic():
        before = LedgerEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        result = accrual.accrue(programme, since=since)
        if history and result.entries:
            _backfill_history(before)
    tiers_recompute_all(programme, announce=announce_tiers)
    return result


def _backfill_history(after_id: int) -> None:
    rows = (LedgerEntry.objects.filter(pk__gt=after_id, kind__in=[LedgerEntry.Kind.EARNED, LedgerEntry.Kind.BONUS])
            .values("account_id", "order_id").annotate(points=Sum("points")).order_by("order_id"))
    accounts = {a.pk: a for a in LoyaltyAccount.objects.filter(
        pk__in={row["account_id"] for row in rows}).select_related("person", "organisation")}
    orders = {o.pk: o for o in Order.objects.filter(pk__in={row["order_id"] for row in rows})}
    for row in rows:
        _accrual_history(accounts[row["account_id"]], orders[row["order_id"]], int(row["points"]))


@transaction.atomic
def order_points_reverse(*, order: Order, actor: User | None = None) -> list[LedgerEntry]:
    """Take back the points of a cancelled order, once per rule, as far as the balance still holds them."""
    earned = list(LedgerEntry.objects.filter(order=order, kind__in=[LedgerEntry.Kind.EARNED, LedgerEntry.Kind.BONUS])
                  .order_by("id"))
    if not earned:
        return []
    account = lock(earned[0].account)
    reversed_rules = set(LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.ADJUSTED)
                         .values_list("rule_id", flat=True))
    written = []
    for entry in earned:
        if entry.rule_id in reversed_rules:
            continue
        # Points already spent or expired cannot be taken back: the balance never goes negative.
        points = min(entry.points, account.balance)
        written.append(_append(account, kind=LedgerEntry.Kind.ADJUSTED, points=-points, actor=actor,
                               reason=_("%(number)s cancelled") % {"number": order.number}, order=order,
                               rule_id=entry.rule_id, expires_on=entry.expires_on, occurred_on=entry.occurred_on))
    if written:
        total = -sum(entry.points for entry in written)
        _history(account, kind=HistoryKind.REVERSED, related=order, actor=actor,
                 subject=_("%(points)s loyalty points taken back: order %(number)s cancelled") % {
                     "points": total, "number": order.number},
                 data={"order_id": order.pk, "points": -total, "balance": account.balance})
        emit_on_commit(LoyaltyEvent.POINTS_REVERSED, id=account.pk, order_id=order.pk, points=-total)
        tier_recompute(account)
    return written


def cancelled_orders_reverse() -> int:
    """Reverse the points of every cancelled order not reversed yet (orders are cancelled outside loyalty)."""
    pending = (LedgerEntry.objects.filter(kind__in=[LedgerEntry.Kind.EARNED, LedgerEntry.Kind.BONUS],
                                          order__status=Order.Status.CANCELLED)
               .exclude(order_id__in=LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUSTED,
                                                                order__isnull=False).values("order_id"))
               .values_list("order_id", flat=True).distinct())
    count = 0
    for order in Order.objects.filter(pk__in=list(pending)):
        count += len(order_points_reverse(order=order))
    return count


# --- redemption ---------------------------------------------------------------------------


def _points_for(programme: Programme, points: Any, amount_eur: Any) -> tuple[int, Decimal]:
    """(points, discount in EUR) from points or an amount; an amount rounds up to whole points."""
    errors: dict[str, list[str]] = {}
    if (points is None) == (amount_eur is None):
        raise ValidationError({"points": [_("Give either points or an amount in EUR.")]})
    if points is not None:
        try:
            count = int(points)
        except (TypeError, ValueError):
            raise ValidationError({"points": [_("Give the points as a whole number.")]}) from None
        if count != Decimal(str(points)):
            errors["points"] = [_("Give the points as a whole number.")]
    else:
        try:
            amount = Decimal(str(amount_eur).replace(",", "."))
        except ArithmeticError:
            raise ValidationError({"amount_eur": [_("Give the amount as a number.")]}) from None
        if not amount.is_finite() or amount <= 0:
            raise ValidationError({"amount_eur": [_("The amount must be greater than zero.")]})
        count = math.ceil(amount / programme.point_value_eur)
    if not errors and count <= 0:
        errors["points" if points is not None else "amount_eur"] = [_("Redeem at least one point.")]
    if not errors and count > MAX_POINTS_PER_REDEMPTION:
        errors["points"] = [_("At most %(count)s points at once.") % {"count": MAX_POINTS_PER_REDEMPTION}]
    if errors:
        raise ValidationError(errors)
    return count, (Decimal(count) * programme.point_value_eur).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _redemption_target(actor: User | None, account: LoyaltyAccount, quote: Quote | None,
                       order: Order | None) -> Quote | Order:
    if (quote is None) == (order is None):
        raise ValidationError({"quote": [_("Redeem on exactly one quote or order.")]})
    target: Quote | Order = quote if quote is not None else order  # type: ignore[assignment]
    if actor is not None and not user_can(actor, Action.VIEW, target):
        raise ValidationError({"quote" if quote else "order": [_("Unknown quote or order.")]})
    if (account.person_id and target.person_id != account.person_id) or (
            account.organisation_id and target.organisation_id != account.organisation_id):
        raise ValidationError({"quote" if quote else "order": [_("The quote or order belongs to another customer.")]})
    if target.currency != account.programme.currency:
        raise ValidationError({"quote" if quote else "order": [_("Points can only be redeemed in %(currency)s.") % {
            "currency": account.programme.currency}]})
    if quote is not None and quote.status not in {Quote.Status.DRAFT, Quote.Status.SENT}:
        raise ValidationError({"quote": [_("Points can only be redeemed on a draft or sent quote.")]})
    if order is not None and order.status != Order.Status.OPEN:
        raise ValidationError({"order": [_("Points can only be redeemed on an open order.")]})
    return target


@transaction.atomic
def points_redeem(*, actor: User | None, account: LoyaltyAccount, points: Any = None, amount_eur: Any = None,
                  quote: Quote | None = None, order: Order | None = None, reason: str = "") -> LedgerEntry:
    """Redeem points as a discount on a quote or order of the account's customer.

    The account row is locked first, so of two concurrent redemptions of the same points the
    second sees the reduced balance and is refused; never more than the balance, never more
    than the quote's or order's total.
    """
    from kunde.commerce.quotes import quote_totals_refresh
    from kunde.commerce.services import order_totals_refresh

    require_permission(actor, Action.CHANGE, account.customer)  # type: ignore[arg-type]
    if not account.programme.is_active:
        raise ValidationError({"programme": [_("The loyalty programme is not active.")]})
    count, discount = _points_for(account.programme, points, amount_eur)
    target = lock(_redemption_target(actor, account, quote, order))
    current = lock(account)
    if count > current.balance:
        raise ValidationError({"points": [_("Only %(balance)s points are available; %(count)s asked for.") % {
            "balance": current.balance, "count": count}]})
    if discount > target.gross_total:
        raise ValidationError({"points": [
            _("The discount of %(discount)s EUR exceeds the total of %(total)s EUR.") % {
                "discount": discount, "total": target.gross_total}]})
    number = str(target)
    entry = _append(current, kind=LedgerEntry.Kind.REDEEMED, points=-count, actor=actor, amount_eur=discount,
                    reason=reason.strip() or _("Redeemed on %(number)s") % {"number": number},
                    quote=quote, order=order)
    if isinstance(target, Quote):
        quote_totals_refresh(target)
    else:
        order_totals_refresh(target)
    _history(current, kind=HistoryKind.REDEEMED, related=target, actor=actor,
             subject=_("%(points)s loyalty points redeemed on %(number)s: %(amount)s EUR off") % {
                 "points": count, "number": number, "amount": discount},
             data={"entry_id": entry.pk, "points": count, "amount_eur": str(discount), "balance": current.balance})
    emit_on_commit(LoyaltyEvent.POINTS_REDEEMED, id=current.pk, entry_id=entry.pk, points=count,
                   quote_id=quote.pk if quote else None, order_id=order.pk if order else None)
    return entry


@transaction.atomic
def points_adjust(*, actor: User | None, account: LoyaltyAccount, points: int, reason: str) -> LedgerEntry:
    """A manual correction by an administrator (goodwill, a mistake), with its reason; never below zero."""
    require_admin(actor)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the points are adjusted.")]})
    if points == 0:
        raise ValidationError({"points": [_("Adjust by at least one point.")]})
    current = lock(account)
    entry = _append(current, kind=LedgerEntry.Kind.ADJUSTED, points=points, actor=actor, reason=reason.strip())
    _history(current, kind=HistoryKind.ADJUSTED, related=current, actor=actor,
             subject=_("Loyalty points adjusted by %(points)s: %(reason)s") % {
                 "points": f"{points:+d}", "reason": reason.strip()},
             data={"entry_id": entry.pk, "points": points, "balance": current.balance})
    return entry


# --- expiry -------------------------------------------------------------------------------


def expiring_points(account: LoyaltyAccount, today: dt.date) -> int:
    """Points of `account` past their date and not used yet, by FIFO.

    Redemptions, expiries and reversals without a date consume the oldest points first, so
    what is left of the credits due by `today` is their sum less everything consumed so far
    (a reversal carries its credit's date and cancels that credit instead).
    """
    due = account.entries.filter(expires_on__isnull=False, expires_on__lte=today).aggregate(
        total=Sum("points"))["total"] or 0
    consumed = -(account.entries.filter(points__lt=0, expires_on__isnull=True).aggregate(
        total=Sum("points"))["total"] or 0)
    return max(0, min(int(due) - int(consumed), account.balance))


def points_expire(*, today: dt.date | None = None) -> int:
    """Write an `expired` entry for every account with points past their date (daily; idempotent)."""
    today = today or timezone.localdate()
    due = dict(LedgerEntry.objects.filter(expires_on__isnull=False, expires_on__lte=today)
               .values("account_id").annotate(total=Sum("points")).values_list("account_id", "total"))
    consumed = dict(LedgerEntry.objects.filter(points__lt=0, expires_on__isnull=True, account_id__in=list(due))
                    .values("account_id").annotate(total=Sum("points")).values_list("account_id", "total"))
    candidates = [pk for pk, total in due.items() if int(total) + int(consumed.get(pk) or 0) > 0]
    count = 0
    for account in LoyaltyAccount.objects.filter(pk__in=candidates, balance__gt=0):
        with transaction.atomic():
            current = lock(account)
            points = expiring_points(current, today)
            if points <= 0:
                continue
            _append(current, kind=LedgerEntry.Kind.EXPIRED, points=-points,
                    reason=_("Points earned until %(date)s expired") % {
                        "date": (today - dt.timedelta(days=1)).isoformat()})
            _history(current, kind=HistoryKind.EXPIRED, related=current,
                     subject=_("%(points)s loyalty points expired") % {"points": points},
                     data={"points": points, "balance": current.balance})
            emit_on_commit(LoyaltyEvent.POINTS_EXPIRED, id=current.pk, points=points)
            count += 1
    return count


def daily() -> dict[str, Any]:
    """Heal missed accruals, reverse cancelled orders, expire points, recompute tiers (idempotent)."""
    programme = active_programme()
    if programme is None:
        return {"programme": None}
    since = timezone.localdate() - dt.timedelta(days=CATCH_UP_DAYS)
    accrued = points_backfill(actor=None, since=since, history=True, announce_tiers=True)
    reversed_entries = cancelled_orders_reverse()
    expired = points_expire()
    changed = tiers_recompute_all(programme)
    return {"programme": programme.pk, "accrued_entries": accrued.entries, "reversed": reversed_entries,
            "expired_accounts": expired, "tiers_changed": changed}
