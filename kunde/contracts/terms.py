"""Date arithmetic of contract terms: term ends, notice deadlines and renewals (no database)."""

from __future__ import annotations

import calendar
import datetime as dt

from kunde.contracts.models import NoticeUnit


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by `months`, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def term_end(start: dt.date, months: int) -> dt.date:
    """The last day of a term of `months` starting on `start` (1 Jan + 12 months ends 31 Dec)."""
    return add_months(start, months) - dt.timedelta(days=1)


def next_term_end(current_end: dt.date, months: int) -> dt.date:
    """The last day of the term that follows the one ending on `current_end`."""
    return term_end(current_end + dt.timedelta(days=1), months)


def notice_deadline(current_end: dt.date, period: int, unit: str) -> dt.date:
    """The last day on which notice ends the contract at `current_end`.

    "Three months to the end of the term" on a term ending 31 Dec means notice by 30 Sep;
    "30 days" means by 1 Dec.
    """
    if unit == NoticeUnit.MONTHS:
        return add_months(current_end + dt.timedelta(days=1), -period) - dt.timedelta(days=1)
    return current_end - dt.timedelta(days=period)
