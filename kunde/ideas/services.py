"""Every write of ideas: submit, vote, triage, link customers, merge duplicates.

Customer-facing steps (a submission, a status change, a merge) land on the customer's
timeline; votes do not, because a vote is a click, not a contact, and a timeline full of
clicks hides the contacts that matter. Votes are counted on the idea and listed on the
person's 360° page instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from kunde.accounts.models import User
from kunde.activities.services import activity_record
from kunde.commerce.models import Product, ProductCategory
from kunde.contacts.models import Organisation, Person
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.exceptions import ConflictError, PermissionDenied
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, can_create, user_can
from kunde.core.services import lock, require_create, validate
from kunde.ideas.models import Idea, IdeaLink, Vote

SUBMISSIONS_PER_DAY = 10
NOTIFIED_STATUSES = (Idea.Status.PLANNED, Idea.Status.DONE)


class IdeaEvent:
    SUBMITTED = "ideas.idea_submitted"
    STATUS_CHANGED = "ideas.idea_status_changed"
    MERGED = "ideas.idea_merged"


class HistoryKind:
    SUBMITTED = "ideas.idea_submitted"
    STATUS_CHANGED = "ideas.idea_status_changed"
    MERGED = "ideas.idea_merged"


def can_triage(user: Any, idea: Idea) -> bool:
    """Whether `user` may change `idea`'s status, owner, visibility or merge it (owner, manager, admin)."""
    return user is None or user_can(user, Action.CHANGE, idea)


def require_triage(actor: User | None, idea: Idea) -> None:
    if not can_triage(actor, idea):
        raise PermissionDenied("only the idea's owner, managers and administrators triage ideas")


def _clean_text(title: str, description: str) -> tuple[str, str]:
    # Text is stored as typed and only ever rendered escaped; stripping control characters
    # keeps e-mails and CSV exports readable.
    def strip(text: str) -> str:
        return "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).strip()

    return strip(title or "")[:200], strip(description or "")


def _check_product(product: Product | None, *, portal: bool) -> None:
    if portal and product is not None and not product.is_active:
        raise ValidationError({"product": [_("Choose one of the products on offer.")]})


def _check_rate(person: Person) -> None:
    since = timezone.now() - dt.timedelta(days=1)
    recent = Idea.objects.filter(submitted_by=person, source=Idea.Source.PORTAL, created_at__gte=since).count()
    if recent >= SUBMISSIONS_PER_DAY:
        raise ValidationError({"__all__": [_(
            "You have submitted %(limit)s ideas in the last 24 hours. Please try again tomorrow – your text "
            "is still in the form.") % {"limit": SUBMISSIONS_PER_DAY}]})


@transaction.atomic
def idea_submit(
    *,
    actor: User | None,
    title: str,
    description: str = "",
    person: Person | None = None,
    product: Product | None = None,
    category: ProductCategory | None = None,
    source: str = Idea.Source.STAFF,
    is_public: bool = True,
    owner: User | None = None,
) -> Idea:
    """Record a new idea; a customer's own submission counts as their vote and lands on their timeline.

    `actor=None` with `source="portal"` is the customer in the portal (rate-limited); a staff
    user may enter an idea without a person or on behalf of a person they may see.
    """
    portal = actor is None and source == Idea.Source.PORTAL
    if actor is not None:
        require_create(actor)
        if person is not None and not user_can(actor, Action.VIEW, person):
            raise ValidationError({"person": [_("Unknown person.")]})
    if portal:
        if person is None:
            raise ValidationError({"person": [_("Sign in to submit an idea.")]})
        _check_rate(person)
    _check_product(product, portal=portal)
    title, description = _clean_text(title, description)
    if product is not None and category is None:
        category = product.category
    idea = Idea(title=title, description=description, product=product, category=category, source=source,
                submitted_by=person, created_by=actor, owner=owner, is_public=is_public)
    if not title:
        raise ValidationError({"title": [_("Give the idea a short title.")]})
    validate(idea)
    idea.save(force_insert=True)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=idea, after=snapshot(idea))
    if person is not None:
        _add_vote(idea=idea, person=person, recorded_by=actor)
        _history(idea=idea, person=person, kind=HistoryKind.SUBMITTED, actor=actor,
                 subject=_("Idea submitted: %(title)s") % {"title": idea.title})
    emit_on_commit(IdeaEvent.SUBMITTED, id=idea.pk, person_id=person.pk if person else None,
                   product_id=product.pk if product else None)
    idea.refresh_from_db(fields=["vote_count"])
    return idea


def _history(*, idea: Idea, person: Person, kind: str, actor: User | None, subject: str, notes: str = "") -> None:
    # Written as the system: a triage by a manager of another team is not a change of the
    # customer's record (activity_record would refuse it), yet belongs on their timeline.
    activity_record(actor=None, kind=kind, person=person, subject=subject, notes=notes, channel="web",
                    related=idea, data={"idea_id": idea.pk, "status": idea.status,
                                        "by_user_id": actor.pk if actor else None})


