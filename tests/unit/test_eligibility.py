"""Unit tests of the pure aid-eligibility engine, semester arithmetic and amounts."""
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from aid.programmes.defaults import (
    DEFAULT_GRANT_LEVELS, DEFAULT_PROGRAMMES, NATIONAL_GRANT_2023, NATIONAL_GRANT_2025,
    NATIONAL_SCHOLARSHIP, TUITION_WAIVER,
)
from aid.programmes.eligibility import (
    CRITERIA, HARDSHIP_LEVELS, REGISTER_STATUSES, REGISTRATION_STATES, Level, ProgrammeRules,
    Reason, StudentFacts, amount_for, annual_amount_fen, eligibility, grade_label, level_for,
    levels_average_fen, monthly_instalments, payments_for, select_version,
)
from aid.programmes.semesters import Semester, intake_semester, year_of_study

S = Semester.parse
CJK = re.compile(r"[\u4e00-\u9fff]")
INTAKE_2023 = date(2023, 9, 1)  # autumn 2023 cohort: year 1 in 2023-autumn/2024-spring


def student(**kw) -> StudentFacts:
    """A full-time, verified, enrolled urban student who meets no inclusion criterion."""
    base = dict(study_mode="full_time", register_status="在籍", registration_state="verified",
                household="urban", intake_date=INTAKE_2023, programme_length_years=3)
    return StudentFacts(**{**base, **kw})


def reason(decision, code):
    found = [r for r in decision.reasons if r.code == code]
    assert len(found) == 1, (code, decision.reasons)
    return found[0]


def codes(decision, ok=None):
    return {r.code for r in decision.reasons if ok is None or r.ok is ok}


# --- semesters ---------------------------------------------------------------------

def test_parse_and_str_roundtrip():
    assert S("2025-autumn") == Semester(2025, "autumn")
    assert str(Semester(2025, "spring")) == "2025-spring"
    assert S(" 2024-spring ") == Semester(2024, "spring")


@pytest.mark.parametrize("bad", ["", "2025", "2025-fall", "25-spring", "2025-Autumn",
                                 "2025_spring"])
def test_parse_rejects(bad):
    with pytest.raises(ValueError):
        S(bad)


def test_constructor_rejects_bad_term():
    with pytest.raises(ValueError):
        Semester(2025, "summer")


def test_ordering():
    assert S("2025-spring") < S("2025-autumn") < S("2026-spring")
    assert S("2024-autumn") < S("2025-spring")
    assert max(S("2025-spring"), S("2024-autumn")) == S("2025-spring")
    assert sorted([S("2026-spring"), S("2025-autumn"), S("2025-spring")]) == [
        S("2025-spring"), S("2025-autumn"), S("2026-spring")]
    assert S("2025-spring") <= S("2025-spring") and S("2025-spring") >= S("2025-spring")


def test_labels_and_school_year():
    assert S("2025-autumn").label == "2025年秋季学期"
    assert S("2026-spring").label == "2026年春季学期"
    assert S("2025-autumn").school_year == "2025-2026学年"
    assert S("2026-spring").school_year == "2025-2026学年"
    assert S("2025-spring").school_year == "2024-2025学年"


def test_dates():
    assert S("2025-spring").start_date == date(2025, 3, 1)
    assert S("2025-spring").end_date == date(2025, 8, 31)
    assert S("2025-autumn").start_date == date(2025, 9, 1)
    assert S("2025-autumn").end_date == date(2026, 2, 28)
    assert S("2023-autumn").end_date == date(2024, 2, 29)  # leap year


def test_next_prev():
    assert S("2025-spring").next() == S("2025-autumn")
    assert S("2025-autumn").next() == S("2026-spring")
    assert S("2026-spring").prev() == S("2025-autumn")
    assert S("2025-autumn").prev() == S("2025-spring")


@pytest.mark.parametrize("day, sem", [
    (date(2025, 1, 1), "2024-autumn"), (date(2025, 2, 28), "2024-autumn"),
    (date(2024, 2, 29), "2023-autumn"), (date(2025, 3, 1), "2025-spring"),
    (date(2025, 8, 31), "2025-spring"), (date(2025, 9, 1), "2025-autumn"),
    (date(2025, 12, 31), "2025-autumn"),
])
def test_containing(day, sem):
    assert Semester.containing(day) == S(sem)
    assert day in S(sem)


