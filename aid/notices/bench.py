"""Bench data: per school a grant/waiver notice in its posting period listing the
applications on notice (at most 50) and an ended hardship notice listing filed
determinations (at most 30); the items carry the same snapshot fields as
service.snapshot(), read with one query per kind."""
from datetime import datetime, time, timedelta

from sqlalchemy import insert, select

from aid.applications.models import Application
from aid.extensions import db
from aid.hardship.models import HardshipApplication
from aid.notices.models import Notice, NoticeItem
from aid.notices.service import HARDSHIP_PROGRAMME_LABEL, notice_calendar
from aid.org.models import School
from aid.programmes.eligibility import grade_label
from aid.programmes.models import Programme
from aid.programmes.semesters import Semester, year_of_study
from aid.students.models import Major, SchoolClass, Student
from aid.timeutil import local_today

APPLICATION_ROWS = 50
HARDSHIP_ROWS = 30
CONTACT = "学校学生资助管理部门"


def _sources(model, states, semester, extra_cols, joins=()):
    query = (select(model.id, model.school_id, model.level, Student.name, School.name.label("school"),
                    SchoolClass.name.label("class_name"), SchoolClass.intake_date, Major.name.label("major"),
                    *extra_cols)
             .join(Student, Student.id == model.student_id).join(School, School.id == model.school_id)
             .join(SchoolClass, SchoolClass.id == Student.class_id).join(Major, Major.id == SchoolClass.major_id))
    for target, on in joins:
        query = query.join(target, on)
    return db.session.execute(query.where(model.semester == str(semester), model.state.in_(states))
                              .order_by(model.school_id, model.id)).all()


def _workday_on_or_before(cal, day):
    while not cal.is_workday(day):
        day -= timedelta(days=1)
    return day


def _period(cal, first_day, n=5):
    end, counted = first_day, 1
    while counted < n:
        end += timedelta(days=1)
        counted += cal.is_workday(end)
    return end


def bench_step(ctx) -> None:
    semester = Semester.parse(ctx.semester)
    today = local_today()
    cal = notice_calendar()
    officer, leader = ctx.users["school_officer"].id, ctx.users["school_leader"].id
    posted_first = _workday_on_or_before(cal, today - timedelta(days=2))
    ended_first = _workday_on_or_before(cal, today - timedelta(days=40))
    plans = (
        ("grant", "posted", posted_first, APPLICATION_ROWS, "application",
         _sources(Application, ("on_notice",), semester, [Programme.name.label("programme")],
                  [(Programme, Programme.id == Application.programme_id)]), "资助受助学生名单公示"),
        ("hardship", "ended", ended_first, HARDSHIP_ROWS, "hardship",
         _sources(HardshipApplication, ("filed",), semester, []), "家庭经济困难学生认定结果公示"),
    )
    for kind, state, first_day, cap, source_type, sources, title in plans:
        by_school: dict[int, list] = {}
        for row in sources:
            rows = by_school.setdefault(row.school_id, [])
            if len(rows) < cap:
                rows.append(row)
        end_day = _period(cal, first_day)
        notices = [dict(school_id=sid, kind=kind, semester=str(semester), title=f"{rows[0].school}{semester.label}{title}",
                        contact=CONTACT, state=state, first_day=first_day, end_day=end_day, workdays=5,
                        created_by=officer, approved_by=leader, version=1,
                        posted_at=datetime.combine(first_day, time(1)),
                        ended_at=datetime.combine(end_day, time(10)) if state == "ended" else None)
                   for sid, rows in by_school.items()]
        if not notices:
            continue
        db.session.execute(insert(Notice), notices)
        ids = dict(db.session.execute(select(Notice.school_id, Notice.id).where(
            Notice.kind == kind, Notice.semester == str(semester), Notice.state == state)).all())
        items = []
        for sid, rows in by_school.items():
            for position, row in enumerate(rows):
                n = year_of_study(row.intake_date, semester)
                items.append(dict(notice_id=ids[sid], school_id=sid, source_type=source_type, source_id=row.id,
                                  position=position, state="listed", name=row.name, school=row.school,
                                  major_class=f"{row.major}／{row.class_name}", year=grade_label(n) if n else "",
                                  programme=getattr(row, "programme", HARDSHIP_PROGRAMME_LABEL), level=row.level or ""))
        db.session.execute(insert(NoticeItem), items)
