"""资助名单 at school scale: proposal_rows() reads plain columns, class facts once per class and
the other facts with one statement per kind for the school; it must list exactly what proposals()
(records, the engine run per student) lists, in the same order, with the same decisions."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from aid.applications import service as applications
from aid.applications.models import Application
from aid.changes.holds import holds_for
from aid.changes.models import StatusChange
from aid.extensions import db
from aid.programmes import service as programmes
from aid.programmes.semesters import Semester
from aid.students.models import Major, SchoolClass, Student
from tests.integration.test_aid_services import determine
from tests.world import add_student

SEM = Semester(2025, "autumn")


def _change(student, kind, happened_on, *, state="approved"):
    db.session.add(StatusChange(school_id=student.school_id, student_id=student.id, kind=kind, happened_on=happened_on,
                                reason="测试", status_before="在籍", state=state,
                                completed_at=datetime(happened_on.year, happened_on.month, happened_on.day, 9, 0)))


@pytest.fixture
def school(world):
    """World's school A1 with students whose facts differ in every way the engine reads."""
    w = world
    o = w.obj["A1"]
    farm = Major(school_id=o.school.id, code="0202", name="茶叶生产与加工", tuition_fen_per_year=200000,
                 agriculture_related=True)
    db.session.add(farm)
    db.session.flush()
    senior = SchoolClass(school_id=o.school.id, major_id=farm.id, name="A1茶叶2023级", intake_date=date(2023, 9, 1),
                         programme_years=3)
    twin = SchoolClass(school_id=o.school.id, major_id=o.major.id, name="A1数控2025级2班", intake_date=date(2025, 9, 1))
    old = SchoolClass(school_id=o.school.id, major_id=o.major.id, name="A1数控2021级", intake_date=date(2021, 9, 1),
                      programme_years=3)
    part = SchoolClass(school_id=o.school.id, major_id=o.major.id, name="A1非全日制班", intake_date=date(2025, 9, 1),
                       study_mode="part_time")
    db.session.add_all([senior, twin, old, part])
    db.session.flush()
    s = {}
    s["urban"] = add_student(o.school, o.school_class, "城镇学生", household="urban")
    s["poor"] = add_student(o.school, o.school_class, "困难学生", household="urban")
    s["not_poor"] = add_student(o.school, o.school_class, "不困难学生", household="urban")
    s["legacy"] = add_student(o.school, o.school_class, "休学学生", status="休学")
    s["suspended"] = add_student(o.school, twin, "已休学学生")
    s["resumed"] = add_student(o.school, twin, "已复学学生")
    s["resumed_status"] = add_student(o.school, twin, "复学记录学生", status="退学")
    s["draft"] = add_student(o.school, twin, "待注册学生", registration_state="draft")
    s["returned"] = add_student(o.school, senior, "退回学生", registration_state="returned", household="urban")
    s["farm"] = add_student(o.school, senior, "茶叶学生", household="urban")
    s["farm2"] = add_student(o.school, senior, "茶叶学生二", household="urban")
    s["old"] = add_student(o.school, old, "超学制学生")
    s["part"] = add_student(o.school, part, "非全日制学生", study_mode="part_time")
    s["same_name"] = add_student(o.school, twin, "已休学学生")  # same name and class: the id decides the order
    other = add_student(w.schools["A2"], w.obj["A2"].school_class, "外校困难学生", household="urban")
    determine(w, s["poor"], level="特别困难")
    determine(w, s["not_poor"], level="不困难", reason="收入高于标准")
    _change(s["suspended"], "suspend", date(2025, 8, 1))
    _change(s["resumed"], "suspend", date(2025, 3, 1))
    _change(s["resumed"], "resume", date(2025, 8, 20))
    _change(s["resumed_status"], "resume", date(2025, 8, 20))
    _change(s["draft"], "withdraw", date(2026, 1, 5))  # after the semester began: not yet held in it
    _change(s["urban"], "suspend", date(2025, 7, 1), state="recorded")  # not approved: no hold
    scholarship = programmes.programme_by_code("national_scholarship")
    version = programmes.version_for(scholarship, SEM)
    for student in (s["farm"], other):
        db.session.add(Application(school_id=student.school_id, student_id=student.id, programme_id=scholarship.id,
                                   programme_version_id=version.id, semester=str(SEM), level="", amount_fen=600000,
                                   state="submitted", note="成绩优秀"))
    # an application recorded by another school (before a transfer) is not this school's: not shown
    waiver = programmes.programme_by_code("tuition_waiver")
    db.session.add(Application(school_id=w.schools["A2"].id, student_id=s["returned"].id, programme_id=waiver.id,
                               programme_version_id=programmes.version_for(waiver, SEM).id, semester=str(SEM),
                               level="", amount_fen=120000, state="draft"))
    db.session.commit()
    return o.school, s


def _old_template_text(decision):
    """What the page showed before the text moved into the rows (the template's filters)."""
    if decision.eligible:
        return "；".join(r.text for r in decision.reasons if r.code in decision.matched)
    return "；".join(r.text for r in decision.failures)