semesters = st.builds(Semester, st.integers(2000, 2090), st.sampled_from(["spring", "autumn"]))


@given(semesters)
def test_semesters_tile_the_calendar(sem):
    assert sem.next().start_date == sem.end_date + timedelta(days=1)
    assert Semester.containing(sem.start_date) == sem == Semester.containing(sem.end_date)
    assert sem.next().prev() == sem and sem < sem.next()
    assert Semester.parse(str(sem)) == sem


@given(semesters, semesters)
def test_order_matches_dates(a, b):
    assert (a < b) == (a.start_date < b.start_date)


# --- year of study ---------------------------------------------------------------

@pytest.mark.parametrize("sem, year", [
    ("2023-spring", 0), ("2023-autumn", 1), ("2024-spring", 1), ("2024-autumn", 2),
    ("2025-spring", 2), ("2025-autumn", 3), ("2026-spring", 3), ("2026-autumn", 4),
])
def test_year_of_study_autumn_intake(sem, year):
    assert year_of_study(date(2023, 9, 1), S(sem)) == year


@pytest.mark.parametrize("sem, year", [
    ("2023-autumn", 0), ("2024-spring", 1), ("2024-autumn", 1), ("2025-spring", 2),
    ("2025-autumn", 2), ("2026-spring", 3),
])
def test_year_of_study_spring_intake(sem, year):
    assert year_of_study(date(2024, 3, 1), S(sem)) == year


@pytest.mark.parametrize("intake, sem", [
    (date(2023, 8, 25), "2023-autumn"),  # early-registration autumn cohort
    (date(2023, 9, 1), "2023-autumn"), (date(2023, 12, 1), "2023-autumn"),
    (date(2024, 2, 20), "2024-spring"),  # spring term starting in February
    (date(2024, 1, 5), "2024-spring"), (date(2024, 3, 1), "2024-spring"),
    (date(2024, 6, 30), "2024-spring"), (date(2024, 7, 1), "2024-autumn"),
])
def test_intake_semester_rounds_to_nearest_term(intake, sem):
    assert intake_semester(intake) == S(sem)
    assert year_of_study(intake, S(sem)) == 1
    assert year_of_study(intake, S(sem).prev()) == 0


def test_august_intake_is_year_one_in_autumn_not_year_two_next_spring():
    assert year_of_study(date(2023, 8, 28), S("2024-spring")) == 1
    assert year_of_study(date(2023, 8, 28), S("2024-autumn")) == 2


@given(st.dates(date(2010, 1, 1), date(2035, 12, 31)), semesters)
def test_year_of_study_advances_once_every_two_semesters(intake, sem):
    y, y_next = year_of_study(intake, sem), year_of_study(intake, sem.next())
    assert y >= 0 and 0 <= y_next - y <= 1
    if y:
        assert year_of_study(intake, sem.next().next()) == y + 1
    first = intake_semester(intake)
    expected = 0 if sem < first else (sem.ordinal - first.ordinal) // 2 + 1
    assert year_of_study(intake, sem) == expected


def test_grade_label():
    assert [grade_label(i) for i in (1, 2, 3)] == ["一年级", "二年级", "三年级"]
    assert grade_label(12) == "12年级"


# --- the hard rule: part-time is never eligible -----------------------------------

def _all_flags_programme(**kw):
    return ProgrammeRules(
        code="local_everyone", name="校内资助", kind="local", valid_from=S("2000-spring"),
        amount_source="fixed", fixed_annual_fen=100000,
        **{c.flag: True for c in CRITERIA}, **kw)


PERMISSIVE = (*DEFAULT_PROGRAMMES, _all_flags_programme(),
              ProgrammeRules(code="no_criteria", name="无条件资助", kind="local",
                             valid_from=S("2000-spring"), amount_source="fixed",
                             fixed_annual_fen=1))

