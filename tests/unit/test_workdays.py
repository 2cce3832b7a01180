"""Working-day calendar: official 国务院办公厅 holiday notices, admin overrides, counting rules.

Official dates used here (each also checked against chinese_calendar itself):
- 2024 春节: 2月10日至17日放假调休，共8天；2月4日（星期日）、2月18日（星期日）上班。
- 2025 国庆节、中秋节: 10月1日至8日放假调休，共8天；9月28日（星期日）、10月11日（星期六）上班。
- 2026 元旦: 1月1日至3日放假调休，共3天；1月4日（星期日）上班。
"""

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aid.core.workdays import (
    MAX_N,
    CalendarUnavailable,
    WorkdayCalendar,
    package_years,
)

D = date.fromisoformat
cal = WorkdayCalendar()


# --- the package and its coverage -------------------------------------------------------


def test_package_years_derived_from_package():
    years = package_years()
    assert isinstance(years, range)
    assert years.start == 2004
    assert years.stop - 1 >= 2026
    assert {2015, 2024, 2025, 2026} <= set(years)
    # the package itself refuses the years just outside
    for outside in (years.start - 1, years.stop):
        with pytest.raises(NotImplementedError):
            chinese_calendar.is_workday(date(outside, 6, 1))


def test_agrees_with_package_on_every_covered_day():
    d, end = date(package_years().start, 1, 1), date(package_years().stop - 1, 12, 31)
    while d <= end:
        assert cal.is_workday(d) is chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


# --- 2024 Spring Festival -----------------------------------------------------------------

SPRING_2024 = {
    "2024-02-03": False,  # ordinary Saturday
    "2024-02-04": True,  # Sunday, make-up working day
    "2024-02-09": True,  # 除夕 Friday: a working day in 2024 (only "encouraged" off)
    **{f"2024-02-{day}": False for day in range(10, 18)},  # 10th (Sat) .. 17th (Sat)
    "2024-02-18": True,  # Sunday, make-up working day
    "2024-02-19": True,
    "2024-02-24": False,  # ordinary Saturday
}


@pytest.mark.parametrize(("day", "expected"), SPRING_2024.items())
def test_spring_festival_2024(day, expected):
    assert cal.is_workday(D(day)) is expected
    assert chinese_calendar.is_workday(D(day)) is expected


def test_spring_festival_2024_weekdays_of_make_up_days():
    assert D("2024-02-04").weekday() == 6
    assert D("2024-02-18").weekday() == 6


def test_deadline_10_workdays_after_2024_02_05():
    # Event Mon 02-05 (not counted). Working days after it:
    # 02-06 (1), 02-07 (2), 02-08 (3), 02-09 (4), [02-10..02-17 holiday],
    # 02-18 Sun make-up (5), 02-19 (6), 02-20 (7), 02-21 (8), 02-22 (9), 02-23 Fri (10).
    assert cal.deadline_after(D("2024-02-05"), 10) == D("2024-02-23")
    assert cal.workdays_between(D("2024-02-05"), D("2024-02-23")) == 10


def test_deadline_lands_on_make_up_sunday():
    # Fri 02-09 + 1 working day: the holiday is skipped, Sunday 02-18 is a working day.
    assert cal.deadline_after(D("2024-02-09"), 1) == D("2024-02-18")
    # Fri 02-02 + 1 working day: Saturday 02-03 is off, Sunday 02-04 is a make-up day.
    assert cal.deadline_after(D("2024-02-02"), 1) == D("2024-02-04")


# --- 2025 National Day + Mid-Autumn -------------------------------------------------------

NATIONAL_2025 = {
    "2025-09-27": False,  # ordinary Saturday
    "2025-09-28": True,  # Sunday, make-up working day
    "2025-09-29": True,
    "2025-09-30": True,
    **{f"2025-10-0{day}": False for day in range(1, 9)},  # 1st (Wed) .. 8th (Wed)
    "2025-10-09": True,
    "2025-10-10": True,
    "2025-10-11": True,  # Saturday, make-up working day
    "2025-10-12": False,  # ordinary Sunday
    "2025-10-13": True,
}


@pytest.mark.parametrize(("day", "expected"), NATIONAL_2025.items())
def test_national_day_2025(day, expected):
    assert cal.is_workday(D(day)) is expected
    assert chinese_calendar.is_workday(D(day)) is expected


def test_notice_posted_2025_09_29_for_5_workdays_ends_on_make_up_saturday():
    # First day counted: 09-29 (1), 09-30 (2), [10-01..10-08 off], 10-09 (3), 10-10 (4),
    # 10-11 Sat make-up (5).
    end = cal.period_end_inclusive(D("2025-09-29"), 5)
    assert end == D("2025-10-11")
    assert end.weekday() == 5


