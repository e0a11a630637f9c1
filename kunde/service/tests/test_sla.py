"""Business-time arithmetic: weekends, public holidays, working hours, pauses."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kunde.service.sla import Calendar, add_business_seconds, business_seconds, sla_due, sla_elapsed

BERLIN = ZoneInfo("Europe/Berlin")
CAL = Calendar(state="BE")  # Mon-Fri 8-17


def at(y, m, d, h=0, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=BERLIN)


def test_within_one_day():
    assert business_seconds(CAL, at(2026, 11, 24, 9), at(2026, 11, 24, 11)) == 7200


def test_outside_hours_counts_nothing():
    assert business_seconds(CAL, at(2026, 11, 24, 18), at(2026, 11, 25, 7)) == 0


def test_weekend_is_skipped():
    # Friday 16:00 + 2 h -> Monday 9:00
    assert add_business_seconds(CAL, at(2026, 11, 27, 16), 7200) == at(2026, 11, 30, 9)
    assert business_seconds(CAL, at(2026, 11, 27, 16), at(2026, 11, 30, 9)) == 7200


def test_german_holidays_are_skipped():
    # Wed 23 Dec 2026 16:00 + 4 h: 24th (Thu) works, 25th/26th are holidays.
    assert add_business_seconds(CAL, at(2026, 12, 23, 16), 4 * 3600) == at(2026, 12, 24, 11)
    # Thu 31 Dec 16:00 + 2 h: 1 Jan holiday, 2/3 Jan weekend -> Mon 4 Jan 9:00
    assert add_business_seconds(CAL, at(2026, 12, 31, 16), 7200) == at(2027, 1, 4, 9)


def test_state_specific_holiday():
    # 8 March (International Women's Day) is a holiday in Berlin only; 2027-03-08 is a Monday.
    berlin, bavaria = Calendar(state="BE"), Calendar(state="BY")
    assert not berlin.is_working_day(dt.date(2027, 3, 8))
    assert bavaria.is_working_day(dt.date(2027, 3, 8))
    # 6 January (Epiphany) in Bavaria, not Berlin; 2027-01-06 is a Wednesday.
    assert not bavaria.is_working_day(dt.date(2027, 1, 6))
    assert berlin.is_working_day(dt.date(2027, 1, 6))


def test_start_before_opening_begins_at_opening():
    assert add_business_seconds(CAL, at(2026, 11, 24, 6), 3600) == at(2026, 11, 24, 9)


def test_pause_extends_due_time_and_is_not_elapsed():
    start = at(2026, 11, 24, 9)
    plain = sla_due(CAL, start, 240)
    assert plain == at(2026, 11, 24, 13)
    pauses = [(at(2026, 11, 24, 10), at(2026, 11, 24, 12))]
    assert sla_due(CAL, start, 240, pauses) == at(2026, 11, 24, 15)
    assert sla_elapsed(CAL, start, at(2026, 11, 24, 14), pauses) == 3 * 3600


def test_running_pause_stops_the_clock():
    start = at(2026, 11, 24, 9)
    pauses = [(at(2026, 11, 24, 10), None)]
    assert sla_elapsed(CAL, start, at(2026, 11, 25, 16), pauses) == 3600


def test_pause_after_due_does_not_move_it():
    start = at(2026, 11, 24, 9)
    assert sla_due(CAL, start, 60, [(at(2026, 11, 24, 12), at(2026, 11, 24, 14))]) == at(2026, 11, 24, 10)


def test_pause_over_weekend_counts_only_business_time():
    start = at(2026, 11, 27, 9)  # Friday
    pauses = [(at(2026, 11, 27, 16), at(2026, 11, 30, 10))]  # 1 h Fri + 2 h Mon
    assert sla_due(CAL, start, 8 * 60, pauses) == at(2026, 11, 30, 11)
