"""The batch deadline walk (school timeliness) gives exactly cal.deadline_after per day,
including None for the days whose deadline needs a year the calendar lacks."""
import random
from datetime import date, timedelta

import pytest

from aid.changes.service import deadlines_after
from aid.core.workdays import CalendarUnavailable, WorkdayCalendar, package_years


def _one_by_one(cal, days, n):
    out = {}
    for day in days:
        try:
            out[day] = cal.deadline_after(day, n)
        except CalendarUnavailable:
            out[day] = None
    return out


@pytest.mark.parametrize("n", [1, 3, 10, 40])
def test_the_walk_equals_deadline_after_day_by_day(n):
    last = max(package_years())
    # the package's last year, a missing next year, then a year the administrator declared
    # complete (with an override), so the walk must skip the gap and resume
    cal = WorkdayCalendar(overrides={date(last + 2, 3, 2): False}, complete_years=[last + 2])
    rng = random.Random(n)
    start = date(last - 1, 1, 1)
    days = {start + timedelta(days=rng.randrange(0, 3 * 366)) for _ in range(300)}
    days |= {date(last, 12, 31), date(last, 12, 20), date(last + 1, 6, 1), date(last + 2, 1, 1), date(last + 2, 2, 27)}
    expected = _one_by_one(cal, days, n)
    assert deadlines_after(cal, days, n) == expected
    assert None in expected.values() and len({v for v in expected.values() if v}) > 10


def test_no_days_and_a_bad_count():
    assert deadlines_after(WorkdayCalendar(), [], 10) == {}
    with pytest.raises(ValueError):
        deadlines_after(WorkdayCalendar(), [date(2025, 1, 2)], 0)