student_facts = st.builds(
    StudentFacts,
    study_mode=st.sampled_from(["full_time", "part_time"]),
    register_status=st.sampled_from(REGISTER_STATUSES),
    registration_state=st.sampled_from(REGISTRATION_STATES),
    household=st.sampled_from(["rural", "urban"]),
    intake_date=st.dates(date(2015, 1, 1), date(2030, 12, 31)),
    programme_length_years=st.integers(1, 6),
    major_agriculture=st.booleans(), major_opera=st.booleans(),
    major_other_performing_arts=st.booleans(), school_ethnic_minority_area=st.booleans(),
    school_contiguous_poverty_area=st.booleans(),
    school_ownership=st.sampled_from(["public", "private"]),
    hardship_level=st.sampled_from([*HARDSHIP_LEVELS, "不困难", None]),
    has_hold=st.booleans(), hold_reason=st.sampled_from([None, "休学", "退学"]),
    academic_excellent=st.booleans(),
)


@settings(max_examples=600)
@given(student_facts, st.sampled_from(PERMISSIVE), semesters,
       st.one_of(st.none(), st.integers(0, 100)), st.one_of(st.none(), st.integers(0, 100)))
def test_part_time_is_never_eligible(s, programme, sem, quota_used, quota):
    d = eligibility(replace(s, study_mode="part_time"), programme, sem,
                    quota_used=quota_used, quota=quota)
    assert not d.eligible
    assert reason(d, "full_time") == Reason(
        "full_time", False, "非全日制学生不享受资助（硬性规定）")
    assert "非全日制学生不享受资助（硬性规定）" in d.summary


@settings(max_examples=400)
@given(student_facts, st.sampled_from(PERMISSIVE), semesters)
def test_decision_is_all_hard_requirements_and_any_criterion(s, programme, sem):
    d = eligibility(s, programme, sem)
    assert d.eligible == (not d.failures)
    assert d.eligible == (all(r.ok for r in d.reasons))
    for r in d.reasons:
        assert CJK.search(r.text), r
    if d.eligible:
        assert d.summary.startswith(f"符合{programme.name}条件")
        assert s.study_mode == "full_time" and s.register_status == "在籍"
        assert s.registration_state == "verified" and not s.has_hold
    else:
        assert d.summary.startswith(f"不符合{programme.name}条件：")
        assert all(r.text in d.summary for r in d.failures)


def test_the_baseline_student_fails_only_on_criteria():
    d = eligibility(student(household="rural"), TUITION_WAIVER, S("2024-autumn"))
    assert d.eligible and d.matched == ("rural",)
    assert not eligibility(student(), TUITION_WAIVER, S("2024-autumn")).eligible


# --- inclusion criteria, one at a time ----------------------------------------------

@pytest.mark.parametrize("facts, code, text", [
    (dict(household="rural"), "rural", "农村（含县镇）户籍学生"),
    (dict(major_agriculture=True), "urban_agriculture", "城镇户籍涉农专业学生"),
    (dict(hardship_level="特别困难"), "hardship", "家庭经济困难学生（特别困难）"),
    (dict(hardship_level="比较困难"), "hardship", "家庭经济困难学生（比较困难）"),
    (dict(hardship_level="一般困难"), "hardship", "家庭经济困难学生（一般困难）"),
    (dict(school_ethnic_minority_area=True), "ethnic_minority_area_school", "民族地区学校学生"),
    (dict(major_opera=True), "opera", "戏曲表演专业"),
])
def test_tuition_waiver_each_criterion_alone(facts, code, text):
    d = eligibility(student(**facts), TUITION_WAIVER, S("2024-spring"))
    assert d.eligible and d.matched == (code,)
    assert reason(d, code).text == text
    assert text in d.summary


@pytest.mark.parametrize("facts", [
    dict(), dict(hardship_level="不困难"), dict(school_contiguous_poverty_area=True),
    dict(academic_excellent=True), dict(school_ownership="private"),
])
def test_tuition_waiver_not_included(facts):
    d = eligibility(student(**facts), TUITION_WAIVER, S("2024-spring"))
    assert not d.eligible and d.matched == ()
    assert reason(d, "no_criterion").text.startswith("不属于免学费资助对象（须为农村（含县镇）户籍学生、")


def test_rural_agriculture_student_matches_rural_not_urban_agriculture():
    d = eligibility(student(household="rural", major_agriculture=True), TUITION_WAIVER,
                    S("2024-spring"))
    assert d.matched == ("rural",)