@pytest.mark.parametrize("semester", [SEM, SEM.next(), Semester(2026, "autumn")])
@pytest.mark.parametrize("code", ["tuition_waiver", "national_grant"])
def test_proposal_rows_list_what_proposals_lists(world, school, code, semester):
    sch, s = school
    officer = world.users["school_officer"]
    programme = programmes.programme_by_code(code)
    applications.generate_proposals(officer, sch.id, programme, SEM)  # some rows with an application
    db.session.commit()
    records = applications.proposals(officer, sch.id, programme, semester)
    rows = applications.proposal_rows(officer, sch.id, programme, semester)
    assert [r.student_id for r in rows] == [p.student.id for p in records]
    assert [r.decision for r in rows] == [p.decision for p in records]
    assert [(r.name, r.class_name) for r in rows] == [(p.student.name, p.student.school_class.name) for p in records]
    assert [(r.application_id, r.application_state) for r in rows] == \
        [(p.existing.id, p.existing.state) if p.existing else (None, None) for p in records]
    assert [r.why for r in rows] == [_old_template_text(p.decision) for p in records]
    listed = {r.student_id for r in rows}
    assert s["part"].id not in listed and len(listed) == len(rows)
    assert {r.student_id: r.application_id for r in rows}[s["returned"].id] is None
    if semester == SEM:
        assert {r.decision.eligible for r in rows} == {True, False}


def test_the_same_name_in_one_class_is_listed_in_record_order(world, school):
    sch, s = school
    rows = applications.proposal_rows(world.users["school_officer"], sch.id,
                                      programmes.programme_by_code("tuition_waiver"), SEM)
    same = [r.student_id for r in rows if r.name == "已休学学生"]
    assert same == sorted([s["suspended"].id, s["same_name"].id])


def test_the_rows_show_the_reasons_the_engine_gives(world, school):
    sch, s = school
    rows = {r.student_id: r for r in applications.proposal_rows(
        world.users["school_officer"], sch.id, programmes.programme_by_code("tuition_waiver"), SEM)}
    assert rows[s["farm"].id].decision.eligible and "涉农" in rows[s["farm"].id].why
    assert not rows[s["urban"].id].decision.eligible
    assert "休学" in rows[s["suspended"].id].why and "暂停" in rows[s["suspended"].id].why
    assert "学籍状态为休学" in rows[s["legacy"].id].why
    assert rows[s["resumed"].id].decision.eligible
    # a change record decides the hold, not the register status (which the engine checks on its own)
    assert rows[s["resumed_status"].id].why == "学籍状态为退学，不能享受资助"
    assert "电子注册未经人社部门审核" in rows[s["draft"].id].why
    grant = {r.student_id: r for r in applications.proposal_rows(
        world.users["school_officer"], sch.id, programmes.programme_by_code("national_grant"), SEM)}
    assert grant[s["poor"].id].decision.eligible and "特别困难" in grant[s["poor"].id].why
    assert not grant[s["not_poor"].id].decision.eligible


def test_fact_lookups_by_a_select_equal_lookups_by_ids(world, school):
    """holds, hardship levels and recommendations for a select of ids = for the list of those ids."""
    sch, s = school
    chosen = select(Student.id).where(Student.school_id == sch.id, Student.study_mode == "full_time")
    ids = list(db.session.execute(chosen).scalars())
    assert len(ids) > 10
    for semester in (SEM, SEM.next()):
        on = semester.start_date
        assert holds_for(chosen, on) == holds_for(ids, on)
        assert holds_for(chosen, on, school_id=sch.id) == holds_for(ids, on, school_id=sch.id)
        assert programmes.hardship_levels_for(chosen, semester) == programmes.hardship_levels_for(ids, semester)
        assert programmes.excellent_students(chosen, semester) == programmes.excellent_students(ids, semester)
    held = holds_for(chosen, SEM.start_date)
    assert set(held) == {s["legacy"].id, s["suspended"].id}
    assert s["draft"].id in holds_for(chosen, date(2026, 3, 1))
    assert programmes.hardship_levels_for(chosen, SEM) == {s["poor"].id: "特别困难", s["not_poor"].id: "不困难"}
    assert programmes.excellent_students(chosen, SEM) == {s["farm"].id}
    assert holds_for(select(Student.id).where(Student.id == -1)) == {}


def _table_rows(html: str) -> list[tuple[str, str, str]]:
    """(class, name, reasons) of each line of the page's two tables, in page order."""
    return re.findall(r'<tr><td>([^<]*)</td><td>([^<]*)</td>(?:<td>\d+</td>)?\s*<td class="reasons">([^<]*)</td>', html)


def test_the_page_lists_each_page_in_the_engine_order(world, school, client, auth, monkeypatch):
    from aid.applications import views

    sch, _s = school
    monkeypatch.setattr(views, "PROPOSAL_PAGE_SIZE", 3)
    waiver = programmes.programme_by_code("tuition_waiver")
    records = applications.proposals(world.users["school_officer"], sch.id, waiver, SEM)
    eligible = [p for p in records if p.decision.eligible]
    ineligible = [p for p in records if not p.decision.eligible]
    assert len(eligible) > 3 and len(ineligible) > 3
    auth.login("a1_officer")
    base = f"/applications/proposals?semester={SEM}&programme_id={waiver.id}"
    for n in (1, 2):
        page = client.get(f"{base}&page={n}&ipage={n}").get_data(as_text=True)
        assert f"符合条件 {len(eligible)} 人，尚未生成申请 {len(eligible)} 人" in page
        assert f"不符合条件的全日制学生（{len(ineligible)} 人）" in page
        expected = eligible[(n - 1) * 3:n * 3] + ineligible[(n - 1) * 3:n * 3]
        assert _table_rows(page) == [(p.student.school_class.name, p.student.name, _old_template_text(p.decision))
                                     for p in expected]
