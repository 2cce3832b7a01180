"""Demo notices: in 福州技师学院 a grant notice in its posting period today (on the
public page, with its stored PDF and an objection waiting to be resolved) and a
hardship notice that has ended. The source records are created only when the
aid demo has not left enough of them awaiting notice."""
from __future__ import annotations

import json
import logging
from datetime import date, timedelta

from sqlalchemy import select

from aid.applications.models import Application
from aid.extensions import db
from aid.hardship.models import HardshipApplication
from aid.notices import service
from aid.notices.policy import rules_to_json
from aid.programmes.defaults import DEFAULT_GRANT_LEVELS, NATIONAL_GRANT_2025
from aid.programmes.eligibility import amount_for
from aid.programmes.models import Programme, ProgrammeVersion
from aid.programmes.semesters import Semester, year_of_study
from aid.students.models import SchoolClass, Student
from aid.timeutil import local_today

log = logging.getLogger(__name__)
DEMO_SCHOOL = "3501001"
GRANT_ROWS = 8
HARDSHIP_ROWS = 6
HARDSHIP_LEVELS = ("特别困难", "比较困难", "一般困难")


def demo_step(ctx) -> None:
    school = next((s for s in ctx.schools if s.code == DEMO_SCHOOL), None)
    if school is None:
        return
    officer, leader = ctx.users[f"s{school.code}_officer"], ctx.users[f"s{school.code}_leader"]
    today = local_today()
    cal = service.notice_calendar()
    try:
        current_first = _last_workday_on_or_before(cal, today)
        past_first = _last_workday_on_or_before(cal, today - timedelta(days=42))
        _ended_hardship_notice(ctx, school, officer, leader, past_first, today)
        _current_grant_notice(ctx, school, officer, leader, current_first, today)
    except service.NoticeError as exc:  # e.g. the calendar lacks the year: say so, build the rest
        log.warning("演示公示未创建：%s", exc)


def _last_workday_on_or_before(cal, day: date) -> date:
    while not cal.is_workday(day):
        day -= timedelta(days=1)
    return day


def _eligible_students(school, semester: Semester) -> list[Student]:
    rows = db.session.execute(
        select(Student).join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Student.school_id == school.id, Student.study_mode == "full_time", Student.status == "在籍",
               Student.registration_state == "verified").order_by(Student.id)
    ).scalars().all()
    return [s for s in rows if 1 <= year_of_study(s.school_class.intake_date, semester) <= 3]


def _grant_programme(semester: Semester) -> tuple[Programme, ProgrammeVersion]:
    programme = db.session.execute(select(Programme).where(Programme.kind == "national_grant",
                                                           Programme.school_id.is_(None))
                                   .order_by(Programme.id)).scalars().first()
    if programme is None:
        programme = Programme(code="national_grant", name="国家助学金", kind="national_grant")
        db.session.add(programme)
        db.session.flush()
    version = db.session.execute(
        select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme.id,
                                       ProgrammeVersion.valid_from_ordinal <= semester.ordinal)
        .order_by(ProgrammeVersion.valid_from_ordinal.desc())).scalars().first()
    if version is None:
        rules = NATIONAL_GRANT_2025
        version = ProgrammeVersion(programme_id=programme.id, valid_from=str(rules.valid_from),
                                   valid_from_ordinal=rules.valid_from.ordinal, rules_json=rules_to_json(rules))
        db.session.add(version)
        db.session.flush()
    return programme, version


def _current_grant_notice(ctx, school, officer, leader, first_day: date, today: date) -> None:
    semester = Semester.containing(first_day)
    waiting = service.candidates(officer, "grant", str(semester))
    if len(waiting) < GRANT_ROWS:
        programme, version = _grant_programme(semester)
        taken = set(db.session.execute(select(Application.student_id).where(
            Application.programme_id == programme.id, Application.semester == str(semester))).scalars())
        pool = [s for s in _eligible_students(school, semester) if s.id not in taken]
        for student in ctx.rng.sample(pool, min(len(pool), GRANT_ROWS - len(waiting))):
            level = ctx.rng.choice(DEFAULT_GRANT_LEVELS)
            db.session.add(Application(
                school_id=school.id, student_id=student.id, programme_id=programme.id,
                programme_version_id=version.id, semester=str(semester), level=level.name,
                amount_fen=amount_for(NATIONAL_GRANT_2025, level.name, None, semester)
                if NATIONAL_GRANT_2025.is_valid_in(semester) else level.annual_fen // 2,
                state="school_approved", created_by=officer.id))
        db.session.flush()
        waiting = service.candidates(officer, "grant", str(semester))
    if not waiting:
        return
    end = service.earliest_end(first_day)
    notice = service.create_notice(officer, kind="grant", semester=str(semester),
                                   source_ids=[r.id for r in waiting[:GRANT_ROWS]], first_day=first_day,
                                   end_day=end, today=first_day)
    service.submit_notice(officer, notice)
    service.approve_notice(leader, notice)
    service.post_notice(leader, notice, today=first_day)
    item = notice.items[0]
    service.record_objection(officer, notice, item_id=item.id, received_on=today, received_by=officer.display_name,
                             channel="电话", content="反映该生家庭经济状况较好，申请助学金等次偏高，请学校核实。",
                             today=today)


def _ended_hardship_notice(ctx, school, officer, leader, first_day: date, today: date) -> None:
    semester = Semester.containing(first_day)
    waiting = service.candidates(officer, "hardship", str(semester))
    if len(waiting) < HARDSHIP_ROWS:
        taken = set(db.session.execute(select(HardshipApplication.student_id).where(
            HardshipApplication.school_id == school.id, HardshipApplication.semester == str(semester))).scalars())
        pool = [s for s in _eligible_students(school, semester) if s.id not in taken]
        for student in ctx.rng.sample(pool, min(len(pool), HARDSHIP_ROWS - len(waiting))):
            db.session.add(HardshipApplication(
                school_id=school.id, student_id=student.id,
                school_year=f"{semester.school_year_start}-{semester.school_year_start + 1}",
                semester=str(semester), categories=json.dumps([ctx.rng.choice(("dibao", "tuopin", "disabled_parent"))]),
                family_json="[]", circumstances="家庭主要劳动力收入较低，家庭经济困难。", state="determined",
                level=ctx.rng.choice(HARDSHIP_LEVELS), created_by=officer.id))
        db.session.flush()
        waiting = service.candidates(officer, "hardship", str(semester))
    if not waiting:
        return
    end = service.earliest_end(first_day)
    notice = service.create_notice(officer, kind="hardship", semester=str(semester),
                                   source_ids=[r.id for r in waiting[:HARDSHIP_ROWS]], first_day=first_day,
                                   end_day=end, today=first_day)
    service.submit_notice(officer, notice)
    service.approve_notice(leader, notice)
    service.post_notice(leader, notice, today=first_day)
    objection = service.record_objection(officer, notice, item_id=None, received_on=first_day,
                                         received_by=officer.display_name, channel="来访",
                                         content="家长询问认定结果的评定依据。", today=first_day)
    service.resolve_objection(leader, objection, today=first_day,
                              outcome="已向家长说明认定程序和评议依据，家长无异议。")
    service.end_if_due(notice, today)
