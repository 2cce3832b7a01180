"""Student counts per school, study mode, status and registration state, read from the
tallies that database triggers keep (migration 0014) instead of counting every student.

The triggers cover every write path (ORM, bulk inserts, imports, restores); these functions
read them, fold PostgreSQL's appended +1/-1 rows (`compact`) and rebuild them from the
students table (`rebuild`, the repair path; `check` says whether they agree).
"""
from __future__ import annotations

from sqlalchemy import func, select, text

from aid.extensions import db
from aid.scoping import scope
from aid.students.models import Student, StudentTally

KEY = ("school_id", "study_mode", "status", "registration_state")
_KEY_SQL = ", ".join(KEY)


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


def _live_counts() -> dict[tuple, int]:
    columns = [getattr(Student, name) for name in KEY]
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(select(*columns, func.count()).group_by(*columns))}


def _tally_counts() -> dict[tuple, int]:
    columns = [getattr(StudentTally, name) for name in KEY]
    total = func.sum(StudentTally.n)
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(
        select(*columns, total).group_by(*columns).having(total != 0))}


def check() -> list[tuple]:
    """Keys whose tally differs from the students table: [(key, tally, actual)]; [] when exact."""
    live, tallies = _live_counts(), _tally_counts()
    return [(key, tallies.get(key, 0), live.get(key, 0)) for key in sorted(set(live) | set(tallies), key=str)
            if tallies.get(key, 0) != live.get(key, 0)]


def compact() -> int:
    """Fold the tallies into one row per key; returns the rows left. Safe while the app
    writes: on PostgreSQL the rows folded are exactly those deleted (rows appended by
    transactions still running survive); SQLite has one writer at a time anyway."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(
            f"WITH moved AS (DELETE FROM student_tallies RETURNING {_KEY_SQL}, n) "
            f"INSERT INTO student_tallies ({_KEY_SQL}, n) SELECT {_KEY_SQL}, sum(n) FROM moved "
            f"GROUP BY {_KEY_SQL} HAVING sum(n) != 0"))
    else:
        folded = _tally_counts()
        db.session.execute(StudentTally.__table__.delete())
        _insert(folded)
    return db.session.scalar(select(func.count()).select_from(StudentTally))


def rebuild() -> int:
    """Recount from the students table (the repair path); returns the rows written."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE students IN SHARE MODE"))  # no student write meanwhile
    db.session.execute(StudentTally.__table__.delete())
    live = _live_counts()
    _insert(live)
    return len(live)


def _insert(rows: dict[tuple, int]) -> None:
    if rows:
        db.session.execute(StudentTally.__table__.insert(),
                           [dict(zip(KEY, key), n=n) for key, n in rows.items() if n])