def test_several_criteria_are_all_reported():
    d = eligibility(student(household="rural", hardship_level="比较困难",
                            school_ethnic_minority_area=True), TUITION_WAIVER, S("2024-spring"))
    assert d.matched == ("rural", "hardship", "ethnic_minority_area_school")
    assert d.summary == ("符合免学费条件：农村（含县镇）户籍学生；家庭经济困难学生（比较困难）；"
                         "民族地区学校学生")


def test_private_school_students_are_waived_too():
    assert eligibility(student(household="rural", school_ownership="private"),
                       TUITION_WAIVER, S("2024-spring")).eligible


GRANTS = [(NATIONAL_GRANT_2023, S("2024-spring")), (NATIONAL_GRANT_2025, S("2025-autumn"))]


@pytest.mark.parametrize("grant, sem", GRANTS)
@pytest.mark.parametrize("facts, code", [
    (dict(major_agriculture=True), "agriculture_major"),
    (dict(major_agriculture=True, household="rural"), "agriculture_major"),
    (dict(hardship_level="一般困难"), "hardship"),
    (dict(household="rural", school_contiguous_poverty_area=True), "poverty_area_rural"),
])
def test_grant_each_criterion_alone(grant, sem, facts, code):
    d = eligibility(student(**facts), grant, sem)
    assert d.eligible and d.matched == (code,)


@pytest.mark.parametrize("grant, sem", GRANTS)
@pytest.mark.parametrize("facts", [
    dict(household="rural"),  # rural alone is a waiver criterion, not a grant one
    dict(school_contiguous_poverty_area=True),  # urban student of an "11+3" school
    dict(school_ethnic_minority_area=True), dict(major_opera=True),
    dict(hardship_level="不困难"), dict(),
])
def test_grant_not_included(grant, sem, facts):
    d = eligibility(student(**facts), grant, sem)
    assert not d.eligible and codes(d, ok=False) == {"no_criterion"}


def test_poverty_area_reason_text():
    d = eligibility(student(household="rural", school_contiguous_poverty_area=True),
                    NATIONAL_GRANT_2025, S("2025-spring"))
    assert reason(d, "poverty_area_rural").text == "“11+3”连片特困地区学校农村学生"


# --- year of study and programme versions --------------------------------------------

@pytest.mark.parametrize("sem, version, eligible", [
    ("2025-autumn", NATIONAL_GRANT_2023, False),  # version not valid, and year 3
    ("2024-autumn", NATIONAL_GRANT_2023, True),   # year 2 of the 2023 intake
])
def test_grant_year_two_under_2023_rules(sem, version, eligible):
    d = eligibility(student(major_agriculture=True), version, S(sem))
    assert d.eligible is eligible


def test_year_three_grant_before_2025_spring():
    intake = date(2022, 9, 1)  # year 3 in 2024-autumn
    s = student(major_agriculture=True, intake_date=intake)
    d = eligibility(s, NATIONAL_GRANT_2023, S("2024-autumn"))
    assert not d.eligible and codes(d, ok=False) == {"year_of_study"}
    assert reason(d, "year_of_study").text == "三年级，不在资助年级（1–2年级）内"
    version = select_version(DEFAULT_PROGRAMMES, "national_grant", S("2024-autumn"))
    assert version is NATIONAL_GRANT_2023


def test_year_three_grant_from_2025_spring():
    s = student(major_agriculture=True, intake_date=date(2022, 9, 1))  # year 3 in 2025-spring
    version = select_version(DEFAULT_PROGRAMMES, "national_grant", S("2025-spring"))
    assert version is NATIONAL_GRANT_2025
    d = eligibility(s, version, S("2025-spring"))
    assert d.eligible
    assert reason(d, "year_of_study").text == "三年级，在资助年级（1–3年级）内"
    # the old version, had anyone applied it, would be out of its validity and years
    old = eligibility(s, NATIONAL_GRANT_2023, S("2025-spring"))
    assert codes(old, ok=False) == {"programme_valid", "year_of_study"}
    assert reason(old, "programme_valid").text == (
        "国家助学金此版本政策（2023年春季学期至2024年秋季学期）不适用于2025年春季学期")


def test_year_four_never_waived_or_granted():
    s = student(household="rural", major_agriculture=True, intake_date=date(2021, 9, 1),
                programme_length_years=5)
    for p in (TUITION_WAIVER, NATIONAL_GRANT_2025):
        d = eligibility(s, p, S("2024-autumn") if p is TUITION_WAIVER else S("2025-spring"))
        assert not d.eligible and codes(d, ok=False) == {"year_of_study"}
        assert reason(d, "year_of_study").text.startswith("四年级，不在资助年级")