def test_notice_starting_on_a_holiday_counts_from_next_workday():
    # Posted 10-01 (holiday): 10-09 (1), 10-10 (2), 10-11 (3), [10-12 Sun], 10-13 (4), 10-14 (5).
    assert cal.period_end_inclusive(D("2025-10-01"), 5) == D("2025-10-14")


def test_notice_of_one_day_posted_on_make_up_sunday_ends_that_day():
    assert cal.period_end_inclusive(D("2025-09-28"), 1) == D("2025-09-28")


def test_event_on_holiday_n1():
    assert cal.deadline_after(D("2025-10-03"), 1) == D("2025-10-09")


def test_deadline_after_vs_notice_period_differ_by_the_first_day():
    # Same start, same N: the notice counts 09-30 itself, the deadline does not.
    assert cal.period_end_inclusive(D("2025-09-30"), 3) == D("2025-10-10")
    assert cal.deadline_after(D("2025-09-30"), 3) == D("2025-10-11")


def test_workdays_between_is_half_open_and_signed():
    a, b = D("2025-09-30"), D("2025-10-12")
    assert cal.workdays_between(a, b) == 3  # 10-09, 10-10, 10-11; 09-30 itself excluded
    assert cal.workdays_between(b, a) == -3
    assert cal.workdays_between(a, a) == 0
    assert cal.workdays_between(D("2025-10-01"), D("2025-10-08")) == 0


# --- status helper ------------------------------------------------------------------------


def test_status_left_due_overdue():
    deadline = D("2025-10-11")
    s = cal.status(deadline, D("2025-09-30"))
    assert (s.overdue, s.workdays_left, s.workdays_overdue) == (False, 3, 0)
    assert s.label == "还剩3个工作日"

    s = cal.status(deadline, deadline)
    assert (s.overdue, s.workdays_left, s.label) == (False, 0, "今天到期")

    s = cal.status(deadline, D("2025-10-12"))  # Sunday right after: late, but no workday lost
    assert (s.overdue, s.workdays_overdue, s.label) == (True, 0, "已逾期")

    s = cal.status(deadline, D("2025-10-14"))
    assert (s.overdue, s.workdays_overdue, s.label) == (True, 2, "已逾期2个工作日")


# --- years the package does not cover -----------------------------------------------------


def test_year_outside_package_raises_with_chinese_message():
    with pytest.raises(CalendarUnavailable) as exc:
        cal.is_workday(D("2030-03-04"))
    err = exc.value
    assert isinstance(err, ValueError)
    assert err.year == 2030
    assert str(err) == (
        "工作日历缺少2030年的数据：请省级管理员在“工作日历”中录入"
        "2030年的法定节假日和调休安排后再试。"
    )


def test_year_before_package_raises():
    with pytest.raises(CalendarUnavailable, match="2003年"):
        cal.is_workday(D("2003-06-02"))


def test_weekend_is_not_guessed_for_unknown_year():
    # A Saturday looks like an obvious rest day, but it could be a make-up day: no guessing.
    with pytest.raises(CalendarUnavailable):
        cal.is_workday(D("2030-09-28"))


def test_counting_into_unknown_year_names_that_year():
    # 2026-12-31 (Thu) is a working day, then 2027 is unknown.
    assert cal.deadline_after(D("2026-12-30"), 1) == D("2026-12-31")
    with pytest.raises(CalendarUnavailable) as exc:
        cal.deadline_after(D("2026-12-30"), 2)
    assert exc.value.year == 2027
    assert "2027年" in str(exc.value)
    with pytest.raises(CalendarUnavailable):
        cal.workdays_between(D("2026-12-30"), D("2027-01-05"))


def test_counting_across_new_year_inside_package():
    # 2026 元旦: 01-01..01-03 off, Sunday 01-04 is a make-up working day.
    assert cal.deadline_after(D("2025-12-31"), 1) == D("2026-01-04")
    # Notice posted on the New Year holiday starts counting at the make-up Sunday.
    assert cal.period_end_inclusive(D("2026-01-01"), 1) == D("2026-01-04")