# --- votes ---------------------------------------------------------------------------


def _add_vote(*, idea: Idea, person: Person, recorded_by: User | None) -> bool:
    """Insert the vote unless it exists; True when a vote was added (the count follows)."""
    try:
        with transaction.atomic():
            Vote.objects.create(idea=idea, person=person, recorded_by=recorded_by)
    except IntegrityError:
        return False  # the second click of a double click, or a second tab: one vote stays one
    Idea.objects.filter(pk=idea.pk).update(vote_count=F("vote_count") + 1)
    return True


def _open_for_votes(idea: Idea) -> None:
    if idea.merged_into_id is not None:
        raise ValidationError({"idea": [_("This idea was merged into another one; vote there.")]})
    if idea.status in (Idea.Status.DONE, Idea.Status.DECLINED):
        raise ValidationError({"idea": [_("Voting has ended for this idea.")]})


@transaction.atomic
def idea_vote(*, actor: User | None, idea: Idea, person: Person) -> bool:
    """Give `person`'s one vote to `idea`; True if it was new, False if they had voted already.

    `actor=None` is the person in the portal; a staff user records a vote a customer gave on the
    phone, for a person they may see.
    """
    if actor is not None:
        require_create(actor)
        if not user_can(actor, Action.VIEW, person):
            raise ValidationError({"person": [_("Unknown person.")]})
    _open_for_votes(idea)
    return _add_vote(idea=idea, person=person, recorded_by=actor)


@transaction.atomic
def idea_unvote(*, actor: User | None, idea: Idea, person: Person) -> bool:
    """Take `person`'s vote back; True if there was one."""
    if actor is not None:
        require_create(actor)
        if not user_can(actor, Action.VIEW, person):
            raise ValidationError({"person": [_("Unknown person.")]})
    # The post_delete receiver (ideas.signals) decrements the count, as for votes a cascade removes.
    deleted, _detail = Vote.objects.filter(idea=idea, person=person).delete()
    return bool(deleted)


# --- triage --------------------------------------------------------------------------


@transaction.atomic
def idea_update(*, actor: User | None, idea: Idea, changes: dict[str, Any], expected_version: int | None,
                notify_voters: bool = True) -> Idea:
    """Change status, answer, owner, visibility, product or text; a new status is on the submitter's timeline
    and, when it becomes planned or done, in an e-mail to every voter (once per status)."""
    require_triage(actor, idea)
    current = lock(idea)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(expected=expected_version, current=current)
    allowed = {"status", "status_note", "owner", "is_public", "product", "category", "title", "description"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    before = snapshot(current)
    old_status = current.status
    for name, value in changes.items():
        setattr(current, name, value)
    if "title" in changes or "description" in changes:
        current.title, current.description = _clean_text(current.title, current.description)
        if not current.title:
            raise ValidationError({"title": [_("Give the idea a short title.")]})
    if current.status != old_status:
        current.status_changed_at = timezone.now()
    validate(current)
    current.version += 1
    current.save()
    after = snapshot(current)
    if before != after:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=current, before=before, after=after)
    if current.status != old_status:
        _status_changed(actor=actor, idea=current, old_status=old_status, notify_voters=notify_voters)
    return current


def _status_changed(*, actor: User | None, idea: Idea, old_status: str, notify_voters: bool) -> None:
    if idea.submitted_by is not None:
        _history(idea=idea, person=idea.submitted_by, kind=HistoryKind.STATUS_CHANGED, actor=actor,
                 subject=_("Idea “%(title)s”: %(status)s") % {"title": idea.title,
                                                             "status": idea.get_status_display()},
                 notes=idea.status_note)
    if notify_voters and idea.status in NOTIFIED_STATUSES:
        _notify_voters(idea)
    emit_on_commit(IdeaEvent.STATUS_CHANGED, id=idea.pk, status=idea.status, previous_status=old_status)


def _notify_voters(idea: Idea) -> int:
    """Queue one e-mail per voter with an address; the dedupe key keeps it to one per idea, status and person."""
    from kunde.mail.services import outbox_enqueue

    sent = 0
    voters = Person.objects.filter(idea_votes__idea=idea, deleted_at__isnull=True).prefetch_related("emails")
    for person in voters:
        address = next(iter(person.emails.all()), None)
        if address is None:
            continue
        language = (person.preferred_language or "de")[:2]
        with override(language if language in ("de", "en") else "de"):
            subject = _("Your idea “%(title)s” is now: %(status)s") % {
                "title": idea.title, "status": idea.get_status_display()}
            text = _("Hello %(name)s,\n\nan idea you voted for has a new status: %(status)s.\n\n%(note)s\n\n"
                     "Thank you for helping us improve.") % {
                "name": person.full_name, "status": idea.get_status_display(), "note": idea.status_note}
        outbox_enqueue(to=address.email, subject=subject, text=text,
                       dedupe_key=f"ideas.status.{idea.pk}.{idea.status}.{person.pk}", purpose="ideas.status",
                       person=person, related=idea)
        sent += 1
    return sent


