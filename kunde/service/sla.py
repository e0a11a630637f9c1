"""Business-time arithmetic for SLAs: pure functions, no database.

A `Calendar` says when the service desk works (working days, hours, public holidays of
a German state). `business_seconds` counts working time between two instants,
`add_business_seconds` finds the instant a budget of working time runs out, and
`sla_due` / `sla_elapsed` do the same while leaving out the pauses (time spent waiting
on the customer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

Pause = tuple[dt.datetime, dt.datetime | None]


@lru_cache(maxsize=64)
def _holidays(state: str, year: int) -> frozenset[dt.date]:
    if not state:
        return frozenset(holidays_lib.country_holidays("DE", years=year).keys())
    return frozenset(holidays_lib.country_holidays("DE", subdiv=state, years=year).keys())


@dataclass(frozen=True)
class Calendar:
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: dt.time = dt.time(8)
    end: dt.time = dt.time(17)
    state: str = "BE"
    tz: str = "Europe/Berlin"
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def from_model(cls, calendar: object) -> Calendar:
        return cls(
            working_days=frozenset(int(d) for d in calendar.working_days),  # type: ignore[attr-defined]
            start=calendar.start_time, end=calendar.end_time,  # type: ignore[attr-defined]
            state=calendar.state, tz=calendar.time_zone,  # type: ignore[attr-defined]
        )

    def is_working_day(self, day: dt.date) -> bool:
        return (day.weekday() in self.working_days and day not in _holidays(self.state, day.year)
                and day not in self.extra_holidays)

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The working hours of `day` as aware datetimes, or None on a day off."""
        if not self.is_working_day(day):
            return None
        zone = ZoneInfo(self.tz)
        return (dt.datetime.combine(day, self.start, tzinfo=zone), dt.datetime.combine(day, self.end, tzinfo=zone))


def business_seconds(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> int:
    """Working seconds between `start` and `end` (0 if end <= start)."""
    if end <= start:
        return 0
    zone = ZoneInfo(calendar.tz)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    total = 0.0
    while day <= last:
        window = calendar.window(day)
        if window is not None:
            lo, hi = max(window[0], start), min(window[1], end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += dt.timedelta(days=1)
    return int(total)


def add_business_seconds(calendar: Calendar, start: dt.datetime, seconds: float) -> dt.datetime:
    """The instant at which `seconds` of working time after `start` have passed."""
    if seconds <= 0:
        return start
    zone = ZoneInfo(calendar.tz)
    day = start.astimezone(zone).date()
    remaining = float(seconds)
    for _ in range(3660):  # ten years of days: a calendar with no working day never ends
        window = calendar.window(day)
        if window is not None:
            lo = max(window[0], start)
            if window[1] > lo:
                available = (window[1] - lo).total_seconds()
                if remaining <= available:
                    return lo + dt.timedelta(seconds=remaining)
                remaining -= available
        day += dt.timedelta(days=1)
    raise ValueError("the calendar has no working time")


def _paused_seconds(calendar: Calendar, pauses: Iterable[Pause], until: dt.datetime) -> int:
    total = 0
    for begin, finish in pauses:
        total += business_seconds(calendar, begin, min(finish or until, until))
    return total


def sla_elapsed(calendar: Calendar, start: dt.datetime, now: dt.datetime, pauses: Sequence[Pause] = ()) -> int:
    """Working seconds since `start`, without the pauses."""
    return max(0, business_seconds(calendar, start, now) - _paused_seconds(calendar, pauses, now))


def sla_due(calendar: Calendar, start: dt.datetime, target_minutes: int, pauses: Sequence[Pause] = ()) -> dt.datetime:
    """When `target_minutes` of working time are used up, the pauses not counting.

    A pause still running (end None) counts up to the moment it began, so the due time
    moves on once the pause ends; callers recompute then.
    """
    due = add_business_seconds(calendar, start, target_minutes * 60)
    for begin, finish in sorted(pauses, key=lambda p: p[0]):
        if begin >= due:
            break
        if finish is None:
            return due  # paused now: the due time is not reached while paused
        due = add_business_seconds(calendar, due, business_seconds(calendar, begin, finish))
    return due


def pauses_from_json(raw: Sequence[Sequence[str | None]]) -> list[Pause]:
    return [(dt.datetime.fromisoformat(str(a)), dt.datetime.fromisoformat(b) if b else None) for a, b in raw]


def pauses_to_json(pauses: Sequence[Pause]) -> list[list[str | None]]:
    return [[a.isoformat(), b.isoformat() if b else None] for a, b in pauses]