@pytest.mark.parametrize("sem, eligible", [
    ("2023-autumn", True), ("2026-spring", True), ("2026-autumn", False),
])
def test_waiver_years_one_to_three(sem, eligible):
    s = student(household="rural", programme_length_years=5)
    assert eligibility(s, TUITION_WAIVER, S(sem)).eligible is eligible


def test_before_intake():
    d = eligibility(student(household="rural"), TUITION_WAIVER, S("2023-spring"))
    assert not d.eligible and d.year_of_study == 0
    assert reason(d, "year_of_study").text == "2023年春季学期尚未入学（2023年秋季学期入学）"


def test_beyond_programme_length():
    s = student(household="rural", programme_length_years=2)
    d = eligibility(s, TUITION_WAIVER, S("2025-autumn"))
    assert not d.eligible and codes(d, ok=False) == {"programme_length"}
    assert reason(d, "programme_length").text == "三年级已超出学制（2年）"
    assert reason(eligibility(s, TUITION_WAIVER, S("2025-spring")), "programme_length").text == \
        "在学制（2年）内"


def test_programme_not_yet_valid():
    d = eligibility(student(household="rural", intake_date=date(2021, 9, 1)), TUITION_WAIVER,
                    S("2022-autumn"))
    assert codes(d, ok=False) == {"programme_valid"}


def test_select_version_covers_every_semester_once():
    sem = S("2023-spring")
    while sem <= S("2035-autumn"):
        for code in ("tuition_waiver", "national_grant", "national_scholarship"):
            assert select_version(DEFAULT_PROGRAMMES, code, sem) is not None, (code, sem)
        sem = sem.next()
    assert select_version(DEFAULT_PROGRAMMES, "national_grant", S("2022-autumn")) is None
    with pytest.raises(ValueError):
        select_version([NATIONAL_GRANT_2025, replace(NATIONAL_GRANT_2025)], "national_grant",
                       S("2025-spring"))


# --- hard requirements ------------------------------------------------------------

@pytest.mark.parametrize("status", [s for s in REGISTER_STATUSES if s != "在籍"])
def test_register_status_must_be_enrolled(status):
    d = eligibility(student(household="rural", register_status=status), TUITION_WAIVER,
                    S("2024-spring"))
    assert not d.eligible and codes(d, ok=False) == {"register_status"}
    assert reason(d, "register_status").text == f"学籍状态为{status}，不能享受资助"


@pytest.mark.parametrize("state, text", [
    ("draft", "电子注册未经人社部门审核（尚未报送）"),
    ("submitted", "电子注册未经人社部门审核（已报送，待人社部门审核）"),
    ("returned", "电子注册未经人社部门审核（被人社部门退回）"),
])
def test_registration_must_be_verified(state, text):
    d = eligibility(student(household="rural", registration_state=state), TUITION_WAIVER,
                    S("2024-spring"))
    assert not d.eligible and codes(d, ok=False) == {"registration_verified"}
    assert reason(d, "registration_verified").text == text


@pytest.mark.parametrize("hold_reason, text", [("休学", "学生有发放暂停：休学"),
                                                (None, "学生有发放暂停")])
def test_hold_blocks(hold_reason, text):
    d = eligibility(student(household="rural", has_hold=True, hold_reason=hold_reason),
                    TUITION_WAIVER, S("2024-spring"))
    assert not d.eligible and reason(d, "no_hold") == Reason(
        "no_hold", False, text)


def test_suspended_student_with_hold_reports_both():
    d = eligibility(student(household="rural", register_status="休学", has_hold=True,
                            hold_reason="休学"), NATIONAL_GRANT_2025, S("2025-spring"))
    texts = [r.text for r in d.failures]
    assert "学籍状态为休学，不能享受资助" in texts and "学生有发放暂停：休学" in texts