# --- links ---------------------------------------------------------------------------


@transaction.atomic
def idea_link_customer(*, actor: User | None, idea: Idea, person: Person | None = None,
                       organisation: Organisation | None = None, note: str = "") -> IdeaLink:
    """Note that a customer asked for `idea`; linking the same customer again keeps the first link."""
    require_create(actor)
    if (person is None) == (organisation is None):
        raise ValidationError({"customer": [_("Give either a person or an organisation.")]})
    customer: Person | Organisation = person or organisation  # type: ignore[assignment]
    if actor is not None and not user_can(actor, Action.VIEW, customer):
        raise ValidationError({"customer": [_("Unknown customer.")]})
    existing = IdeaLink.objects.filter(idea=idea, person=person, organisation=organisation).first()
    if existing is not None:
        return existing
    link = IdeaLink(idea=idea, person=person, organisation=organisation, linked_by=actor, note=note.strip()[:500])
    validate(link)
    try:
        with transaction.atomic():
            link.save(force_insert=True)
    except IntegrityError:
        return IdeaLink.objects.get(idea=idea, person=person, organisation=organisation)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=link, after=snapshot(link))
    return link


@transaction.atomic
def idea_unlink_customer(*, actor: User | None, link: IdeaLink) -> None:
    """Remove a customer link (anyone who may link may unlink what they can see)."""
    require_create(actor)
    if actor is not None and not user_can(actor, Action.VIEW, link):
        raise PermissionDenied("may not unlink this customer")
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, instance=link, before=snapshot(link))
    link.delete()


# --- merge ---------------------------------------------------------------------------


@transaction.atomic
def idea_merge(*, actor: User | None, duplicate: Idea, survivor: Idea) -> Idea:
    """Merge `duplicate` into `survivor`: votes and links move (a person who voted for both keeps one vote),
    the duplicate leaves the portal and its submitter learns where their idea went."""
    require_triage(actor, duplicate)
    require_triage(actor, survivor)
    if duplicate.pk == survivor.pk:
        raise ValidationError({"survivor": [_("An idea cannot be merged into itself.")]})
    # Lock both in id order so that two merges of the same pair cannot deadlock.
    first, second = sorted((duplicate, survivor), key=lambda idea: idea.pk)
    locked = {idea.pk: lock(idea) for idea in (first, second)}
    duplicate, survivor = locked[duplicate.pk], locked[survivor.pk]
    if survivor.merged_into_id is not None:
        raise ValidationError({"survivor": [_("That idea was itself merged; merge into the one it went to.")]})
    if duplicate.merged_into_id is not None:
        raise ValidationError({"duplicate": [_("This idea has already been merged.")]})
    voted = Vote.objects.filter(idea=survivor).values("person_id")
    Vote.objects.filter(idea=duplicate, person_id__in=voted).delete()
    Vote.objects.filter(idea=duplicate).update(idea=survivor)
    for field in ("person_id", "organisation_id"):
        linked = IdeaLink.objects.filter(idea=survivor, **{f"{field}__isnull": False}).values(field)
        IdeaLink.objects.filter(idea=duplicate, **{f"{field}__in": linked}).delete()
    IdeaLink.objects.filter(idea=duplicate).update(idea=survivor)
    if duplicate.submitted_by_id is not None and not IdeaLink.objects.filter(
            idea=survivor, person_id=duplicate.submitted_by_id).exists():
        # The duplicate's author asked for the same thing: keep them visible on the survivor.
        IdeaLink.objects.create(idea=survivor, person_id=duplicate.submitted_by_id, linked_by=actor,
                                note=_("Submitted the merged idea “%(title)s”.") % {"title": duplicate.title})
    before = snapshot(duplicate)
    duplicate.merged_into = survivor
    duplicate.vote_count = 0
    duplicate.version += 1
    duplicate.save()
    survivor.vote_count = Vote.objects.filter(idea=survivor).count()
    survivor.version += 1
    survivor.save()
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, instance=duplicate, before=before,
                 after=snapshot(duplicate))
    if duplicate.submitted_by is not None:
        _history(idea=duplicate, person=duplicate.submitted_by, kind=HistoryKind.MERGED, actor=actor,
                 subject=_("Idea “%(title)s” merged into “%(survivor)s”") % {
                     "title": duplicate.title, "survivor": survivor.title})
    emit_on_commit(IdeaEvent.MERGED, id=duplicate.pk, survivor_id=survivor.pk)
    return survivor


def may_enter(user: Any) -> bool:
    """Whether `user` may enter ideas, record votes and link customers (not read-only roles)."""
    return can_create(user)
