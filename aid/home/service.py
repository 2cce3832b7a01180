"""Figures for each role's home page, restricted to the user's jurisdiction."""
from __future__ import annotations

from sqlalchemy import func, select

from aid.extensions import db
from aid.org.models import School
from aid.scoping import scope
from aid.students.models import Student


def register_figures(user) -> list[tuple[str, str, int]]:
    """(study mode, registration state, students) in the jurisdiction: one pass over the
    (school_id, study_mode, registration_state) index, grouped in its order, so no engine reads
    the table or picks a one-column index to save the sort; computed once per request (the home
    page and the register panel both show it)."""
    from flask import g, has_request_context

    key = f"_aid_register_figures_{user.id}"
    if has_request_context() and key in g:
        return g.get(key)
    stmt = scope(select(Student.school_id, Student.study_mode, Student.registration_state, func.count())
                 .group_by(Student.school_id, Student.study_mode, Student.registration_state), Student, user)
    figures: dict[tuple[str, str], int] = {}
    for _school, mode, state, n in db.session.execute(stmt):
        figures[(mode, state)] = figures.get((mode, state), 0) + n
    rows = [(mode, state, n) for (mode, state), n in figures.items()]
    if has_request_context():
        setattr(g, key, rows)
    return rows


def student_counts(user) -> dict:
    counts: dict[str, int] = {}
    for mode, _state, n in register_figures(user):
        counts[mode] = counts.get(mode, 0) + n
    return {"full_time": counts.get("full_time", 0), "part_time": counts.get("part_time", 0)}


def registration_counts(user) -> dict:
    counts: dict[str, int] = {}
    for _mode, state, n in register_figures(user):
        counts[state] = counts.get(state, 0) + n
    return counts


def school_count(user) -> int:
    return db.session.scalar(scope(select(func.count()).select_from(School), School, user))