def test_every_failure_is_reported_not_just_the_first():
    s = student(study_mode="part_time", register_status="退学", registration_state="draft",
                has_hold=True, hold_reason="退学", intake_date=date(2019, 9, 1),
                programme_length_years=3)
    d = eligibility(s, NATIONAL_SCHOLARSHIP, S("2022-autumn"), quota_used=5, quota=5)
    assert codes(d, ok=False) == {"full_time", "register_status", "registration_verified",
                                  "programme_valid", "programme_length", "no_hold",
                                  "excellence", "quota"}
    assert [r.code for r in d.reasons][:4] == [
        "full_time", "register_status", "registration_verified", "programme_valid"]


def test_passing_reasons_are_in_chinese():
    d = eligibility(student(household="rural"), TUITION_WAIVER, S("2023-autumn"))
    assert [r.text for r in d.reasons] == [
        "全日制正式学籍", "学籍状态为在籍", "电子注册已审核",
        "免学费政策（2023年春季学期起）适用于2023年秋季学期",
        "一年级，在资助年级（1–3年级）内", "在学制（3年）内", "无发放暂停",
        "农村（含县镇）户籍学生"]


# --- other performing-arts majors -----------------------------------------------------

@pytest.mark.parametrize("facts", [
    dict(household="rural"), dict(major_agriculture=True), dict(hardship_level="特别困难"),
    dict(household="rural", hardship_level="特别困难"),
])
def test_other_performing_arts_excluded_from_waiver(facts):
    d = eligibility(student(major_other_performing_arts=True, **facts), TUITION_WAIVER,
                    S("2024-spring"))
    assert not d.eligible and d.matched == ()
    assert codes(d, ok=False) == {"other_performing_arts"}
    assert reason(d, "other_performing_arts").text == "其他文艺类表演专业不享受免学费"


def test_other_performing_arts_without_any_criterion():
    d = eligibility(student(major_other_performing_arts=True), TUITION_WAIVER, S("2024-spring"))
    assert not d.eligible and codes(d, ok=False) == {"other_performing_arts"}


@pytest.mark.parametrize("facts, code", [
    (dict(school_ethnic_minority_area=True, household="rural"), "ethnic_minority_area_school"),
    (dict(major_opera=True), "opera"),
])
def test_other_performing_arts_still_waived_through_unaffected_criteria(facts, code):
    d = eligibility(student(major_other_performing_arts=True, **facts), TUITION_WAIVER,
                    S("2024-spring"))
    assert d.eligible and d.matched == (code,)


def test_province_may_allow_hardship_performing_arts_students():
    p = replace(TUITION_WAIVER, performing_arts_allowed_via=(
        "ethnic_minority_area_school", "opera", "hardship"))
    assert eligibility(student(major_other_performing_arts=True, hardship_level="一般困难"),
                       p, S("2024-spring")).eligible
    assert not eligibility(student(major_other_performing_arts=True, household="rural"),
                           p, S("2024-spring")).eligible


def test_performing_arts_exclusion_does_not_apply_to_the_grant():
    d = eligibility(student(major_other_performing_arts=True, hardship_level="比较困难"),
                    NATIONAL_GRANT_2025, S("2025-spring"))
    assert d.eligible


# --- scholarship, quotas and custom programmes ------------------------------------------

def test_scholarship_year_one_excluded():
    s = student(academic_excellent=True)
    d = eligibility(s, NATIONAL_SCHOLARSHIP, S("2023-autumn"))
    assert not d.eligible and codes(d, ok=False) == {"year_of_study"}
    assert reason(d, "year_of_study").text == "一年级，不在资助年级（2年级及以上）内"
    d2 = eligibility(s, NATIONAL_SCHOLARSHIP, S("2024-autumn"))
    assert d2.eligible and d2.summary == "符合国家奖学金条件"
    assert reason(d2, "excellence").text == "学习成绩和专业技能特别优秀"


def test_scholarship_needs_excellence_not_need():
    d = eligibility(student(household="rural", hardship_level="特别困难"), NATIONAL_SCHOLARSHIP,
                    S("2024-autumn"))
    assert not d.eligible and codes(d, ok=False) == {"excellence"}
    assert d.summary == "不符合国家奖学金条件：未被评为学习成绩和专业技能特别优秀"


