"""The one place this app reaches into audience (segments, consent), mail (outbox) and commerce.

Those apps are built at the same time as this one; each adapter imports lazily, so the
app works (and refuses to send) before they land. Consent has no fallback: without the
audience app nobody may be contacted.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _

from kunde.contacts.models import Person


def segment_people(*, segment_id: int | None = None, definition: dict[str, Any] | None = None,
                   user: Any = None) -> QuerySet[Person]:
    """The alive people of an audience segment or inline definition that `user` may see.

    `user` is the one acting: the user who starts a campaign, or a rule's creator; `None`
    is a system process and reaches everybody. The segment is read with `user`'s scope too:
    a deleted, unknown or invisible `segment_id` and a definition audience refuses raise a
    `ValidationError` keyed by the field (`segment_id`, `segment_definition`), never
    `DoesNotExist`. `{"person_ids": [...]}` is a fixed list (a frozen selection made here);
    `{}` without a segment means nobody, never everybody.
    """
    definition = definition or {}
    if segment_id is None and not definition:
        return Person.objects.none()
    try:
        from kunde.audience import segments  # type: ignore[attr-defined]
    except ImportError as error:  # pragma: no cover - until the audience app lands
        raise ValidationError(_("Segments are not available yet.")) from error
    target: Any = definition
    field = "segment_definition"
    if segment_id is not None:
        target, field = segment_get(segment_id, user=user), "segment_id"
    try:
        return segments.segment_people(target, user)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


def segment_get(segment_id: Any, *, user: Any = None) -> Any:
    """The audience segment `segment_id` as `user` may see it (None: the system), or ValidationError.

    Missing, deleted and invisible segments give the same message (missing = forbidden).
    """
    from kunde.audience.models import Segment  # type: ignore[attr-defined]

    segments = Segment.objects.all() if user is None else Segment.objects.for_user(user)
    try:
        return segments.get(pk=int(segment_id))
    except (Segment.DoesNotExist, ValueError, TypeError):
        raise ValidationError({"segment_id": [
            _("The segment #%(id)s does not exist or is not visible to %(user)s.")
            % {"id": segment_id, "user": user if user is not None else _("the system")}
        ]}) from None


def segment_check(*, segment_id: int | None, definition: dict[str, Any] | None, user: Any = None) -> None:
    """Raise ValidationError unless `user` may use the segment and audience accepts the definition."""
    if segment_id is not None:
        segment_get(segment_id, user=user)
    if definition:
        try:
            from kunde.audience.segments import validate_definition  # type: ignore[attr-defined]
        except ImportError as error:  # pragma: no cover - until the audience app lands
            raise ValidationError(_("Segments are not available yet.")) from error
        try:
            validate_definition(definition)
        except ValidationError as error:
            raise ValidationError({"segment_definition": error.messages}) from error


def segment_choices(user: Any) -> list[tuple[int, str]]:
    """(id, name) of the segments `user` may see, for a form's select."""
    try:
        from kunde.audience.models import Segment  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - until the audience app lands
        return []
    return [(s.pk, str(s)) for s in Segment.objects.for_user(user).order_by("name", "id")[:500]]


def person_in_segment(person: Person, *, segment_id: int | None, definition: dict[str, Any] | None,
                      user: Any = None) -> bool:
    """Whether `person` matches a rule's condition, as `user` sees it; no condition matches everybody."""
    if segment_id is None and not definition:
        return True
    return segment_people(segment_id=segment_id, definition=definition, user=user).filter(pk=person.pk).exists()


def may_contact(person: Person, *, purpose: str, channel: str = "email", address: str | None = None) -> bool:
    try:
        from kunde.audience.consent import may_contact as audience_may_contact  # type: ignore[attr-defined]
    except ImportError:
        return False
    return bool(audience_may_contact(person, purpose=purpose, channel=channel, address=address))


def unsubscribe_headers(person: Person, purpose: str) -> dict[str, str]:
    try:
        from kunde.audience.consent import unsubscribe_headers as headers  # type: ignore[attr-defined]
    except ImportError:
        return {}
    return dict(headers(person, purpose))


