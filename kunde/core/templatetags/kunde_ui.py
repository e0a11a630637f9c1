"""Template helpers of the web UI: the mood chart, labels of history entries, badges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kunde.activities.choices import Channel, Direction, Kind, Mood
from kunde.contacts.validators import format_phone
from kunde.core.extensions import history_kind_label

register = template.Library()

# Geometry of the mood chart (SVG user units; the SVG scales to its container).
CHART_WIDTH = 400
CHART_HEIGHT = 170
PLOT_LEFT = 96
PLOT_RIGHT = 370
PLOT_TOP = 10
PLOT_BOTTOM = 135

_MOOD_BADGE = {
    1: "text-bg-danger",
    2: "text-bg-danger",
    3: "text-bg-secondary",
    4: "text-bg-success",
    5: "text-bg-success",
}
_CHANNELS = dict(Channel.choices)
_DIRECTIONS = dict(Direction.choices)
_KINDS = dict(Kind.choices)


def _month_starts(months: int, today: dt.date) -> list[dt.date]:
    """The first days of the last `months` months, oldest first, ending with this month."""
    starts = []
    year, month = today.year, today.month
    for _step in range(months):
        starts.append(dt.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(starts))


def _y(value: float) -> float:
    return round(PLOT_TOP + (5 - value) / 4 * (PLOT_BOTTOM - PLOT_TOP), 1)


def mood_label_for(value: float | int | None) -> str:
    """The scale label nearest to `value` (an average or a single rating)."""
    if value is None:
        return ""
    nearest = min(5, max(1, round(float(value))))
    return str(Mood(nearest).label)


@register.inclusion_tag("kunde_ui/mood_chart.html")
def mood_chart(points: Sequence[Any], chart_id: str, months: int = 12) -> dict[str, Any]:
    """Render the monthly average mood as an accessible, style-free SVG line chart."""
    starts = _month_starts(months, timezone.localdate())
    by_month = {point.month: point for point in points}
    step = (PLOT_RIGHT - PLOT_LEFT) / max(1, months - 1)
    slots = []
    for index, start in enumerate(starts):
        point = by_month.get(start)
        slots.append({
            "month": start,
            "x": round(PLOT_LEFT + index * step, 1),
            "point": point,
            "y": _y(point.average) if point else None,
            "label": mood_label_for(point.average) if point else "",
            "show_label": index % 2 == (months - 1) % 2,
        })
    plotted = [slot for slot in slots if slot["point"] is not None]
    latest = plotted[-1] if plotted else None
    return {
        "chart_id": chart_id,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "plot_left": PLOT_LEFT,
        "plot_right": PLOT_RIGHT,
        "axis_y": PLOT_BOTTOM + 20,
        "grid": [
            {"y": _y(value), "value": value, "label": str(Mood(value).label) if value in (1, 3, 5) else ""}
            for value in (5, 4, 3, 2, 1)
        ],
        "slots": slots,
        "plotted": plotted,
        "line": " ".join(f"{slot['x']},{slot['y']}" for slot in plotted),
        "latest": latest,
        "months": months,
    }


@register.filter
def mood_label(value: float | int | None) -> str:
    """The label of a rating or average on the 5-point scale."""
    return mood_label_for(value)


@register.filter
def mood_badge(value: float | int | None) -> str:
    """The Bootstrap badge class of a rating or average (colour plus text, never colour alone)."""
    if value is None:
        return "text-bg-light"
    return _MOOD_BADGE[min(5, max(1, round(float(value))))]


@register.filter
def mood_button(value: Any) -> str:
    """The outline button class of one choice on the mood scale ("" = not rated)."""
    try:
        rating = int(value)
    except (TypeError, ValueError):
        return "btn-outline-secondary"
    return {1: "btn-outline-danger", 2: "btn-outline-danger", 3: "btn-outline-secondary"}.get(
        rating, "btn-outline-success"
    )


@register.filter
def phone(e164: str) -> str:
    """An E.164 number in international display format (+49 30 1234567)."""
    return format_phone(e164)


@register.filter
def channel_label(code: str) -> str:
    """The translated name of a channel code."""
    return str(_CHANNELS.get(code, code))


@register.filter
def direction_label(code: str) -> str:
    """The translated name of a direction code."""
    return str(_DIRECTIONS.get(code, code))


@register.filter
def kind_label(kind: str) -> str:
    """The translated name of a history entry's kind; other apps register theirs in core.extensions."""
    return str(_KINDS.get(kind) or history_kind_label(kind) or kind)


@register.filter
def alert_class(message_tags: str) -> str:
    """The Bootstrap alert class of a django.contrib.messages tag."""
    return "danger" if "error" in message_tags else (message_tags.split()[-1] if message_tags else "info")


@register.simple_tag
def month_label(month: dt.date) -> str:
    """A short, locale-aware month label ("Mar 25")."""
    return formats.date_format(month, "M y")


@register.simple_tag
def duration_label(minutes: int | None) -> str:
    """A duration in minutes as "1 h 05 min" or "12 min"."""
    if not minutes:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": rest}
    return _("%(minutes)d min") % {"minutes": rest}