@pytest.mark.parametrize("used, limit, ok, text", [
    (30, 30, False, "名额已满（30/30）"), (31, 30, False, "名额已满（31/30）"),
    (29, 30, True, "名额未满（29/30）"), (0, 0, False, "名额已满（0/0）"),
    (None, 30, True, "限额30名（未统计已用名额）"),
])
def test_quota(used, limit, ok, text):
    s = student(academic_excellent=True)
    d = eligibility(s, NATIONAL_SCHOLARSHIP, S("2024-autumn"), quota_used=used, quota=limit)
    assert d.eligible is ok and reason(d, "quota").text == text
    via_rules = eligibility(s, replace(NATIONAL_SCHOLARSHIP, quota=limit), S("2024-autumn"),
                            quota_used=used)
    assert via_rules.reasons == d.reasons


def test_no_quota_reason_without_a_quota():
    d = eligibility(student(academic_excellent=True), NATIONAL_SCHOLARSHIP, S("2024-autumn"),
                    quota_used=1000)
    assert "quota" not in codes(d)


@pytest.mark.parametrize("level, ok, text", [
    ("比较困难", True, "已认定为家庭经济困难（比较困难）"),
    ("不困难", False, "家庭经济困难认定结果为不困难"),
    (None, False, "未认定为家庭经济困难学生"),
])
def test_custom_programme_requiring_hardship(level, ok, text):
    p = ProgrammeRules(code="school_bursary", name="校内助学金", kind="local",
                       valid_from=S("2024-autumn"), years_of_study=(1, 2, 3),
                       include_rural=True, include_agriculture_major=True,
                       require_hardship=True, amount_source="fixed", fixed_annual_fen=50000)
    d = eligibility(student(household="rural", hardship_level=level), p, S("2024-autumn"))
    assert d.eligible is ok and reason(d, "hardship_required").text == text


# --- validation ----------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("study_mode", "fulltime"), ("register_status", "enrolled"),
    ("registration_state", "approved"), ("household", "农村"), ("school_ownership", "公办"),
    ("programme_length_years", 0),
])
def test_student_facts_reject_unknown_codes(field, value):
    with pytest.raises(ValueError):
        student(**{field: value})


@pytest.mark.parametrize("kw", [
    dict(amount_source="level"), dict(amount_source="fixed"), dict(amount_source="flat"),
    dict(amount_source="tuition_standard", valid_to=S("2022-autumn")),
    dict(amount_source="tuition_standard", years_of_study=(0, 1)),
    dict(amount_source="tuition_standard", performing_arts_allowed_via=("magic",)),
    dict(amount_source="tuition_standard", quota=-1),
])
def test_programme_rules_validation(kw):
    with pytest.raises(ValueError):
        ProgrammeRules(code="x", name="x", kind="local", valid_from=S("2023-spring"), **kw)


# --- amounts -------------------------------------------------------------------------

def test_waiver_amount_is_half_the_tuition_standard():
    assert amount_for(TUITION_WAIVER, None, 350000, S("2024-spring")) == 175000
    assert amount_for(TUITION_WAIVER, None, 350000, S("2024-autumn")) == 175000


def test_odd_annual_amount_splits_exactly_over_the_school_year():
    autumn = amount_for(TUITION_WAIVER, None, 350001, S("2024-autumn"))
    spring = amount_for(TUITION_WAIVER, None, 350001, S("2025-spring"))
    assert (autumn, spring) == (175001, 175000)


def test_waiver_needs_a_tuition_standard():
    with pytest.raises(ValueError):
        amount_for(TUITION_WAIVER, None, None, S("2024-spring"))
    with pytest.raises(ValueError):
        amount_for(TUITION_WAIVER, None, -1, S("2024-spring"))


@pytest.mark.parametrize("level, fen", [("特别困难", 150000), ("比较困难", 100000),
                                        ("一般困难", 50000)])
def test_grant_amount_per_level(level, fen):
    assert amount_for(NATIONAL_GRANT_2023, level, None, S("2024-spring")) == fen
    assert amount_for(NATIONAL_GRANT_2025, level, None, S("2025-autumn")) == fen


def test_grant_amount_errors():
    with pytest.raises(ValueError):
        amount_for(NATIONAL_GRANT_2025, None, None, S("2025-spring"))
    with pytest.raises(ValueError):
        amount_for(NATIONAL_GRANT_2025, "不困难", None, S("2025-spring"))
    with pytest.raises(ValueError):  # version not valid in that semester
        amount_for(NATIONAL_GRANT_2023, "特别困难", None, S("2025-spring"))


