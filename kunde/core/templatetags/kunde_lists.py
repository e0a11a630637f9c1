"""Template helpers of the list machinery: cell rendering and small formatting filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.db import models
from django.template.loader import get_template
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kunde.core.views.lists import Column

register = template.Library()


def display(value: Any) -> str:
    """Return `value` as text for a table cell (dates localised, lists joined)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value) if timezone.is_aware(value) else value,
                                   "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, models.Manager):
        value = list(value.all())
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, int | float):
        return formats.localize(value, use_l10n=True)
    return str(value)


@register.simple_tag(takes_context=True)
def list_cell(context: template.Context, column: Column, row: Any) -> SafeString:
    """Render one table cell of `row` for `column`."""
    value = column.value(row)
    if column.template:
        cell_template = get_template(column.template)
        return SafeString(cell_template.render({"row": row, "value": value, "column": column,
                                                "request": context.get("request")}))
    text = display(value)
    if column.link and hasattr(row, "get_absolute_url"):
        return format_html('<a href="{}">{}</a>', row.get_absolute_url(), text)
    return format_html("{}", text)


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """Whole minutes of a duration, rounded up (for "try again in N minutes")."""
    if value is None:
        return 0
    return max(1, -(-int(value.total_seconds()) // 60))


@register.filter
def pairs_to_hidden(pairs: list[tuple[str, str]]) -> SafeString:
    """Hidden inputs for (name, value) pairs."""
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', pairs)
