"""Figures for each role's home page, restricted to the user's jurisdiction."""
from __future__ import annotations

from sqlalchemy import func, select

from aid.extensions import db
from aid.org.models import School
from aid.scoping import scope
from aid.students.models import Student


def student_counts(user) -> dict:
    stmt = scope(select(Student.study_mode, func.count()).group_by(Student.study_mode), Student, user)
    counts = dict(db.session.execute(stmt).all())
    return {"full_time": counts.get("full_time", 0), "part_time": counts.get("part_time", 0)}


def registration_counts(user) -> dict:
    stmt = scope(select(Student.registration_state, func.count()).group_by(Student.registration_state), Student, user)
    return dict(db.session.execute(stmt).all())


def school_count(user) -> int:
    return db.session.scalar(scope(select(func.count()).select_from(School), School, user))