@pytest.mark.parametrize("hardship, level", [
    ("特别困难", "特别困难"), ("比较困难", "比较困难"), ("一般困难", "一般困难"),
    (None, "一般困难"), ("不困难", "一般困难"),
])
def test_level_for_non_hardship_students_is_the_lowest(hardship, level):
    assert level_for(NATIONAL_GRANT_2025, hardship).name == level
    assert level_for(TUITION_WAIVER, hardship) is None


def test_scholarship_is_paid_once_in_full():
    assert amount_for(NATIONAL_SCHOLARSHIP, None, None, S("2024-autumn")) == 600000
    assert payments_for(NATIONAL_SCHOLARSHIP, None, None, S("2024-autumn"), "monthly") == [600000]
    assert annual_amount_fen(NATIONAL_SCHOLARSHIP) == 600000


def test_payments_per_semester_and_monthly():
    sem = S("2025-autumn")
    assert payments_for(NATIONAL_GRANT_2025, "特别困难", None, sem) == [150000]
    assert payments_for(NATIONAL_GRANT_2025, "特别困难", None, sem, "monthly") == [30000] * 5
    odd = ProgrammeRules(code="x", name="地方助学金", kind="local", valid_from=sem,
                         amount_source="fixed", fixed_annual_fen=100007)
    assert payments_for(odd, None, None, sem, "monthly") == [10000, 10000, 10000, 10000, 10004]
    with pytest.raises(ValueError):
        payments_for(odd, None, None, sem, "weekly")


@given(st.integers(0, 10**9), st.integers(1, 12))
def test_monthly_instalments_sum_exactly(total, months):
    parts = monthly_instalments(total, months)
    assert sum(parts) == total and len(parts) == months
    assert len(set(parts[:-1])) <= 1 and 0 <= parts[-1] - parts[0] < months


def test_monthly_instalments_defaults_to_five_months():
    assert monthly_instalments(100000) == [20000] * 5
    assert monthly_instalments(4) == [0, 0, 0, 0, 4]
    with pytest.raises(ValueError):
        monthly_instalments(-1)


@given(st.integers(0, 10**8), semesters)
def test_two_semesters_of_a_school_year_sum_to_the_annual_amount(annual, sem):
    p = ProgrammeRules(code="x", name="x", kind="local", valid_from=S("1990-spring"),
                       amount_source="fixed", fixed_annual_fen=annual)
    autumn = Semester(sem.school_year_start, "autumn")
    assert amount_for(p, None, None, autumn) + amount_for(p, None, None, autumn.next()) == annual


def test_levels_average():
    assert levels_average_fen(DEFAULT_GRANT_LEVELS) == 200000
    assert levels_average_fen(DEFAULT_GRANT_LEVELS, [5, 3, 2]) == 230000
    assert levels_average_fen(DEFAULT_GRANT_LEVELS, {"特别困难": 5, "比较困难": 3,
                                                     "一般困难": 2}) == 230000
    assert levels_average_fen([Level("a", 1), Level("b", 2)]) == 2  # 1.5 rounds half up
    assert levels_average_fen([Level("a", 1), Level("b", 2)], [2, 1]) == 1
    for bad in ([1, 2], [0, 0, 0], [-1, 1, 1]):
        with pytest.raises(ValueError):
            levels_average_fen(DEFAULT_GRANT_LEVELS, bad)
    with pytest.raises(ValueError):
        levels_average_fen([])


def test_defaults_as_data():
    assert NATIONAL_GRANT_2023.policy_average_fen == 200000
    assert NATIONAL_GRANT_2025.policy_average_fen == 230000
    assert NATIONAL_GRANT_2023.valid_to.next() == NATIONAL_GRANT_2025.valid_from
    assert NATIONAL_GRANT_2023.years_of_study == (1, 2)
    assert NATIONAL_GRANT_2025.years_of_study == (1, 2, 3)
    assert [(lv.name, lv.annual_fen) for lv in NATIONAL_GRANT_2025.levels] == [
        ("特别困难", 300000), ("比较困难", 200000), ("一般困难", 100000)]
    assert TUITION_WAIVER.years_text == "1–3年级"
    assert NATIONAL_SCHOLARSHIP.years_text == "2年级及以上"
    for p in DEFAULT_PROGRAMMES:
        assert CJK.search(p.name)
