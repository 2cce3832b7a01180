"""Notice rules without HTTP: the posting period on the working-day calendar,
the one list of allowed fields, visibility, and reading programme versions."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

# notice_calendar() reads the administrator's calendar entries from the database
pytestmark = pytest.mark.usefixtures("ctx")

from aid.core.workdays import WorkdayCalendar
from aid.notices import policy, service
from aid.notices.models import NoticeItem
from aid.notices.service import NOTICE_FIELD_KEYS, NOTICE_FIELDS, NoticeError, check_period
from aid.programmes.defaults import DEFAULT_PROGRAMMES, NATIONAL_GRANT_2025
from aid.programmes.semesters import Semester

CAL = WorkdayCalendar()


def test_five_working_days_from_29_september_2025_end_on_the_make_up_saturday():
    cal = service.notice_calendar()
    assert cal.period_end_inclusive(date(2025, 9, 29), 5) == date(2025, 10, 11)
    assert date(2025, 10, 11).weekday() == 5 and cal.is_workday(date(2025, 10, 11))
    assert service.earliest_end(date(2025, 9, 29), 5, CAL) == date(2025, 10, 11)


def test_the_first_day_of_posting_counts():
    assert service.period_workdays(date(2025, 9, 29), date(2025, 9, 29), CAL) == 1
    assert check_period(date(2025, 9, 29), date(2025, 10, 11), 5, CAL) == 5
    assert check_period(date(2025, 9, 29), date(2025, 10, 13), 5, CAL) == 6


@pytest.mark.parametrize("end,message", [
    (date(2025, 10, 10), "只有4个工作日，少于规定的5个工作日"),
    (date(2025, 10, 12), "不是工作日"),   # Sunday
    (date(2025, 10, 3), "不是工作日"),    # National Day holiday
    (date(2025, 9, 28), "不能早于开始日期"),
])
def test_periods_refused(end, message):
    with pytest.raises(NoticeError, match=message):
        check_period(date(2025, 9, 29), end, 5, CAL)


def test_short_period_message_names_the_earliest_end():
    with pytest.raises(NoticeError, match="最早可于2025年10月11日结束"):
        check_period(date(2025, 9, 29), date(2025, 9, 30), 5, CAL)


def test_minimum_is_a_parameter():
    assert check_period(date(2025, 9, 29), date(2025, 10, 14), 7, CAL) == 7
    with pytest.raises(NoticeError):
        check_period(date(2025, 9, 29), date(2025, 10, 13), 7, CAL)


def test_a_year_the_calendar_does_not_cover_is_a_clear_error():
    with pytest.raises(NoticeError, match="2099年"):
        check_period(date(2099, 3, 2), date(2099, 3, 9), 5, CAL)


def test_the_field_list_is_the_allowed_six_and_the_item_stores_nothing_else():
    assert [label for _k, label in NOTICE_FIELDS] == ["姓名", "学校", "专业/班级", "年级", "资助项目", "等次"]
    columns = set(NoticeItem.__table__.columns.keys())
    bookkeeping = {"id", "notice_id", "school_id", "source_type", "source_id", "position", "state", "withdrawn_reason"}
    assert columns - bookkeeping == set(NOTICE_FIELD_KEYS)
    for word in ("id_number", "card", "phone", "address", "birth", "categor", "circumstance", "family"):
        assert not any(word in c for c in columns)


def _source(level="特别困难"):
    major = SimpleNamespace(name="数控加工")
    cls = SimpleNamespace(name="2024级数控1班", intake_date=date(2024, 9, 1), major=major)
    student = SimpleNamespace(name="林小雨", school=SimpleNamespace(name="福州技师学院"), school_class=cls,
                              address="某县某镇1号", birth_date=date(2009, 1, 3), id_number_masked="350102********1234")
    return SimpleNamespace(student=student, semester="2025-autumn", level=level, categories='["dibao"]',
                           circumstances="家庭困难", programme=SimpleNamespace(name="国家助学金"))


def test_snapshot_holds_exactly_the_allowed_fields():
    values = service.snapshot(_source(), "hardship")
    assert tuple(values) == NOTICE_FIELD_KEYS
    assert values == {"name": "林小雨", "school": "福州技师学院", "major_class": "数控加工／2024级数控1班",
                      "year": "二年级", "programme": "家庭经济困难学生认定", "level": "特别困难"}
    assert service.snapshot(_source("一档"), "grant")["programme"] == "国家助学金"


def test_visibility_follows_the_period_and_state():
    n = SimpleNamespace(state="posted", first_day=date(2025, 9, 29), end_day=date(2025, 10, 11))
    assert not service.is_public(n, date(2025, 9, 28))
    assert service.is_public(n, date(2025, 9, 29)) and service.is_public(n, date(2025, 10, 11))
    assert not service.is_public(n, date(2025, 10, 12))
    assert not service.is_public(SimpleNamespace(**{**vars(n), "state": "ended"}), date(2025, 10, 1))
    assert not service.is_public(SimpleNamespace(**{**vars(n), "state": "approved"}), date(2025, 10, 1))


@pytest.mark.parametrize("rules", DEFAULT_PROGRAMMES, ids=lambda r: f"{r.code}-{r.valid_from}")
def test_programme_versions_are_read_back(rules):
    programme = SimpleNamespace(code=rules.code, name=rules.name, kind="national_grant")
    assert policy.rules_from_json(policy.rules_to_json(rules), programme) == rules


def test_policy_text_of_the_2025_grant():
    who, amounts = policy._who(NATIONAL_GRANT_2025), policy._amounts(NATIONAL_GRANT_2025)
    assert "1–3年级" in who[0] and "非全日制学生不享受" in who[0]
    assert any("涉农专业" in line for line in who)
    assert "特别困难：每生每年3,000.00元" in amounts[0]
    assert any("2,300.00元" in line for line in amounts)
    assert NATIONAL_GRANT_2025.is_valid_in(Semester(2026, "autumn"))
