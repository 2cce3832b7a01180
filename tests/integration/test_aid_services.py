"""Aid rules that need the database: facts_for, proposals (应免尽免), the hardship
determination rules, coverage (应助尽助) and policy versions."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from aid.applications import service as applications
from aid.applications.models import Application
from aid.applications.workflow import APPLICATION_WORKFLOW
from aid.extensions import db
from aid.hardship import service as hardship
from aid.programmes import service as programmes
from aid.programmes.defaults import NATIONAL_GRANT_2025
from aid.programmes.semesters import Semester
from aid.students.models import SchoolClass
from aid.workflow import apply_transition
from tests.world import add_student

SEM = Semester(2025, "autumn")


def _family():
    return [hardship.FamilyMember("父亲", "王某", 50, "务农", 800000)]


def determine(w, student, *, level="比较困难", categories=("minimum_living",), target="filed", reason=""):
    officer, leader = w.users["school_officer"], w.users["school_leader"]
    app = hardship.create_application(officer, student, SEM, categories=list(categories), members=_family(),
                                      circumstances="收入低", declaration=True)
    path = ["submit", "class_review", "determine", "post_notice", "end_notice", "file"]
    for action in path[:path.index({"filed": "file", "determined": "determine", "submitted": "submit"}[target]) + 1]:
        hardship.act(leader if action == "determine" else officer, app, action, opinion="属实", level=level,
                     level_reason=reason)
    db.session.flush()
    return app


def test_facts_for_reads_class_major_school_hardship_hold_and_excellence(world):
    w = world
    o = w.obj["A1"]
    o.major.agriculture_related = True
    o.school.contiguous_poverty_area = True
    o.school_class.programme_years = 2
    facts = programmes.facts_for(o.student, SEM)
    assert facts.study_mode == "full_time" and facts.register_status == "在籍"
    assert facts.intake_date == date(2025, 9, 1) and facts.programme_length_years == 2
    assert facts.major_agriculture and facts.school_contiguous_poverty_area
    assert facts.hardship_level is None and not facts.has_hold and not facts.academic_excellent

    determine(w, w.obj["A1b"].student, level="特别困难")
    assert programmes.facts_for(w.obj["A1b"].student, SEM).hardship_level == "特别困难"
    assert programmes.facts_for(w.obj["A1b"].student, SEM.next()).hardship_level == "特别困难"  # same school year
    assert programmes.facts_for(w.obj["A1b"].student, Semester(2026, "autumn")).hardship_level is None

    o.student.status = "休学"
    facts = programmes.facts_for(o.student, SEM)
    assert facts.has_hold and "休学" in facts.hold_reason
    assert programmes.facts_for(o.student, SEM, academic_excellent=True).academic_excellent


def test_a_determination_not_yet_noticed_gives_no_level(world):
    determine(world, world.obj["A1b"].student, target="determined")
    assert programmes.facts_for(world.obj["A1b"].student, SEM).hardship_level is None


def test_proposals_list_every_eligible_full_time_student_once(world):
    w = world
    o = w.obj["A1"]
    part_time = SchoolClass(school_id=o.school.id, major_id=o.major.id, name="A1非全日制班",
                            intake_date=date(2025, 9, 1), study_mode="part_time")
    db.session.add(part_time)
    db.session.flush()
    pt = add_student(o.school, part_time, "非全日制学生", study_mode="part_time", household="rural")
    urban = add_student(o.school, o.school_class, "城镇学生", household="urban")
    db.session.commit()
    waiver = programmes.programme_by_code("tuition_waiver")
    officer = w.users["school_officer"]
    listed = applications.proposals(officer, o.school.id, waiver, SEM)
    assert pt.id not in {p.student.id for p in listed}
    assert {p.student.id for p in listed if p.decision.eligible} == {o.student.id, w.obj["A1b"].student.id}
    assert not next(p for p in listed if p.student.id == urban.id).decision.eligible

    created, eligible = applications.generate_proposals(officer, o.school.id, waiver, SEM)
    assert eligible == 2 and {a.student_id for a in created} == {o.student.id, w.obj["A1b"].student.id}
    assert {a.amount_fen for a in created} == {120000}  # half of the major's 2400 yuan standard
    assert {a.state for a in created} == {"draft"}
    again, _ = applications.generate_proposals(officer, o.school.id, waiver, SEM)
    assert again == []
    ids = {a.student_id for a in db.session.query(Application).filter_by(school_id=o.school.id)}
    assert pt.id not in ids and urban.id not in ids


def test_the_page_rows_decide_exactly_as_the_proposals(world):
    """proposal_rows (columns, one engine run per distinct facts) = proposals (records, one per student)."""
    w = world
    o = w.obj["A1"]
    urban = add_student(o.school, o.school_class, "城镇学生", household="urban")
    add_student(o.school, o.school_class, "休学学生", status="休学")
    add_student(o.school, o.school_class, "待注册学生", registration_state="draft")
    add_student(o.school, o.school_class, "困难学生", household="urban")
    determine(w, urban, level="特别困难")
    db.session.commit()
    officer = w.users["school_officer"]
    for code in ("tuition_waiver", "national_grant"):
        prog = programmes.programme_by_code(code)
        applications.generate_proposals(officer, o.school.id, prog, SEM) if code == "tuition_waiver" else None
        records = applications.proposals(officer, o.school.id, prog, SEM)
        rows = applications.proposal_rows(officer, o.school.id, prog, SEM)
        assert [r.student_id for r in rows] == [p.student.id for p in records]
        assert [r.decision for r in rows] == [p.decision for p in records]
        assert [(r.name, r.class_name) for r in rows] == [(p.student.name, p.student.school_class.name) for p in records]
        assert [(r.application_id, r.application_state) for r in rows] == \
            [(p.existing.id, p.existing.state) if p.existing else (None, None) for p in records]
        assert {r.decision.eligible for r in rows} == {True, False}


def test_a_part_time_student_cannot_be_forced_onto_a_list(world):
    o = world.obj["A1"]
    part_time = SchoolClass(school_id=o.school.id, major_id=o.major.id, name="A1非全日制班2",
                            intake_date=date(2025, 9, 1), study_mode="part_time")
    db.session.add(part_time)
    db.session.flush()
    pt = add_student(o.school, part_time, "非全日制乙", study_mode="part_time", household="rural")
    with pytest.raises(applications.ApplicationError, match="非全日制"):
        applications.create_application(world.users["school_officer"], pt,
                                        programmes.programme_by_code("tuition_waiver"), SEM)


def test_private_schools_use_the_public_tuition_standard(world):
    o = world.obj["A2"]
    o.school.ownership = "private"
    o.major.tuition_fen_per_year = 900000
    o.major.public_tuition_fen_per_year = 300000
    assert programmes.tuition_standard_fen(o.student) == 300000


def test_grant_level_follows_the_hardship_level_and_a_foreign_level_is_refused(world):
    w = world
    student = w.obj["A1b"].student
    determine(w, student, level="特别困难")
    grant = programmes.programme_by_code("national_grant")
    officer = w.users["school_officer"]
    with pytest.raises(applications.ApplicationError, match="不在本省设定的档次"):
        applications.create_application(officer, student, grant, SEM, level="超级困难")
    app = applications.create_application(officer, student, grant, SEM)
    assert app.level == "特别困难" and app.amount_fen == 150000
    with pytest.raises(applications.ApplicationError, match="不能重复申请"):
        applications.create_application(officer, student, grant, SEM)
    app.amount_fen = 99
    assert "金额与档次不符" in applications.check_amount(app)


def test_scholarship_respects_the_school_quota(world):
    w = world
    officer = w.users["school_officer"]
    scholarship = programmes.programme_by_code("national_scholarship")
    o = w.obj["A1"]
    o.school_class.intake_date = date(2024, 9, 1)  # year 2 in 2025-autumn
    programmes.set_quota(w.users["province_admin"], scholarship, o.school.id, 2025, 1)
    applications.create_application(officer, o.student, scholarship, SEM, note="技能竞赛一等奖")
    with pytest.raises(applications.ApplicationError, match="名额已满"):
        applications.create_application(officer, w.obj["A1b"].student, scholarship, SEM, note="成绩优秀")
    with pytest.raises(applications.ApplicationError, match="推荐理由"):
        applications.create_application(officer, w.obj["A1b"].student, scholarship, SEM)


def test_priority_student_determined_not_difficult_needs_a_written_reason(world):
    w = world
    app = determine(w, w.obj["A1b"].student, target="submitted")
    hardship.act(w.users["school_officer"], app, "class_review", opinion="经评议")
    with pytest.raises(hardship.HardshipError, match="书面理由"):
        hardship.act(w.users["school_leader"], app, "determine", level="不困难")
    assert app.state == "class_reviewed" and app.level == ""
    with pytest.raises(hardship.HardshipError, match="认定等级须为"):
        hardship.act(w.users["school_leader"], app, "determine", level="很困难")
    hardship.act(w.users["school_leader"], app, "determine", level="不困难", level_reason="家庭已稳定脱贫")
    assert app.state == "determined" and app.level_reason == "家庭已稳定脱贫"


def test_non_priority_student_may_be_determined_not_difficult_without_reason(world):
    w = world
    app = determine(w, w.obj["A1b"].student, categories=("other",), target="submitted")
    hardship.act(w.users["school_officer"], app, "class_review", opinion="经评议")
    hardship.act(w.users["school_leader"], app, "determine", level="不困难")
    assert app.state == "determined"


def test_hardship_application_needs_the_integrity_declaration_and_valid_categories(world):
    w = world
    student = w.obj["A1b"].student
    with pytest.raises(hardship.HardshipError, match="困难类别无效"):
        hardship.create_application(w.users["school_officer"], student, SEM, categories=["rich"], members=[],
                                    circumstances="x", declaration=True)
    app = hardship.create_application(w.users["school_officer"], student, SEM, categories=["orphan"], members=[],
                                      circumstances="孤儿", declaration=False)
    with pytest.raises(hardship.HardshipError, match="诚信承诺"):
        hardship.act(w.users["school_officer"], app, "submit")
    assert app.state == "draft"


def test_coverage_report_lists_priority_students_without_determination_or_aid(world):
    w = world
    a1, a1b = w.obj["A1"].student, w.obj["A1b"].student
    determine(w, a1b, level="一般困难")                      # determined, no approved aid
    determine(w, a1, target="submitted")                    # not yet determined
    b1 = w.obj["B1"].student
    rows = hardship.coverage_report(w.users["school_officer"], SEM)
    problems = {r.student.id: r.problem for r in rows}
    assert set(problems) == {a1.id, a1b.id}
    assert "尚未完成认定" in problems[a1.id]
    assert "没有获批的资助" in problems[a1b.id]
    assert b1.id not in problems

    # once a1b's waiver is approved by the school, a1b is covered
    app = applications.create_application(w.users["school_officer"], a1b, programmes.programme_by_code("tuition_waiver"), SEM)
    officer, leader = w.users["school_officer"], w.users["school_leader"]
    apply_transition(APPLICATION_WORKFLOW, app, "submit", officer)
    apply_transition(APPLICATION_WORKFLOW, app, "review", officer)
    apply_transition(APPLICATION_WORKFLOW, app, "approve_school", leader)
    rows = hardship.coverage_report(w.users["school_officer"], SEM)
    assert {r.student.id for r in rows} == {a1.id}


def test_a_new_version_never_rewrites_a_past_semester(world):
    admin = world.users["province_admin"]
    grant = programmes.programme_by_code("national_grant")
    today = Semester(2026, "autumn")
    with pytest.raises(programmes.ProgrammeError, match="已过去的学期"):
        programmes.new_version(admin, grant, replace(NATIONAL_GRANT_2025, valid_from=Semester(2026, "spring")),
                               today=today)
    rules = replace(NATIONAL_GRANT_2025, valid_from=Semester(2027, "spring"), policy_average_fen=250000)
    programmes.new_version(admin, grant, rules, note="2027年调整", today=today)
    versions = grant.versions
    assert [v.valid_from for v in versions] == ["2023-spring", "2025-spring", "2027-spring"]
    assert versions[1].valid_to == "2026-autumn"
    assert programmes.version_for(grant, Semester(2026, "autumn")).id == versions[1].id
    assert programmes.version_rules(programmes.version_for(grant, Semester(2027, "spring"))).policy_average_fen == 250000
    # semester of existing applications cannot be rewritten either
    waiver = programmes.programme_by_code("tuition_waiver")
    with pytest.raises(programmes.ProgrammeError, match="已有该项目的申请"):
        from aid.programmes.defaults import TUITION_WAIVER
        programmes.new_version(admin, waiver, replace(TUITION_WAIVER, valid_from=Semester(2026, "spring")),
                               today=Semester(2026, "spring"))


def test_a_filed_autumn_determination_is_adjusted_in_spring(world):
    w = world
    o = w.obj["A1"]
    autumn = determine(w, add_student(o.school, o.school_class, "A1学生丙"), level="比较困难")
    spring = hardship.adjust_next_semester(w.users["school_officer"], autumn)
    assert spring.semester == "2026-spring" and spring.school_year == autumn.school_year
    assert hardship.codes(spring) == hardship.codes(autumn) and spring.declaration_signed_at is None
    assert spring.state == "draft"
