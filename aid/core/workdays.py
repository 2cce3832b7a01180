"""Official Chinese working-day calendar (法定节假日与调休) with administrator overrides.

Source of truth, in order:
1. an administrator override for the day (``{date: is_workday}``) — always wins;
2. the ``chinese-calendar`` package for the years it covers (``package_years()``);
3. for a year the administrator declared complete: Mon–Fri work, Sat/Sun rest
   (holidays and make-up days of that year are entered as overrides).
Any other day raises :class:`CalendarUnavailable` — we never guess from weekends.

Counting rules (DESIGN §3.3, §3.7):
- "within N working days of the event": the event day is not counted (民法典 第二百零一条),
  so the deadline is the Nth working day after it (:meth:`WorkdayCalendar.deadline_after`);
- a notice period of N working days counts its first day of posting
  (:meth:`WorkdayCalendar.period_end_inclusive`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import NamedTuple

import chinese_calendar

__all__ = [
    "MAX_N",
    "CalendarUnavailable",
    "DeadlineStatus",
    "WorkdayCalendar",
    "package_years",
]

MAX_N = 3650
_ONE_DAY = _dt.timedelta(days=1)


class CalendarUnavailable(ValueError):
    """The calendar has no data for ``year``; the province admin must enter it."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"工作日历缺少{year}年的数据：请省级管理员在“工作日历”中录入"
            f"{year}年的法定节假日和调休安排后再试。"
        )


@lru_cache(maxsize=1)
def package_years() -> range:
    """Years the installed chinese-calendar package covers (same bounds it checks itself)."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


# chinese_calendar.is_workday recomputes min/max over its whole table on every call
# (~20 µs); the covered days are finite, so cache them all.
@lru_cache(maxsize=None)
def _package_is_workday(d: _dt.date) -> bool:
    return chinese_calendar.is_workday(d)


def _as_date(value: object, name: str = "日期") -> _dt.date:
    # datetime is a subclass of date but never equals/hashes like one, so normalise it.
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    raise TypeError(f"{name}必须是日期（datetime.date），收到的是 {type(value).__name__}")


def _check_n(n: object, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"工作日天数必须是整数，收到的是 {n!r}")
    if n < minimum or n > MAX_N:
        raise ValueError(f"工作日天数必须在 {minimum} 到 {MAX_N} 之间，收到的是 {n}")
    return n


class DeadlineStatus(NamedTuple):
    deadline: _dt.date
    today: _dt.date
    overdue: bool  # today is past the deadline
    workdays_left: int  # working days after today up to the deadline; 0 = due today
    workdays_overdue: int  # working days after the deadline up to today (0 if not overdue)

    @property
    def label(self) -> str:
        if self.overdue:
            if self.workdays_overdue:
                return f"已逾期{self.workdays_overdue}个工作日"
            return "已逾期"
        if self.workdays_left == 0:
            return "今天到期"
        return f"还剩{self.workdays_left}个工作日"


class WorkdayCalendar:
    def __init__(
        self,
        overrides: Mapping[_dt.date, bool] = {},  # read only: copied below
        complete_years: Iterable[int] = (),
    ):
        self._overrides: dict[_dt.date, bool] = {}
        for day, is_work in overrides.items():
            if not isinstance(is_work, (bool, int)):
                raise TypeError(f"{day} 的工作日标记必须是布尔值，收到的是 {is_work!r}")
            self._overrides[_as_date(day)] = bool(is_work)
        self._complete_years = frozenset(int(y) for y in complete_years)

    def covers(self, year: int) -> bool:
        """Whether every day of ``year`` can be answered."""
        return year in package_years() or year in self._complete_years

    def is_workday(self, d: _dt.date) -> bool:
        d = _as_date(d)
        if d in self._overrides:
            return self._overrides[d]
        if d.year in package_years():
            return _package_is_workday(d)
        if d.year in self._complete_years:
            return d.weekday() < 5
        raise CalendarUnavailable(d.year)

    def add_workdays(self, start: _dt.date, n: int) -> _dt.date:
        """The Nth working day after ``start`` (``start`` itself never counts; n=0 → start)."""
        d = _as_date(start, "起始日期")
        n = _check_n(n, 0)
        while n:
            d += _ONE_DAY
            if self.is_workday(d):
                n -= 1
        return d

    def deadline_after(self, event_date: _dt.date, n: int) -> _dt.date:
        """Deadline for "within N working days of the event" — the event day is not counted."""
        return self.add_workdays(event_date, _check_n(n, 1))

    def period_end_inclusive(self, first_day: _dt.date, n: int) -> _dt.date:
        """Last day of an N-working-day period counting ``first_day`` if it is a working day
        (otherwise counting starts at the next working day)."""
        first_day = _as_date(first_day, "起始日期")
        return self.add_workdays(first_day - _ONE_DAY, _check_n(n, 1))

    def workdays_between(self, a: _dt.date, b: _dt.date) -> int:
        """Working days in (a, b]; negative (−count of (b, a]) when b < a."""
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.workdays_between(b, a)
        count = 0
        d = a
        while d < b:
            d += _ONE_DAY
            if self.is_workday(d):
                count += 1
        return count

    def status(self, deadline: _dt.date, today: _dt.date) -> DeadlineStatus:
        deadline, today = _as_date(deadline), _as_date(today)
        overdue = today > deadline
        return DeadlineStatus(
            deadline=deadline,
            today=today,
            overdue=overdue,
            workdays_left=0 if overdue else self.workdays_between(today, deadline),
            workdays_overdue=self.workdays_between(deadline, today) if overdue else 0,
        )
