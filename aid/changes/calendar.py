"""The product's one working-day calendar: the official package plus the administrator's table.

`get_calendar()` is what every deadline in the product uses. Within a request it
is built once and kept in `flask.g`; the calendar-editing functions below drop
that copy so the same request sees its own change.
"""
from __future__ import annotations

from datetime import date

from flask import g, has_request_context
from sqlalchemy import select

from aid.audit.service import record
from aid.core.errors import InvalidValue
from aid.core.workdays import CalendarUnavailable, WorkdayCalendar, package_years
from aid.extensions import db
from aid.changes.models import CalendarDay, CalendarYear

_G_KEY = "_aid_workday_calendar"
MIN_YEAR, MAX_YEAR = 2000, 2100

__all__ = ["CalendarUnavailable", "get_calendar", "set_day", "delete_day", "declare_year", "revoke_year",
           "deadline_after"]


def _build() -> WorkdayCalendar:
    overrides = dict(db.session.execute(select(CalendarDay.day, CalendarDay.is_workday)).all())
    years = db.session.execute(select(CalendarYear.year)).scalars().all()
    return WorkdayCalendar(overrides, years)


def get_calendar() -> WorkdayCalendar:
    """The working-day calendar (package + administrator overrides + declared-complete years)."""
    if not has_request_context():
        return _build()
    cal = g.get(_G_KEY)
    if cal is None:
        cal = _build()
        setattr(g, _G_KEY, cal)
    return cal


def _forget() -> None:
    if has_request_context():
        g.pop(_G_KEY, None)


def deadline_after(event_date: date, n: int) -> date:
    """The Nth working day after the event (raises CalendarUnavailable naming the year)."""
    return get_calendar().deadline_after(event_date, n)


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidValue(f"年份必须在{MIN_YEAR}年到{MAX_YEAR}年之间")


def set_day(user, day: date, is_workday: bool, note: str = "") -> CalendarDay:
    """Add or correct one day (holiday, make-up working day, or a fix of the package)."""
    _check_year(day.year)
    note = (note or "").strip()
    if len(note) > 200:
        raise InvalidValue("说明不能超过200字")
    row = db.session.execute(select(CalendarDay).where(CalendarDay.day == day)).scalar_one_or_none()
    before = row.audit_view() if row else None
    if row is None:
        row = CalendarDay(day=day, is_workday=is_workday, note=note, created_by=user.id)
        db.session.add(row)
    else:
        row.is_workday, row.note, row.created_by = is_workday, note, user.id
    db.session.flush()
    record("calendar.set_day", row, user=user, before=before, after=row.audit_view(),
           summary=f"工作日历：{day.isoformat()} 设为{'工作日' if is_workday else '休息日'}")
    _forget()
    return row


def delete_day(user, row: CalendarDay) -> None:
    record("calendar.delete_day", row, user=user, before=row.audit_view(),
           summary=f"工作日历：删除 {row.day.isoformat()} 的设置")
    db.session.delete(row)
    db.session.flush()
    _forget()


def declare_year(user, year: int, note: str = "") -> CalendarYear:
    """Declare a year complete: its holidays and make-up days are entered; other days follow
    Monday–Friday. Only for years the official package does not cover."""
    _check_year(year)
    if year in package_years():
        raise InvalidValue(f"{year}年已由官方节假日数据覆盖，无需声明；如需更正个别日期，请逐日设置")
    if db.session.get(CalendarYear, year) is not None:
        raise InvalidValue(f"{year}年已声明为录入完整")
    entered = db.session.execute(
        select(CalendarDay.id).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    ).first()
    if entered is None:
        raise InvalidValue(f"{year}年尚未录入任何法定节假日或调休日，请先逐日录入后再声明录入完整")
    row = CalendarYear(year=year, note=(note or "").strip()[:200], declared_by=user.id)
    db.session.add(row)
    db.session.flush()
    record("calendar.declare_year", object_type="calendar_years", object_id=year, user=user,
           after={"year": year, "note": row.note}, summary=f"工作日历：声明{year}年节假日录入完整")
    _forget()
    return row


def revoke_year(user, year: int) -> None:
    row = db.session.get(CalendarYear, year)
    if row is None:
        raise InvalidValue(f"{year}年未声明为录入完整")
    record("calendar.revoke_year", object_type="calendar_years", object_id=year, user=user,
           before={"year": year}, summary=f"工作日历：撤销{year}年录入完整的声明")
    db.session.delete(row)
    db.session.flush()
    _forget()
