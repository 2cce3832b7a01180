"""Figures for each role's home page, restricted to the user's jurisdiction."""
from __future__ import annotations

from sqlalchemy import func, select

from aid.extensions import db
from aid.org.models import School
from aid.scoping import scope


def register_figures(user) -> list[tuple[str, str, int]]:
    """(study mode, registration state, students) in the jurisdiction, from the trigger-kept
    student tallies (aid.students.tallies) instead of counting every student; read once per
    request (the page's figures and the register panel both show them)."""
    from flask import g, has_request_context

    from aid.students import tallies

    key = f"_aid_register_figures_{user.id}"
    if has_request_context() and key in g:
        return g.get(key)
    rows = [(mode, state, int(n)) for mode, state, n in tallies.counts(user, "study_mode", "registration_state")]
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