def unsubscribe_url(person: Person, purpose: str) -> str:
    try:
        from kunde.audience.consent import unsubscribe_url as url  # type: ignore[attr-defined]
    except ImportError:
        return ""
    try:
        return str(url(person, purpose))
    except NoReverseMatch:  # the audience pages are not wired (yet)
        return ""


def preferences_url(person: Person) -> str:
    try:
        from kunde.audience.consent import preferences_url as url  # type: ignore[attr-defined]
    except ImportError:
        return ""
    try:
        return str(url(person))
    except NoReverseMatch:
        return ""


def outbox_enqueue(**kwargs: Any) -> Any:
    """Hand one message to the mail outbox (only `sending.deliver` calls this)."""
    try:
        from kunde.mail.services import outbox_enqueue as enqueue  # type: ignore[attr-defined]
    except ImportError as error:
        raise ValidationError(_("The mail outbox is not available yet.")) from error
    return enqueue(**kwargs)


def primary_email(person: Person) -> str:
    from kunde.contacts.models import EmailAddress

    row = (EmailAddress.objects.filter(person=person).order_by("-is_primary", "id")
           .values_list("email", flat=True).first())
    return row or ""


def purchases(person: Person, limit: int = 5) -> list[dict[str, Any]]:
    """The person's last purchases as plain dicts (empty without the commerce app)."""
    try:
        from kunde.commerce.models import OrderLine  # type: ignore[attr-defined]
    except ImportError:
        return []
    try:
        lines = list(
            OrderLine.objects.filter(person=person).select_related("product", "category")
            .order_by("-ordered_on", "-id")[:limit]
        )
    except Exception:
        return []
    return [
        {
            "product": str(getattr(line.product, "name", "") or getattr(line, "description", "") or ""),
            "category": _category_name(getattr(line, "category", None), person),
            "category_key": str(getattr(getattr(line, "category", None), "key", "") or ""),
            "date": getattr(line, "ordered_on", None),
            "amount": getattr(line, "net_amount_eur", None) or getattr(line, "net_amount", None),
        }
        for line in lines
    ]


def bought_category_since(person: Person, category_key: str, since: Any) -> bool:
    try:
        from kunde.commerce.models import OrderLine  # type: ignore[attr-defined]
    except ImportError:
        return False
    try:
        return bool(OrderLine.objects.filter(person=person, category__key=category_key, ordered_on__gte=since).exists())
    except Exception:
        return False


def _category_name(category: Any, person: Person) -> str:
    if category is None:
        return ""
    language = person.preferred_language or "de"
    for name in (f"name_{language}", "name", "name_de", "name_en"):
        value = getattr(category, name, "")
        if value:
            return str(value)
    return str(category)


def category_names() -> dict[str, str]:
    """Category key → name, to show a history topic ("rings") by its name."""
    try:
        from kunde.commerce.models import ProductCategory  # type: ignore[attr-defined]
    except ImportError:
        return {}
    try:
        return {c.key: _category_name(c, Person()) for c in ProductCategory.objects.all()[:500]}
    except Exception:
        return {}


def order_info(order_id: int) -> dict[str, Any] | None:
    """person_id, amount (EUR), created_at of an order, or None."""
    try:
        from kunde.commerce.models import Order  # type: ignore[attr-defined]
    except ImportError:
        return None
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return None
    amount = None
    for name in ("net_amount_eur", "net_total_eur", "net_amount", "net_total", "total_net", "total"):
        if getattr(order, name, None) is not None:
            amount = getattr(order, name)
            break
    return {"person_id": getattr(order, "person_id", None), "amount": amount or 0,
            "created_at": getattr(order, "created_at", None)}


def held_out_by(instrument: Any, person: Person) -> str:
    """The name of the retention plan that holds `person` out of this rule or campaign (its control group), or ""."""
    from django.apps import apps

    if not apps.is_installed("kunde.retention"):
        return ""
    from kunde.retention.selectors import holding_out

    plan = holding_out(instrument, person)
    return plan.name if plan is not None else ""


def without_held_out(instrument: Any, people: QuerySet[Person]) -> QuerySet[Person]:
    """`people` without the control groups of the retention plans this rule or campaign works for."""
    from django.apps import apps

    if not apps.is_installed("kunde.retention"):
        return people
    from kunde.retention.selectors import without_held_out as retention_without_held_out

    return retention_without_held_out(instrument, people)
