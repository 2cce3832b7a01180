"""Student counts per school, study mode, status and registration state, read from the
tallies that database triggers keep (migration 0014) instead of counting every student.

The triggers cover every write path (ORM, bulk inserts, imports, restores); these functions
read them, fold PostgreSQL's appended +1/-1 rows (`compact`) and rebuild them from the
students table (`rebuild`, the repair path; `check` says whether they agree).
"""
from __future__ import annotations

from sqlalchemy import func, select

from aid.extensions import db
from aid.scoping import scope
from aid.tallies import TriggerTally
from aid.students.models import Student, StudentTally

KEY = ("school_id", "study_mode", "status", "registration_state")


def counts(user, *by: str, **where) -> list[tuple]:
    """(*by values, count) rows over the user's jurisdiction, e.g.
    counts(user, "school_id", "study_mode", "registration_state")."""
    columns = [getattr(StudentTally, name) for name in by]
    total = func.sum(StudentTally.n)
    stmt = select(*columns, total).group_by(*columns).having(total != 0)
    for name, value in where.items():
        column = getattr(StudentTally, name)
        stmt = stmt.where(column.in_(value) if isinstance(value, (list, tuple, set)) else column == value)
    return [tuple(row) for row in db.session.execute(scope(stmt, StudentTally, user)).all()]


_UPKEEP = TriggerTally(Student, StudentTally, KEY)
check, compact, rebuild = _UPKEEP.check, _UPKEEP.compact, _UPKEEP.rebuild