def test_admin_entered_year():
    assert D("2030-10-01").weekday() == 1  # Tuesday
    assert D("2030-09-28").weekday() == 5  # Saturday
    admin = WorkdayCalendar(
        overrides={
            D("2030-10-01"): False,  # weekday made a holiday
            D("2030-10-02"): False,
            D("2030-09-28"): True,  # Saturday made a working day
        },
        complete_years={2030},
    )
    assert admin.covers(2030) and not cal.covers(2030)
    assert admin.is_workday(D("2030-10-01")) is False
    assert admin.is_workday(D("2030-09-28")) is True
    assert admin.is_workday(D("2030-10-03")) is True  # plain Thursday
    assert admin.is_workday(D("2030-10-05")) is False  # plain Saturday
    # Fri 09-27 + 1 → Sat 09-28 (make-up); Mon 09-30 + 1 → Thu 10-03.
    assert admin.deadline_after(D("2030-09-27"), 1) == D("2030-09-28")
    assert admin.deadline_after(D("2030-09-30"), 1) == D("2030-10-03")
    assert admin.period_end_inclusive(D("2030-10-01"), 2) == D("2030-10-04")
    # 2031 still unknown
    with pytest.raises(CalendarUnavailable, match="2031年"):
        admin.is_workday(D("2031-01-02"))


def test_override_in_incomplete_year_answers_only_that_day():
    partial = WorkdayCalendar(overrides={D("2030-01-01"): False, D("2030-01-02"): True})
    assert partial.is_workday(D("2030-01-01")) is False
    assert partial.is_workday(D("2030-01-02")) is True
    with pytest.raises(CalendarUnavailable) as exc:
        partial.deadline_after(D("2030-01-01"), 2)
    assert exc.value.year == 2030


def test_override_wins_inside_package_year():
    local = WorkdayCalendar(
        overrides={
            D("2025-10-09"): False,  # e.g. a corrected/local rest day
            D("2025-10-04"): True,  # a holiday Saturday turned into a working day
        }
    )
    assert local.is_workday(D("2025-10-09")) is False
    assert local.is_workday(D("2025-10-04")) is True
    assert local.deadline_after(D("2025-10-03"), 1) == D("2025-10-04")
    assert local.deadline_after(D("2025-10-04"), 1) == D("2025-10-10")
    # package-covered year does not need to be declared complete
    assert local.is_workday(D("2025-10-10")) is True
    assert cal.is_workday(D("2025-10-09")) is True  # other calendars unaffected


def test_complete_year_does_not_shadow_package_data():
    both = WorkdayCalendar(complete_years={2025})
    assert both.is_workday(D("2025-10-01")) is False  # package holiday, not "a Wednesday"
    assert both.is_workday(D("2025-10-11")) is True  # package make-up Saturday


# --- inputs -------------------------------------------------------------------------------


def test_datetime_inputs_and_override_keys_are_normalised():
    local = WorkdayCalendar(overrides={datetime(2025, 10, 9, 8, 30): False})
    assert local.is_workday(datetime(2025, 10, 9, 23, 59)) is False
    assert cal.deadline_after(datetime(2025, 10, 3, 12), 1) == D("2025-10-09")
    assert type(cal.deadline_after(datetime(2025, 10, 3, 12), 1)) is date


def test_non_date_rejected():
    with pytest.raises(TypeError):
        cal.is_workday("2025-10-09")
    with pytest.raises(TypeError):
        WorkdayCalendar(overrides={D("2025-10-09"): "no"})


@pytest.mark.parametrize("n", [-1, MAX_N + 1, 1.5, "3", True, None])
def test_bad_n_rejected_with_chinese_message(n):
    for method in (cal.add_workdays, cal.deadline_after, cal.period_end_inclusive):
        with pytest.raises(ValueError, match="工作日天数"):
            method(D("2025-03-03"), n)


def test_zero_n():
    assert cal.add_workdays(D("2025-10-04"), 0) == D("2025-10-04")
    for method in (cal.deadline_after, cal.period_end_inclusive):
        with pytest.raises(ValueError, match="工作日天数必须在 1 到 3650 之间"):
            method(D("2025-03-03"), 0)


def test_max_n_accepted():
    end = cal.deadline_after(D("2005-01-04"), MAX_N)
    assert cal.workdays_between(D("2005-01-04"), end) == MAX_N


# --- property -----------------------------------------------------------------------------


@settings(deadline=None, max_examples=300)
@given(
    d=st.dates(min_value=date(2015, 1, 1), max_value=date(2025, 12, 31)),
    n=st.integers(min_value=1, max_value=30),
)
def test_deadline_properties(d, n):
    deadline = cal.deadline_after(d, n)
    assert deadline > d
    assert cal.is_workday(deadline)
    assert cal.workdays_between(d, deadline) == n
    assert cal.workdays_between(deadline, d) == -n
    # the day before the deadline is still within the period
    assert cal.workdays_between(d, deadline - timedelta(days=1)) == n - 1
    # independent oracle: the package's own find_workday, counting from d+1 inclusive
    assert deadline == chinese_calendar.find_workday(n - 1, d + timedelta(days=1))
    # a notice period counts its first day
    assert cal.period_end_inclusive(d + timedelta(days=1), n) == deadline
