"""Writing segments: create, change, delete, and freeze snapshots."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from kunde.audience.models import Segment
from kunde.audience.segments import freeze_members, segment_people, validate_definition
from kunde.core.services import record_create, record_soft_delete, record_update


class SegmentEvent:
    CREATED = "audience.segment_created"
    UPDATED = "audience.segment_updated"
    DELETED = "audience.segment_deleted"


SEGMENT_FIELDS = ("name", "kind", "definition", "owner", "team")


def _freeze(actor: Any, segment: Segment) -> None:
    """Snapshot who matches now (as far as `actor` may see them)."""
    from kunde.audience.models import SegmentMember

    SegmentMember.objects.filter(segment=segment).delete()
    if actor is None:
        freeze_members(segment)
        return
    ids = list(segment_people(segment.definition, actor).values_list("pk", flat=True))
    SegmentMember.objects.bulk_create([SegmentMember(segment=segment, person_id=pk) for pk in ids], batch_size=1000)


@transaction.atomic
def segment_create(*, actor: Any, name: str, definition: dict[str, Any], kind: str = Segment.Kind.DYNAMIC,
                   owner: Any = None, team: Any = None) -> Segment:
    validate_definition(definition)
    owner = owner or (actor if getattr(actor, "pk", None) else None)
    segment = Segment(name=name.strip(), kind=kind, definition=definition, owner=owner,
                      team=team or (owner.primary_team if owner is not None else None))
    if kind == Segment.Kind.FROZEN:
        segment.frozen_at = timezone.now()
    record_create(actor=actor, instance=segment, event=SegmentEvent.CREATED)
    if kind == Segment.Kind.FROZEN:
        _freeze(actor, segment)
    return segment


@transaction.atomic
def segment_update(*, actor: Any, segment: Segment, changes: dict[str, Any],
                   expected_version: int | None = None) -> Segment:
    changes = {k: v for k, v in changes.items() if k in SEGMENT_FIELDS}
    if "definition" in changes:
        validate_definition(changes["definition"])
    refreeze = changes.get("kind", segment.kind) == Segment.Kind.FROZEN and (
        "definition" in changes or segment.kind != Segment.Kind.FROZEN)
    if refreeze:
        changes["frozen_at"] = timezone.now()
    updated = record_update(actor=actor, instance=segment, changes=changes, expected_version=expected_version,
                            event=SegmentEvent.UPDATED)
    if refreeze:
        _freeze(actor, updated)
    return updated


@transaction.atomic
def segment_refreeze(*, actor: Any, segment: Segment) -> Segment:
    """Take a new snapshot of a frozen segment."""
    return segment_update(actor=actor, segment=segment, changes={"definition": segment.definition,
                                                                  "kind": Segment.Kind.FROZEN})


def segment_delete(*, actor: Any, segment: Segment) -> Segment:
    return record_soft_delete(actor=actor, instance=segment, event=SegmentEvent.DELETED)


# ---------------------------------------------------------------- consent configuration (administrators)

@transaction.atomic
def purpose_create(*, actor: Any, key: str, name_de: str, name_en: str, text_de: str, text_en: str) -> Any:
    """A new consent purpose with its first wording (version 1)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from kunde.audience.models import ConsentPurpose, ConsentWording
    from kunde.core.services import require_admin

    require_admin(actor)
    if ConsentPurpose.objects.filter(key=key).exists():
        raise ValidationError({"key": [_("A purpose with this key exists.")]})
    purpose = ConsentPurpose(key=key, name_de=name_de.strip(), name_en=name_en.strip())
    purpose.full_clean()
    purpose.save()
    ConsentWording.objects.create(purpose=purpose, version=1, text_de=text_de.strip(), text_en=text_en.strip())
    return purpose


@transaction.atomic
def wording_create(*, actor: Any, purpose: Any, text_de: str, text_en: str) -> Any:
    """A new version of a purpose's wording; earlier consents keep pointing at the version they agreed to."""
    from kunde.audience.models import ConsentPurpose, ConsentWording
    from kunde.core.services import lock, require_admin

    require_admin(actor)
    lock(ConsentPurpose.objects.get(pk=purpose.pk))
    latest = ConsentWording.objects.filter(purpose=purpose).order_by("-version").first()
    return ConsentWording.objects.create(purpose=purpose, version=(latest.version + 1) if latest else 1,
                                         text_de=text_de.strip(), text_en=text_en.strip())


def suppression_add(*, actor: Any, address: str, reason: str) -> bool:
    """Put an address on the suppression list by hand (e.g. asked by phone); True when it was new."""
    from kunde.audience.consent import suppress_addresses
    from kunde.core.services import require_admin

    require_admin(actor)
    return bool(suppress_addresses([address], reason))
